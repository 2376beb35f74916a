// What each epoch reports: test (and validation) accuracy every `eval.every` epochs and at the
// end, the epoch's mean loss terms, an animation frame when asked, one line of progress.

import type { Config } from '../config/schema.js';
import type { Dataset } from '../data/types.js';
import { evaluate } from '../eval/accuracy.js';
import { writeFeatureFrame } from '../report/plot-frames.js';
import type { EpochRecord } from '../run/summary.js';
import type { Experiment } from './experiment.js';
import type { Preprocessor } from './preprocess.js';
import type { Sums } from './state.js';

/** The test features of the last evaluation, for the end-of-run metrics and figure. */
export interface FinalFeatures {
  features: Float32Array;
  centers: Float32Array | null;
  accuracy: number;
}

export interface EpochInput {
  cfg: Config;
  exp: Experiment;
  dataset: Dataset;
  preprocess: Preprocessor;
  runDir: string;
  epoch: number;
  iteration: number;
  final: boolean;
  lr: number;
  sums: Sums;
  seconds: number;
}

export async function endEpoch(
  a: EpochInput,
): Promise<{ record: EpochRecord; line: string; final: FinalFeatures | null }> {
  const { cfg, exp, dataset } = a;
  const { inputScaling } = exp.spec;
  const evaluating = a.epoch % cfg.eval.every === 0 || a.final;
  const test = evaluating
    ? await evaluate(exp.model, dataset.test, inputScaling, dataset.imageShape, {
        batchSize: cfg.eval.batchSize,
        preprocess: a.preprocess,
        keepFeatures: a.final || cfg.eval.frames,
      })
    : null;
  const validation =
    evaluating && dataset.validation
      ? await evaluate(exp.model, dataset.validation, inputScaling, dataset.imageShape, {
          batchSize: cfg.eval.batchSize,
          preprocess: a.preprocess,
        })
      : null;
  let final: FinalFeatures | null = null;
  if (test?.features) {
    const centers = exp.loss.centers ? ((await exp.loss.centers.data()) as Float32Array) : null;
    if (cfg.eval.frames)
      writeFeatureFrame(a.runDir, a.epoch, test.features, dataset.test.labels, centers, {
        testAccuracy: test.accuracy,
      });
    if (a.final) final = { features: test.features, centers, accuracy: test.accuracy };
  }
  const e = a.sums;
  const record: EpochRecord = {
    epoch: a.epoch,
    iteration: a.iteration,
    lr: a.lr,
    loss: e.total / e.steps,
    softmax: e.softmax / e.steps,
    aux: exp.loss.centers ? e.aux / e.steps : null,
    testAccuracy: test ? test.accuracy : null,
    ...(dataset.validation ? { validationAccuracy: validation ? validation.accuracy : null } : {}),
    seconds: a.seconds,
  };
  const line =
    `loss ${record.loss.toFixed(4)}` +
    (record.aux !== null ? ` (softmax ${record.softmax.toFixed(4)}, aux ${record.aux.toFixed(4)})` : '') +
    (validation ? `  validation ${validation.accuracy.toFixed(2)}%` : '') +
    (test ? `  test ${test.accuracy.toFixed(2)}%` : '') +
    `  ${Math.round(a.seconds)} s`;
  return { record, line, final };
}
