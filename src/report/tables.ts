// Accuracy tables from run summaries: one row per (dataset, network, loss, budget), ours as
// mean ± std with a 95% interval over seeds beside the paper's figure, and each auxiliary loss
// against softmax on the same seeds (paired t-test). Pure functions: the eval command does I/O.

import { CENTER_DEFAULT_ALPHA, CENTER_DEFAULT_LAMBDA } from '../losses/center.js';
import { CENTER_UPDATES, CONTRASTIVE_CENTER_DEFAULT_ALPHA, CONTRASTIVE_CENTER_DEFAULT_LAMBDA, type CenterUpdate } from '../losses/contrastive-center.js';
import { paperFigure } from './paper.js';
import { ci95HalfWidth, mean, pairedTTest, std, verdict, type Verdict } from './stats.js';

/** The fields of a run's summary.json that the tables read. */
export interface RunRecord {
  dir: string;
  dataset: { name: string; trainSize: number; testSize: number; source?: string; copy?: string };
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
  backend: { name: string };
  featureMetrics?: { raw: FeatureScores; normalized: FeatureScores };
}

/** The feature metrics a table shows (src/eval/feature-metrics.ts defines them). */
export interface FeatureScores {
  intraInterRatio: number;
  fisherRatio: number;
  daviesBouldin: number;
  ncmAccuracy: number;
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
  /** This loss minus softmax on the seeds both have (null for softmax itself or without a softmax row). */
  vsSoftmax: { n: number; meanDiff: number; p: number | null; verdict: Verdict } | null;
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
}

export interface AccuracyTable {
  generatedAt: string;
  commit: string;
  rows: AccuracyRow[];
  /** Set by `ctc reproduce`: profile, budgets, seeds, backend, commands, wall time. */
  provenance?: Record<string, unknown>;
}

const LOSS_ORDER = ['softmax', 'center', 'contrastive-center'];
const uniq = <T>(xs: T[]): T[] => [...new Set(xs)].sort();

const DEFAULT_LAMBDA: Record<string, number> = { center: CENTER_DEFAULT_LAMBDA, 'contrastive-center': CONTRASTIVE_CENTER_DEFAULT_LAMBDA };

/** The default alpha of a loss (per center rule for contrastive-center), or undefined where alpha does not apply. */
function defaultAlpha(loss: RunRecord['loss']): number | undefined {
  if (loss.name === 'center') return CENTER_DEFAULT_ALPHA;
  if (loss.name !== 'contrastive-center') return undefined;
  const rule = (loss.centerUpdate ?? CENTER_UPDATES[0]) as CenterUpdate;
  return rule === 'autodiff' ? undefined : CONTRASTIVE_CENTER_DEFAULT_ALPHA[rule];
}

/** The loss name, plus the settings that differ from the project defaults, e.g. `contrastive-center [reduction=sum]`. */
export function lossLabel(loss: RunRecord['loss']): string {
  const notes: string[] = [];
  if (loss.lambda !== undefined && DEFAULT_LAMBDA[loss.name] !== undefined && loss.lambda !== DEFAULT_LAMBDA[loss.name]) notes.push(`lambda=${loss.lambda}`);
  if (loss.reduction && loss.reduction !== 'mean') notes.push(`reduction=${loss.reduction}`);
  if (loss.name === 'contrastive-center' && loss.centerUpdate && loss.centerUpdate !== CENTER_UPDATES[0]) notes.push(`centerUpdate=${loss.centerUpdate}`);
  const alpha = defaultAlpha(loss);
  if (loss.alpha !== undefined && alpha !== undefined && loss.alpha !== alpha) notes.push(`alpha=${loss.alpha}`);
  return notes.length ? `${loss.name} [${notes.join(', ')}]` : loss.name;
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
    const key = [r.dataset.name, r.model.name, lossLabel(r.loss), budgetOf(r)].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows = [...groups.values()].map((unsorted): AccuracyRow => {
    const group = [...unsorted].sort((a, b) => a.seed - b.seed);
    const { dataset, model, loss } = group[0];
    const accs = group.map((r) => r.testAccuracy);
    const paper = paperFigure(dataset.name, model.name, loss.name)?.accuracy ?? null;
    const m = mean(accs);
    return {
      dataset: dataset.name,
      network: model.name,
      loss: lossLabel(loss),
      paper,
      n: accs.length,
      mean: m,
      std: std(accs) ?? null,
      min: Math.min(...accs),
      max: Math.max(...accs),
      deltaToPaper: paper === null ? null : m - paper,
      ci95: ci95HalfWidth(accs) ?? null,
      vsSoftmax: null,
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
      backends: uniq(group.map((r) => r.backend.name)),
    };
  });
  for (const row of rows) {
    if (row.loss === 'softmax') continue;
    const base = rows.find((r) => r.loss === 'softmax' && r.dataset === row.dataset && r.network === row.network && r.budget === row.budget);
    if (!base) continue;
    const seeds = row.seeds.filter((s) => base.seeds.includes(s));
    const pick = (r: AccuracyRow) => seeds.map((s) => r.accuracies[r.seeds.indexOf(s)]);
    const t = pairedTTest(pick(row), pick(base));
    row.vsSoftmax = { n: t.n, meanDiff: t.meanDiff, p: t.p, verdict: verdict(t) };
  }
  const lossRank = (l: string) => {
    const name = l.split(' ')[0];
    return LOSS_ORDER.includes(name) ? LOSS_ORDER.indexOf(name) : LOSS_ORDER.length;
  };
  return rows.sort(
    (a, b) =>
      a.dataset.localeCompare(b.dataset) ||
      a.network.localeCompare(b.network) ||
      a.budget.localeCompare(b.budget) ||
      lossRank(a.loss) - lossRank(b.loss) ||
      a.loss.localeCompare(b.loss),
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

/**
 * Rows with validation accuracy, best first: the table hyperparameters are chosen from (the
 * test column beside it is for reporting, never for choosing).
 */
export function validationTableMarkdown(rows: AccuracyRow[]): string[] {
  const ranked = rows.filter((r) => r.validation).sort((a, b) => (b.validation as { mean: number }).mean - (a.validation as { mean: number }).mean);
  if (ranked.length === 0) return [];
  const pm = (m: number, s: number | null) => (s === null ? f2(m) : `${f2(m)} ± ${f2(s)}`);
  return [
    '',
    '## Ranked by validation accuracy (%)',
    '',
    'Images held out of the training set (dataset.validation); choose settings from this column only. ' +
      'Center lag: mean distance of each center to its class mean on the test features over the mean class-mean norm (0: on the means).',
    '',
    '| rank | dataset | network | loss | budget | validation | n | test | center lag |',
    '|---|---|---|---|---|---|---|---|---|',
    ...ranked.map((r, i) => {
      const v = r.validation as NonNullable<AccuracyRow['validation']>;
      return (
        `| ${i + 1} | ${r.dataset} | ${r.network} | ${r.loss} | ${r.budget} | ${pm(v.mean, v.std)} | ${v.n} | ${pm(r.mean, r.std)} | ` +
        `${r.centerLag === null ? '—' : r.centerLag.toFixed(3)} |`
      );
    }),
  ];
}

const SCORE_KEYS = ['intraInterRatio', 'fisherRatio', 'daviesBouldin', 'ncmAccuracy'] as const;

function meanScores(group: RunRecord[]): AccuracyRow['features'] {
  const scored = group.filter((r) => r.featureMetrics?.raw && r.featureMetrics?.normalized);
  if (scored.length === 0) return null;
  const avg = (kind: 'raw' | 'normalized') =>
    Object.fromEntries(SCORE_KEYS.map((k) => [k, mean(scored.map((r) => (r.featureMetrics as NonNullable<RunRecord['featureMetrics']>)[kind][k] ?? NaN))])) as unknown as FeatureScores;
  return { n: scored.length, raw: avg('raw'), normalized: avg('normalized') };
}

/** The second table: compactness and separation of the test features, raw (L2-normalised). */
export function featureTableMarkdown(rows: AccuracyRow[]): string[] {
  const scored = rows.filter((r) => r.features);
  if (scored.length === 0) return [];
  const both = (r: AccuracyRow, k: (typeof SCORE_KEYS)[number], digits: number) => {
    const f = r.features as NonNullable<AccuracyRow['features']>;
    return `${f.raw[k].toFixed(digits)} (${f.normalized[k].toFixed(digits)})`;
  };
  return [
    '',
    '## Feature compactness and separation (test set)',
    '',
    'From the class means of the test features themselves; raw features, L2-normalised in parentheses; mean over n seeds. ' +
      'intra/inter: mean distance to the own class mean over mean distance between class means (lower is better); ' +
      'Fisher: tr(Sb)/tr(Sw) (higher is better); DB: Davies–Bouldin (lower is better); NCM: nearest-class-mean accuracy, %; ' +
      'center lag: learned centers to their test class means over the class-mean norm (— without centers).',
    '',
    '| dataset | network | loss | budget | n | intra/inter | Fisher | DB | NCM | center lag |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...scored.map(
      (r) =>
        `| ${r.dataset} | ${r.network} | ${r.loss} | ${r.budget} | ${(r.features as NonNullable<AccuracyRow['features']>).n} | ` +
        `${both(r, 'intraInterRatio', 3)} | ${both(r, 'fisherRatio', 2)} | ${both(r, 'daviesBouldin', 2)} | ${both(r, 'ncmAccuracy', 2)} | ` +
        `${r.centerLag === null ? '—' : r.centerLag.toFixed(3)} |`,
    ),
  ];
}

const f2 = (v: number) => v.toFixed(2);

export function toMarkdown(table: AccuracyTable): string {
  const lines = [
    '# Test accuracy (%): ours beside the paper',
    '',
    `Generated ${table.generatedAt} at commit ${table.commit} by \`${(table.provenance?.command as string | undefined) ?? 'ctc eval'}\`` +
      (table.provenance ? ` (profile ${table.provenance.profile}, ${table.provenance.wallSeconds} s wall)` : '') +
      '. Ours: mean ± sample std over n seeds, ' +
      '95% CI of the mean (Student t); vs softmax: mean difference on the same seeds, two-sided paired t-test.',
    '',
    '| dataset | network | loss | budget | paper | ours | n | 95% CI | Δ to paper | vs softmax | p | verdict | data | backend |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const signed = (v: number) => `${v >= 0 ? '+' : ''}${f2(v)}`;
  for (const r of table.rows) {
    const ours = r.std === null ? f2(r.mean) : `${f2(r.mean)} ± ${f2(r.std)}`;
    const ci = r.ci95 === null ? '—' : `${f2(r.mean - r.ci95)} – ${f2(r.mean + r.ci95)}`;
    const vs = r.vsSoftmax;
    lines.push(
      `| ${r.dataset} | ${r.network} | ${r.loss} | ${r.budget} | ${r.paper === null ? '—' : r.paper} | ${ours} | ${r.n} | ${ci} | ` +
        `${r.deltaToPaper === null ? '—' : signed(r.deltaToPaper)} | ${vs ? signed(vs.meanDiff) : '—'} | ` +
        `${vs && vs.p !== null ? vs.p.toFixed(3) : '—'} | ${vs ? vs.verdict : '—'} | ${r.copies.join(', ')} | ${r.backends.join(', ')} |`,
    );
  }
  lines.push(...validationTableMarkdown(table.rows));
  lines.push(...featureTableMarkdown(table.rows));
  return `${lines.join('\n')}\n`;
}

export function toCsv(table: AccuracyTable): string {
  const header =
    'dataset,network,loss,budget,paper,mean,std,n,ci95,min,max,delta_to_paper,vs_softmax,p,verdict,epochs,iterations,train_images,data,backends,seeds,validation_mean,center_lag';
  const rows = table.rows.map((r) =>
    [
      r.dataset,
      r.network,
      r.loss,
      r.budget,
      r.paper ?? '',
      r.mean,
      r.std ?? '',
      r.n,
      r.ci95 ?? '',
      r.min,
      r.max,
      r.deltaToPaper ?? '',
      r.vsSoftmax?.meanDiff ?? '',
      r.vsSoftmax?.p ?? '',
      r.vsSoftmax?.verdict ?? '',
      r.epochs.join(' '),
      r.iterations.join(' '),
      r.trainSize.join(' '),
      r.copies.join(' '),
      r.backends.join(' '),
      r.seeds.join(' '),
      r.validation?.mean ?? '',
      r.centerLag ?? '',
    ].join(','),
  );
  return `${[header, ...rows].join('\n')}\n`;
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
