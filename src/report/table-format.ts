// The accuracy tables as Markdown (the main table, then the rows against center loss, the
// validation ranking, the feature table and the verification rows where the runs have them) and
// as CSV.

import { SCORE_KEYS, type AccuracyRow, type AccuracyTable } from './tables.js';
import { verificationTableMarkdown } from './verification-table.js';

/**
 * Rows with validation accuracy, best first: the table hyperparameters are chosen from (the
 * test column beside it is for reporting, never for choosing).
 */
export function validationTableMarkdown(rows: AccuracyRow[]): string[] {
  const ranked = rows
    .filter((r) => r.validation)
    .sort((a, b) => (b.validation as { mean: number }).mean - (a.validation as { mean: number }).mean);
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
const signed = (v: number) => `${v >= 0 ? '+' : ''}${f2(v)}`;

/** Rows paired against their cell's center-loss row (the auxiliary losses beyond center loss). */
export function centerTableMarkdown(rows: AccuracyRow[]): string[] {
  const paired = rows.filter((r) => r.vsCenter);
  if (paired.length === 0) return [];
  return [
    '',
    '## Against center loss (test accuracy, %)',
    '',
    "Each row minus its cell's center-loss row on the seeds both have, two-sided paired t-test.",
    '',
    '| dataset | network | loss | budget | center-loss row | vs center | n | p | verdict |',
    '|---|---|---|---|---|---|---|---|---|',
    ...paired.map((r) => {
      const vs = r.vsCenter as NonNullable<AccuracyRow['vsCenter']>;
      return (
        `| ${r.dataset} | ${r.network} | ${r.loss} | ${r.budget} | ${vs.against} | ${signed(vs.meanDiff)} | ${vs.n} | ` +
        `${vs.p === null ? '—' : vs.p.toFixed(3)} | ${vs.verdict} |`
      );
    }),
  ];
}

/** Hours and minutes from seconds: `2 h 05 min`, or `41 min`, or `50 s`. */
export function formatWall(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Every run of every row: seed, accuracy, wall time, machine, backend (threads), commit. */
export function runsTableMarkdown(rows: AccuracyRow[]): string[] {
  const runs = rows.flatMap((r) => (r.runs ?? []).map((run) => ({ r, run })));
  if (runs.length === 0) return [];
  return [
    '',
    '## Runs',
    '',
    "From each run's summary.json: the wall time of its training (a resumed run's sessions added up), the machine, the backend with its threads, the commit.",
    '',
    '| dataset | network | loss | budget | seed | test | wall time | machine | backend | commit |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      ({ r, run }) =>
        `| ${r.dataset} | ${r.network} | ${r.loss} | ${r.budget} | ${run.seed} | ${f2(run.testAccuracy)} | ` +
        `${run.wallSeconds === null ? '—' : formatWall(run.wallSeconds)} | ${run.machine ?? '—'} | ${run.backend} | ` +
        `${run.commit === null ? '—' : run.commit.slice(0, 7)} |`,
    ),
  ];
}

export function toMarkdown(table: AccuracyTable): string {
  const lines = [
    '# Test accuracy (%): ours beside the paper',
    '',
    `Generated ${table.generatedAt} at commit ${table.commit} by \`${(table.provenance?.command as string | undefined) ?? 'ctc eval'}\`` +
      (table.provenance ? ` (profile ${table.provenance.profile}, ${table.provenance.wallSeconds} s wall)` : '') +
      '. Ours: mean ± sample std over n seeds, ' +
      '95% CI of the mean (Student t); vs softmax: mean difference on the same seeds, two-sided paired t-test.',
    '',
    '| dataset | network | loss | budget | paper | ours | n | 95% CI | paper in CI | Δ to paper | vs softmax | p | verdict | data | backend |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of table.rows) {
    const ours = r.std === null ? f2(r.mean) : `${f2(r.mean)} ± ${f2(r.std)}`;
    const ci = r.ci95 === null ? '—' : `${f2(r.mean - r.ci95)} – ${f2(r.mean + r.ci95)}`;
    const vs = r.vsSoftmax;
    lines.push(
      `| ${r.dataset} | ${r.network} | ${r.loss} | ${r.budget} | ${r.paper === null ? '—' : r.paper} | ${ours} | ${r.n} | ${ci} | ` +
        `${r.paperInCi === null || r.paperInCi === undefined ? '—' : r.paperInCi ? 'yes' : 'no'} | ` +
        `${r.deltaToPaper === null ? '—' : signed(r.deltaToPaper)} | ${vs ? signed(vs.meanDiff) : '—'} | ` +
        `${vs && vs.p !== null ? vs.p.toFixed(3) : '—'} | ${vs ? vs.verdict : '—'} | ${r.copies.join(', ')} | ${r.backends.join(', ')} |`,
    );
  }
  lines.push(...centerTableMarkdown(table.rows));
  lines.push(...validationTableMarkdown(table.rows));
  lines.push(...featureTableMarkdown(table.rows));
  lines.push(...verificationTableMarkdown(table.verification ?? []));
  lines.push(...runsTableMarkdown(table.rows));
  return `${lines.join('\n')}\n`;
}

export function toCsv(table: AccuracyTable): string {
  const header =
    'dataset,network,loss,budget,paper,mean,std,n,ci95,paper_in_ci,min,max,delta_to_paper,vs_softmax,p,verdict,epochs,iterations,train_images,data,backends,seeds,validation_mean,center_lag,vs_center,vs_center_p,vs_center_verdict';
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
      r.paperInCi ?? '',
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
      r.vsCenter?.meanDiff ?? '',
      r.vsCenter?.p ?? '',
      r.vsCenter?.verdict ?? '',
    ].join(','),
  );
  return `${[header, ...rows].join('\n')}\n`;
}
