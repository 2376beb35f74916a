// A 2-D PCA projection for plotting features with d > 2: the d x d covariance (float64), its two
// leading eigenvectors by power iteration with deflation, and the projection of any points
// (test features, learned centers) onto them. Pure; d stays small here (d <= 512).

const BLOCK = 16;

export interface Pca2 {
  dim: number;
  mean: Float64Array; // [d]
  axes: [Float64Array, Float64Array]; // unit eigenvectors, leading first
  /** Share of the total variance each axis explains, 0..1. */
  explained: [number, number];
}

export function fitPca2(x: ArrayLike<number>, n: number, d: number): Pca2 {
  if (n < 1 || d < 2 || x.length !== n * d)
    throw new Error(`fitPca2: need [n, d] features with d >= 2, got ${x.length} values for n=${n}, d=${d}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  // Upper triangle of sum_i (x_i - mean)(x_i - mean)^T, mirrored afterwards: n * d^2 / 2 work.
  // Rows go in blocks of 16, stored transposed ([d, 16]), so the 2 MB matrix (d = 512) is swept
  // once per block instead of once per row: several times faster than row by row.
  const cov = new Float64Array(d * d);
  const block = new Float64Array(d * BLOCK); // [d, BLOCK]
  for (let start = 0; start < n; start += BLOCK) {
    const rows = Math.min(BLOCK, n - start);
    block.fill(0);
    for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) block[j * BLOCK + r] = x[(start + r) * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const pa = a * BLOCK;
      for (let b = a; b < d; b++) {
        const pb = b * BLOCK;
        let s = 0;
        for (let r = 0; r < BLOCK; r++) s += block[pa + r] * block[pb + r];
        cov[a * d + b] += s;
      }
    }
  }
  let trace = 0;
  for (let a = 0; a < d; a++) {
    trace += cov[a * d + a];
    for (let b = a + 1; b < d; b++) cov[b * d + a] = cov[a * d + b];
  }
  const [v1, l1] = leadingEigen(cov, d);
  // Deflate: C - l1 v1 v1^T keeps C's other eigenpairs and moves the first to 0 (C is PSD).
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] -= l1 * v1[a] * v1[b];
  const [v2, l2] = leadingEigen(cov, d, v1);
  const share = (l: number) => (trace > 0 ? Math.max(0, l) / trace : 0);
  return { dim: d, mean, axes: [v1, v2], explained: [share(l1), share(l2)] };
}

/** Projects [n, d] points onto the two axes: [n, 2]. */
export function projectPca2(pca: Pca2, x: ArrayLike<number>, n: number): Float64Array {
  const d = pca.dim;
  const out = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    let p = 0;
    let q = 0;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j] - pca.mean[j];
      p += v * pca.axes[0][j];
      q += v * pca.axes[1][j];
    }
    out[2 * i] = p;
    out[2 * i + 1] = q;
  }
  return out;
}

/**
 * Power iteration on a symmetric PSD matrix from a fixed start (deterministic plots), kept
 * orthogonal to `avoid` so that round-off cannot drift back to the deflated direction. The
 * sign is fixed so the largest component is positive.
 */
function leadingEigen(m: Float64Array, d: number, avoid?: Float64Array): [Float64Array, number] {
  let v = Float64Array.from({ length: d }, (_, j) => 1 + j / d);
  const w = new Float64Array(d);
  let lambda = 0;
  for (let iter = 0; iter < 1000; iter++) {
    if (avoid) orthogonalize(v, avoid);
    if (!normalize(v)) return [basisVector(d, avoid), 0]; // no variance left: any orthogonal axis
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let b = 0; b < d; b++) s += m[a * d + b] * v[b];
      w[a] = s;
    }
    let next = 0;
    for (let a = 0; a < d; a++) next += v[a] * w[a]; // Rayleigh quotient
    const converged = Math.abs(next - lambda) <= 1e-12 * Math.max(1, Math.abs(next));
    lambda = next;
    v = Float64Array.from(w);
    if (converged && iter > 2) break;
  }
  if (avoid) orthogonalize(v, avoid);
  if (!normalize(v)) return [basisVector(d, avoid), 0];
  let big = 0;
  for (let a = 1; a < d; a++) if (Math.abs(v[a]) > Math.abs(v[big])) big = a;
  if (v[big] < 0) for (let a = 0; a < d; a++) v[a] = -v[a];
  return [v, lambda];
}

function orthogonalize(v: Float64Array, u: Float64Array): void {
  let dot = 0;
  for (let a = 0; a < v.length; a++) dot += v[a] * u[a];
  for (let a = 0; a < v.length; a++) v[a] -= dot * u[a];
}

function normalize(v: Float64Array): boolean {
  let s = 0;
  for (const x of v) s += x * x;
  if (!(s > 1e-300)) return false;
  const inv = 1 / Math.sqrt(s);
  for (let a = 0; a < v.length; a++) v[a] *= inv;
  return true;
}

/** A unit axis orthogonal to `avoid` (or e_0), for data with no variance in that direction. */
function basisVector(d: number, avoid?: Float64Array): Float64Array {
  for (let k = 0; k < d; k++) {
    const e = new Float64Array(d);
    e[k] = 1;
    if (avoid) orthogonalize(e, avoid);
    if (normalize(e)) return e;
  }
  return new Float64Array(d);
}
