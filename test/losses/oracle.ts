// Float64 reference implementations written with plain loops, straight from the printed
// formulas (Qi & Su, ICIP 2017; Wen et al., ECCV 2016), to check the tensor code against.
// All use reduction 'sum'; callers divide by m for 'mean'.

import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';

export type Points = number[][];

function squaredDistance(a: number[], b: number[]): number {
  let s = 0;
  for (let t = 0; t < a.length; t++) s += (a[t] - b[t]) ** 2;
  return s;
}

/** L_c = 1/2 sum_i ||x_i - c_{y_i}||^2 */
export function centerLossOracle(x: Points, y: number[], c: Points): number {
  let loss = 0;
  for (let i = 0; i < x.length; i++) loss += 0.5 * squaredDistance(x[i], c[y[i]]);
  return loss;
}

/** L_ctc = 1/2 sum_i A_i / B_i with B_i = sum_{j != y_i} ||x_i - c_j||^2 + delta, by loops over j. */
export function contrastiveCenterOracle(x: Points, y: number[], c: Points, delta: number): number {
  let loss = 0;
  for (let i = 0; i < x.length; i++) {
    const a = squaredDistance(x[i], c[y[i]]);
    let b = delta;
    for (let j = 0; j < c.length; j++) if (j !== y[i]) b += squaredDistance(x[i], c[j]);
    loss += (0.5 * a) / b;
  }
  return loss;
}

/** Central differences of f w.r.t. every entry of p (float64, so h can be small). */
export function finiteDifferences(f: (p: Points) => number, p: Points, h = 1e-6): Points {
  return p.map((row, r) =>
    row.map((_, t) => {
      const at = (v: number): number => f(p.map((q, qr) => (qr === r ? q.map((w, qt) => (qt === t ? v : w)) : q)));
      return (at(row[t] + h) - at(row[t] - h)) / (2 * h);
    }),
  );
}

/** The paper's closed-form gradients of L_ctc (reduction 'sum'), as printed. */
export function contrastiveCenterPaperGrads(
  x: Points,
  y: number[],
  c: Points,
  delta: number,
): { dx: Points; dc: Points } {
  const d = x[0].length;
  const dx = x.map(() => new Array<number>(d).fill(0));
  const dc = c.map(() => new Array<number>(d).fill(0));
  for (let i = 0; i < x.length; i++) {
    const a = squaredDistance(x[i], c[y[i]]);
    let b = delta;
    for (let j = 0; j < c.length; j++) if (j !== y[i]) b += squaredDistance(x[i], c[j]);
    for (let t = 0; t < d; t++) {
      // dL/dx_i = (x_i - c_{y_i}) / B_i - (A_i / B_i^2) sum_{j != y_i} (x_i - c_j)
      let others = 0;
      for (let j = 0; j < c.length; j++) if (j !== y[i]) others += x[i][t] - c[j][t];
      dx[i][t] = (x[i][t] - c[y[i]][t]) / b - (a / b ** 2) * others;
      // dL/dc_n: -(x_i - c_n) / B_i for n = y_i, (A_i / B_i^2)(x_i - c_n) otherwise
      for (let n = 0; n < c.length; n++) {
        dc[n][t] += n === y[i] ? -(x[i][t] - c[n][t]) / b : (a / b ** 2) * (x[i][t] - c[n][t]);
      }
    }
  }
  return { dx, dc };
}

/** Hand-placed 2-D points: k = 4 centers (class 3 absent from the batch), m = 5, class 0 twice. */
export const HAND = {
  centers: [
    [0, 0],
    [3, 0],
    [0, 4],
    [-2, -2],
  ],
  features: [
    [1, 1],
    [2, 0.5],
    [-1, 3],
    [0.5, -0.5],
    [2.5, -1],
  ],
  labels: [0, 1, 2, 0, 1],
};

export function scale(p: Points, s: number): Points {
  return p.map((row) => row.map((v) => v * s));
}

/** Element-wise closeness with a mixed absolute/relative tolerance, naming the first mismatch. */
export function assertClose(actual: number[][] | number, expected: number[][] | number, tol = 1e-5, what = ''): void {
  const a = typeof actual === 'number' ? [[actual]] : actual;
  const e = typeof expected === 'number' ? [[expected]] : expected;
  assert.equal(a.length, e.length, `${what}: row count`);
  for (let r = 0; r < e.length; r++) {
    for (let t = 0; t < e[r].length; t++) {
      const ok = Math.abs(a[r][t] - e[r][t]) <= tol * Math.max(1, Math.abs(e[r][t]));
      assert.ok(ok, `${what}[${r}][${t}]: got ${a[r][t]}, expected ${e[r][t]} (tol ${tol})`);
    }
  }
}

/** Reads a tensor (and disposes it) as nested arrays. */
export function read2d(t: tf.Tensor): number[][] {
  const v = t.arraySync() as number[][];
  t.dispose();
  return v;
}

export function read0d(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/** Sets the backend, or returns a reason it is not available here (wasm may fail to load). */
export async function useBackend(name: 'cpu' | 'wasm'): Promise<string | null> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok ? null : `backend ${name} failed to initialise`;
  } catch (err) {
    return `backend ${name} unavailable: ${(err as Error).message}`;
  }
}

/** max |actual - expected| <= rel * max |expected|: for arrays whose entries span magnitudes. */
export function assertRelClose(actual: number[][], expected: number[][], rel: number, what = ''): void {
  let worst = 0;
  let scaleOf = 0;
  for (let r = 0; r < expected.length; r++) {
    for (let t = 0; t < expected[r].length; t++) {
      worst = Math.max(worst, Math.abs(actual[r][t] - expected[r][t]));
      scaleOf = Math.max(scaleOf, Math.abs(expected[r][t]));
    }
  }
  assert.ok(worst <= rel * scaleOf, `${what}: max error ${worst} > ${rel} * ${scaleOf}`);
}

/** Seeded uniform points in [lo, hi). */
export function randomPoints(rng: { next(): number }, rows: number, cols: number, lo = -1, hi = 1): Points {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => lo + (hi - lo) * rng.next()));
}
