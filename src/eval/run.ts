// Re-opens a finished or interrupted run: its resolved config, dataset, network weights and
// centers from a checkpoint, then evaluates the test set (optionally keeping the features, for
// plots and compactness metrics).

import fs from 'node:fs';
import path from 'node:path';
import { initBackend, type BackendChoice, type BackendInfo } from '../backend/index.js';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { loadRunDataset } from '../data/validation.js';
import type { Dataset } from '../data/types.js';
import { UserError } from '../errors.js';
import { loadCheckpoint } from '../run/checkpoint.js';
import { buildNetwork } from '../train/experiment.js';
import { Preprocessor } from '../train/preprocess.js';
import { runPaths } from '../run/directory.js';
import { evaluate, type EvalResult } from './accuracy.js';

export interface RunEvaluation {
  dir: string;
  config: Config;
  dataset: Dataset;
  backend: BackendInfo;
  iteration: number;
  result: EvalResult;
  /** [k, d] learned centers when the loss has them. */
  centers: Float32Array | null;
}

export async function evaluateRun(
  dir: string,
  opts: { checkpoint?: 'last' | 'best'; backend?: BackendChoice; keepFeatures?: boolean } = {},
): Promise<RunEvaluation> {
  const paths = runPaths(path.resolve(dir));
  if (!fs.existsSync(paths.resolvedConfig)) throw new UserError(`${dir}: not a run directory (no config.resolved.yaml)`);
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
    const result = await evaluate(model, dataset.test, spec.inputScaling, dataset.imageShape, {
      batchSize: config.eval.batchSize,
      preprocess: new Preprocessor(dataset, spec.inputScaling, config.dataset, 0),
      keepFeatures: opts.keepFeatures,
    });
    return { dir: paths.dir, config, dataset, backend, iteration: meta.iteration, result, centers };
  } finally {
    for (const t of tensors.values()) t.dispose();
    model.dispose();
  }
}
