// How well a loss's learned centers sit on its features: for the classes present, with mu_j the
// mean of class j's features and c_j its center,
//   centerLag  = mean_j ||c_j - mu_j|| / mean_j ||mu_j||   (0: every center on its class mean;
//                ~1: centers still near the origin while the features moved away)
//   centerNorm = mean_j ||c_j||,  classMeanNorm = mean_j ||mu_j||.
// Pure: typed arrays in, numbers out (features [n, d], centers [k, d], row-major).

export interface CenterMetrics {
  centerLag: number;
  centerNorm: number;
  classMeanNorm: number;
  /** Classes with at least one feature (the means run over these). */
  classes: number;
}

export function centerMetrics(
  features: ArrayLike<number>,
  labels: ArrayLike<number>,
  centers: ArrayLike<number>,
  numClasses: number,
): CenterMetrics {
  const d = centers.length / numClasses;
  const n = labels.length;
  if (!Number.isInteger(d) || features.length !== n * d) {
    throw new Error(
      `centerMetrics: ${n} labels, ${features.length} feature values and ${centers.length} center values do not fit ${numClasses} classes`,
    );
  }
  const sums = new Float64Array(numClasses * d);
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < n; i++) {
    const j = labels[i];
    counts[j]++;
    for (let t = 0; t < d; t++) sums[j * d + t] += features[i * d + t];
  }
  let [lag, centerNorm, meanNorm, classes] = [0, 0, 0, 0];
  for (let j = 0; j < numClasses; j++) {
    if (counts[j] === 0) continue;
    classes++;
    let [dist, c2, mu2] = [0, 0, 0];
    for (let t = 0; t < d; t++) {
      const mu = sums[j * d + t] / counts[j];
      const c = centers[j * d + t];
      dist += (c - mu) ** 2;
      c2 += c * c;
      mu2 += mu * mu;
    }
    lag += Math.sqrt(dist);
    centerNorm += Math.sqrt(c2);
    meanNorm += Math.sqrt(mu2);
  }
  return { centerLag: lag / meanNorm, centerNorm: centerNorm / classes, classMeanNorm: meanNorm / classes, classes };
}

/** The line `ctc train` and `ctc eval --run` print about the centers. */
export function describeCenterMetrics(m: CenterMetrics): string {
  return (
    `centers: lag ${m.centerLag.toFixed(3)} (distance to their test class means / class-mean norm), ` +
    `norm ${m.centerNorm.toFixed(2)} (class means ${m.classMeanNorm.toFixed(2)})`
  );
}
