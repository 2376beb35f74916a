// Accuracy tables from run summaries: one row per (dataset, network, loss), ours as mean ± std
// over seeds beside the paper's figure. Pure functions: the eval command does the I/O.

import { paperFigure } from './paper.js';
import { mean, std } from './stats.js';

/** The fields of a run's summary.json that the tables read. */
export interface RunRecord {
  dir: string;
  dataset: { name: string; trainSize: number; testSize: number; source?: string };
  model: { name: string };
  loss: { name: string };
  seed: number;
  testAccuracy: number;
  epochs: number;
  iterations: number;
  backend: { name: string };
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
  seeds: number[];
  epochs: number[];
  iterations: number[];
  trainSize: number[];
  backends: string[];
}

export interface AccuracyTable {
  generatedAt: string;
  commit: string;
  rows: AccuracyRow[];
}

const LOSS_ORDER = ['softmax', 'center', 'contrastive-center'];
const uniq = <T>(xs: T[]): T[] => [...new Set(xs)].sort();

export function accuracyRows(runs: RunRecord[]): AccuracyRow[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = [r.dataset.name, r.model.name, r.loss.name].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows = [...groups.values()].map((group): AccuracyRow => {
    const { dataset, model, loss } = group[0];
    const accs = group.map((r) => r.testAccuracy);
    const paper = paperFigure(dataset.name, model.name, loss.name)?.accuracy ?? null;
    const m = mean(accs);
    return {
      dataset: dataset.name,
      network: model.name,
      loss: loss.name,
      paper,
      n: accs.length,
      mean: m,
      std: std(accs) ?? null,
      min: Math.min(...accs),
      max: Math.max(...accs),
      deltaToPaper: paper === null ? null : m - paper,
      seeds: group.map((r) => r.seed).sort((a, b) => a - b),
      epochs: uniq(group.map((r) => r.epochs)),
      iterations: uniq(group.map((r) => r.iterations)),
      trainSize: uniq(group.map((r) => r.dataset.trainSize)),
      backends: uniq(group.map((r) => r.backend.name)),
    };
  });
  const lossRank = (l: string) => (LOSS_ORDER.includes(l) ? LOSS_ORDER.indexOf(l) : LOSS_ORDER.length);
  return rows.sort(
    (a, b) => a.dataset.localeCompare(b.dataset) || a.network.localeCompare(b.network) || lossRank(a.loss) - lossRank(b.loss) || a.loss.localeCompare(b.loss),
  );
}

const f2 = (v: number) => v.toFixed(2);

export function toMarkdown(table: AccuracyTable): string {
  const lines = [
    '# Test accuracy (%): ours beside the paper',
    '',
    `Generated ${table.generatedAt} at commit ${table.commit} by \`ctc eval\`. Ours: mean ± sample std over n seeds.`,
    '',
    '| dataset | network | loss | paper | ours | n | Δ to paper | epochs | iterations | train images | backend |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of table.rows) {
    const ours = r.std === null ? f2(r.mean) : `${f2(r.mean)} ± ${f2(r.std)}`;
    const delta = r.deltaToPaper === null ? '—' : `${r.deltaToPaper >= 0 ? '+' : ''}${f2(r.deltaToPaper)}`;
    lines.push(
      `| ${r.dataset} | ${r.network} | ${r.loss} | ${r.paper === null ? '—' : r.paper} | ${ours} | ${r.n} | ${delta} | ${r.epochs.join(', ')} | ${r.iterations.join(', ')} | ${r.trainSize.join(', ')} | ${r.backends.join(', ')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function toCsv(table: AccuracyTable): string {
  const header = 'dataset,network,loss,paper,mean,std,n,min,max,delta_to_paper,epochs,iterations,train_images,backends,seeds';
  const rows = table.rows.map((r) =>
    [
      r.dataset,
      r.network,
      r.loss,
      r.paper ?? '',
      r.mean,
      r.std ?? '',
      r.n,
      r.min,
      r.max,
      r.deltaToPaper ?? '',
      r.epochs.join(' '),
      r.iterations.join(' '),
      r.trainSize.join(' '),
      r.backends.join(' '),
      r.seeds.join(' '),
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
  const key = (r: AccuracyRow) => `${r.dataset}/${r.network}/${r.loss}`;
  const now = new Map(current.map((r) => [key(r), r]));
  const out: Regression[] = [];
  for (const b of baseline) {
    const c = now.get(key(b));
    if (!c) out.push({ key: key(b), baseline: b.mean, current: null });
    else if (c.mean < b.mean - tolerance) out.push({ key: key(b), baseline: b.mean, current: c.mean });
  }
  return out;
}
