// One training run, top to bottom: backend -> dataset -> model -> loss -> SGD loop (schedule,
// the loss's own center update, evaluation every `eval.every` epochs, checkpoints) -> summary.
// The whole state needed to continue (weights, BN statistics, velocities, centers, data order,
// counters, history) goes into each checkpoint, so a resumed run matches an uninterrupted one.

import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import pino from 'pino';
import YAML from 'yaml';
import { initBackend, type BackendChoice } from '../backend/index.js';
import type { Config } from '../config/schema.js';
import { BatchStream, makeBatch } from '../data/batches.js';
import { loadDataset } from '../data/index.js';
import { evaluate } from '../eval/accuracy.js';
import { UserError } from '../errors.js';
import { createLoss } from '../losses/index.js';
import { buildModel, featureDimOf, getModelSpec } from '../models/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { gitCommit, machine, versions } from '../util/provenance.js';
import { Rng } from '../util/rng.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { Sgd } from './optimizer.js';
import { Progress } from './progress.js';
import { lockRunDir, prepareRunDir, runPaths } from './run-dir.js';
import { learningRate } from './schedule.js';
import { buildSummary, type EpochRecord, type Summary } from './summary.js';

export interface TrainRequest {
  config: Config;
  outDir: string;
  backend: BackendChoice;
  resume: boolean;
  quiet: boolean;
  /** Seconds between mid-epoch checkpoints of `last` (epoch ends always checkpoint). */
  checkpointSeconds: number;
  /** Set to true (e.g. by a signal handler) to save and stop after the current step. */
  stopRequested?: () => boolean;
}

export type TrainOutcome = { status: 'complete'; summary: Summary } | { status: 'interrupted'; iteration: number; dir: string };

type Terms = { total: number; softmax: number; aux: number };

export async function trainRun(req: TrainRequest): Promise<TrainOutcome> {
  const cfg = req.config;
  const backend = await initBackend(req.backend);
  const dataset = await loadDataset(cfg.dataset.name, cfg.dataset);
  const seeds = new Rng(cfg.seed);
  const modelSeed = seeds.seed();
  const lossSeed = seeds.seed();
  const dataSeed = seeds.seed();
  const spec = getModelSpec(cfg.model.name);
  const { name: modelName, ...modelOptions } = cfg.model;
  const model = buildModel(modelName, { inputShape: dataset.imageShape, numClasses: dataset.numClasses, seed: modelSeed }, modelOptions);
  const loss = createLoss(cfg.loss.name, {
    ...cfg.loss,
    numClasses: dataset.numClasses,
    featureDim: featureDimOf(model),
    seed: lossSeed,
  });
  const resolved = { ...cfg, model: { ...spec.defaults, ...cfg.model }, loss: { name: cfg.loss.name, ...loss.hyper } };
  const resolvedYaml = YAML.stringify(resolved);

  const paths = runPaths(req.outDir);
  const mode = prepareRunDir(paths, resolvedYaml, req.resume);
  const unlock = lockRunDir(paths);
  const logger = pino({ base: undefined }, pino.destination({ dest: paths.log, sync: true, append: true, mkdir: true }));
  const progress = new Progress(req.quiet);
  try {
    const netVariables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const sgd = new Sgd([...netVariables, ...loss.trainableVariables()], {
      momentum: cfg.train.momentum,
      weightDecay: cfg.train.weightDecay,
    });
    const stream = new BatchStream(dataset.train, { batchSize: cfg.train.batchSize, seed: dataSeed, shuffle: true });
    const perEpoch = stream.batchesPerEpoch;
    const total = cfg.train.iterations ?? (cfg.train.epochs as number) * perEpoch;
    const epochs = Math.ceil(total / perEpoch);

    let iteration = 0;
    let history: EpochRecord[] = [];
    let best = { accuracy: -1, epoch: 0 };
    let elapsedBefore = 0; // training seconds of earlier processes (resume)
    let epochSums: Terms & { steps: number } = { total: 0, softmax: 0, aux: 0, steps: 0 };

    const stateTensors = (): Record<string, tf.Tensor> => {
      const out: Record<string, tf.Tensor> = {};
      model.weights.forEach((w, i) => (out[`model/${i}`] = w.read()));
      if (loss.centers) out['loss/centers'] = loss.centers;
      sgd.getState().forEach((v, i) => (out[`sgd/${i}`] = v));
      return out;
    };

    const sums: Record<'total' | 'softmax' | 'aux', tf.Scalar> = { total: tf.scalar(0), softmax: tf.scalar(0), aux: tf.scalar(0) };
    let sumsSteps = 0;
    if (mode === 'resume') {
      const { meta, tensors } = loadCheckpoint(paths.last);
      model.weights.forEach((w, i) => w.write(tensors.get(`model/${i}`) as tf.Tensor));
      if (loss.centers) loss.centers.assign(tensors.get('loss/centers') as tf.Tensor);
      sgd.setState(sgd.variables.map((_, i) => tensors.get(`sgd/${i}`) as tf.Tensor));
      for (const k of ['total', 'softmax', 'aux'] as const) {
        sums[k].dispose();
        sums[k] = tensors.get(`sums/${k}`)?.reshape([]) ?? tf.scalar(0);
      }
      tf.dispose([...tensors.values()]);
      const s = meta.state as { stream: never; history: EpochRecord[]; best: typeof best; elapsed: number; epochSums: typeof epochSums; sumsSteps: number };
      stream.setState(s.stream);
      ({ history, best, epochSums, sumsSteps } = s);
      elapsedBefore = s.elapsed;
      iteration = meta.iteration;
      dropMetricsAfter(paths.metrics, iteration);
      progress.note(`resuming ${paths.dir} at iteration ${iteration}/${total}`);
    } else {
      writeFileAtomic(paths.resolvedConfig, resolvedYaml);
      fs.writeFileSync(paths.metrics, '');
    }
    logger.info({ event: mode === 'resume' ? 'resume' : 'start', iteration, total, backend, dataset: dataset.identity }, 'training');

    const started = Date.now();
    const elapsed = () => elapsedBefore + (Date.now() - started) / 1000;
    const readSums = async (): Promise<Terms> => {
      const [t, s, a] = await Promise.all([sums.total.data(), sums.softmax.data(), sums.aux.data()]);
      const out = { total: t[0], softmax: s[0], aux: a[0] };
      for (const [term, value] of Object.entries(out)) {
        if (!Number.isFinite(value)) {
          throw new UserError(
            `loss term '${term}' became ${value} before iteration ${iteration}; the last good checkpoint is ${paths.last}; try a lower train.lr`,
            4,
          );
        }
      }
      return out;
    };
    const flushSums = async () => {
      const t = await readSums();
      epochSums = {
        total: epochSums.total + t.total,
        softmax: epochSums.softmax + t.softmax,
        aux: epochSums.aux + t.aux,
        steps: epochSums.steps + sumsSteps,
      };
      for (const k of ['total', 'softmax', 'aux'] as const) {
        sums[k].dispose();
        sums[k] = tf.scalar(0);
      }
      sumsSteps = 0;
    };
    // The running float32 sums go into the checkpoint as they are (not flushed), so a resumed run
    // adds up its losses in exactly the same grouping as an uninterrupted one.
    const checkpoint = async (dir: string) => {
      await saveCheckpoint(
        dir,
        { ...stateTensors(), 'sums/total': sums.total, 'sums/softmax': sums.softmax, 'sums/aux': sums.aux },
        {
          epoch: Math.floor(iteration / perEpoch),
          iteration,
          state: { stream: stream.getState(), history, best, elapsed: elapsed(), epochSums, sumsSteps },
        },
      );
    };

    const imagesShape = [cfg.train.batchSize, ...dataset.imageShape];
    let lastCheckpoint = Date.now();
    let windowStart = Date.now();
    let windowImages = 0;
    progress.start(total, iteration, epochs, Math.min(epochs, Math.floor(iteration / perEpoch) + 1));
    while (iteration < total) {
      const lr = learningRate(cfg.train.schedule, cfg.train.lr, iteration);
      const { indices } = stream.nextBatch();
      const batch = makeBatch(dataset.train, indices, spec.inputScaling, dataset.imageShape);
      const x = tf.tensor(batch.x, imagesShape);
      const y = tf.tensor1d(batch.y, 'int32');
      let features: tf.Tensor2D | null = null;
      let terms: tf.Scalar[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const [f, logits] = model.apply(x, { training: true }) as tf.Tensor2D[];
        const t = loss.compute(f, logits, y);
        features = tf.keep(f);
        terms = [tf.keep(t.softmax), tf.keep(t.aux ?? tf.scalar(0))];
        return t.total;
      }, sgd.variables);
      sgd.apply(grads, lr);
      loss.updateCenters(features as unknown as tf.Tensor2D, y);
      tf.tidy(() => {
        const next = [sums.total.add(value), sums.softmax.add(terms[0]), sums.aux.add(terms[1])];
        tf.dispose([sums.total, sums.softmax, sums.aux]);
        [sums.total, sums.softmax, sums.aux] = next.map((t) => tf.keep(t)) as tf.Scalar[];
      });
      tf.dispose([x, y, value, features as unknown as tf.Tensor, ...terms, ...Object.values(grads)]);
      iteration++;
      sumsSteps++;
      windowImages += indices.length;

      const epochDone = iteration % perEpoch === 0 || iteration === total;
      progress.tick(iteration, Math.ceil(iteration / perEpoch));
      if (iteration % 20 === 0 || epochDone) {
        const seconds = (Date.now() - windowStart) / 1000;
        const ips = windowImages / Math.max(seconds, 1e-9);
        const t = await readSums();
        const mean = (v: number) => (v / sumsSteps).toFixed(4);
        const line = { type: 'step', iteration, lr, loss: t.total / sumsSteps, softmax: t.softmax / sumsSteps, aux: t.aux / sumsSteps, imagesPerSecond: ips };
        fs.appendFileSync(paths.metrics, `${JSON.stringify(line)}\n`);
        progress.step({
          epoch: Math.ceil(iteration / perEpoch),
          epochs,
          iteration,
          loss: `loss ${mean(t.total)} (softmax ${mean(t.softmax)}${loss.centers ? `, aux ${mean(t.aux)}` : ''})`,
          imagesPerSecond: ips,
          accuracy: best.accuracy >= 0 ? history[history.length - 1]?.testAccuracy ?? undefined : undefined,
        });
        await flushSums();
        windowStart = Date.now();
        windowImages = 0;
      }

      if (epochDone) {
        const epoch = Math.ceil(iteration / perEpoch);
        const evaluateNow = epoch % cfg.eval.every === 0 || iteration === total;
        const result = evaluateNow
          ? await evaluate(model, dataset.test, spec.inputScaling, dataset.imageShape, { batchSize: cfg.eval.batchSize })
          : null;
        const steps = Math.max(epochSums.steps, 1);
        const record: EpochRecord = {
          epoch,
          iteration,
          lr,
          loss: epochSums.total / steps,
          softmax: epochSums.softmax / steps,
          aux: loss.centers ? epochSums.aux / steps : null,
          testAccuracy: result ? result.accuracy : null,
          seconds: elapsed(),
        };
        history.push(record);
        epochSums = { total: 0, softmax: 0, aux: 0, steps: 0 };
        fs.appendFileSync(paths.metrics, `${JSON.stringify({ type: 'epoch', ...record })}\n`);
        logger.info({ event: 'epoch', ...record }, 'epoch');
        progress.epochEnd(
          `epoch ${epoch}/${epochs}  it ${iteration}/${total}  loss ${record.loss.toFixed(4)}` +
            (record.aux !== null ? ` (softmax ${record.softmax.toFixed(4)}, aux ${record.aux.toFixed(4)})` : '') +
            (result ? `  test ${result.accuracy.toFixed(2)}%` : '') +
            `  ${Math.round(elapsed())} s`,
        );
        if (result && result.accuracy > best.accuracy) {
          best = { accuracy: result.accuracy, epoch };
          await checkpoint(paths.best);
        }
        await checkpoint(paths.last);
        lastCheckpoint = Date.now();
      } else if (Date.now() - lastCheckpoint > req.checkpointSeconds * 1000) {
        await checkpoint(paths.last);
        lastCheckpoint = Date.now();
      }
      // Let the event loop run (signal handlers are macrotasks; awaited data() is not enough).
      await new Promise((resolve) => setImmediate(resolve));
      if (req.stopRequested?.() && iteration < total) {
        await checkpoint(paths.last);
        progress.stop();
        logger.info({ event: 'interrupted', iteration }, 'interrupted');
        tf.dispose(Object.values(sums));
        return { status: 'interrupted', iteration, dir: paths.dir };
      }
    }
    progress.stop();
    tf.dispose(Object.values(sums));

    const last = history[history.length - 1];
    const summary = buildSummary({
      config: resolved,
      history,
      best,
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
    });
    writeFileAtomic(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
    logger.info({ event: 'complete', testAccuracy: summary.testAccuracy }, 'complete');
    sgd.dispose();
    return { status: 'complete', summary };
  } finally {
    progress.stop();
    unlock();
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
      if (!line.trim()) return false;
      try {
        return (JSON.parse(line) as { iteration?: number }).iteration! <= iteration;
      } catch {
        return false; // a torn last line
      }
    });
  writeFileAtomic(file, kept.map((l) => `${l}\n`).join(''));
}
