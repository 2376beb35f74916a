// summary.json: what a finished run measured and everything needed to trust it later
// (config, backend, data identity, commit, versions, wall time); its one type, its writer's
// builder, and the readers every other command uses (tables, sweeps, plots).

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { runPaths } from './directory.js';
import type { BackendInfo } from '../backend/index.js';
import type { DatasetIdentity } from '../data/types.js';
import type { CenterMetrics } from '../eval/center-metrics.js';
import type { FeatureMetricsResult } from '../eval/feature-metrics.js';

export interface EpochRecord {
  epoch: number;
  iteration: number;
  lr: number;
  loss: number;
  softmax: number;
  aux: number | null;
  testAccuracy: number | null; // percent
  /** On the held-out training images (dataset.validation), when there are any. */
  validationAccuracy?: number | null;
  seconds: number; // training wall time so far
}

export interface Summary {
  name: string;
  seed: number;
  status: 'complete';
  testAccuracy: number; // percent, e.g. 98.94
  bestTestAccuracy: number;
  /** Final accuracy on the validation split (dataset.validation), when the run has one. */
  validationAccuracy?: number;
  bestEpoch: number;
  dataset: DatasetIdentity;
  model: { name: string; parameters: number };
  loss: Record<string, unknown>;
  lossTerms: { loss: number; softmax: number; aux: number | null };
  epochs: number; // epochs trained (fractional when stopped by an iteration count)
  iterations: number;
  batchSize: number;
  wallSeconds: number;
  imagesPerSecond: number;
  backend: BackendInfo;
  commit: string;
  versions: Record<string, string>;
  machine: Record<string, unknown>;
  /** The Slurm job that finished the run (SLURM_RESTART_COUNT: how often it was requeued), if any. */
  slurm?: Record<string, string | number>;
  finishedAt: string;
  history: EpochRecord[];
  config: Record<string, unknown>;
  /** Compactness and separation of the final test features (src/eval/feature-metrics.ts). */
  featureMetrics?: FeatureMetricsResult & { checkpoint: string; iteration: number; testAccuracy: number };
  /** Where the learned centers sit on the final test features (src/eval/center-metrics.ts). */
  centerMetrics?: CenterMetrics;
  /** What the training watchdog found (src/train/watchdog.ts); empty when all was well. */
  warnings: string[];
}

export function buildSummary(a: {
  config: {
    name: string;
    seed: number;
    train: { batchSize: number };
    model: { name: string };
    loss: Record<string, unknown>;
  };
  history: EpochRecord[];
  best: { accuracy: number; epoch: number };
  iterations: number;
  perEpoch: number;
  wallSeconds: number;
  backend: BackendInfo;
  dataset: DatasetIdentity;
  parameters: number;
  commit: string;
  versions: Record<string, string>;
  machine: Record<string, unknown>;
  finalAccuracy: number;
  warnings: string[];
}): Summary {
  const last = a.history[a.history.length - 1];
  const round = (v: number, digits: number) => Number(v.toFixed(digits));
  return {
    name: a.config.name,
    seed: a.config.seed,
    status: 'complete',
    testAccuracy: round(a.finalAccuracy, 4),
    bestTestAccuracy: round(a.best.accuracy, 4),
    bestEpoch: a.best.epoch,
    ...(typeof last.validationAccuracy === 'number' ? { validationAccuracy: round(last.validationAccuracy, 4) } : {}),
    dataset: a.dataset,
    model: { name: a.config.model.name, parameters: a.parameters },
    loss: a.config.loss,
    lossTerms: { loss: last.loss, softmax: last.softmax, aux: last.aux },
    epochs: round(a.iterations / a.perEpoch, 3),
    iterations: a.iterations,
    batchSize: a.config.train.batchSize,
    wallSeconds: round(a.wallSeconds, 1),
    imagesPerSecond: round((a.iterations * a.config.train.batchSize) / a.wallSeconds, 1),
    backend: a.backend,
    commit: a.commit,
    versions: a.versions,
    machine: a.machine,
    finishedAt: new Date().toISOString(),
    history: a.history,
    config: a.config as unknown as Record<string, unknown>,
    warnings: a.warnings,
  };
}

/** A summary as read back from its file, with the run directory it belongs to. */
export type RunSummary = Summary & { dir: string };

/** Reads and checks one summary.json; an unreadable or foreign file is a UserError naming it. */
export function readSummary(file: string): RunSummary {
  let s: RunSummary;
  try {
    s = JSON.parse(fs.readFileSync(file, 'utf8')) as RunSummary;
  } catch {
    throw new UserError(`${file}: not valid JSON`);
  }
  if (typeof s?.testAccuracy !== 'number' || !s.dataset?.name || !s.model?.name || !s.loss?.name) {
    throw new UserError(`${file}: not a ctc run summary (testAccuracy, dataset, model or loss missing)`);
  }
  return { ...s, dir: path.dirname(file) };
}

/** Every summary.json below `root` (depth-first, sorted for stable tables). */
export function findSummaries(root: string): string[] {
  if (!fs.existsSync(root)) throw new UserError(`--runs ${root}: no such directory`);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'checkpoints') walk(p);
      else if (entry.isFile() && entry.name === 'summary.json') out.push(p);
    }
  };
  walk(root);
  return out;
}

/** Whether a run directory holds a finished run, a started one, or nothing yet. */
export function runState(dir: string): 'done' | 'started' | 'new' {
  const paths = runPaths(dir);
  if (fs.existsSync(paths.summary)) return 'done';
  return fs.existsSync(paths.resolvedConfig) ? 'started' : 'new';
}

export function readAccuracy(dir: string): number {
  return readSummary(runPaths(dir).summary).testAccuracy;
}

/** How far a run is: the last logged iteration (metrics.jsonl) of the total (log.ndjson's start line). */
export function readProgress(dir: string): { iteration: number; total: number } | undefined {
  const paths = runPaths(dir);
  const lines = (file: string) =>
    fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  const parse = (line: string) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return {}; // a line being written right now
    }
  };
  const start = lines(paths.log)
    .map(parse)
    .reverse()
    .find((l) => l.event === 'start' || l.event === 'resume');
  if (typeof start?.total !== 'number') return undefined;
  const last = lines(paths.metrics)
    .map(parse)
    .reverse()
    .find((l) => typeof l.iteration === 'number');
  return { iteration: (last?.iteration as number | undefined) ?? (start.iteration as number) ?? 0, total: start.total };
}
