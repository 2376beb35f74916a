// One training run, top to bottom: backend -> dataset -> network, loss and optimizer
// (experiment.ts) -> the run directory -> SGD steps (schedule, the loss's own center update, a
// report at each epoch end, checkpoints) -> the summary (finish.ts). Checkpoints carry the whole
// state (state.ts), so a resumed run continues exactly where it stopped.

import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import pino from 'pino';
import YAML from 'yaml';
import { initBackend, type BackendChoice } from '../backend/index.js';
import type { Config } from '../config/schema.js';
import { BatchStream } from '../data/batches.js';
import { loadRunDataset } from '../data/run-dataset.js';
import { UserError } from '../errors.js';
import { prepareRunDir, runPaths } from '../run/directory.js';
import { lockRunDir } from '../run/lock.js';
import type { Summary } from '../run/summary.js';
import { writeFileAtomic } from '../util/atomic.js';
import { endEpoch, type FinalFeatures } from './epoch.js';
import { buildExperiment } from './experiment.js';
import { finishRun } from './finish.js';
import { Preprocessor } from './preprocess.js';
import { Progress } from './progress.js';
import { learningRate } from './schedule.js';
import { emptySums, newLoopState, TrainingCheckpoints } from './state.js';
import { trainStep } from './step.js';
import { Watchdog } from './watchdog.js';
import { slurmContext } from '../util/provenance.js';

export interface TrainRequest {
  config: Config;
  outDir: string;
  backend: BackendChoice;
  resume: boolean;
  quiet: boolean;
  /** Seconds between mid-epoch checkpoints of `last` (epoch ends always checkpoint). */
  checkpointSeconds: number;
  /** Returns true (e.g. after a signal) to save and stop after the current step. */
  stopRequested?: () => boolean;
}

export type TrainOutcome =
  { status: 'complete'; summary: Summary } | { status: 'interrupted'; iteration: number; dir: string };

const LOG_EVERY = 20;
const MIN_LR_SCALE = 1 / 1024;

export async function trainRun(req: TrainRequest): Promise<TrainOutcome> {
  const cfg = req.config;
  const backend = await initBackend(req.backend);
  const dataset = await loadRunDataset(cfg);
  const exp = buildExperiment(cfg, dataset);
  const { model, loss, sgd } = exp;
  const resolvedYaml = YAML.stringify(exp.resolved);

  const paths = runPaths(req.outDir);
  const mode = prepareRunDir(paths, resolvedYaml, req.resume);
  const unlock = lockRunDir(paths);
  const logger = pino(
    { base: undefined },
    pino.destination({ dest: paths.log, sync: true, append: true, mkdir: true }),
  );
  const progress = new Progress(req.quiet);
  const note = (line: string) => progress.note(line);
  try {
    const stream = new BatchStream(dataset.train, {
      batchSize: cfg.train.batchSize,
      seed: exp.seeds.data,
      shuffle: true,
    });
    const preprocess = new Preprocessor(dataset, exp.spec.inputScaling, cfg.dataset, exp.seeds.augment);
    const perEpoch = stream.batchesPerEpoch;
    const total = cfg.train.iterations ?? (cfg.train.epochs as number) * perEpoch;
    const epochs = Math.ceil(total / perEpoch);
    const checkpoints = new TrainingCheckpoints(exp, stream, preprocess, perEpoch);
    let iteration = 0;
    let state = newLoopState(stream, preprocess);
    const auxScale = loss.hyper.reduction === 'sum' ? cfg.train.batchSize : 1;
    const watchdog = new Watchdog(
      {
        lossName: loss.name,
        hasCenters: loss.centers !== null,
        numClasses: dataset.numClasses,
        auxScale,
        totalIterations: total,
      },
      state.watchdog,
    );
    const restore = () => {
      ({ state, iteration } = checkpoints.restore(paths.last, note));
      watchdog.state = state.watchdog;
      dropMetricsAfter(paths.metrics, iteration);
    };
    if (mode === 'resume') {
      restore();
      note(`resuming ${paths.dir} at iteration ${iteration}/${total}`);
    } else {
      writeFileAtomic(paths.resolvedConfig, resolvedYaml);
      fs.writeFileSync(paths.metrics, '');
    }
    logger.info(
      {
        event: mode === 'resume' ? 'resume' : 'start',
        iteration,
        total,
        backend,
        dataset: dataset.identity,
        slurm: slurmContext(), // undefined outside Slurm: pino leaves it out
      },
      'training',
    );

    const started = Date.now();
    const elapsedBefore = state.elapsed;
    const elapsed = () => elapsedBefore + (Date.now() - started) / 1000;
    const checkpoint = (dir: string) => checkpoints.save(dir, iteration, state, elapsed());
    const metric = (line: Record<string, unknown>) => fs.appendFileSync(paths.metrics, `${JSON.stringify(line)}\n`);

    const imagesShape = [cfg.train.batchSize, ...dataset.imageShape];
    let final: FinalFeatures | null = null;
    // A new run checkpoints its initial state, so there is always a good state to go back to.
    if (mode === 'new') await checkpoint(paths.last);
    let lastCheckpoint = Date.now();
    let windowStart = Date.now();
    progress.start(total, iteration, epochs, Math.min(epochs, Math.floor(iteration / perEpoch) + 1));
    while (iteration < total) {
      const lr = learningRate(cfg.train.schedule, cfg.train.lr, iteration) * state.lrScale;
      const { indices } = stream.nextBatch();
      const batch = preprocess.train(indices);
      const x = tf.tensor(batch.x, imagesShape);
      const y = tf.tensor1d(batch.y, 'int32');
      const inspect = watchdog.wantsFeatures(iteration + 1);
      const diagnose = (iteration + 1) % LOG_EVERY === 0; // the step whose line is logged below
      loss.setIteration?.(iteration);
      const step = await trainStep(model, loss, sgd, x, y, lr, inspect, diagnose).finally(() => tf.dispose([x, y]));
      if (!step.ok) {
        const where = `iteration ${iteration + 1}: ${step.what}`;
        if (cfg.train.onNan === 'lower-lr' && state.lrScale / 2 >= MIN_LR_SCALE) {
          // The weights may already be damaged (an overflowing update): go back to the newest
          // checkpoint and continue from there with half the learning rate.
          const lrScale = state.lrScale / 2;
          restore();
          state.lrScale = lrScale;
          logger.warn(
            { event: 'nan', at: where, what: step.what, lrScale, resumedAt: iteration },
            'non-finite step: rolled back',
          );
          metric({ type: 'nan', iteration, what: step.what, failedAt: where, lrScale });
          note(
            `${where}; back to the checkpoint at iteration ${iteration} with the learning rate x${lrScale} (train.onNan: lower-lr)`,
          );
          continue;
        }
        logger.error({ event: 'nan', iteration: iteration + 1, what: step.what }, 'stopped');
        const kept = fs.existsSync(path.join(paths.last, 'checkpoint.json'))
          ? `the last good checkpoint is ${paths.last}`
          : 'no checkpoint was written yet';
        throw new UserError(`${where}; stopped, ${kept} (lower train.lr, or set train.onNan: lower-lr)`, 4);
      }
      iteration++;
      const centersNow =
        inspect && step.features && loss.centers ? ((await loss.centers.data()) as Float32Array) : null;
      const batchSeen =
        centersNow && step.features ? { features: step.features, labels: batch.y, centers: centersNow } : undefined;
      for (const warning of watchdog.observe(iteration, step.terms.aux, batchSeen)) {
        note(warning);
        logger.warn({ event: 'watchdog', iteration, warning }, 'watchdog');
        metric({ type: 'warning', iteration, warning });
      }
      for (const sums of [state.meter.window, state.meter.epoch]) {
        sums.total += step.terms.total;
        sums.softmax += step.terms.softmax;
        sums.aux += step.terms.aux;
        sums.steps++;
      }
      const epochDone = iteration % perEpoch === 0 || iteration === total;
      const epoch = Math.ceil(iteration / perEpoch);
      progress.tick(iteration, epoch);

      if (iteration % LOG_EVERY === 0 || epochDone) {
        const w = state.meter.window;
        const ips = (w.steps * cfg.train.batchSize) / Math.max((Date.now() - windowStart) / 1000, 1e-9);
        const mean = (v: number) => v / w.steps;
        metric({
          type: 'step',
          iteration,
          lr,
          loss: mean(w.total),
          softmax: mean(w.softmax),
          aux: mean(w.aux),
          imagesPerSecond: ips,
          ...step.diagnostics, // this step's batch: featureNorm, a, b, auxGradRatio (diagnose.ts)
        });
        const aux = loss.centers ? `, aux ${mean(w.aux).toFixed(4)}` : '';
        progress.step({
          epoch,
          epochs,
          iteration,
          loss: `loss ${mean(w.total).toFixed(4)} (softmax ${mean(w.softmax).toFixed(4)}${aux})`,
          imagesPerSecond: ips,
          accuracy: state.history.at(-1)?.testAccuracy ?? undefined,
        });
        state.meter.window = emptySums();
        windowStart = Date.now();
      }

      if (epochDone) {
        const isFinal = iteration === total;
        const report = await endEpoch({
          cfg,
          exp,
          dataset,
          preprocess,
          runDir: paths.dir,
          epoch,
          iteration,
          final: isFinal,
          lr,
          sums: state.meter.epoch,
          seconds: elapsed(),
        });
        if (report.final) final = report.final;
        state.history.push(report.record);
        state.meter.epoch = emptySums();
        metric({ type: 'epoch', ...report.record });
        logger.info({ event: 'epoch', ...report.record }, 'epoch');
        progress.epochEnd(`epoch ${epoch}/${epochs}  it ${iteration}/${total}  ${report.line}`);
        const accuracy = report.record.testAccuracy;
        if (accuracy !== null && accuracy > state.best.accuracy) {
          state.best = { accuracy, epoch };
          await checkpoint(paths.best);
        }
        await checkpoint(paths.last);
        lastCheckpoint = Date.now();
      } else if (Date.now() - lastCheckpoint > req.checkpointSeconds * 1000) {
        await checkpoint(paths.last);
        lastCheckpoint = Date.now();
      }
      // Let the event loop run: signal handlers are macrotasks, awaited reads are not enough.
      await new Promise((resolve) => setImmediate(resolve));
      if (req.stopRequested?.() && iteration < total) {
        await checkpoint(paths.last);
        logger.info({ event: 'interrupted', iteration }, 'interrupted');
        return { status: 'interrupted', iteration, dir: paths.dir };
      }
    }
    progress.stop();

    const summary = await finishRun({
      paths,
      exp,
      dataset,
      state,
      final,
      iterations: total,
      perEpoch,
      wallSeconds: elapsed(),
      backend,
      warn: note,
    });
    logger.info({ event: 'complete', testAccuracy: summary.testAccuracy }, 'complete');
    return { status: 'complete', summary };
  } finally {
    progress.stop();
    unlock();
    exp.dispose();
  }
}

/** A resumed run repeats the iterations after its checkpoint: drop their metric lines from the killed process. */
function dropMetricsAfter(file: string, iteration: number): void {
  if (!fs.existsSync(file)) return;
  const kept = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      try {
        return (JSON.parse(line) as { iteration: number }).iteration <= iteration;
      } catch {
        return false; // empty, or a torn last line
      }
    });
  writeFileAtomic(file, kept.map((l) => `${l}\n`).join(''));
}
