// The centers' own update rules: Wen et al.'s for center loss on a hand example; the
// contrastive-center rules ('sgd' against the loop oracle's gradient of the summed loss,
// 'normalized' against a direct loop); and, for every rule, that centers reach their class
// means from their initialisation on features of a trained net's scale.

import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createLoss } from '../../src/losses/index.js';
import { Rng } from '../../src/util/rng.js';
import {
  HAND,
  type Points,
  assertClose,
  contrastiveCenterOracle,
  finiteDifferences,
  read2d,
  useBackend,
} from './oracle.js';

before(async () => {
  await useBackend('cpu');
});

/** The centers after one updateCenters of the loss, from `centers`, on the features and labels given. */
function centersAfterOneUpdate(
  name: string,
  settings: Record<string, unknown>,
  centers: Points,
  features: Points,
  labels: number[],
): Points {
  const loss = createLoss(name, { numClasses: centers.length, featureDim: centers[0].length, seed: 1, ...settings });
  loss.centers!.assign(tf.tensor2d(centers));
  const x = tf.tensor2d(features) as tf.Tensor2D;
  const y = tf.tensor1d(labels, 'int32');
  loss.updateCenters(x, y);
  const after = read2d(loss.centers!.clone());
  tf.dispose([x, y]);
  loss.dispose();
  return after;
}

test("center loss: Wen et al.'s update on a hand example", () => {
  const after = centersAfterOneUpdate(
    'center',
    { alpha: 0.5 },
    [
      [0, 0],
      [1, 1],
      [2, 2],
    ],
    [
      [1, 0],
      [0, 1],
      [3, 3],
    ],
    [0, 0, 1],
  );
  // class 0: n = 2, delta = ((0-1) + (0-0), (0-0) + (0-1)) / 3 = (-1/3, -1/3), c <- c - 0.5 delta
  // class 1: n = 1, delta = (1-3, 1-3) / 2 = (-1, -1); class 2 is absent and stays
  assertClose(
    after,
    [
      [1 / 6, 1 / 6],
      [1.5, 1.5],
      [2, 2],
    ],
    1e-6,
    'centers',
  );
});

for (const reduction of ['mean', 'sum'] as const) {
  test(`contrastive-center (${reduction}): SGD step is c - alpha * gradient of the summed loss`, () => {
    const { features, labels, centers } = HAND;
    const [alpha, delta] = [0.3, 0.5];
    const after = centersAfterOneUpdate(
      'contrastive-center',
      { alpha, delta, reduction, centerUpdate: 'sgd' },
      centers,
      features,
      labels,
    );
    const grad = finiteDifferences((c) => contrastiveCenterOracle(features, labels, c, delta), centers);
    // The reduction sets the loss value only: the center step always sees the summed loss.
    const expected = centers.map((row, n) => row.map((v, t) => v - alpha * grad[n][t]));
    assertClose(after, expected, 1e-5, 'centers');
  });
}

/** The 'normalized' rule written as loops over samples and centers. */
function normalizedOracle(x: Points, y: number[], c: Points, alpha: number, delta: number): Points {
  const sq = (a: number[], b: number[]) => a.reduce((s, v, t) => s + (v - b[t]) ** 2, 0);
  const r = x.map((xi, i) => sq(xi, c[y[i]]) / (c.reduce((s, cj, j) => s + (j === y[i] ? 0 : sq(xi, cj)), 0) + delta));
  return c.map((cn, n) => {
    const num = cn.map(() => 0);
    let weight = 1;
    x.forEach((xi, i) => {
      const [w, sign] = y[i] === n ? [1, 1] : [r[i], -1];
      weight += w;
      cn.forEach((v, t) => (num[t] += sign * w * (v - xi[t])));
    });
    return cn.map((v, t) => v - (alpha * num[t]) / weight);
  });
}

test("contrastive-center: the 'normalized' step on a hand example equals its loop form", () => {
  const { features, labels, centers } = HAND;
  const [alpha, delta] = [0.4, 0.5];
  const after = centersAfterOneUpdate(
    'contrastive-center',
    { alpha, delta, centerUpdate: 'normalized' },
    centers,
    features,
    labels,
  );
  assertClose(after, normalizedOracle(features, labels, centers, alpha, delta), 1e-5, 'centers');
});

/**
 * Ten well-separated classes of 2-D-like features with norm ~20 (a LeNets++ feature scale),
 * a fresh batch of 32 each step, and centers from their uniform initialisation (norm ~1).
 * Center lag = mean_j ||c_j - mu_j|| / mean_j ||mu_j||, as the run summaries report it.
 */
function centerLagAfter(
  lossName: string,
  options: Record<string, unknown>,
  steps: number,
): { before: number; after: number } {
  const [k, d, m] = [10, 8, 32];
  const rng = new Rng(7);
  const means = Array.from({ length: k }, () => {
    const v = Array.from({ length: d }, () => rng.next() * 2 - 1);
    const norm = Math.hypot(...v);
    return v.map((t) => (20 * t) / norm);
  });
  const loss = createLoss(lossName, { numClasses: k, featureDim: d, seed: 3, ...options });
  const lag = () => {
    const c = read2d(loss.centers!.clone());
    const dist = means.reduce((s, mu, j) => s + Math.hypot(...mu.map((v, t) => v - c[j][t])), 0);
    return dist / means.reduce((s, mu) => s + Math.hypot(...mu), 0);
  };
  const before = lag();
  for (let s = 0; s < steps; s++) {
    const labels = Array.from({ length: m }, () => Math.floor(rng.next() * k));
    const feats = labels.map((j) => means[j].map((v) => v + (rng.next() * 2 - 1) * 3));
    const x = tf.tensor2d(feats) as tf.Tensor2D;
    const y = tf.tensor1d(labels, 'int32');
    loss.updateCenters(x, y);
    tf.dispose([x, y]);
  }
  const after = lag();
  loss.dispose();
  return { before, after };
}

for (const [name, options] of [
  ['center', {}],
  ['contrastive-center', { centerUpdate: 'normalized' }],
  ['contrastive-center', { centerUpdate: 'sgd' }],
] as const) {
  test(`${name} ${'centerUpdate' in options ? options.centerUpdate : ''}: 50 updates with the default alpha at least halve the center lag`, () => {
    const { before, after } = centerLagAfter(name, options, 50);
    assert.ok(before > 0.9, `starts far from the means (lag ${before.toFixed(3)})`);
    assert.ok(after <= before / 2, `center lag ${before.toFixed(3)} -> ${after.toFixed(3)}: the centers do not move`);
  });
}

test('contrastive-center with centerUpdate autodiff: updateCenters leaves the centers alone', () => {
  const loss = createLoss('contrastive-center', { numClasses: 4, featureDim: 2, seed: 1, centerUpdate: 'autodiff' });
  const before = read2d(loss.centers!.clone());
  const x = tf.tensor2d(HAND.features) as tf.Tensor2D;
  const y = tf.tensor1d(HAND.labels, 'int32');
  loss.updateCenters(x, y);
  assert.deepEqual(read2d(loss.centers!.clone()), before);
  tf.dispose([x, y]);
  loss.dispose();
});

test('centers are uniform in +-sqrt(3/d) and repeat for a seed', () => {
  const make = (seed: number) => createLoss('center', { numClasses: 50, featureDim: 12, seed });
  const [a, b, c] = [make(5), make(5), make(6)];
  const values = Array.from(a.centers!.dataSync());
  const limit = Math.sqrt(3 / 12);
  assert.ok(values.every((v) => Math.abs(v) <= limit));
  assert.ok(Math.max(...values) > 0.9 * limit && Math.min(...values) < -0.9 * limit, 'fills the range');
  assert.deepEqual(Array.from(b.centers!.dataSync()), values);
  assert.notDeepEqual(Array.from(c.centers!.dataSync()), values);
  for (const l of [a, b, c]) l.dispose();
});
