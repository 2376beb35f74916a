// ctc's faster wasm kernels and fused gradients (src/backend/wasm/kernels.ts,
// wasm/fused-gradients.ts, wasm/deferred.ts) against the cpu backend as oracle, on the shapes the
// fast paths take and on shapes that fall back to the stock kernels.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { pendingOutputs } from '../../src/backend/wasm/deferred.js';
import { installWasmGradients } from '../../src/backend/wasm/gradients.js';
import { relativeError, values } from './values.js';

installWasmGradients();

type Fn = (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/** Runs f on cpu and on wasm from the same inputs; returns [cpu, wasm] outputs (shape-checked), no leaks. */
async function onBoth(
  inputs: { shape: number[]; dtype?: 'float32' | 'int32'; data?: ArrayLike<number> }[],
  f: Fn,
): Promise<[Float32Array[], Float32Array[]]> {
  const results: Float32Array[][] = [];
  const shapes: number[][][] = [];
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const before = [tf.memory().numTensors, tf.backend().numDataIds()];
    const xs = inputs.map((inp, i) => {
      const n = inp.shape.reduce((a, b) => a * b, 1);
      return tf.tensor(inp.data ?? values(n, 7 + i), inp.shape, inp.dtype ?? 'float32');
    });
    const outs = [tf.tidy(() => f(...xs))].flat();
    shapes.push(outs.map((o) => o.shape));
    results.push(await Promise.all(outs.map(async (o) => Float32Array.from((await o.data()) as ArrayLike<number>))));
    tf.dispose([...xs, ...outs]);
    assert.deepEqual([tf.memory().numTensors, tf.backend().numDataIds()], before, `leak on ${backend}`);
  }
  assert.deepEqual(shapes[1], shapes[0], 'output shapes');
  return [results[0], results[1]];
}

async function assertSame(label: string, inputs: Parameters<typeof onBoth>[0], f: Fn, tolerance = 1e-6): Promise<void> {
  const [cpu, wasm] = await onBoth(inputs, f);
  cpu.forEach((expected, i) => {
    const err = relativeError(wasm[i], expected);
    assert.ok(err <= tolerance, `${label}, output ${i}: relative error ${err}`);
  });
}

test('tile matches cpu for broadcasts, inner repeats and general reps, float32/int32/bool', async () => {
  const cases: [number[], number[]][] = [
    [
      [1, 1, 1, 16],
      [8, 5, 5, 1],
    ], // batch-norm style broadcast
    [
      [6, 1],
      [1, 7],
    ], // sum gradient over the last axis
    [
      [2, 3, 4],
      [3, 1, 2],
    ],
    [
      [3, 1, 2],
      [1, 4, 1],
    ],
    [[5], [3]],
    [
      [2, 2],
      [1, 1],
    ],
    [[], []],
  ];
  for (const [shape, reps] of cases) {
    await assertSame(`tile ${shape} x ${reps}`, [{ shape }], (x) => tf.tile(x, reps), 0);
    const ints = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i - 3);
    await assertSame(`tile int32 ${shape}`, [{ shape, dtype: 'int32', data: ints }], (x) => tf.tile(x, reps), 0);
  }
  await assertSame(
    'tile bool',
    [{ shape: [2, 3], dtype: 'int32', data: [0, 1, 1, 0, 0, 1] }],
    (x) => tf.cast(tf.tile(tf.cast(x, 'bool'), [2, 2]), 'int32'),
    0,
  );
});

test('sum and mean over leading axes match cpu exactly; other axes fall back', async () => {
  const shapes = [
    [128, 6, 5, 16],
    [70, 13],
    [9, 9, 3],
    [4, 5, 6, 7],
  ];
  for (const shape of shapes) {
    const leading = shape.slice(0, -1).map((_, i) => i);
    for (const keepDims of [false, true]) {
      await assertSame(`sum ${shape} ${leading} keep=${keepDims}`, [{ shape }], (x) => tf.sum(x, leading, keepDims), 0);
      await assertSame(
        `mean ${shape} ${leading} keep=${keepDims}`,
        [{ shape }],
        (x) => tf.mean(x, leading, keepDims),
        1e-7,
      );
    }
    await assertSame(`sum ${shape} axis 0`, [{ shape }], (x) => tf.sum(x, 0));
    await assertSame(`sum ${shape} last`, [{ shape }], (x) => tf.sum(x, -1));
    await assertSame(`mean ${shape} all`, [{ shape }], (x) => tf.mean(x), 1e-5); // stock: a float32 sum
  }
  await assertSame(
    'int32 sum',
    [{ shape: [100, 3], dtype: 'int32', data: Array.from({ length: 300 }, (_, i) => i) }],
    (x) => tf.sum(x, 0),
    0,
  );
});

test('matMul with transposed operands matches cpu (the XNNPACK route), batched ones fall back', async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[33, 20], [17, 20], false, true],
    [[20, 33], [20, 17], true, false],
    [[20, 33], [17, 20], true, true],
    [[1, 20, 33], [1, 20, 17], true, false],
    [[3, 20, 33], [3, 17, 20], true, true], // batch 3: stock kernel
    [[6, 1, 20], [6, 20, 7], false, false], // one row per batch: weighted column sums
    [[6, 1, 20], [6, 20, 1], false, false], // dot products: stock kernel
    [[33, 20], [20, 17], false, false],
  ];
  for (const [a, b, ta, tb] of cases) {
    await assertSame(
      `matMul ${a} ${b} ${ta} ${tb}`,
      [{ shape: a }, { shape: b }],
      (x, y) => tf.matMul(x, y, ta, tb),
      1e-5,
    );
    if (a.length === 2) {
      const grads: Fn = (x, y) =>
        tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, ta, tb).square().sum())([x, y]);
      await assertSame(`matMul grads ${a} ${b} ${ta} ${tb}`, [{ shape: a }, { shape: b }], grads, 1e-5);
    }
  }
  const fused: Fn = (x, w, b) =>
    tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
      tf.fused
        .matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: r, activation: 'relu' })
        .square()
        .sum(),
    )([x, w, b]);
  await assertSame('fused matMul gradients', [{ shape: [16, 40] }, { shape: [40, 24] }, { shape: [24] }], fused, 1e-5);
});

test('gather on axis 0 matches cpu for float32 and int32 rows; a bad index throws', async () => {
  const idx = { shape: [9], dtype: 'int32' as const, data: [3, 0, 9, 9, 1, 4, 2, 0, 5] };
  await assertSame('gather 2-D', [{ shape: [10, 6] }, idx], (x, i) => tf.gather(x, i), 0);
  await assertSame('gather 3-D', [{ shape: [10, 2, 3] }, idx], (x, i) => tf.gather(x, i), 0);
  await assertSame(
    'gather int32',
    [{ shape: [10, 2], dtype: 'int32', data: Array.from({ length: 20 }, (_, i) => i * 3) }, idx],
    (x, i) => tf.gather(x, i),
    0,
  );
  await assertSame('gather axis 1 (stock)', [{ shape: [4, 10] }, idx], (x, i) => tf.gather(x, i, 1), 0);
  await tf.setBackend('wasm');
  const x = tf.zeros([4, 2]);
  const bad = tf.tensor1d([1, 4], 'int32');
  assert.throws(() => tf.gather(x, bad), /index value 4 is not in \[0, 3\]/);
  tf.dispose([x, bad]);
});

test('batch norm forward and its training-mode gradient match cpu on CIFAR-sized activations', async () => {
  const shape = [16, 8, 8, 12];
  const bn: Fn = (x, g, b) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, b, g, 1e-5);
  };
  await assertSame('batchNorm forward', [{ shape }, { shape: [12] }, { shape: [12] }], bn, 1e-6);
  await assertSame(
    'batchNorm forward, no scale/offset',
    [{ shape }, { shape: [12] }, { shape: [12] }],
    (x, m, v) => tf.batchNorm(x, m, tf.abs(v)),
    1e-6,
  );
  const grads: Fn = (x, g, b) =>
    tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
      (bn(p, q, r) as tf.Tensor).mul(tf.tensor(values(p.size, 99), p.shape)).sum(),
    )([x, g, b]);
  await assertSame('batchNorm training gradients', [{ shape }, { shape: [12] }, { shape: [12] }], grads, 1e-5);
  const inference: Fn = (x, m, v, g, b) =>
    tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor, s: tf.Tensor, t: tf.Tensor) =>
      tf
        .batchNorm(p, q, tf.abs(r), t, s, 1e-3)
        .mul(tf.tensor(values(p.size, 98), p.shape))
        .sum(),
    )([x, m, v, g, b]);
  await assertSame(
    'batchNorm gradients wrt all five inputs',
    [{ shape }, { shape: [12] }, { shape: [12] }, { shape: [12] }, { shape: [12] }],
    inference,
    1e-5,
  );
});

test('prelu gradients match cpu for per-channel, shared-axes and full alphas; others fall back', async () => {
  const x = { shape: [6, 5, 5, 8] };
  const weighted = (y: tf.Tensor) => y.mul(tf.tensor(values(y.size, 97), y.shape)).sum();
  const grads: Fn = (p, a) => tf.grads((q: tf.Tensor, b: tf.Tensor) => weighted(tf.prelu(q, b)))([p, a]);
  for (const alpha of [[8], [1, 1, 8], [5, 5, 8], [5, 8], [1], [6, 1, 1, 1]]) {
    await assertSame(`prelu alpha ${alpha}`, [x, { shape: alpha }], grads, 1e-6);
  }
  await assertSame('prelu on 2-D features', [{ shape: [128, 2] }, { shape: [2] }], grads, 1e-6);
});

test('mean and sum gradients match cpu over any axes', async () => {
  const weighted = (y: tf.Tensor) => y.mul(tf.tensor(values(y.size, 96), y.shape)).sum();
  for (const axes of [[0, 1, 2], [1, 2], [3], [0, 2], [0, 1, 2, 3], []]) {
    await assertSame(
      `mean grad ${axes}`,
      [{ shape: [4, 5, 6, 3] }],
      (x) => tf.grad((p: tf.Tensor) => weighted(tf.mean(p, axes)))(x),
      1e-6,
    );
    await assertSame(
      `sum grad ${axes}`,
      [{ shape: [4, 5, 6, 3] }],
      (x) => tf.grad((p: tf.Tensor) => weighted(tf.sum(p, axes, true)))(x),
      1e-6,
    );
  }
});

test('a deferred input gradient is computed when read and skipped when disposed unread', async () => {
  await tf.setBackend('wasm');
  const dy = tf.tensor4d(values(2 * 6 * 6 * 4, 1), [2, 6, 6, 4]);
  const w = tf.tensor4d(values(3 * 3 * 2 * 4, 2), [3, 3, 2, 4]);
  const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', inputShape: [2, 8, 8, 2] };
  const before = tf.backend().numDataIds();
  const unread = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, attrs) as tf.Tensor;
  assert.equal(pendingOutputs(), 1);
  unread.dispose();
  assert.equal(pendingOutputs(), 0);
  assert.equal(tf.backend().numDataIds(), before, 'the unread output and the kept inputs are released');

  const read = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, attrs) as tf.Tensor;
  const viaOp = tf.add(read, 0); // a kernel reading it computes it first
  const got = await viaOp.data();
  await tf.setBackend('cpu');
  const [dyC, wC] = [
    tf.tensor4d(values(2 * 6 * 6 * 4, 1), [2, 6, 6, 4]),
    tf.tensor4d(values(3 * 3 * 2 * 4, 2), [3, 3, 2, 4]),
  ];
  const expected = await tf.conv2dTranspose(dyC, wC, [2, 8, 8, 2], 1, 'valid').data();
  assert.ok(relativeError(got, expected) <= 1e-5);
  tf.dispose([dyC, wC]);
  await tf.setBackend('wasm');
  tf.dispose([read, viaOp, dy, w]);
  assert.equal(pendingOutputs(), 0);
});

test('identity and same-dtype cast share data (no copy) and survive disposal of the original', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor2d(values(12, 3), [3, 4]);
  const ids = tf.backend().numDataIds();
  const copy = tf.clone(x);
  const same = tf.cast(x, 'float32');
  assert.equal(tf.backend().numDataIds(), ids, 'no new buffers');
  const expected = Array.from(await x.data());
  x.dispose();
  assert.deepEqual(Array.from(await copy.data()), expected);
  assert.deepEqual(Array.from(await same.data()), expected);
  const ints = tf.cast(copy, 'int32'); // a real conversion still converts
  assert.equal(ints.dtype, 'int32');
  assert.deepEqual(
    Array.from(await ints.data()),
    expected.map((v) => Math.trunc(v) + 0),
  ); // + 0: no -0 in int32
  tf.dispose([copy, same, ints]);
  assert.equal(tf.backend().numDataIds(), ids - 1);
});
