// Output shapes and parameter counts of each network against counts written out by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildModel, featureDimOf } from '../../src/models/index.js';
import { UserError } from '../../src/errors.js';

await tf.setBackend('cpu');

function trainableCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b as number), 1), 0);
}

test('lenets: shapes and parameter count', () => {
  const model = buildModel('lenets', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const conv1 = 5 * 5 * 1 * 20 + 20;
  const conv2 = 5 * 5 * 20 * 50 + 50;
  const ip1 = 4 * 4 * 50 * 500 + 500;
  const ip2 = 500 * 10 + 10;
  assert.equal(trainableCount(model), conv1 + conv2 + ip1 + ip2); // 431,080
  const [features, logits] = model.predict(tf.zeros([3, 28, 28, 1])) as tf.Tensor[];
  assert.deepEqual(features.shape, [3, 500]);
  assert.deepEqual(logits.shape, [3, 10]);
  assert.equal(featureDimOf(model), 500);
  tf.dispose([features, logits]);
  model.dispose();
});

test('lenetspp: shapes, parameter count, PReLU slopes start at 0.25, logits without bias', () => {
  const model = buildModel('lenetspp', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const conv = (cin: number, cout: number) => 5 * 5 * cin * cout + cout + cout; // + PReLU slopes
  const convs = conv(1, 32) + conv(32, 32) + conv(32, 64) + conv(64, 64) + conv(64, 128) + conv(128, 128);
  const ip1 = 3 * 3 * 128 * 2 + 2 + 2; // pool3 3/2 takes 7x7 to 3x3; + PReLU slopes
  const ip2 = 2 * 10; // no bias
  assert.equal(trainableCount(model), convs + ip1 + ip2);
  const prelu = model.getLayer('prelu2_1').getWeights()[0];
  assert.deepEqual(prelu.shape, [1, 1, 64]);
  assert.ok(Array.from(prelu.dataSync()).every((v) => v === 0.25));
  assert.equal(model.getLayer('logits').getWeights().length, 1);
  const [features, logits] = model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor[];
  assert.deepEqual(features.shape, [2, 2]);
  assert.deepEqual(logits.shape, [2, 10]);
  tf.dispose([features, logits]);
  model.dispose();
});

test('lenetspp: pool3 = 2 also gives 3x3 before the feature layer', () => {
  const model = buildModel('lenetspp', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 }, { pool3: 2 });
  assert.deepEqual(model.getLayer('pool3').outputShape, [null, 3, 3, 128]);
  model.dispose();
});

test('resnet20: shapes and parameter count (about 0.27 M)', () => {
  const model = buildModel('resnet20', { inputShape: [32, 32, 3], numClasses: 10, seed: 1 });
  const c = (cin: number, cout: number) => 3 * 3 * cin * cout;
  const bn = (ch: number) => 2 * ch; // trainable gamma and beta
  const stem = c(3, 16) + bn(16);
  const stage1 = 6 * (c(16, 16) + bn(16));
  const stage2 = c(16, 32) + 5 * c(32, 32) + 6 * bn(32);
  const stage3 = c(32, 64) + 5 * c(64, 64) + 6 * bn(64);
  const head = 64 * 10 + 10;
  const expected = stem + stage1 + stage2 + stage3 + head;
  assert.equal(trainableCount(model), expected); // 269,722
  assert.equal(expected, 269722);
  const [features, logits] = model.predict(tf.zeros([2, 32, 32, 3])) as tf.Tensor[];
  assert.deepEqual(features.shape, [2, 64]);
  assert.deepEqual(logits.shape, [2, 10]);
  assert.deepEqual(model.getLayer('stage3_block1_shortcut').outputShape, [null, 8, 8, 64]);
  tf.dispose([features, logits]);
  model.dispose();
});

test('the same seed gives the same initial weights, another seed different ones', () => {
  const weights = (seed: number) => {
    const m = buildModel('lenets', { inputShape: [28, 28, 1], numClasses: 10, seed });
    const w = Array.from(m.getLayer('conv2').getWeights()[0].dataSync());
    m.dispose();
    return w;
  };
  assert.deepEqual(weights(7), weights(7));
  assert.notDeepEqual(weights(7), weights(8));
});

test('unknown model names and bad options are user errors', () => {
  assert.throws(
    () => buildModel('lenet', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 }),
    (e: unknown) => {
      return e instanceof UserError && /did you mean 'lenets'/.test(e.message);
    },
  );
  assert.throws(
    () => buildModel('lenetspp', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 }, { pool3: 4 }),
    /model.pool3 must be 2 or 3/,
  );
});
