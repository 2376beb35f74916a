// Accuracy tables from run summaries: one row per (dataset, network, loss, budget), ours as
// mean ± std with a 95% interval over seeds beside the paper's figure, and each auxiliary loss
// against softmax on the same seeds (paired t-test), and against center loss where a cell has
// one center-loss row. Pure functions: write-tables.ts does the I/O and table-format.ts writes
// them as Markdown and CSV.

import { lossLabel } from '../losses/index.js';
import { paperFigure } from './paper.js';
import { verificationRows, type VerificationRecord, type VerificationRow } from './verification-table.js';
import { ci95HalfWidth, mean, pairWithCenter, pairWithSoftmax, std, type VsCenter, type VsSoftmax } from './stats.js';

/** The fields of a run's summary.json that the tables read. */
export interface RunRecord {
  dir: string;
  dataset: { name: string; trainSize: number; testSize: number; source?: string; copy?: string; classes?: number[] };
  model: { name: string };
  loss: { name: string; lambda?: number; alpha?: number; reduction?: string; centerUpdate?: string };
  seed: number;
  testAccuracy: number;
  /** On the held-out validation split, when the run had one. */
  validationAccuracy?: number;
  centerMetrics?: { centerLag: number; centerNorm: number };
  epochs: number;
  iterations: number;
  batchSize?: number;
  backend: {
    name: string;
    /** e.g. `wasm (SIMD, 1 thread); convolutions in oneDNN 2.6.3 (avx512_core_bf16, 2 threads)` */
    detail?: string;
    adapter?: { vendor: string; architecture: string; device: string; software: boolean };
  };
  wallSeconds?: number;
  machine?: { cpu: string; cores: number; memoryGiB?: number };
  commit?: string;
  /** `ctc verify`'s result beside the run, when there is one. */
  verification?: VerificationRecord;
  featureMetrics?: { raw: FeatureScores; normalized: FeatureScores };
}

/** The feature metrics a table shows (src/eval/feature-metrics.ts defines them). */
export interface FeatureScores {
  intraInterRatio: number;
  fisherRatio: number;
  daviesBouldin: number;
  ncmAccuracy: number;
}

/** One run of a row, in seed order: what it measured and where and how long it ran. */
export interface RunEntry {
  seed: number;
  testAccuracy: number;
  wallSeconds: number | null;
  /** `AMD EPYC, 2 cores` */
  machine: string | null;
  /** The backend's own description (threads included), else its name. */
  backend: string;
  commit: string | null;
}

export interface AccuracyRow {
  dataset: string;
  network: string;
  loss: string;
  paper: number | null;
  n: number;
  mean: number;
  std: number | null;
  min: number;
  max: number;
  deltaToPaper: number | null;
  /** Half-width of the 95% confidence interval of the mean (null below two seeds). */
  ci95: number | null;
  /** Whether the paper's figure lies inside that interval (null without either). */
  paperInCi: boolean | null;
  /** This loss minus softmax on the seeds both have (null for softmax itself or without a softmax row). */
  vsSoftmax: VsSoftmax | null;
  /** This loss minus the cell's one center-loss row on the seeds both have (null for softmax, center loss, or without exactly one center row). */
  vsCenter: VsCenter | null;
  /** Identifies the training budget, part of the row key: `<iterations> it x <batch> on <train images>`. */
  budget: string;
  copies: string[];
  seeds: number[];
  accuracies: number[]; // in seed order
  /** Means over the seeds that have feature metrics (null when none has). */
  features: { n: number; raw: FeatureScores; normalized: FeatureScores } | null;
  /** Validation accuracy over the seeds that have it (null when none has). */
  validation: { n: number; mean: number; std: number | null } | null;
  /** Mean center lag over the seeds that report it (null without centers). */
  centerLag: number | null;
  epochs: number[];
  iterations: number[];
  trainSize: number[];
  backends: string[];
  runs: RunEntry[];
}

export interface AccuracyTable {
  generatedAt: string;
  commit: string;
  rows: AccuracyRow[];
  /** Set by `ctc reproduce`: profile, budgets, seeds, backend, commands, wall time. */
  provenance?: Record<string, unknown>;
  /** Runs that `ctc verify` measured (verification.json beside the run). */
  verification?: VerificationRow[];
}

const LOSS_ORDER = ['softmax', 'center', 'contrastive-center'];
const uniq = <T>(xs: T[]): T[] => [...new Set(xs)].sort();

/** The backend, with the adapter for webgpu: `webgpu (mesa software llvmpipe, software)`. */
/** Whether the paper's figure lies inside mean ± half-width (null without a figure or an interval). */
export function paperInside(paper: number | null, mean: number, halfWidth: number | undefined): boolean | null {
  if (paper === null || halfWidth === undefined) return null;
  return paper >= mean - halfWidth && paper <= mean + halfWidth;
}

export function backendLabel(b: RunRecord['backend']): string {
  if (!b.adapter) return b.name;
  const what =
    [b.adapter.vendor, b.adapter.architecture, b.adapter.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${b.name} (${what}${b.adapter.software ? ', software' : ''})`;
}

/** The dataset, with the classes a run kept when it trained on some of them: `mnist [0-6]`. */
export function datasetLabel(r: Pick<RunRecord, 'dataset'>): string {
  const classes = r.dataset.classes;
  if (!classes) return r.dataset.name;
  const run = classes.every((c, i) => i === 0 || c === classes[i - 1] + 1) && classes.length > 2;
  return `${r.dataset.name} [${run ? `${classes[0]}-${classes[classes.length - 1]}` : classes.join(',')}]`;
}

/** The verification rows of the runs that have a verification, keyed like their accuracy rows. */
export function verificationRowsOf(runs: RunRecord[]): VerificationRow[] {
  const verified = runs.filter((r) => r.verification);
  const key = (r: RunRecord) => ({
    dataset: datasetLabel(r),
    network: r.model.name,
    loss: lossLabel(r.loss),
    budget: budgetOf(r),
  });
  return verificationRows(
    verified.map((r) => ({ key: key(r), seed: r.seed, verification: r.verification as VerificationRecord })),
  ).sort(byRowOrder);
}

export function budgetOf(r: RunRecord): string {
  return `${r.iterations} it x ${r.batchSize ?? '?'} on ${r.dataset.trainSize}`;
}

export function rowKey(r: { dataset: string; network: string; loss: string; budget: string }): string {
  return `${r.dataset}/${r.network}/${r.loss} [${r.budget}]`;
}

export function accuracyRows(runs: RunRecord[]): AccuracyRow[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = [datasetLabel(r), r.model.name, lossLabel(r.loss), budgetOf(r)].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows = [...groups.values()].map((unsorted): AccuracyRow => {
    const group = [...unsorted].sort((a, b) => a.seed - b.seed);
    const { dataset, model, loss } = group[0];
    const accs = group.map((r) => r.testAccuracy);
    // A run on some of the classes answers another question than the paper's table.
    const paper = dataset.classes ? null : (paperFigure(dataset.name, model.name, loss.name)?.accuracy ?? null);
    const m = mean(accs);
    const half = ci95HalfWidth(accs);
    return {
      dataset: datasetLabel(group[0]),
      network: model.name,
      loss: lossLabel(loss),
      paper,
      n: accs.length,
      mean: m,
      std: std(accs) ?? null,
      min: Math.min(...accs),
      max: Math.max(...accs),
      deltaToPaper: paper === null ? null : m - paper,
      ci95: half ?? null,
      paperInCi: paperInside(paper, m, half),
      vsSoftmax: null,
      vsCenter: null,
      budget: budgetOf(group[0]),
      copies: uniq(group.map((r) => r.dataset.copy ?? (r.dataset.name.startsWith('cifar') ? 'unknown' : 'official'))),
      seeds: group.map((r) => r.seed),
      accuracies: accs,
      features: meanScores(group),
      validation: validationOf(group),
      centerLag: lagOf(group),
      epochs: uniq(group.map((r) => r.epochs)),
      iterations: uniq(group.map((r) => r.iterations)),
      trainSize: uniq(group.map((r) => r.dataset.trainSize)),
      backends: uniq(group.map((r) => backendLabel(r.backend))),
      runs: group.map(runEntry),
    };
  });
  const sameCell = (a: AccuracyRow, b: AccuracyRow) =>
    a.dataset === b.dataset && a.network === b.network && a.budget === b.budget;
  pairWithSoftmax(rows, sameCell);
  pairWithCenter(rows, sameCell);
  return rows.sort(byRowOrder);
}

function runEntry(r: RunRecord): RunEntry {
  return {
    seed: r.seed,
    testAccuracy: r.testAccuracy,
    wallSeconds: typeof r.wallSeconds === 'number' ? r.wallSeconds : null,
    machine: r.machine ? `${r.machine.cpu}, ${r.machine.cores} cores` : null,
    backend: r.backend.detail ?? backendLabel(r.backend),
    commit: r.commit ?? null,
  };
}

const lossRank = (l: string) => {
  const name = l.split(' ')[0];
  return LOSS_ORDER.includes(name) ? LOSS_ORDER.indexOf(name) : LOSS_ORDER.length;
};

/** Table order: dataset, network, budget, then softmax, center, contrastive-center, others. */
function byRowOrder(a: { dataset: string; network: string; budget: string; loss: string }, b: typeof a): number {
  return (
    a.dataset.localeCompare(b.dataset) ||
    a.network.localeCompare(b.network) ||
    a.budget.localeCompare(b.budget) ||
    lossRank(a.loss) - lossRank(b.loss) ||
    a.loss.localeCompare(b.loss)
  );
}

function validationOf(group: RunRecord[]): AccuracyRow['validation'] {
  const accs = group.map((r) => r.validationAccuracy).filter((v): v is number => typeof v === 'number');
  return accs.length ? { n: accs.length, mean: mean(accs), std: std(accs) ?? null } : null;
}

function lagOf(group: RunRecord[]): number | null {
  const lags = group.map((r) => r.centerMetrics?.centerLag).filter((v): v is number => typeof v === 'number');
  return lags.length ? mean(lags) : null;
}

export const SCORE_KEYS = ['intraInterRatio', 'fisherRatio', 'daviesBouldin', 'ncmAccuracy'] as const;

function meanScores(group: RunRecord[]): AccuracyRow['features'] {
  const scored = group.filter((r) => r.featureMetrics?.raw && r.featureMetrics?.normalized);
  if (scored.length === 0) return null;
  const avg = (kind: 'raw' | 'normalized') =>
    Object.fromEntries(
      SCORE_KEYS.map((k) => [
        k,
        mean(scored.map((r) => (r.featureMetrics as NonNullable<RunRecord['featureMetrics']>)[kind][k] ?? NaN)),
      ]),
    ) as unknown as FeatureScores;
  return { n: scored.length, raw: avg('raw'), normalized: avg('normalized') };
}

export interface Regression {
  key: string;
  baseline: number;
  current: number | null;
}

/** Rows of `current` more than `tolerance` points below `baseline`, or missing from it. */
export function findRegressions(baseline: AccuracyRow[], current: AccuracyRow[], tolerance: number): Regression[] {
  const key = rowKey;
  const now = new Map(current.map((r) => [key(r), r]));
  const out: Regression[] = [];
  for (const b of baseline) {
    const c = now.get(key(b));
    if (!c) out.push({ key: key(b), baseline: b.mean, current: null });
    else if (c.mean < b.mean - tolerance) out.push({ key: key(b), baseline: b.mean, current: c.mean });
  }
  return out;
}
