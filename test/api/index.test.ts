// The package's public entry point exposes a working library: a user's own tfjs code can call
// the losses and build the networks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as ctc from '../../src/index.js';

test('the public API computes the paper losses and builds the networks', async () => {
  await ctc.initBackend('cpu');
  const features = tf.tensor2d([
    [1, 0],
    [0, 2],
  ]);
  const labels = tf.tensor1d([0, 1], 'int32');
  const centers = tf.tensor2d([
    [0, 0],
    [0, 1],
  ]);
  // Sample 0: A = 1, B = ||(1,0)-(0,1)||^2 + 1 = 3; sample 1: A = 1, B = 4 + 1 = 5.
  const expected = 0.5 * (1 / 3 + 1 / 5);
  const got = (await ctc.contrastiveCenterLoss(features, labels, centers, { reduction: 'sum' }).data())[0];
  assert.ok(Math.abs(got - expected) < 1e-6, `${got} vs ${expected}`);
  const center = (await ctc.centerLoss(features, labels, centers, { reduction: 'sum' }).data())[0];
  assert.ok(Math.abs(center - 1) < 1e-6);
  const model = ctc.buildModel('lenetspp', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  assert.equal(ctc.featureDimOf(model), 2);
  model.dispose();
  assert.deepEqual(Object.keys(ctc.LOSSES).sort(), ['center', 'contrastive-center', 'softmax']);
});

test('the entry exports the documented API and no internals', () => {
  const names = Object.keys(ctc).sort();
  assert.deepEqual(names, [
    'BACKEND_CHOICES',
    'BatchStream',
    'CENTER_UPDATES',
    'DATASETS',
    'LOSSES',
    'MODELS',
    'Sgd',
    'UserError',
    'buildModel',
    'centerLoss',
    'centerMetrics',
    'contrastiveCenterLoss',
    'createLoss',
    'featureDimOf',
    'getLossSpec',
    'getModelSpec',
    'initBackend',
    'loadConfig',
    'loadDataset',
    'normalizedCenterStep',
    'parseConfig',
    'softmaxCrossEntropy',
    'trainRun',
    'trainStep',
    'wenCenterStep',
  ]);
  for (const internal of ['installWasmGradients', 'makeBatch', 'parseIdx', 'readIdxFile'])
    assert.ok(!(internal in ctc), internal);
});

test('one public training step lowers the loss and moves the contrastive-center centers', async () => {
  await ctc.initBackend('cpu');
  // LeNets on 16x16 images with 8-D features: a step takes milliseconds on the cpu backend.
  const model = ctc.buildModel('lenets', { inputShape: [16, 16, 1], numClasses: 4, seed: 3 }, { featureDim: 8 });
  const loss = ctc.createLoss('contrastive-center', {
    numClasses: 4,
    featureDim: ctc.featureDimOf(model),
    seed: 3,
    alpha: 0.5,
  });
  const sgd = new ctc.Sgd(
    model.trainableWeights.map((w) => w.read() as tf.Variable),
    { momentum: 0.9, weightDecay: 0 },
  );
  const x = tf.randomNormal([16, 16, 16, 1], 0, 1, 'float32', 5);
  const y = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 'int32');
  const before = (await loss.centers?.data()) as Float32Array;
  const centersBefore = Float32Array.from(before);
  const first = await ctc.trainStep(model, loss, sgd, x, y, 0.01);
  let last = first;
  for (let i = 0; i < 5; i++) last = await ctc.trainStep(model, loss, sgd, x, y, 0.01);
  assert.ok(first.ok && last.ok);
  assert.ok(last.terms.total < first.terms.total, `${last.terms.total} < ${first.terms.total}`);
  const after = (await loss.centers?.data()) as Float32Array;
  assert.ok(
    after.some((v, i) => Math.abs(v - centersBefore[i]) > 1e-4),
    'the centers moved',
  );
  tf.dispose([x, y]);
  loss.dispose();
  model.dispose();
});
