// The feature diagnostics of issue 30 against plain loops on hand-placed 2-D points: the mean
// feature norm, mean A_i and B_i, and the ratio of the contrastive-center term's feature gradient
// to softmax's; and trainStep reports them only when asked, without leaking tensors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { createLoss } from '../../src/losses/index.js';
import { diagnoseFeatures } from '../../src/train/diagnose.js';
import { Sgd } from '../../src/train/optimizer.js';
import { trainStep } from '../../src/train/step.js';

const X = [
  [1, 0],
  [0, 2],
  [-1, -1],
  [3, 1],
];
const Y = [0, 1, 2, 0];
const C = [
  [1, 1],
  [-1, 2],
  [0, -2],
];
const W = [
  [0.5, -0.2, 0.1],
  [0.3, 0.4, -0.6],
];
const [m, k, d] = [X.length, C.length, 2];
const sq = (u: number[], v: number[]) => u.reduce((s, ui, i) => s + (ui - v[i]) ** 2, 0);
const norm = (rows: number[][]) => Math.sqrt(rows.flat().reduce((s, v) => s + v * v, 0));

/** dL_softmax/dX of the mean cross-entropy of X W (no bias), by loops. */
function softmaxGrad(): number[][] {
  return X.map((x, i) => {
    const logits = [0, 1, 2].map((j) => x[0] * W[0][j] + x[1] * W[1][j]);
    const top = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - top));
    const p = e.map((v) => v / e.reduce((a, b) => a + b, 0));
    return [0, 1].map((r) => p.reduce((s, pj, j) => s + (pj - (j === Y[i] ? 1 : 0)) * W[r][j], 0) / m);
  });
}

/** lambda dL_ctc/dX for L_ctc = 1/(2m) sum A_i / B_i, by loops. */
function auxGrad(lambda: number, delta: number): { grad: number[][]; a: number[]; b: number[] } {
  const a = X.map((x, i) => sq(x, C[Y[i]]));
  const b = X.map((x, i) => C.reduce((s, c, j) => s + (j === Y[i] ? 0 : sq(x, c)), 0) + delta);
  const grad = X.map((x, i) =>
    [0, 1].map((r) => {
      const push = C.reduce((s, c, j) => s + (j === Y[i] ? 0 : x[r] - c[r]), 0);
      return (lambda / m) * ((x[r] - C[Y[i]][r]) / b[i] - (a[i] / b[i] ** 2) * push);
    }),
  );
  return { grad, a, b };
}

function headModel(): tf.LayersModel {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: k, inputShape: [d], useBias: false, name: 'logits' })],
  });
  model.getLayer('logits').setWeights([tf.tensor2d(W)]);
  return model;
}

test('feature norm, A, B and the aux / softmax gradient ratio match plain loops', async () => {
  await tf.setBackend('cpu');
  const model = headModel();
  const loss = createLoss('contrastive-center', {
    numClasses: k,
    featureDim: d,
    seed: 1,
    lambda: 3,
    delta: 1,
    reduction: 'mean',
  });
  loss.centers!.assign(tf.tensor2d(C));
  const features = tf.tensor2d(X);
  const labels = tf.tensor1d(Y, 'int32');
  const before = tf.memory().numTensors;
  const got = await diagnoseFeatures(model, loss, features, labels);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  const { grad, a, b } = auxGrad(3, 1);
  const close = (x: number | undefined, y: number, what: string) =>
    assert.ok(x !== undefined && Math.abs(x - y) <= 1e-5 * Math.max(1, Math.abs(y)), `${what}: ${x} against ${y}`);
  close(got.featureNorm, X.reduce((s, x) => s + Math.hypot(...x), 0) / m, 'feature norm');
  close(got.a, a.reduce((s, v) => s + v, 0) / m, 'mean A');
  close(got.b, b.reduce((s, v) => s + v, 0) / m, 'mean B');
  close(got.auxGradRatio, norm(grad) / norm(softmaxGrad()), 'gradient ratio');
  // Softmax alone has no centers: only the norm.
  const plain = createLoss('softmax', { numClasses: k, featureDim: d, seed: 1 });
  assert.deepEqual(Object.keys(await diagnoseFeatures(model, plain, features, labels)), ['featureNorm']);
  tf.dispose([features, labels]);
  loss.dispose();
  model.dispose();
});

test('scaling features and centers by 10 leaves A/B alone and cuts the feature gradient of the term 10-fold', () => {
  // The mechanism issue 30 suspects, on the oracle itself: A_i / B_i is scale-free (delta aside).
  const scaled = (s: number) => {
    const saved = { X: X.map((r) => [...r]), C: C.map((r) => [...r]) };
    X.forEach((r) => r.forEach((_, i) => (r[i] *= s)));
    C.forEach((r) => r.forEach((_, i) => (r[i] *= s)));
    const out = auxGrad(1, 1e-9);
    X.splice(0, m, ...saved.X);
    C.splice(0, k, ...saved.C);
    return out;
  };
  const one = scaled(1);
  const ten = scaled(10);
  one.a.forEach((a, i) => assert.ok(Math.abs(a / one.b[i] - ten.a[i] / ten.b[i]) < 1e-9));
  assert.ok(Math.abs(norm(ten.grad) * 10 - norm(one.grad)) < 1e-9 * norm(one.grad) + 1e-12);
});

test('trainStep reports the diagnostics only when asked, and leaks no tensor either way', async () => {
  await tf.setBackend('cpu');
  const input = tf.input({ shape: [3] });
  const features = tf.layers.dense({ units: d, name: 'features' }).apply(input) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: k, name: 'logits' }).apply(features) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [features, logits] });
  const loss = createLoss('contrastive-center', { numClasses: k, featureDim: d, seed: 1 });
  const sgd = new Sgd(
    model.trainableWeights.map((w) => w.read() as tf.Variable),
    { momentum: 0.9, weightDecay: 0 },
  );
  const x = tf.randomNormal([8, 3], 0, 1, 'float32', 1);
  const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
  const before = tf.memory().numTensors;
  const quiet = await trainStep(model, loss, sgd, x, y, 0.01);
  assert.ok(quiet.ok && quiet.diagnostics === undefined);
  const asked = await trainStep(model, loss, sgd, x, y, 0.01, false, true);
  assert.ok(asked.ok && asked.diagnostics, 'diagnostics returned');
  assert.ok(asked.diagnostics.featureNorm > 0 && asked.diagnostics.auxGradRatio! > 0 && asked.diagnostics.b! > 0);
  assert.equal(tf.memory().numTensors, before, 'no tensor growth across the steps');
  tf.dispose([x, y]);
});

test("reduction 'sum' with lambda is 'mean' with lambda x batch for the features: the same gradient ratio", async () => {
  // Issue 30 treats sum as a point on the lambda axis rather than an axis of its own; this checks it.
  await tf.setBackend('cpu');
  const model = headModel();
  const features = tf.tensor2d(X);
  const labels = tf.tensor1d(Y, 'int32');
  const ratio = async (reduction: 'sum' | 'mean', lambda: number) => {
    const loss = createLoss('contrastive-center', { numClasses: k, featureDim: d, seed: 1, lambda, reduction });
    loss.centers!.assign(tf.tensor2d(C));
    const r = (await diagnoseFeatures(model, loss, features, labels)).auxGradRatio!;
    loss.dispose();
    return r;
  };
  const sum = await ratio('sum', 0.5);
  const mean = await ratio('mean', 0.5 * m);
  assert.ok(Math.abs(sum - mean) <= 1e-6 * mean, `sum ${sum} against mean x ${m} ${mean}`);
  assert.ok(Math.abs((await ratio('mean', 0.5)) * m - sum) <= 1e-6 * sum, 'and mean alone is m times smaller');
  tf.dispose([features, labels]);
  model.dispose();
});
