// Compactness and separation of deep features (paper.md, "Metrics beyond accuracy"), computed
// from the class means of the features themselves, so a softmax run (no learned centers) is
// scored exactly like a center or contrastive-center run. Pure: typed arrays in, numbers out.
//
// With x_i the n features (dimension d), y_i their labels, P the classes that have samples,
// n_c and mu_c the size and mean of class c, mu the mean of all n features:
//   intraMean       = 1/n * sum_i ||x_i - mu_{y_i}||                    (lower: more compact)
//   interMin/Mean   = min / mean over pairs c < c' in P of ||mu_c - mu_c'||  (higher: farther)
//   intraInterRatio = intraMean / interMean                              (lower is better)
//   fisherRatio     = tr(Sb) / tr(Sw), Sb = sum_c n_c (mu_c - mu)(mu_c - mu)^T (class-size
//                     weighted), Sw = sum_i (x_i - mu_{y_i})(x_i - mu_{y_i})^T, so
//                     tr(Sb) = sum_c n_c ||mu_c - mu||^2, tr(Sw) = sum_i ||x_i - mu_{y_i}||^2
//                     (both unnormalised; dividing both by n changes nothing; higher is better)
//   daviesBouldin   = 1/|P| * sum_c max_{c' != c} (S_c + S_c') / ||mu_c - mu_c'||, with
//                     S_c = mean distance of class c's features to mu_c (lower is better)
//   ncmAccuracy     = percent of features whose nearest class mean (Euclidean, over P, ties
//                     to the lower class index) is their own class's mean
// "normalized" repeats all of it on x_i / ||x_i||; a zero feature stays zero (counted in
// zeroNormFeatures). Class means of normalised features are not re-normalised. A ratio over
// zero is Infinity (every feature on its class mean: tr(Sw) = 0; two coinciding class means:
// Davies-Bouldin), 0 / 0 is NaN; JSON writes both as null.

import { UserError } from '../errors.js';

export interface FeatureMetrics {
  intraMean: number;
  interMin: number;
  interMean: number;
  intraInterRatio: number;
  fisherRatio: number;
  daviesBouldin: number;
  ncmAccuracy: number; // percent
}

export interface FeatureMetricsResult {
  count: number;
  dim: number;
  /** Classes with at least one sample; the metrics use only these. */
  classes: number;
  /** Class indices in [0, k) without samples: skipped. */
  absentClasses: number[];
  /** Class indices with exactly one sample (their spread is 0 by construction). */
  singletonClasses: number[];
  zeroNormFeatures: number;
  raw: FeatureMetrics;
  normalized: FeatureMetrics;
}

export function featureMetrics(
  features: Float32Array | Float64Array,
  labels: ArrayLike<number>,
  numClasses: number,
): FeatureMetricsResult {
  const n = labels.length;
  if (n === 0) throw new Error('featureMetrics: no features');
  if (features.length % n !== 0)
    throw new Error(`featureMetrics: ${features.length} feature values do not split into ${n} rows`);
  const d = features.length / n;
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses)
      throw new Error(`featureMetrics: label ${y} at ${i} is outside [0, ${numClasses})`);
    counts[y]++;
  }
  const present: number[] = [];
  const absentClasses: number[] = [];
  const singletonClasses: number[] = [];
  counts.forEach((c, k) => {
    (c > 0 ? present : absentClasses).push(k);
    if (c === 1) singletonClasses.push(k);
  });
  if (present.length < 2)
    throw new UserError(`feature metrics need test features from at least 2 classes, got ${present.length}`);

  // One array type for both passes keeps the hot loops monomorphic (several times faster).
  const raw = Float64Array.from(features);
  const y = Int32Array.from(labels);
  const { normalized, zeroNorm } = l2Normalize(raw, n, d);
  return {
    count: n,
    dim: d,
    classes: present.length,
    absentClasses,
    singletonClasses,
    zeroNormFeatures: zeroNorm,
    raw: metricsOf(raw, y, n, d, counts, present),
    normalized: metricsOf(normalized, y, n, d, counts, present),
  };
}

function l2Normalize(x: Float64Array, n: number, d: number): { normalized: Float64Array; zeroNorm: number } {
  const out = new Float64Array(n * d);
  let zeroNorm = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] * x[i * d + j];
    if (s === 0) {
      zeroNorm++; // no direction to keep: the row stays at the origin
      continue;
    }
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < d; j++) out[i * d + j] = x[i * d + j] * inv;
  }
  return { normalized: out, zeroNorm };
}

function metricsOf(
  x: Float64Array,
  labels: Int32Array,
  n: number,
  d: number,
  counts: Int32Array,
  present: number[],
): FeatureMetrics {
  const k = counts.length;
  const means = new Float64Array(k * d); // [k, d]; rows of absent classes stay 0 and are never read
  const globalMean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = labels[i] * d;
    for (let j = 0; j < d; j++) means[row + j] += x[i * d + j];
  }
  for (const c of present) {
    for (let j = 0; j < d; j++) {
      globalMean[j] += means[c * d + j] / n;
      means[c * d + j] /= counts[c];
    }
  }

  // One pass over the samples: distance to own mean (intra, S_c, tr(Sw)) and nearest mean (NCM).
  const spread = new Float64Array(k); // sum of ||x_i - mu_c|| per class
  let intraSum = 0;
  let trSw = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    let best = -1;
    let bestDist = Infinity;
    let own = 0;
    for (let p = 0; p < present.length; p++) {
      const c = present[p];
      let s = 0;
      for (let j = 0; j < d; j++) {
        const diff = x[i * d + j] - means[c * d + j];
        s += diff * diff;
      }
      if (s < bestDist) {
        best = c;
        bestDist = s;
      }
      if (c === y) own = s;
    }
    if (best === y) correct++;
    trSw += own;
    const dist = Math.sqrt(own);
    intraSum += dist;
    spread[y] += dist;
  }

  let trSb = 0;
  for (const c of present) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (means[c * d + j] - globalMean[j]) ** 2;
    trSb += counts[c] * s;
  }

  // Pairwise distances between class means; Davies-Bouldin takes each class's worst pair.
  let interMin = Infinity;
  let interSum = 0;
  let pairs = 0;
  let dbSum = 0;
  for (const a of present) {
    let worst = 0;
    for (const b of present) {
      if (a === b) continue;
      let s = 0;
      for (let j = 0; j < d; j++) s += (means[a * d + j] - means[b * d + j]) ** 2;
      const m = Math.sqrt(s);
      if (a < b) {
        interMin = Math.min(interMin, m);
        interSum += m;
        pairs++;
      }
      // Coinciding means make two classes indistinguishable: the worst possible score.
      worst = Math.max(worst, m === 0 ? Infinity : (spread[a] / counts[a] + spread[b] / counts[b]) / m);
    }
    dbSum += worst;
  }

  const intraMean = intraSum / n;
  const interMean = interSum / pairs;
  return {
    intraMean,
    interMin,
    interMean,
    intraInterRatio: ratio(intraMean, interMean),
    fisherRatio: ratio(trSb, trSw),
    daviesBouldin: dbSum / present.length,
    ncmAccuracy: (100 * correct) / n,
  };
}

/** a / b where a / 0 is Infinity and 0 / 0 (all features identical) is NaN: undefined. */
function ratio(a: number, b: number): number {
  if (b === 0) return a === 0 ? NaN : Infinity;
  return a / b;
}
