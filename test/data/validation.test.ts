// The validation split: held out of the training set by the seed, disjoint from what is trained
// on, the same for the same seed, different for another, and bad sizes are one-line errors.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dataset } from '../../src/data/types.js';
import { holdOutValidation } from '../../src/data/run-dataset.js';
import { UserError } from '../../src/errors.js';

/** 100 one-pixel images whose pixel is their index, labels index % 10. */
function tiny(): Dataset {
  const images = Uint8Array.from({ length: 100 }, (_, i) => i);
  const labels = Uint8Array.from({ length: 100 }, (_, i) => i % 10);
  const split = { images, labels, count: 100 };
  return {
    name: 'tiny',
    imageShape: [1, 1, 1],
    numClasses: 10,
    classNames: [],
    train: split,
    test: split,
    identity: { name: 'tiny', source: 'test', files: [], trainSize: 100, testSize: 100 },
  };
}

test('validation images are held out of training, per seed, with their labels', () => {
  const a = holdOutValidation(tiny(), 20, 1);
  assert.equal(a.train.count, 80);
  assert.equal(a.validation?.count, 20);
  assert.equal(a.identity.trainSize, 80);
  assert.equal(a.identity.validationSize, 20);
  const held = Array.from(a.validation!.images);
  const kept = Array.from(a.train.images);
  assert.deepEqual(
    [...held, ...kept].sort((x, y) => x - y),
    Array.from({ length: 100 }, (_, i) => i),
    'a partition of the training set',
  );
  assert.ok(
    held.every((v, i) => a.validation!.labels[i] === v % 10),
    'labels travel with their images',
  );
  assert.deepEqual(
    Array.from(holdOutValidation(tiny(), 20, 1).validation!.images),
    held,
    'the same seed holds out the same images',
  );
  assert.notDeepEqual(
    Array.from(holdOutValidation(tiny(), 20, 2).validation!.images),
    held,
    'another seed, other images',
  );
  assert.notDeepEqual(
    held,
    Array.from({ length: 20 }, (_, i) => i),
    'not simply the first images',
  );
});

test('a validation split as large as the training set is a UserError naming the key', () => {
  assert.throws(
    () => holdOutValidation(tiny(), 100, 1),
    (e: unknown) => e instanceof UserError && /dataset\.validation: 100 images would leave none/.test(e.message),
  );
  assert.throws(
    () => holdOutValidation(tiny(), 0, 1),
    (e: unknown) => e instanceof UserError && /dataset\.validation must be a positive integer/.test(e.message),
  );
});
