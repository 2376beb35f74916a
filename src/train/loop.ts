// One training run, top to bottom: backend -> dataset -> model -> loss -> SGD loop (schedule,
// the loss's own center update, evaluation every `eval.every` epochs, checkpoints) -> summary.
// The whole state needed to continue (weights, BN statistics, velocities, centers, data order,
// counters, loss sums, history) goes into each checkpoint, so a resumed run on a CPU backend
// ends with exactly the numbers of an uninterrupted one.

import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import pino from 'pino';
import YAML from 'yaml';
import { initBackend, type BackendChoice } from '../backend/index.js';
import type { Config } from '../config/schema.js';
import { BatchStream } from '../data/batches.js';
import { loadRunDataset } from '../data/validation.js';
import { evaluate } from '../eval/accuracy.js';
import { centerMetrics } from '../eval/center-metrics.js';
import { featureMetrics, type FeatureMetricsResult } from '../eval/feature-metrics.js';
import { writeFeatureFrame } from '../report/plot-frames.js';
import type { Dataset } from '../data/types.js';
import { UserError } from '../errors.js';
import { createLoss } from '../losses/index.js';
import { buildModel, featureDimOf, getModelSpec } from '../models/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { gitCommit, machine, versions } from '../util/provenance.js';
import { Rng } from '../util/rng.js';
import { loadGoodCheckpoint, saveCheckpoint } from '../run/checkpoint.js';
import { Sgd } from './optimizer.js';
import { Progress } from './progress.js';
import { prepareRunDir, runPaths } from '../run/directory.js';
import { lockRunDir } from '../run/lock.js';
import { Preprocessor } from './preprocess.js';
import { learningRate } from './schedule.js';
import { trainStep, type StepTerms } from './step.js';
import { buildSummary, type EpochRecord, type Summary } from '../run/summary.js';
import { newWatchdogState, Watchdog, type WatchdogState } from './watchdog.js';

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

export type TrainOutcome = { status: 'complete'; summary: Summary } | { status: 'interrupted'; iteration: number; dir: string };

/** Running sums of the loss terms (float64), over a logging window and over the epoch. */
interface Meter {
  window: StepTerms & { steps: number };
  epoch: StepTerms & { steps: number };
}
const emptySums = () => ({ total: 0, softmax: 0, aux: 0, steps: 0 });

/** Everything besides tensors that a checkpoint must carry to continue exactly. */
interface LoopState {
  stream: ReturnType<BatchStream['getState']>;
  history: EpochRecord[];
  best: { accuracy: number; epoch: number };
  elapsed: number;
  meter: Meter;
  lrScale: number;
  augmentRng: ReturnType<Preprocessor['getState']>;
  watchdog: WatchdogState;
}

const LOG_EVERY = 20;
const MIN_LR_SCALE = 1 / 1024;

export async function trainRun(req: TrainRequest): Promise<TrainOutcome> {
  const cfg = req.config;
  const backend = await initBackend(req.backend);
  const dataset = await loadRunDataset(cfg);
  const seeds = new Rng(cfg.seed);
  const [modelSeed, lossSeed, dataSeed, augmentSeed] = [seeds.seed(), seeds.seed(), seeds.seed(), seeds.seed()];
  const spec = getModelSpec(cfg.model.name);
  const { name: modelName, ...modelOptions } = cfg.model;
  const model = buildModel(modelName, { inputShape: dataset.imageShape, numClasses: dataset.numClasses, seed: modelSeed }, modelOptions);
  const loss = createLoss(cfg.loss.name, { ...cfg.loss, numClasses: dataset.numClasses, featureDim: featureDimOf(model), seed: lossSeed });
  const resolved = { ...cfg, model: { ...spec.defaults, ...cfg.model }, loss: { name: cfg.loss.name, ...loss.hyper } };
  const resolvedYaml = YAML.stringify(resolved);

  const paths = runPaths(req.outDir);
  const mode = prepareRunDir(paths, resolvedYaml, req.resume);
  const unlock = lockRunDir(paths);
  const logger = pino({ base: undefined }, pino.destination({ dest: paths.log, sync: true, append: true, mkdir: true }));
  const progress = new Progress(req.quiet);
  const sgd = new Sgd([...model.trainableWeights.map((w) => w.read() as tf.Variable), ...loss.trainableVariables()], {
    momentum: cfg.train.momentum,
    weightDecay: cfg.train.weightDecay,
  });
  try {
    const stream = new BatchStream(dataset.train, { batchSize: cfg.train.batchSize, seed: dataSeed, shuffle: true });
    const preprocess = new Preprocessor(dataset, spec.inputScaling, cfg.dataset, augmentSeed);
    const perEpoch = stream.batchesPerEpoch;
    const total = cfg.train.iterations ?? (cfg.train.epochs as number) * perEpoch;
    const epochs = Math.ceil(total / perEpoch);
    let iteration = 0;
    let state: LoopState = {
      stream: stream.getState(),
      history: [],
      best: { accuracy: -1, epoch: 0 },
      elapsed: 0,
      meter: { window: emptySums(), epoch: emptySums() },
      lrScale: 1,
      augmentRng: preprocess.getState(),
      watchdog: newWatchdogState(),
    };
    const watchdog = new Watchdog(
      {
        lossName: loss.name,
        hasCenters: loss.centers !== null,
        numClasses: dataset.numClasses,
        auxScale: loss.hyper.reduction === 'sum' ? cfg.train.batchSize : 1,
        totalIterations: total,
      },
      state.watchdog,
    );

    const tensorsToSave = (): Record<string, tf.Tensor> => {
      const out: Record<string, tf.Tensor> = {};
      model.weights.forEach((w, i) => (out[`model/${i}`] = w.read()));
      if (loss.centers) out['loss/centers'] = loss.centers;
      sgd.getState().forEach((v, i) => (out[`sgd/${i}`] = v));
      return out;
    };
    /** Puts the whole training state back as the newest good checkpoint has it. */
    const restore = () => {
      const { meta, tensors, usedFallback } = loadGoodCheckpoint(paths.last);
      if (usedFallback) progress.note(`warning: ${paths.last} is damaged; resuming from the previous checkpoint (${usedFallback})`);
      const get = (name: string) => {
        const t = tensors.get(name);
        if (!t) throw new UserError(`${paths.last}: checkpoint does not match this run (tensor ${name} missing)`);
        return t;
      };
      model.weights.forEach((w, i) => w.write(get(`model/${i}`)));
      if (loss.centers) loss.centers.assign(get('loss/centers'));
      sgd.setState(sgd.variables.map((_, i) => get(`sgd/${i}`)));
      tf.dispose([...tensors.values()]);
      state = meta.state as unknown as LoopState;
      state.watchdog ??= newWatchdogState(); // checkpoints from before the watchdog
      watchdog.state = state.watchdog;
      stream.setState(state.stream);
      preprocess.setState(state.augmentRng);
      iteration = meta.iteration;
      dropMetricsAfter(paths.metrics, iteration);
    };
    if (mode === 'resume') {
      restore();
      progress.note(`resuming ${paths.dir} at iteration ${iteration}/${total}`);
    } else {
      writeFileAtomic(paths.resolvedConfig, resolvedYaml);
      fs.writeFileSync(paths.metrics, '');
    }
    logger.info({ event: mode === 'resume' ? 'resume' : 'start', iteration, total, backend, dataset: dataset.identity }, 'training');

    const started = Date.now();
    const elapsedBefore = state.elapsed;
    const elapsed = () => elapsedBefore + (Date.now() - started) / 1000;
    const checkpoint = async (dir: string) => {
      state.stream = stream.getState();
      state.augmentRng = preprocess.getState();
      state.elapsed = elapsed();
      await saveCheckpoint(dir, tensorsToSave(), { epoch: Math.floor(iteration / perEpoch), iteration, state: { ...state } });
    };
    const metric = (line: Record<string, unknown>) => fs.appendFileSync(paths.metrics, `${JSON.stringify(line)}\n`);

    const imagesShape = [cfg.train.batchSize, ...dataset.imageShape];
    let finalFeatures: { features: Float32Array; centers: Float32Array | null; accuracy: number } | null = null;
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
      const step = await trainStep(model, loss, sgd, x, y, lr, inspect).finally(() => tf.dispose([x, y]));
      if (!step.ok) {
        const where = `iteration ${iteration + 1}: ${step.what}`;
        if (cfg.train.onNan === 'lower-lr' && state.lrScale / 2 >= MIN_LR_SCALE) {
          // The weights may already be damaged (an overflowing update): go back to the newest
          // checkpoint and continue from there with half the learning rate.
          const lrScale = state.lrScale / 2;
          restore();
          state.lrScale = lrScale;
          logger.warn({ event: 'nan', at: where, what: step.what, lrScale, resumedAt: iteration }, 'non-finite step: rolled back');
          metric({ type: 'nan', iteration, what: step.what, failedAt: where, lrScale });
          progress.note(`${where}; back to the checkpoint at iteration ${iteration} with the learning rate x${lrScale} (train.onNan: lower-lr)`);
          continue;
        }
        logger.error({ event: 'nan', iteration: iteration + 1, what: step.what }, 'stopped');
        const kept = fs.existsSync(path.join(paths.last, 'checkpoint.json')) ? `the last good checkpoint is ${paths.last}` : 'no checkpoint was written yet';
        throw new UserError(`${where}; stopped, ${kept} (lower train.lr, or set train.onNan: lower-lr)`, 4);
      }
      iteration++;
      const centersNow = inspect && step.features && loss.centers ? ((await loss.centers.data()) as Float32Array) : null;
      const batchSeen = centersNow && step.features ? { features: step.features, labels: batch.y, centers: centersNow } : undefined;
      for (const warning of watchdog.observe(iteration, step.terms.aux, batchSeen)) {
        progress.note(warning);
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
      progress.tick(iteration, Math.ceil(iteration / perEpoch));

      if (iteration % LOG_EVERY === 0 || epochDone) {
        const w = state.meter.window;
        const ips = (w.steps * cfg.train.batchSize) / Math.max((Date.now() - windowStart) / 1000, 1e-9);
        const mean = (v: number) => v / w.steps;
        metric({ type: 'step', iteration, lr, loss: mean(w.total), softmax: mean(w.softmax), aux: mean(w.aux), imagesPerSecond: ips });
        progress.step({
          epoch: Math.ceil(iteration / perEpoch),
          epochs,
          iteration,
          loss: `loss ${mean(w.total).toFixed(4)} (softmax ${mean(w.softmax).toFixed(4)}${loss.centers ? `, aux ${mean(w.aux).toFixed(4)}` : ''})`,
          imagesPerSecond: ips,
          accuracy: state.history.at(-1)?.testAccuracy ?? undefined,
        });
        state.meter.window = emptySums();
        windowStart = Date.now();
      }

      if (epochDone) {
        const epoch = Math.ceil(iteration / perEpoch);
        const final = iteration === total;
        const evaluating = epoch % cfg.eval.every === 0 || final;
        const result = evaluating
          ? await evaluate(model, dataset.test, spec.inputScaling, dataset.imageShape, {
              batchSize: cfg.eval.batchSize,
              preprocess,
              keepFeatures: final || cfg.eval.frames,
            })
          : null;
        const validation =
          evaluating && dataset.validation
            ? await evaluate(model, dataset.validation, spec.inputScaling, dataset.imageShape, { batchSize: cfg.eval.batchSize, preprocess })
            : null;
        if (result?.features) {
          const centers = loss.centers ? ((await loss.centers.data()) as Float32Array) : null;
          if (cfg.eval.frames) writeFeatureFrame(paths.dir, epoch, result.features, dataset.test.labels, centers, { testAccuracy: result.accuracy });
          if (final) finalFeatures = { features: result.features, centers, accuracy: result.accuracy };
        }
        const e = state.meter.epoch;
        const record: EpochRecord = {
          epoch,
          iteration,
          lr,
          loss: e.total / e.steps,
          softmax: e.softmax / e.steps,
          aux: loss.centers ? e.aux / e.steps : null,
          testAccuracy: result ? result.accuracy : null,
          ...(dataset.validation ? { validationAccuracy: validation ? validation.accuracy : null } : {}),
          seconds: elapsed(),
        };
        state.history.push(record);
        state.meter.epoch = emptySums();
        metric({ type: 'epoch', ...record });
        logger.info({ event: 'epoch', ...record }, 'epoch');
        progress.epochEnd(
          `epoch ${epoch}/${epochs}  it ${iteration}/${total}  loss ${record.loss.toFixed(4)}` +
            (record.aux !== null ? ` (softmax ${record.softmax.toFixed(4)}, aux ${record.aux.toFixed(4)})` : '') +
            (validation ? `  validation ${validation.accuracy.toFixed(2)}%` : '') +
            (result ? `  test ${result.accuracy.toFixed(2)}%` : '') +
            `  ${Math.round(elapsed())} s`,
        );
        if (result && result.accuracy > state.best.accuracy) {
          state.best = { accuracy: result.accuracy, epoch };
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

    const last = state.history[state.history.length - 1];
    const summary = buildSummary({
      config: resolved,
      history: state.history,
      best: state.best,
      iterations: total,
      perEpoch,
      wallSeconds: elapsed(),
      backend,
      dataset: dataset.identity,
      parameters: model.countParams(),
      commit: gitCommit(),
      versions: versions(),
      machine: machine(),
      finalAccuracy: last.testAccuracy as number,
      warnings: state.watchdog.warnings,
    });
    if (finalFeatures) {
      summary.featureMetrics = {
        checkpoint: 'last',
        iteration: total,
        testAccuracy: finalFeatures.accuracy,
        ...featureMetrics(finalFeatures.features, dataset.test.labels, dataset.numClasses),
      };
      if (finalFeatures.centers) summary.centerMetrics = centerMetrics(finalFeatures.features, dataset.test.labels, finalFeatures.centers, dataset.numClasses);
      if (featureDimOf(model) === 2) await plotFeatures(paths.dir, dataset, cfg.loss.name, finalFeatures, summary.featureMetrics, progress);
    }
    writeFileAtomic(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
    logger.info({ event: 'complete', testAccuracy: summary.testAccuracy }, 'complete');
    return { status: 'complete', summary };
  } finally {
    progress.stop();
    unlock();
    sgd.dispose();
    loss.dispose();
    model.dispose();
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

/** 2-D features are plotted at the end of a run (features.png, .svg), as in the paper's figure. */
async function plotFeatures(
  dir: string,
  dataset: Dataset,
  lossName: string,
  final: { features: Float32Array; centers: Float32Array | null; accuracy: number },
  metrics: FeatureMetricsResult,
  progress: Progress,
): Promise<void> {
  try {
    const { featureScatter } = await import('../report/plot.js'); // Vega loads only when plotting
    const rendered = await featureScatter({
      features: final.features,
      labels: dataset.test.labels,
      centers: final.centers,
      classNames: dataset.classNames,
      label: lossName,
      testAccuracy: final.accuracy,
      metrics,
    });
    writeFileAtomic(path.join(dir, 'features.png'), rendered.png);
    writeFileAtomic(path.join(dir, 'features.svg'), rendered.svg);
  } catch (err) {
    progress.note(`warning: could not draw the feature plot (${(err as Error).message}); ctc plot --run ${dir} retries`);
  }
}
