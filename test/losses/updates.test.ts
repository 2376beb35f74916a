// The centers' own update rules: Wen et al.'s for center loss on a hand example, and the
// contrastive-center SGD step c <- c - alpha dL_ctc/dc against the loop oracle's gradient.

import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createLoss } from '../../src/losses/index.js';
import { HAND, assertClose, contrastiveCenterOracle, finiteDifferences, read2d, useBackend } from './oracle.js';

before(async () => {
  await useBackend('cpu');
});

test("center loss: Wen et al.'s update on a hand example", () => {
  const loss = createLoss('center', { numClasses: 3, featureDim: 2, seed: 1, alpha: 0.5 });
  loss.centers!.assign(tf.tensor2d([[0, 0], [1, 1], [2, 2]]));
  const x = tf.tensor2d([[1, 0], [0, 1], [3, 3]]) as tf.Tensor2D;
  const y = tf.tensor1d([0, 0, 1], 'int32');
  loss.updateCenters(x, y);
  // class 0: n = 2, delta = ((0-1) + (0-0), (0-0) + (0-1)) / 3 = (-1/3, -1/3), c <- c - 0.5 delta
  // class 1: n = 1, delta = (1-3, 1-3) / 2 = (-1, -1); class 2 is absent and stays
  assertClose(read2d(loss.centers!.clone()), [[1 / 6, 1 / 6], [1.5, 1.5], [2, 2]], 1e-6, 'centers');
  tf.dispose([x, y]);
  loss.dispose();
});

for (const reduction of ['mean', 'sum'] as const) {
  test(`contrastive-center (${reduction}): SGD step equals c - alpha * oracle gradient`, () => {
    const { features, labels, centers } = HAND;
    const [alpha, delta, m] = [0.3, 0.5, features.length];
    const loss = createLoss('contrastive-center', { numClasses: 4, featureDim: 2, seed: 1, alpha, delta, reduction });
    loss.centers!.assign(tf.tensor2d(centers));
    const x = tf.tensor2d(features) as tf.Tensor2D;
    const y = tf.tensor1d(labels, 'int32');
    loss.updateCenters(x, y);
    const grad = finiteDifferences((c) => contrastiveCenterOracle(features, labels, c, delta), centers);
    const per = reduction === 'mean' ? m : 1;
    const expected = centers.map((row, n) => row.map((v, t) => v - (alpha * grad[n][t]) / per));
    assertClose(read2d(loss.centers!.clone()), expected, 1e-5, 'centers');
    tf.dispose([x, y]);
    loss.dispose();
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
