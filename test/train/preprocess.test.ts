import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config } from '../../src/config/schema.js';
import type { Dataset } from '../../src/data/types.js';
import { Preprocessor } from '../../src/train/preprocess.js';

function dataset(): Dataset {
  const count = 4;
  const images = Uint8Array.from({ length: count * 4 * 4 * 3 }, (_, i) => (i * 37) % 256);
  const split = { images, labels: Uint8Array.from([0, 1, 2, 3]), count };
  return {
    name: 'toy',
    imageShape: [4, 4, 3],
    numClasses: 4,
    classNames: ['a', 'b', 'c', 'd'],
    train: split,
    test: split,
    identity: { name: 'toy', source: 'test', files: [], trainSize: count, testSize: count },
  };
}

const base = { name: 'toy', subtractMean: false } as Config['dataset'];

test('mean subtraction centres every pixel over the training set, in the scaled units', () => {
  const p = new Preprocessor(dataset(), 'unit', { ...base, subtractMean: true }, 1);
  const { x } = p.inputs(dataset().train, Int32Array.from([0, 1, 2, 3]));
  for (let px = 0; px < 48; px++) {
    const sum = [0, 1, 2, 3].reduce((a, b) => a + x[b * 48 + px], 0);
    assert.ok(Math.abs(sum) < 1e-5, `pixel ${px}: ${sum}`);
  }
});

test('augmentation is seeded and its state restores exactly; evaluation is never augmented', () => {
  const options = { ...base, subtractMean: true, augment: { pad: 2, flip: true } };
  const a = new Preprocessor(dataset(), 'unit', options, 7);
  const b = new Preprocessor(dataset(), 'unit', options, 7);
  const idx = Int32Array.from([0, 1, 2, 3]);
  a.train(idx);
  b.setState(a.getState());
  assert.deepEqual(a.train(idx).x, b.train(idx).x);
  const plain = new Preprocessor(dataset(), 'unit', { ...base, subtractMean: true }, 7);
  assert.notDeepEqual(a.train(idx).x, plain.train(idx).x);
  assert.deepEqual(a.inputs(dataset().test, idx).x, plain.inputs(dataset().test, idx).x);
});
