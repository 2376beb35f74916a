// Every registered loss, on cpu and on wasm: scalar finite terms, finite gradients reaching
// the features (and the centers when they are trained by autodiff), centers that move after
// an update, no tensor leak, variables freed on dispose. Then the registry's user errors.

import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { LOSSES, createLoss, type LossOptions, type TrainingLoss } from '../../src/losses/index.js';
import { useBackend } from './oracle.js';

const BASE: LossOptions = { numClasses: 5, featureDim: 3, seed: 7 };
const VARIANTS: Array<[string, Partial<LossOptions>]> = [
  ...Object.keys(LOSSES).map((name): [string, Partial<LossOptions>] => [name, {}]),
  ['contrastive-center', { centerUpdate: 'autodiff', reduction: 'sum' }],
  ['contrastive-center', { centerUpdate: 'sgd' }],
  ['center', { reduction: 'sum', lambda: 0 }],
];

/** A stand-in for the network's classifier head, so the softmax term depends on the features. */
const HEAD = tf.randomNormal([3, 5], 0, 1, 'float32', 2) as tf.Tensor2D;

function batch() {
  const features = tf.randomNormal([6, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
  const labels = tf.tensor1d([0, 1, 1, 4, 2, 0], 'int32');
  return { features, logits: tf.matMul(features, HEAD) as tf.Tensor2D, labels };
}

function allFinite(t: tf.Tensor): boolean {
  return Array.from(t.dataSync()).every(Number.isFinite);
}

function checkLoss(loss: TrainingLoss, name: string, extra: Partial<LossOptions>): void {
  const { features, logits, labels } = batch();
  assert.equal(loss.name, name);
  if (name !== 'softmax') assert.deepEqual(loss.centers!.shape, [5, 3]);

  const terms = tf.tidy(() => {
    const { total, softmax, aux } = loss.compute(features, logits, labels);
    return [total, softmax, aux ?? tf.scalar(NaN)];
  });
  assert.equal(terms[0].rank, 0, 'total is a scalar');
  assert.ok(allFinite(terms[0]) && allFinite(terms[1]), 'finite total and softmax');
  assert.equal(name === 'softmax', Number.isNaN(terms[2].dataSync()[0]), 'aux is null exactly for softmax');
  tf.dispose(terms);

  const [featureGrad] = tf.tidy(() =>
    tf.grads((f: tf.Tensor) => loss.compute(f as tf.Tensor2D, tf.matMul(f, HEAD), labels).total)([features]),
  );
  assert.ok(allFinite(featureGrad), 'finite gradient w.r.t. the features');
  featureGrad.dispose();

  const trainable = loss.trainableVariables();
  if (extra.centerUpdate === 'autodiff') {
    assert.deepEqual(trainable, [loss.centers]);
    const { value, grads: vg } = tf.variableGrads(() => loss.compute(features, logits, labels).total, trainable);
    const g = vg[loss.centers!.name];
    const largest = tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]);
    assert.ok(allFinite(g) && largest > 0, 'gradient reaches the centers');
    tf.dispose([value, g]);
  } else {
    assert.deepEqual(trainable, []);
  }

  // One training-style cycle must not grow the tensor count (warm up once: tfjs caches scalars).
  const cycle = (): void => {
    tf.tidy(() => {
      loss.compute(features, logits, labels);
    });
    loss.updateCenters(features, labels);
  };
  cycle();
  const before = loss.centers ? Array.from(loss.centers.dataSync()) : [];
  const count = tf.memory().numTensors;
  cycle();
  assert.equal(tf.memory().numTensors, count, 'no tensor leak in compute + updateCenters');
  if (loss.centers) {
    const moved = Array.from(loss.centers.dataSync()).some((v, i) => v !== before[i]);
    assert.equal(moved, extra.centerUpdate !== 'autodiff', 'updateCenters moves the centers unless autodiff');
  }
  tf.dispose([features, logits, labels]);
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`loss registry on ${backend}`, () => {
    let skip: string | null = null;
    before(async () => {
      skip = await useBackend(backend);
    });
    for (const [name, extra] of VARIANTS) {
      test(`${name} ${JSON.stringify(extra)}`, (t) => {
        if (skip) return t.skip(skip);
        const start = tf.memory().numTensors;
        const loss = createLoss(name, { ...BASE, ...extra });
        checkLoss(loss, name, extra);
        loss.dispose();
        assert.equal(tf.memory().numTensors, start, 'dispose frees the centers');
      });
    }
  });
}

test('resolved hyperparameters are reported with their defaults', () => {
  assert.deepEqual(createLoss('softmax', BASE).hyper, {});
  const center = createLoss('center', BASE);
  assert.deepEqual(center.hyper, { lambda: 0.01, alpha: 0.5, reduction: 'mean' });
  const ctc = createLoss('contrastive-center', { ...BASE, lambda: 0.1 });
  assert.deepEqual(ctc.hyper, {
    lambda: 0.1,
    alpha: 0.5,
    delta: 1,
    reduction: 'mean',
    centerUpdate: 'normalized',
    warmup: 0,
    normPenalty: 0,
  });
  center.dispose();
  ctc.dispose();
});

test('an unknown loss name is a UserError listing the known names', () => {
  assert.throws(
    () => createLoss('contrastive_centre', BASE),
    (err: unknown) =>
      err instanceof UserError &&
      /did you mean 'contrastive-center'\?/.test(err.message) &&
      /known: softmax, center, contrastive-center/.test(err.message),
  );
  assert.throws(
    () => createLoss('triplet', BASE),
    (err: unknown) => err instanceof UserError && !/did you mean/.test(err.message),
  );
  assert.throws(() => createLoss('toString', BASE), UserError);
});

test('invalid hyperparameters are UserErrors naming the key', () => {
  const cases: Array<[string, Partial<LossOptions>, RegExp]> = [
    ['center', { alpha: -1 }, /^loss\.alpha must be > 0, got -1$/],
    ['contrastive-center', { alpha: 0 }, /loss\.alpha must be > 0, got 0/],
    ['center', { lambda: -0.5 }, /loss\.lambda must be >= 0, got -0.5/],
    ['contrastive-center', { lambda: NaN }, /loss\.lambda must be a finite number, got NaN/],
    ['contrastive-center', { delta: 0 }, /loss\.delta must be > 0, got 0/],
    ['contrastive-center', { delta: Infinity }, /loss\.delta must be a finite number/],
    ['center', { reduction: 'avg' as never }, /loss\.reduction must be one of mean, sum, got 'avg'/],
    [
      'contrastive-center',
      { centerUpdate: 'adam' as never },
      /loss\.centerUpdate must be one of normalized, sgd, autodiff/,
    ],
    ['softmax', { numClasses: 0 }, /loss\.numClasses must be a positive integer, got 0/],
    ['center', { featureDim: 2.5 }, /loss\.featureDim must be a positive integer/],
  ];
  for (const [name, extra, pattern] of cases) {
    assert.throws(
      () => createLoss(name, { ...BASE, ...extra }),
      (err: unknown) => err instanceof UserError && pattern.test(err.message),
      `${name} ${JSON.stringify(extra)}`,
    );
  }
});

test('autodiff centers train through the network optimizer without leaking', async () => {
  await useBackend('cpu');
  const loss = createLoss('contrastive-center', { ...BASE, centerUpdate: 'autodiff' });
  const { features, logits, labels } = batch();
  const optimizer = tf.train.sgd(0.1);
  const step = (): void => {
    const cost = optimizer.minimize(
      () => loss.compute(features, logits, labels).total,
      true,
      loss.trainableVariables(),
    );
    cost?.dispose();
  };
  step();
  const before = Array.from(loss.centers!.dataSync());
  const count = tf.memory().numTensors;
  step();
  assert.equal(tf.memory().numTensors, count, 'no tensor leak per step');
  assert.ok(
    Array.from(loss.centers!.dataSync()).some((v, i) => v !== before[i]),
    'the optimizer moved the centers',
  );
  optimizer.dispose();
  loss.dispose();
  tf.dispose([features, logits, labels]);
});
