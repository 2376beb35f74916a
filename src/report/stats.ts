// Statistics for accuracy tables: mean, sample standard deviation, a 95% confidence interval for
// the mean (Student's t), and a paired t-test of one loss against softmax (or center loss) on the
// same seeds.
// t distributions come from stdlib (well-kept numerical code), not from a hand-written series.

import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n - 1); undefined for fewer than two values. */
export function std(values: number[]): number | undefined {
  if (values.length < 2) return undefined;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

/** Half-width of the 95% confidence interval of the mean: t(0.975, n-1) * s / sqrt(n). */
export function ci95HalfWidth(values: number[]): number | undefined {
  const s = std(values);
  if (s === undefined) return undefined;
  return tQuantile(0.975, values.length - 1) * (s / Math.sqrt(values.length));
}

export interface PairedTest {
  n: number;
  meanDiff: number; // mean of (a - b)
  t: number | null;
  p: number | null; // two-sided
}

/** Paired t-test of a against b (same seeds, same order). p is null when it cannot be computed. */
export function pairedTTest(a: number[], b: number[]): PairedTest {
  if (a.length !== b.length) throw new RangeError(`pairedTTest: ${a.length} vs ${b.length} values`);
  const diffs = a.map((v, i) => v - b[i]);
  const n = diffs.length;
  const meanDiff = n > 0 ? mean(diffs) : NaN;
  const s = std(diffs);
  if (s === undefined) return { n, meanDiff, t: null, p: null };
  if (s === 0) return { n, meanDiff, t: null, p: meanDiff === 0 ? 1 : 0 };
  const t = meanDiff / (s / Math.sqrt(n));
  return { n, meanDiff, t, p: 2 * (1 - tCdf(Math.abs(t), n - 1)) };
}

export type Verdict = 'better' | 'worse' | 'no significant difference' | 'too few seeds';

/** What the data supports at the 5% level, and no more. */
export function verdict(test: PairedTest, alpha = 0.05): Verdict {
  if (test.p === null) return 'too few seeds';
  if (test.p >= alpha) return 'no significant difference';
  return test.meanDiff > 0 ? 'better' : 'worse';
}

/** A row against a reference row (softmax, or center loss): the mean difference on the seeds both have, the paired test and its verdict. */
export interface VsSoftmax {
  n: number;
  meanDiff: number;
  p: number | null;
  verdict: Verdict;
}

interface SeededRow {
  loss: string;
  seeds: number[];
  accuracies: number[]; // in seed order
  vsSoftmax: VsSoftmax | null;
}

/** row against base on the seeds both have. */
function pairOnSharedSeeds(row: SeededRow, base: SeededRow): VsSoftmax {
  const seeds = row.seeds.filter((s) => base.seeds.includes(s));
  const pick = (r: SeededRow) => seeds.map((s) => r.accuracies[r.seeds.indexOf(s)]);
  const t = pairedTTest(pick(row), pick(base));
  return { n: t.n, meanDiff: t.meanDiff, p: t.p, verdict: verdict(t) };
}

/** Sets vsSoftmax on each non-softmax row that has a softmax row in the same cell (sameCell). */
export function pairWithSoftmax<R extends SeededRow>(rows: R[], sameCell: (a: R, b: R) => boolean): void {
  for (const row of rows) {
    if (row.loss === 'softmax') continue;
    const base = rows.find((r) => r.loss === 'softmax' && sameCell(r, row));
    if (base) row.vsSoftmax = pairOnSharedSeeds(row, base);
  }
}

/** A row against its cell's center-loss row, whose label `against` names. */
export interface VsCenter extends VsSoftmax {
  against: string;
}

/** The loss name of a row label: `center` for `center [lambda=0.03]`. */
const lossName = (label: string) => label.split(' ')[0];

/**
 * Sets vsCenter on each row that is neither softmax nor center loss, where its cell (sameCell)
 * has exactly one center-loss row: with several (other lambdas) the reference would be a choice.
 */
export function pairWithCenter<R extends SeededRow & { vsCenter: VsCenter | null }>(
  rows: R[],
  sameCell: (a: R, b: R) => boolean,
): void {
  for (const row of rows) {
    if (['softmax', 'center'].includes(lossName(row.loss))) continue;
    const bases = rows.filter((r) => lossName(r.loss) === 'center' && sameCell(r, row));
    if (bases.length === 1) row.vsCenter = { ...pairOnSharedSeeds(row, bases[0]), against: bases[0].loss };
  }
}
