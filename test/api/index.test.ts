// The package's public entry point exposes a working library: a user's own tfjs code can call
// the losses and build the networks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as ctc from '../../src/index.js';

test('the public API computes the paper losses and builds the networks', async () => {
  await ctc.initBackend('cpu');
  const features = tf.tensor2d([[1, 0], [0, 2]]);
  const labels = tf.tensor1d([0, 1], 'int32');
  const centers = tf.tensor2d([[0, 0], [0, 1]]);
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
