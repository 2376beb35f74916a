// ctc's two options on contrastive-center loss for the ablation (issue 30), against hand values:
// `warmup` raises lambda linearly over the first iterations (the loop calls setIteration), and
// `normPenalty` adds normPenalty/2 * mean ||x_i||^2 with its gradient normPenalty * x_i / m.
// At their defaults the loss is the plain one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { createLoss, lossLabel } from '../../src/losses/index.js';

const X = [
  [1, 0],
  [0, 2],
  [-1, -1],
  [3, 1],
];
const Y = [0, 1, 2, 0];
const LOGITS = [
  [0.5, -0.2, 0.1],
  [0.3, 0.4, -0.6],
  [0, 0, 0],
  [1, 2, 3],
];
const dims = { numClasses: 3, featureDim: 2, seed: 1 };

/** total - softmax, and the aux term, for one batch. */
function terms(settings: Record<string, number | string>, iteration?: number) {
  const loss = createLoss('contrastive-center', { ...dims, lambda: 2, ...settings });
  if (iteration !== undefined) loss.setIteration?.(iteration);
  const t = tf.tidy(() => {
    const r = loss.compute(tf.tensor2d(X), tf.tensor2d(LOGITS), tf.tensor1d(Y, 'int32'));
    return [r.total.dataSync()[0] - r.softmax.dataSync()[0], (r.aux as tf.Scalar).dataSync()[0]];
  });
  loss.dispose();
  return { extra: t[0], aux: t[1] };
}

test('warmup: lambda rises as (iteration + 1) / warmup, then stays', async () => {
  await tf.setBackend('cpu');
  const plain = terms({});
  assert.ok(Math.abs(plain.extra - 2 * plain.aux) < 1e-6, 'no warm-up: lambda * aux');
  for (const [iteration, share] of [
    [0, 1 / 4],
    [1, 2 / 4],
    [3, 1],
    [100, 1],
  ]) {
    const t = terms({ warmup: 4 }, iteration);
    assert.ok(Math.abs(t.aux - plain.aux) < 1e-7, 'the term itself is unchanged');
    assert.ok(Math.abs(t.extra - 2 * share * plain.aux) < 1e-6, `iteration ${iteration}: ${t.extra}`);
  }
});

test('normPenalty: adds normPenalty/2 * mean ||x||^2, and its gradient normPenalty * x / m', async () => {
  await tf.setBackend('cpu');
  const meanSq = X.reduce((s, [a, b]) => s + a * a + b * b, 0) / X.length; // (1 + 4 + 2 + 10) / 4
  const plain = terms({});
  const penalised = terms({ normPenalty: 0.1 });
  assert.ok(Math.abs(penalised.extra - plain.extra - 0.05 * meanSq) < 1e-6, `${penalised.extra - plain.extra}`);
  const grad = (normPenalty: number) => {
    const loss = createLoss('contrastive-center', { ...dims, lambda: 2, normPenalty });
    const g = tf.grad((f) => loss.compute(f as tf.Tensor2D, tf.tensor2d(LOGITS), tf.tensor1d(Y, 'int32')).total)(
      tf.tensor2d(X),
    );
    const values = Array.from(g.dataSync());
    loss.dispose();
    return values;
  };
  const without = grad(0);
  const withPenalty = grad(0.1);
  const want = X.flat().map((v) => (0.1 * v) / X.length);
  withPenalty.forEach((v, i) => assert.ok(Math.abs(v - without[i] - want[i]) < 1e-6, `entry ${i}`));
});

test('the options reach the run: resolved settings and the table label name them only when set', () => {
  const loss = createLoss('contrastive-center', { ...dims, warmup: 500, normPenalty: 0.01 });
  assert.equal(loss.hyper.warmup, 500);
  assert.equal(loss.hyper.normPenalty, 0.01);
  loss.dispose();
  assert.throws(() => createLoss('contrastive-center', { ...dims, warmup: -1 }), /loss\.warmup must be >= 0, got -1/);
  assert.equal(lossLabel({ name: 'contrastive-center', lambda: 1, warmup: 0, normPenalty: 0 }), 'contrastive-center');
  assert.equal(
    lossLabel({ name: 'contrastive-center', lambda: 10, warmup: 500, normPenalty: 0.01 }),
    'contrastive-center [lambda=10, warmup=500, normPenalty=0.01]',
  );
});
