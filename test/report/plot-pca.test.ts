// The 2-D PCA used to plot features with d > 2: known axes and variance shares on data built
// in a known plane, determinism, and data without variance.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitPca2, projectPca2 } from '../../src/report/pca.js';
import { Rng } from '../../src/util/rng.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);

test('recovers the leading axes of data spread along two known directions', () => {
  // x = m + a u + b w in 4-D with u, w orthonormal; every a of a symmetric grid on [-3, 3] comes
  // with b = +1 and b = -1, so a and b are exactly uncorrelated: the covariance is
  // var(a) u u^T + var(b) w w^T with var(b) = 1 and var(a) = mean of a^2 (about 3).
  const u = [0.6, 0.8, 0, 0];
  const w = [0, 0, 0.8, -0.6];
  const m = [10, -2, 1, 5];
  const grid = Array.from({ length: 201 }, (_, i) => -3 + (6 * i) / 200);
  const ab = grid.flatMap((a) => [
    [a, 1],
    [a, -1],
  ]);
  const n = ab.length;
  const x = new Float64Array(n * 4);
  ab.forEach(([a, b], i) => {
    for (let j = 0; j < 4; j++) x[i * 4 + j] = m[j] + a * u[j] + b * w[j];
  });
  const pca = fitPca2(x, n, 4);
  assert.ok(Math.abs(Math.abs(dot(pca.axes[0], u)) - 1) < 1e-9, String(pca.axes[0]));
  assert.ok(Math.abs(Math.abs(dot(pca.axes[1], w)) - 1) < 1e-9, String(pca.axes[1]));
  assert.ok(Math.abs(dot(pca.axes[0], pca.axes[1])) < 1e-9);
  const varA = grid.reduce((s, a) => s + a * a, 0) / grid.length;
  assert.ok(Math.abs(pca.explained[0] - varA / (varA + 1)) < 1e-9, String(pca.explained));
  assert.ok(Math.abs(pca.explained[1] - 1 / (varA + 1)) < 1e-9, String(pca.explained));
  // The projection keeps distances inside the plane.
  const p = projectPca2(pca, x, n);
  const d = Math.hypot(p[0] - p[2 * 7], p[1] - p[2 * 7 + 1]);
  assert.ok(Math.abs(d - Math.hypot(ab[0][0] - ab[7][0], ab[0][1] - ab[7][1])) < 1e-9);
});

test('is deterministic, with the largest component of each axis positive', () => {
  const rng = new Rng(5);
  const x = Float64Array.from({ length: 500 * 8 }, (_, i) => rng.next() * (1 + (i % 8)));
  const a = fitPca2(x, 500, 8);
  const b = fitPca2(x, 500, 8);
  assert.deepEqual([...a.axes[0], ...a.axes[1]], [...b.axes[0], ...b.axes[1]]);
  for (const axis of a.axes) {
    const big = axis.reduce((k, v, i) => (Math.abs(v) > Math.abs(axis[k]) ? i : k), 0);
    assert.ok(axis[big] > 0);
  }
});

test('data without variance still gives two orthonormal axes', () => {
  const x = new Float64Array(10 * 3).fill(2);
  const pca = fitPca2(x, 10, 3);
  assert.deepEqual(pca.explained, [0, 0]);
  assert.ok(Math.abs(dot(pca.axes[0], pca.axes[0]) - 1) < 1e-12 && Math.abs(dot(pca.axes[1], pca.axes[1]) - 1) < 1e-12);
  assert.ok(Math.abs(dot(pca.axes[0], pca.axes[1])) < 1e-12);
  assert.deepEqual([...projectPca2(pca, x, 10)], new Array(20).fill(0));
});
