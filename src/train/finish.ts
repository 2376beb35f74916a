// After the last step: the run's summary.json, with the compactness and separation of the final
// test features, where the learned centers sit, and for 2-D features the paper's figure
// (features.png, .svg).

import type { BackendInfo } from '../backend/index.js';
import type { Dataset } from '../data/types.js';
import { centerMetrics } from '../eval/center-metrics.js';
import { featureMetrics, type FeatureMetricsResult } from '../eval/feature-metrics.js';
import { featureDimOf } from '../models/index.js';
import type { RunPaths } from '../run/directory.js';
import { buildSummary, type Summary } from '../run/summary.js';
import { writeFileAtomic } from '../util/atomic.js';
import { gitCommit, machine, slurmContext, versions } from '../util/provenance.js';
import path from 'node:path';
import type { FinalFeatures } from './epoch.js';
import type { Experiment } from './experiment.js';
import type { LoopState } from './state.js';

export interface FinishInput {
  paths: RunPaths;
  exp: Experiment;
  dataset: Dataset;
  state: LoopState;
  final: FinalFeatures | null;
  iterations: number;
  perEpoch: number;
  wallSeconds: number;
  backend: BackendInfo;
  warn: (line: string) => void;
}

export async function finishRun(a: FinishInput): Promise<Summary> {
  const { exp, dataset, final } = a;
  const last = a.state.history[a.state.history.length - 1];
  const summary = buildSummary({
    config: exp.resolved,
    history: a.state.history,
    best: a.state.best,
    iterations: a.iterations,
    perEpoch: a.perEpoch,
    wallSeconds: a.wallSeconds,
    backend: a.backend,
    dataset: dataset.identity,
    parameters: exp.model.countParams(),
    commit: gitCommit(),
    versions: versions(),
    machine: machine(),
    finalAccuracy: last.testAccuracy as number,
    warnings: a.state.watchdog.warnings,
  });
  const slurm = slurmContext();
  if (slurm) summary.slurm = slurm;
  if (final) {
    summary.featureMetrics = {
      checkpoint: 'last',
      iteration: a.iterations,
      testAccuracy: final.accuracy,
      ...featureMetrics(final.features, dataset.test.labels, dataset.numClasses),
    };
    if (final.centers)
      summary.centerMetrics = centerMetrics(final.features, dataset.test.labels, final.centers, dataset.numClasses);
    if (featureDimOf(exp.model) === 2)
      await plotFeatures(a.paths.dir, dataset, exp.loss.name, final, summary.featureMetrics, a.warn);
  }
  writeFileAtomic(a.paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** 2-D features are plotted at the end of a run (features.png, .svg), as in the paper's figure. */
async function plotFeatures(
  dir: string,
  dataset: Dataset,
  lossName: string,
  final: FinalFeatures,
  metrics: FeatureMetricsResult,
  warn: (line: string) => void,
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
    warn(`warning: could not draw the feature plot (${(err as Error).message}); ctc plot --run ${dir} retries`);
  }
}
