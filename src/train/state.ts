// What a checkpoint carries besides the tensors, and how the tensors and this state are saved
// and put back: weights, BN statistics, velocities, centers, data order, augmentation stream,
// counters, loss sums and history. A resumed run on a CPU backend therefore ends with exactly
// the numbers of an uninterrupted one.

import * as tf from '@tensorflow/tfjs';
import type { BatchStream } from '../data/batches.js';
import { UserError } from '../errors.js';
import { loadGoodCheckpoint, saveCheckpoint } from '../run/checkpoint.js';
import type { EpochRecord } from '../run/summary.js';
import type { Experiment } from './experiment.js';
import type { Preprocessor } from './preprocess.js';
import type { StepTerms } from './step.js';
import { newWatchdogState, type WatchdogState } from './watchdog.js';

export type Sums = StepTerms & { steps: number };
export const emptySums = (): Sums => ({ total: 0, softmax: 0, aux: 0, steps: 0 });

/** Everything besides tensors that a checkpoint must carry to continue exactly. */
export interface LoopState {
  stream: ReturnType<BatchStream['getState']>;
  history: EpochRecord[];
  best: { accuracy: number; epoch: number };
  elapsed: number;
  /** Running sums of the loss terms (float64), over a logging window and over the epoch. */
  meter: { window: Sums; epoch: Sums };
  lrScale: number;
  augmentRng: ReturnType<Preprocessor['getState']>;
  watchdog: WatchdogState;
}

export function newLoopState(stream: BatchStream, preprocess: Preprocessor): LoopState {
  return {
    stream: stream.getState(),
    history: [],
    best: { accuracy: -1, epoch: 0 },
    elapsed: 0,
    meter: { window: emptySums(), epoch: emptySums() },
    lrScale: 1,
    augmentRng: preprocess.getState(),
    watchdog: newWatchdogState(),
  };
}

/** Saves and restores one run's training state (the tensors of `exp`, the streams, `LoopState`). */
export class TrainingCheckpoints {
  constructor(
    private readonly exp: Experiment,
    private readonly stream: BatchStream,
    private readonly preprocess: Preprocessor,
    private readonly perEpoch: number,
  ) {}

  async save(dir: string, iteration: number, state: LoopState, elapsed: number): Promise<void> {
    state.stream = this.stream.getState();
    state.augmentRng = this.preprocess.getState();
    state.elapsed = elapsed;
    const { model, loss, sgd } = this.exp;
    const tensors: Record<string, tf.Tensor> = {};
    model.weights.forEach((w, i) => (tensors[`model/${i}`] = w.read()));
    if (loss.centers) tensors['loss/centers'] = loss.centers;
    sgd.getState().forEach((v, i) => (tensors[`sgd/${i}`] = v));
    await saveCheckpoint(dir, tensors, {
      epoch: Math.floor(iteration / this.perEpoch),
      iteration,
      state: { ...state },
    });
  }

  /** Puts the whole training state back as the newest good checkpoint in `dir` has it. */
  restore(dir: string, warn: (line: string) => void): { state: LoopState; iteration: number } {
    const { meta, tensors, usedFallback } = loadGoodCheckpoint(dir);
    if (usedFallback) warn(`warning: ${dir} is damaged; resuming from the previous checkpoint (${usedFallback})`);
    const get = (name: string) => {
      const t = tensors.get(name);
      if (!t) throw new UserError(`${dir}: checkpoint does not match this run (tensor ${name} missing)`);
      return t;
    };
    const { model, loss, sgd } = this.exp;
    model.weights.forEach((w, i) => w.write(get(`model/${i}`)));
    if (loss.centers) loss.centers.assign(get('loss/centers'));
    sgd.setState(sgd.variables.map((_, i) => get(`sgd/${i}`)));
    tf.dispose([...tensors.values()]);
    const state = meta.state as unknown as LoopState;
    state.watchdog ??= newWatchdogState(); // checkpoints from before the watchdog
    this.stream.setState(state.stream);
    this.preprocess.setState(state.augmentRng);
    return { state, iteration: meta.iteration };
  }
}
