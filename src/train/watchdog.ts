// Catches an auxiliary loss that does nothing, early in a run: at iteration CHECK_AT (or the
// last, for shorter runs of at least MIN_ITERATIONS) it warns once when
//   - the contrastive-center term's mean over the second half of those iterations is within
//     CHANCE_TOLERANCE of its chance value 1/2 * 1/(k-1) per sample (the value it has while the
//     centers sit together, whatever the features do), or
//   - the center lag on the training batch (src/eval/center-metrics.ts) has not dropped by
//     LAG_DROP from its first measurement: the centers are not following the features.
// Its state is plain numbers, kept in the checkpoint so a resumed run checks the same thing.

import { centerMetrics } from '../eval/center-metrics.js';

const CHECK_AT = 300;
const MIN_ITERATIONS = 100;
const CHANCE_TOLERANCE = 0.05;
const LAG_DROP = 0.1;

export interface WatchdogState {
  firstLag: number | null;
  auxSum: number;
  auxSteps: number;
  done: boolean;
  warnings: string[];
}

export const newWatchdogState = (): WatchdogState => ({
  firstLag: null,
  auxSum: 0,
  auxSteps: 0,
  done: false,
  warnings: [],
});

export interface WatchdogRun {
  lossName: string;
  hasCenters: boolean;
  numClasses: number;
  /** Per-sample chance value times this: the batch size for reduction 'sum', else 1. */
  auxScale: number;
  totalIterations: number;
}

export class Watchdog {
  readonly checkAt: number;

  constructor(
    private readonly run: WatchdogRun,
    public state: WatchdogState,
  ) {
    this.checkAt =
      run.hasCenters && run.totalIterations >= MIN_ITERATIONS ? Math.min(CHECK_AT, run.totalIterations) : 0;
  }

  /** Whether the step at `iteration` (1-based) needs its batch features and the centers. */
  wantsFeatures(iteration: number): boolean {
    return this.checkAt > 0 && !this.state.done && (iteration === 1 || iteration === this.checkAt);
  }

  /** The chance value of the auxiliary term, or null when it has none (center loss). */
  chance(): number | null {
    if (this.run.lossName !== 'contrastive-center' || this.run.numClasses < 2) return null;
    return (0.5 / (this.run.numClasses - 1)) * this.run.auxScale;
  }

  /**
   * After a finished step: its aux value, and the batch's features, labels and the centers when
   * wantsFeatures said so. Returns the new warnings (at most once per run).
   */
  observe(
    iteration: number,
    aux: number,
    batch?: { features: Float32Array; labels: ArrayLike<number>; centers: Float32Array },
  ): string[] {
    if (this.checkAt === 0 || this.state.done) return [];
    if (iteration > this.checkAt / 2) {
      this.state.auxSum += aux;
      this.state.auxSteps++;
    }
    const lag = batch
      ? centerMetrics(batch.features, batch.labels, batch.centers, this.run.numClasses).centerLag
      : null;
    if (iteration === 1 && lag !== null) this.state.firstLag = lag;
    if (iteration < this.checkAt) return [];
    this.state.done = true;
    const found: string[] = [];
    const chance = this.chance();
    const auxMean = this.state.auxSum / Math.max(this.state.auxSteps, 1);
    if (chance !== null && Math.abs(auxMean / chance - 1) < CHANCE_TOLERANCE) {
      found.push(
        `warning: the ${this.run.lossName} term is still at its chance value after ${iteration} iterations ` +
          `(${auxMean.toFixed(4)} vs ${chance.toFixed(4)}): it is not changing training; check loss.centerUpdate and loss.alpha`,
      );
    }
    const first = this.state.firstLag;
    if (first !== null && lag !== null && !(lag < first * (1 - LAG_DROP))) {
      found.push(
        `warning: the centers are not following the features: center lag ${first.toFixed(3)} at iteration 1, ` +
          `${lag.toFixed(3)} at ${iteration}; raise loss.alpha or check loss.centerUpdate`,
      );
    }
    this.state.warnings.push(...found);
    return found;
  }
}
