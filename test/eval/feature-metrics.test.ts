// Feature metrics against numbers worked out by hand on a few 2-D points, plus the degenerate
// cases (a one-sample class, absent classes, zero-norm features) and a size check.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { featureMetrics, type FeatureMetrics } from '../../src/eval/feature-metrics.js';
import { isUserError } from '../../src/errors.js';
import { Rng } from '../../src/util/rng.js';

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);

function assertMetrics(actual: FeatureMetrics, expected: FeatureMetrics) {
  for (const key of Object.keys(expected) as (keyof FeatureMetrics)[]) close(actual[key], expected[key], key);
}

// Three classes whose means form a 6-8-10 right triangle: mu0 = (0,0), mu1 = (6,0), mu2 = (0,8).
//   class 0: (-4,0) (4,0)   distances to mu0: 4 4
//   class 1: (5,0) (7,0)    distances to mu1: 1 1
//   class 2: (0,7) (0,9)    distances to mu2: 1 1
const X = new Float32Array([-4, 0, 4, 0, 5, 0, 7, 0, 0, 7, 0, 9]);
const Y = new Uint8Array([0, 0, 1, 1, 2, 2]);

test('raw metrics match the hand computation', () => {
  const m = featureMetrics(X, Y, 3);
  assert.equal(m.count, 6);
  assert.equal(m.dim, 2);
  assert.equal(m.classes, 3);
  assert.deepEqual(m.absentClasses, []);
  assertMetrics(m.raw, {
    intraMean: 2, // (4+4+1+1+1+1) / 6
    interMin: 6, // |mu0 mu1|
    interMean: 8, // (6 + 8 + 10) / 3
    intraInterRatio: 0.25, // 2 / 8
    // mu = (2, 8/3); tr(Sb) = 2 * [(4 + 64/9) + (16 + 64/9) + (4 + 256/9)] = 400/3
    // (check: 1/n * sum_{c<c'} n_c n_c' |mu_c - mu_c'|^2 = 4 * (36+64+100) / 6 = 400/3);
    // tr(Sw) = 16+16+1+1+1+1 = 36
    fisherRatio: 400 / 3 / 36,
    // S = (4, 1, 1): class 0 max(5/6, 5/8), class 1 max(5/6, 2/10), class 2 max(5/8, 2/10)
    daviesBouldin: (5 / 6 + 5 / 6 + 5 / 8) / 3, // 55/72
    // (4,0) is 4 from mu0 but 2 from mu1: the only miss, 5/6
    ncmAccuracy: (100 * 5) / 6,
  });
});

test('normalized metrics match the hand computation', () => {
  // Unit features: (-1,0) (1,0) | (1,0) (1,0) | (0,1) (0,1); mu0 = (0,0), mu1 = (1,0), mu2 = (0,1).
  const m = featureMetrics(X, Y, 3);
  assert.equal(m.zeroNormFeatures, 0);
  assertMetrics(m.normalized, {
    intraMean: 2 / 6, // class 0 points are 1 from mu0; the others sit on their means
    interMin: 1,
    interMean: (2 + Math.SQRT2) / 3, // 1, 1, sqrt 2
    intraInterRatio: 1 / (2 + Math.SQRT2),
    // mu = (1/3, 1/3): tr(Sb) = 2 * (2/9 + 5/9 + 5/9) = 8/3; tr(Sw) = 1 + 1 = 2
    fisherRatio: 8 / 3 / 2,
    // S = (1, 0, 0): each class's worst pair is (1 + 0) / 1
    daviesBouldin: 1,
    ncmAccuracy: (100 * 5) / 6, // (1,0) of class 0 sits on mu1
  });
});

test('absent classes are skipped and listed; the metrics do not change', () => {
  // Relabel 0,1,2 -> 0,2,3 with k = 5: classes 1 and 4 have no samples.
  const m = featureMetrics(X, new Int32Array([0, 0, 2, 2, 3, 3]), 5);
  assert.deepEqual(m.absentClasses, [1, 4]);
  assert.equal(m.classes, 3);
  assertMetrics(m.raw, featureMetrics(X, Y, 3).raw);
});

test('a class with one sample has zero spread and is listed', () => {
  // class 0: (0,0) alone; class 1: (3,0) (5,0), mu1 = (4,0); mu = (8/3, 0)
  const m = featureMetrics(new Float32Array([0, 0, 3, 0, 5, 0]), new Uint8Array([0, 1, 1]), 2);
  assert.deepEqual(m.singletonClasses, [0]);
  assertMetrics(m.raw, {
    intraMean: 2 / 3, // (0 + 1 + 1) / 3
    interMin: 4,
    interMean: 4,
    intraInterRatio: 1 / 6,
    fisherRatio: 32 / 3 / 2, // tr(Sb) = 64/9 + 2 * 16/9 = 32/3; tr(Sw) = 2
    daviesBouldin: 0.25, // (0 + 1) / 4 for both classes
    ncmAccuracy: 100,
  });
});

test('zero-norm features stay at the origin when normalising, and are counted', () => {
  // class 0: (0,0) (2,0) -> (0,0) (1,0), mu0 = (0.5, 0); class 1: (0,3) (0,1) -> (0,1) (0,1)
  const m = featureMetrics(new Float32Array([0, 0, 2, 0, 0, 3, 0, 1]), new Uint8Array([0, 0, 1, 1]), 2);
  assert.equal(m.zeroNormFeatures, 1);
  close(m.normalized.intraMean, 0.25, 'intraMean'); // (0.5 + 0.5 + 0 + 0) / 4
  close(m.normalized.interMin, Math.sqrt(1.25), 'interMin'); // |(0.5,0) - (0,1)|
  for (const v of Object.values(m.normalized)) assert.ok(Number.isFinite(v));
});

test('features on their class means give an infinite Fisher ratio, not a crash', () => {
  const m = featureMetrics(new Float32Array([0, 0, 0, 0, 1, 0]), new Uint8Array([0, 0, 1]), 2);
  assert.equal(m.raw.fisherRatio, Infinity);
  assert.equal(m.raw.daviesBouldin, 0);
  assert.equal(JSON.parse(JSON.stringify(m.raw)).fisherRatio, null);
});

test('translation leaves raw metrics alone; scaling scales distances only', () => {
  const rng = new Rng(7);
  const n = 300;
  const x = Float64Array.from({ length: n * 3 }, () => rng.next() * 4);
  const y = Int32Array.from({ length: n }, (_, i) => i % 4);
  const base = featureMetrics(x, y, 4).raw;
  const moved = featureMetrics(
    x.map((v, i) => v * 3 + (i % 3) - 5),
    y,
    4,
  ).raw;
  close(moved.intraMean, 3 * base.intraMean, 'intraMean');
  close(moved.interMin, 3 * base.interMin, 'interMin');
  for (const key of ['intraInterRatio', 'fisherRatio', 'daviesBouldin', 'ncmAccuracy'] as const)
    close(moved[key], base[key], key);
});

test('fewer than two classes is a user error; bad labels and shapes are bugs', () => {
  assert.throws(
    () => featureMetrics(new Float32Array([1, 2, 3, 4]), new Uint8Array([1, 1]), 3),
    (e) => isUserError(e),
  );
  assert.throws(() => featureMetrics(new Float32Array([1, 2, 3, 4]), new Uint8Array([0, 3]), 3), /outside \[0, 3\)/);
  assert.throws(() => featureMetrics(new Float32Array([1, 2, 3]), new Uint8Array([0, 1]), 2), /do not split/);
});

test('10,000 x 64 features are scored quickly', () => {
  const rng = new Rng(1);
  const n = 10_000;
  const x = Float32Array.from({ length: n * 64 }, () => rng.next());
  const y = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const t0 = performance.now();
  const m = featureMetrics(x, y, 10);
  const ms = performance.now() - t0;
  assert.equal(m.count, n);
  // The target is < 200 ms; the bound is loose so a busy machine does not fail the suite.
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
});
