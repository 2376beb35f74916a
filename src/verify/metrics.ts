// Verification scores from pair similarities: k-fold accuracy with the threshold chosen on the
// other folds (LFW's protocol), ROC AUC, and the true-accept rate at a fixed false-accept rate.

/** Cosine similarity of rows a and b of a [n, d] feature matrix (0 when either row is zero). */
export function cosine(features: Float32Array, d: number, a: number, b: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < d; j++) {
    const x = features[a * d + j];
    const y = features[b * d + j];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** Negative Euclidean distance of the L2-normalised rows (higher means more alike, like cosine). */
export function negativeNormalizedL2(features: Float32Array, d: number, a: number, b: number): number {
  return -Math.sqrt(Math.max(0, 2 - 2 * cosine(features, d, a, b)));
}

export interface Scored {
  score: number;
  same: boolean;
}

/** The threshold (score >= t means "same") with the best accuracy on `pairs`: midpoints between sorted scores. */
export function bestThreshold(pairs: Scored[]): number {
  const sorted = [...pairs].sort((x, y) => x.score - y.score);
  // Accept everything above a cut after position i: correct = negatives at or below + positives above.
  let negativesBelow = 0;
  let positivesAbove = sorted.filter((p) => p.same).length;
  let best = { correct: positivesAbove, threshold: sorted.length ? sorted[0].score - 1 : 0 };
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].same) positivesAbove--;
    else negativesBelow++;
    if (i + 1 < sorted.length && sorted[i + 1].score === sorted[i].score) continue; // ties move together
    const correct = negativesBelow + positivesAbove;
    if (correct > best.correct) {
      const next = i + 1 < sorted.length ? sorted[i + 1].score : sorted[i].score + 1;
      best = { correct, threshold: (sorted[i].score + next) / 2 };
    }
  }
  return best.threshold;
}

export function accuracyAt(pairs: Scored[], threshold: number): number {
  const correct = pairs.filter((p) => p.score >= threshold === p.same).length;
  return pairs.length ? (100 * correct) / pairs.length : NaN;
}

/** Per fold: the accuracy (%) at the threshold chosen on all the other folds (one fold: on itself). */
export function foldAccuracies(folds: Scored[][]): { accuracy: number; threshold: number }[] {
  return folds.map((fold, f) => {
    const others = folds.length > 1 ? folds.filter((_, g) => g !== f).flat() : fold;
    const threshold = bestThreshold(others);
    return { accuracy: accuracyAt(fold, threshold), threshold };
  });
}

/** Area under the ROC curve: the probability that a matched pair scores above a mismatched one (ties count half). */
export function rocAuc(pairs: Scored[]): number {
  const sorted = [...pairs].sort((x, y) => x.score - y.score);
  let rankSum = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j].score === sorted[i].score) j++;
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (sorted[k].same) rankSum += midRank;
    i = j;
  }
  const pos = sorted.filter((p) => p.same).length;
  const neg = sorted.length - pos;
  return pos && neg ? (rankSum - (pos * (pos + 1)) / 2) / (pos * neg) : NaN;
}

/**
 * The share of matched pairs accepted (%) at the lowest threshold that accepts at most `far` of
 * the mismatched pairs; null when there are fewer than 1/far mismatched pairs to measure it.
 */
export function tarAtFar(pairs: Scored[], far: number): number | null {
  const negatives = pairs
    .filter((p) => !p.same)
    .map((p) => p.score)
    .sort((x, y) => y - x);
  const positives = pairs.filter((p) => p.same).map((p) => p.score);
  if (negatives.length < Math.round(1 / far) || positives.length === 0) return null;
  const allowed = Math.floor(far * negatives.length);
  // Accept scores strictly above the (allowed+1)-th highest negative score.
  const cut = negatives[allowed];
  return (100 * positives.filter((s) => s > cut).length) / positives.length;
}

/** ROC points (false-accept rate, true-accept rate), one per distinct threshold, from (0,0) to (1,1). */
export function rocCurve(pairs: Scored[]): { far: number; tar: number }[] {
  const sorted = [...pairs].sort((x, y) => y.score - x.score);
  const pos = sorted.filter((p) => p.same).length;
  const neg = sorted.length - pos;
  const points = [{ far: 0, tar: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].same) tp++;
    else fp++;
    if (i + 1 < sorted.length && sorted[i + 1].score === sorted[i].score) continue;
    points.push({ far: neg ? fp / neg : 0, tar: pos ? tp / pos : 0 });
  }
  return points;
}
