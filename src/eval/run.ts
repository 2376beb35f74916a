// Re-opens a finished or interrupted run: its resolved config, dataset, network weights and
// centers from a checkpoint; then evaluates the test set (optionally keeping the features, for
// plots and compactness metrics), or hands the open run to a caller (ctc verify).

import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice, type BackendInfo } from '../backend/index.js';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { loadRunDataset } from '../data/run-dataset.js';
import type { Dataset } from '../data/types.js';
import { UserError } from '../errors.js';
import type { ModelSpec } from '../models/index.js';
import { loadCheckpoint } from '../run/checkpoint.js';
import { runPaths } from '../run/directory.js';
import { buildNetwork } from '../train/experiment.js';
import { Preprocessor } from '../train/preprocess.js';
import { evaluate, type EvalResult } from './accuracy.js';

export interface OpenRun {
  dir: string;
  config: Config;
  dataset: Dataset;
  backend: BackendInfo;
  spec: ModelSpec<object>;
  model: tf.LayersModel;
  preprocess: Preprocessor;
  iteration: number;
  /** [k, d] learned centers when the loss has them. */
  centers: Float32Array | null;
  dispose(): void;
}

export interface RunEvaluation extends Omit<OpenRun, 'spec' | 'model' | 'preprocess' | 'dispose'> {
  result: EvalResult;
}

export async function openRun(
  dir: string,
  opts: { checkpoint?: 'last' | 'best'; backend?: BackendChoice } = {},
): Promise<OpenRun> {
  const paths = runPaths(path.resolve(dir));
  if (!fs.existsSync(paths.resolvedConfig))
    throw new UserError(`${dir}: not a run directory (no config.resolved.yaml)`);
  const { config } = parseConfig(fs.readFileSync(paths.resolvedConfig, 'utf8'), paths.resolvedConfig);
  const backend = await initBackend(opts.backend ?? 'auto');
  const dataset = await loadRunDataset(config);
  const { spec, model } = buildNetwork(config, dataset, 0);
  const { meta, tensors } = loadCheckpoint(opts.checkpoint === 'best' ? paths.best : paths.last);
  try {
    model.weights.forEach((w, i) => {
      const t = tensors.get(`model/${i}`);
      if (!t || t.shape.join() !== (w.shape as number[]).join()) {
        throw new UserError(`${paths.dir}: checkpoint does not match the model (tensor model/${i})`);
      }
      w.write(t);
    });
    const centersTensor = tensors.get('loss/centers');
    const centers = centersTensor ? ((await centersTensor.data()) as Float32Array) : null;
    const preprocess = new Preprocessor(dataset, spec.inputScaling, config.dataset, 0);
    return {
      dir: paths.dir,
      config,
      dataset,
      backend,
      spec,
      model,
      preprocess,
      iteration: meta.iteration,
      centers,
      dispose: () => model.dispose(),
    };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

export async function evaluateRun(
  dir: string,
  opts: { checkpoint?: 'last' | 'best'; backend?: BackendChoice; keepFeatures?: boolean } = {},
): Promise<RunEvaluation> {
  const run = await openRun(dir, opts);
  try {
    const result = await evaluate(run.model, run.dataset.test, run.spec.inputScaling, run.dataset.imageShape, {
      batchSize: run.config.eval.batchSize,
      preprocess: run.preprocess,
      keepFeatures: opts.keepFeatures,
    });
    const { dir: d, config, dataset, backend, iteration, centers } = run;
    return { dir: d, config, dataset, backend, iteration, centers, result };
  } finally {
    run.dispose();
  }
}
