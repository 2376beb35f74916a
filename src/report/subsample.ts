// Which points a plot or a feature frame shows when a test set is large: a fixed pseudo-random
// subset, so every plot of a run shows the same points. Kept apart from the plotting code so
// the training-loop frame hook does not load Vega.

import { Rng } from '../util/rng.js';

const SUBSAMPLE_SEED = 20170724; // any constant; the paper's arXiv date

/**
 * At most `max` of the indices 0..n-1, in index order. Seeded random rather than evenly
 * spaced: a stride would alias with any periodic label order.
 */
export function subsample(n: number, max: number): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  if (n <= max) return all;
  const rng = new Rng(SUBSAMPLE_SEED);
  for (let i = 0; i < max; i++) {
    const j = i + rng.int(n - i); // partial Fisher-Yates: the first `max` entries are the sample
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.subarray(0, max).sort();
}
