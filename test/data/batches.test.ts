import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { BatchStream, evalBatches, makeBatch, scalePixels } from '../../src/data/batches.js';
import type { Split } from '../../src/data/types.js';

/** n 2x2x1 images whose pixels all equal the example's index; label = index % 10. */
function fakeSplit(n: number): Split {
  const images = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) images.fill(i, i * 4, i * 4 + 4);
  return { images, labels: Uint8Array.from({ length: n }, (_, i) => i % 10), count: n };
}

const take = (stream: BatchStream, batches: number) => Array.from({ length: batches }, () => stream.nextBatch());
const flat = (batches: { indices: Int32Array }[]) => batches.flatMap((b) => [...b.indices]);

test('scalePixels maps 0 and 255 per scaling', () => {
  const src = Uint8Array.from([0, 255, 128]);
  assert.deepEqual([...scalePixels(src, 'div256')], [0, Math.fround(255 / 256), 0.5]);
  assert.deepEqual(
    [...scalePixels(src, 'center128')],
    [Math.fround(-127.5 / 128), Math.fround(127.5 / 128), Math.fround(0.5 / 128)],
  );
  assert.deepEqual([...scalePixels(src, 'unit')], [0, 1, Math.fround(128 / 255)]);
  const out = new Float32Array(3);
  assert.equal(scalePixels(src, 'unit', out), out);
  assert.throws(() => scalePixels(src, 'unit', new Float32Array(2)), RangeError);
  assert.throws(() => scalePixels(src, 'bogus' as 'unit'), UserError);
});

test('same seed gives the same order, another seed another order', () => {
  const split = fakeSplit(100);
  const run = (seed: number) => flat(take(new BatchStream(split, { batchSize: 10, seed, shuffle: true }), 20));
  assert.deepEqual(run(1), run(1));
  assert.notDeepEqual(run(1), run(2));
  const unshuffled = flat(take(new BatchStream(split, { batchSize: 10, seed: 1, shuffle: false }), 10));
  assert.deepEqual(
    unshuffled,
    Array.from({ length: 100 }, (_, i) => i),
  );
});

test('every index appears exactly once per epoch and epochs are reshuffled', () => {
  const split = fakeSplit(96);
  const stream = new BatchStream(split, { batchSize: 8, seed: 7, shuffle: true });
  assert.equal(stream.batchesPerEpoch, 12);
  const epochs: number[][] = [];
  for (let e = 0; e < 3; e++) {
    const batches = take(stream, 12);
    assert.deepEqual(
      batches.map((b) => [b.epoch, b.step]),
      Array.from({ length: 12 }, (_, s) => [e, s]),
    );
    const order = flat(batches);
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      Array.from({ length: 96 }, (_, i) => i),
    );
    epochs.push(order);
  }
  assert.notDeepEqual(epochs[0], epochs[1]);
  assert.notDeepEqual(epochs[1], epochs[2]);
});

test('dropLast skips the short batch; without it the last batch is short', () => {
  const split = fakeSplit(10);
  const dropping = new BatchStream(split, { batchSize: 4, seed: 3, shuffle: true });
  assert.equal(dropping.batchesPerEpoch, 2);
  const d = take(dropping, 3);
  assert.deepEqual(
    d.map((b) => [b.indices.length, b.epoch, b.step]),
    [
      [4, 0, 0],
      [4, 0, 1],
      [4, 1, 0],
    ],
  );

  const keeping = new BatchStream(split, { batchSize: 4, seed: 3, shuffle: true, dropLast: false });
  assert.equal(keeping.batchesPerEpoch, 3);
  const k = take(keeping, 4);
  assert.deepEqual(
    k.map((b) => [b.indices.length, b.epoch, b.step]),
    [
      [4, 0, 0],
      [4, 0, 1],
      [2, 0, 2],
      [4, 1, 0],
    ],
  );
  assert.deepEqual(
    flat(k.slice(0, 3)).sort((a, b) => a - b),
    Array.from({ length: 10 }, (_, i) => i),
  );

  assert.throws(() => new BatchStream(split, { batchSize: 11, seed: 1, shuffle: true }), UserError);
  assert.throws(() => new BatchStream(split, { batchSize: 0, seed: 1, shuffle: true }), UserError);
});

test('state saved mid-epoch (and at an epoch end) resumes the identical order', () => {
  const split = fakeSplit(50);
  const opts = { batchSize: 8, seed: 42, shuffle: true };
  for (const saveAfter of [3, 6, 13]) {
    const original = new BatchStream(split, opts);
    take(original, saveAfter);
    const state = JSON.parse(JSON.stringify(original.getState()));
    const expected = take(original, 20);

    const resumed = new BatchStream(split, { ...opts, seed: 999 });
    take(resumed, 2);
    resumed.setState(state);
    assert.deepEqual(take(resumed, 20), expected, `saved after ${saveAfter} batches`);
  }
  const other = new BatchStream(fakeSplit(51), opts);
  assert.throws(() => other.setState(new BatchStream(split, opts).getState()), UserError);
});

test('makeBatch scales the chosen images and copies their labels', () => {
  const split = fakeSplit(20);
  const { x, y } = makeBatch(split, Int32Array.from([3, 17, 0]), 'unit', [2, 2, 1]);
  assert.equal(x.length, 12);
  assert.deepEqual(
    [...x],
    [3, 3, 3, 3, 17, 17, 17, 17, 0, 0, 0, 0].map((p) => Math.fround(p / 255)),
  );
  assert.deepEqual([...y], [3, 7, 0]);
  assert.throws(() => makeBatch(split, Int32Array.from([20]), 'unit', [2, 2, 1]), RangeError);
});

test('evalBatches covers the split in order with a short last batch', () => {
  const batches = [...evalBatches(fakeSplit(10), 4)].map((b) => [...b]);
  assert.deepEqual(batches, [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9],
  ]);
  assert.deepEqual([...evalBatches(fakeSplit(8), 4)].length, 2);
});
