// The oneDNN convolution kernels (backend 'wasm+onednn', optional addon native/onednn) against
// the plain-JS cpu backend: forward (with bias and relu fused), input and filter gradients, strides
// 1 and 2, same and valid padding, odd sizes, dilation. Skipped, with the reason, where the
// addon is not built (no libdnnl-dev when ctc was installed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { loadOneDnn, useNativeConvolutions } from '../../src/backend/native/onednn.js';
import { subsamplePadChannels } from '../../src/backend/wasm/shortcut.js';
import { relativeError, sgdThreeSteps, values } from './values.js';

const { addon, reason } = loadOneDnn();
const skip = addon === null ? `native accelerator absent: ${reason ?? 'unknown'}` : false;

type Compute = (...xs: tf.Tensor[]) => tf.Tensor[];

/** Runs `f` on cpu, then on wasm+onednn, from identical inputs; asserts no leak and closeness. */
async function assertMatchesCpu(shapes: number[][], f: Compute, label: string): Promise<void> {
  const inputs = shapes.map((shape, i) =>
    values(
      shape.reduce((a, b) => a * b, 1),
      21 + i,
    ),
  );
  const results: Float32Array[][] = [];
  for (const backend of ['cpu', 'wasm+onednn'] as const) {
    await initBackend(backend);
    const before = [tf.memory().numTensors, tf.backend().numDataIds()];
    const xs = inputs.map((v, i) => tf.tensor(v, shapes[i]));
    const outs = f(...xs);
    results.push(await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>)));
    tf.dispose([...xs, ...outs]);
    assert.deepEqual([tf.memory().numTensors, tf.backend().numDataIds()], before, `${label}: leak on ${backend}`);
  }
  const [cpu, native] = results;
  cpu.forEach((expected, i) => {
    const err = relativeError(native[i], expected);
    assert.ok(err <= 1e-4, `${label}, output ${i}: relative error ${err.toExponential(2)}`);
  });
}

const weighted = (y: tf.Tensor): tf.Scalar => y.mul(tf.tensor(values(y.size, 99), y.shape)).sum();

test(
  'oneDNN conv2d forward, dx and dW match cpu: strides 1/2, same/valid, kernels 1/3/5, odd sizes',
  { skip },
  async () => {
    for (const [h, w] of [
      [7, 8],
      [28, 28],
      [9, 5],
    ])
      for (const k of [1, 3, 5])
        for (const stride of [1, 2]) {
          for (const pad of ['same', 'valid'] as const)
            for (const [cin, cout] of [
              [1, 3],
              [5, 16],
            ]) {
              if (pad === 'valid' && (k > h || k > w)) continue;
              const conv = (x: tf.Tensor, f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad);
              const label = `${h}x${w} k${k} s${stride} ${pad} ${cin}->${cout}`;
              await assertMatchesCpu(
                [
                  [3, h, w, cin],
                  [k, k, cin, cout],
                ],
                (x, f) => [conv(x, f), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => weighted(conv(a, b)))([x, f])],
                label,
              );
            }
        }
    assert.ok((addon?.info().cachedPlans ?? 0) > 0, 'the cases above must have run in oneDNN');
  },
);

test(
  'oneDNN fused conv2d with bias and relu (what tf.layers trains through) matches cpu, with gradients',
  { skip },
  async () => {
    for (const activation of ['linear', 'relu'] as const)
      for (const stride of [1, 2]) {
        const conv = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: f as tf.Tensor4D,
            bias: b,
            strides: stride,
            pad: 'same',
            activation,
          });
        await assertMatchesCpu(
          [[4, 11, 10, 6], [3, 3, 6, 8], [8]],
          (x, f, b) => [
            conv(x, f, b),
            ...tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => weighted(conv(a, c, d)))([x, f, b]),
          ],
          `fused ${activation} s${stride}`,
        );
      }
  },
);

test('oneDNN conv2d with dilation and explicit asymmetric padding matches cpu', { skip }, async () => {
  await assertMatchesCpu(
    [
      [2, 12, 13, 3],
      [3, 3, 3, 5],
    ],
    (x, f) => [tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same', 'NHWC', 2)],
    'dilation 2',
  );
  const explicit: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [2, 1],
    [0, 3],
    [0, 0],
  ];
  await assertMatchesCpu(
    [
      [2, 10, 9, 4],
      [3, 2, 4, 6],
    ],
    (x, f) => [tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, [2, 1], explicit)],
    'explicit padding',
  );
});

test(
  "a stride-1 'same' convolution's input gradient runs as a forward convolution, and matches cpu either way (CTC_FAST_PATHS=0 turns it off)",
  { skip },
  async () => {
    // Output as large as the input ('same', even with a 4x4 filter padded unevenly): the forward
    // route; 'valid' keeps oneDNN's backward kernel (its turned form would be padded all round).
    const uneven: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [2, 1],
      [1, 2],
      [0, 0],
    ];
    // Below 32 channels in or out the backward kernel runs (it is the faster one there).
    const cases: [string, number[], number[], (x: tf.Tensor, f: tf.Tensor) => tf.Tensor, number][] = [
      [
        '5x5 same',
        [3, 14, 13, 32],
        [5, 5, 32, 40],
        (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'),
        1,
      ],
      [
        '4x4 same, uneven',
        [2, 10, 9, 33],
        [4, 4, 33, 32],
        (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, uneven),
        1,
      ],
      [
        '3x3 same, 16 channels',
        [2, 9, 7, 16],
        [3, 3, 16, 16],
        (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'),
        0,
      ],
      ['3x2 valid', [2, 9, 7, 5], [3, 2, 5, 4], (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid'), 0],
    ];
    const saved = process.env.CTC_FAST_PATHS;
    try {
      for (const fast of ['1', '0']) {
        process.env.CTC_FAST_PATHS = fast;
        for (const [label, xShape, fShape, conv, routes] of cases) {
          const before = addon!.info().backwardDataViaForward;
          await assertMatchesCpu(
            [xShape, fShape],
            (x, f) => [tf.grad((a: tf.Tensor) => weighted(conv(a, f)))(x)],
            `${label}, CTC_FAST_PATHS=${fast}`,
          );
          const routed = addon!.info().backwardDataViaForward - before;
          assert.equal(routed, fast === '1' ? routes : 0, `${label}, CTC_FAST_PATHS=${fast}: forward-route calls`);
        }
      }
    } finally {
      if (saved === undefined) delete process.env.CTC_FAST_PATHS;
      else process.env.CTC_FAST_PATHS = saved;
    }
  },
);

test(
  'max pooling and its gradient in the addon equal cpu exactly: 2x2, overlapping 3x3, same padding, 1x1; ties, NaN, -Infinity, -0, odd sizes',
  { skip },
  async () => {
    const pools: [number, number, 'valid' | 'same'][] = [
      [2, 2, 'valid'],
      [3, 2, 'valid'],
      [3, 1, 'same'],
      [1, 2, 'valid'],
    ];
    for (const [h, w, c] of [
      [8, 8, 3],
      [9, 7, 20],
      [24, 24, 1],
    ])
      for (const [size, stride, pad] of pools) {
        const shape = [2, h, w, c];
        // Few distinct values: many tied windows, as on MNIST's flat background.
        const x = Float32Array.from(values(2 * h * w * c, 5), (v) => Math.round(v * 4));
        x[0] = Number.NaN;
        x[c + 1] = Number.NEGATIVE_INFINITY;
        // A window of NaN (-Infinity out, as on cpu), and one whose first cell is -0 and second 0.
        for (const at of [0, 1, w, w + 1]) x[(2 * w + 2 + at) * c] = Number.NaN;
        [x[4 * c], x[5 * c]] = [-0, 0];
        const results: Float32Array[][] = [];
        for (const backend of ['cpu', 'wasm+onednn'] as const) {
          await initBackend(backend);
          const input = tf.tensor(x, shape);
          const y = tf.maxPool(input as tf.Tensor4D, size, stride, pad);
          const g = tf.grad((t: tf.Tensor) => weighted(tf.maxPool(t as tf.Tensor4D, size, stride, pad)))(input);
          results.push([(await y.data()) as Float32Array, (await g.data()) as Float32Array]);
          tf.dispose([input, y, g]);
        }
        const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => Object.is(v, b[i]));
        const label = `${h}x${w}x${c} pool ${size}/${stride} ${pad}`;
        // The other pools' forward is tfjs-wasm's stock kernel (XNNPACK), whose NaN rule is not cpu's.
        if (size === 2 && stride === 2)
          assert.ok(same(results[1][0], results[0][0]), `${label}: forward (NaN, -0 compared exactly)`);
        assert.deepEqual(Array.from(results[1][1]), Array.from(results[0][1]), `${label}: gradient`);
      }
  },
);

test(
  'the SGD update in the addon equals the op chain on cpu bit for bit, on one thread and on all',
  { skip },
  async () => {
    // 300 x 120 values pass the addon's threshold for threads, 15 do not.
    for (const momentum of [0.9, 0]) {
      const results: Float32Array[][] = [];
      for (const backend of ['cpu', 'wasm+onednn'] as const) {
        await initBackend(backend);
        results.push(await sgdThreeSteps(momentum, [300, 120], `sgd${momentum}${backend}`));
      }
      results[0].forEach((expected, i) =>
        assert.deepEqual(Array.from(results[1][i]), Array.from(expected), `momentum ${momentum}, tensor ${i}`),
      );
    }
  },
);

test(
  "3x3 stride-1 convolutions of 64 channels or more run Winograd's algorithm (forward with bias and relu, both gradients), and match cpu either way",
  { skip },
  async () => {
    const conv = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: f as tf.Tensor4D,
        strides: 1,
        pad: 'same',
        bias: b,
        activation: 'relu',
      });
    // Primitives: the fused forward; under tf.grads tfjs runs relu unfused, so a plain forward;
    // the input gradient as a forward of the turned filter (the plain forward's own when in = out);
    // the filter gradient.
    const cases: [string, number[], number[], number][] = [
      ['64 -> 64 at 8x8', [3, 8, 8, 64], [3, 3, 64, 64], 3],
      ['64 -> 80 at 5x7', [2, 5, 7, 64], [3, 3, 64, 80], 4],
      ['32 -> 32 (direct)', [2, 8, 8, 32], [3, 3, 32, 32], 0],
    ];
    const saved = process.env.CTC_FAST_PATHS;
    try {
      for (const fast of ['1', 'conv-input-grad,bn-relu']) {
        process.env.CTC_FAST_PATHS = fast;
        for (const [label, xShape, fShape, plans] of cases) {
          const before = addon!.info().winogradPlans;
          await assertMatchesCpu(
            [xShape, fShape, [fShape[3]]],
            (x, f, b) => [conv(x, f, b), ...tf.grads((a, g, c) => weighted(conv(a, g, c)))([x, f, b])],
            `${label}, CTC_FAST_PATHS=${fast}`,
          );
          const built = addon!.info().winogradPlans - before;
          // oneDNN 2.6's f32 Winograd kernel needs AVX-512; elsewhere every call takes the direct one.
          const expected = fast === '1' && addon!.info().isa.startsWith('avx512') ? plans : 0;
          assert.equal(built, expected, `${label}, CTC_FAST_PATHS=${fast}: Winograd primitives built`);
        }
      }
    } finally {
      if (saved === undefined) delete process.env.CTC_FAST_PATHS;
      else process.env.CTC_FAST_PATHS = saved;
    }
  },
);

test('relu and its gradient in the addon match cpu, NaN and zero included', { skip }, async () => {
  const n = 3 * 17 * 11 * 8;
  const x = values(n, 41);
  x[0] = Number.NaN;
  x[1] = 0;
  x[2] = -0;
  const results: Float32Array[][] = [];
  for (const backend of ['cpu', 'wasm+onednn'] as const) {
    await initBackend(backend);
    const input = tf.tensor(x, [3, 17, 11, 8]);
    const y = tf.relu(input);
    const g = tf.grad((t: tf.Tensor) => weighted(tf.relu(t)))(input);
    results.push([(await y.data()) as Float32Array, (await g.data()) as Float32Array]);
    tf.dispose([input, y, g]);
  }
  assert.deepEqual(Array.from(results[1][0]), Array.from(results[0][0]), 'relu');
  assert.deepEqual(Array.from(results[1][1]), Array.from(results[0][1]), 'relu gradient');
});

test(
  'sum and mean over leading axes with the addon (bias gradients) match cpu, and the addon computed them',
  { skip },
  async () => {
    const shape = [64, 9, 7, 40]; // 4,032 rows x 40 columns: past the size where the addon takes over
    const x = values(
      shape.reduce((a, b) => a * b, 1),
      51,
    );
    const results: Float32Array[][] = [];
    let calls = 0;
    for (const backend of ['cpu', 'wasm+onednn'] as const) {
      await initBackend(backend);
      if (backend === 'wasm+onednn' && addon !== null) {
        const counting = {
          ...addon,
          columnSums: (...a: Parameters<typeof addon.columnSums>) => (calls++, addon.columnSums(...a)),
        };
        useNativeConvolutions(counting, addon.info().threads);
      }
      const input = tf.tensor(x, shape);
      const outs = [tf.sum(input, [0, 1, 2]), tf.mean(input, [0, 1, 2]), tf.sum(input, [0, 1, 2], true)];
      results.push(await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>)));
      tf.dispose([input, ...outs]);
    }
    await initBackend('wasm+onednn'); // the real addon again
    assert.equal(calls, 3, 'the addon summed each');
    results[0].forEach((expected, i) => {
      const err = relativeError(results[1][i], expected);
      assert.ok(err <= 1e-5, `reduction ${i}: relative error ${err.toExponential(2)}`);
    });
  },
);

test(
  "ResNet's option A shortcut in the addon equals max pool + pad on cpu, forward and gradient",
  { skip },
  async () => {
    let calls = 0;
    for (const [shape, before, after] of [
      [[2, 7, 9, 3], 2, 3],
      [[4, 32, 32, 16], 8, 8],
    ] as [[number, number, number, number], number, number][]) {
      const results: Float32Array[][] = [];
      for (const backend of ['cpu', 'wasm+onednn'] as const) {
        await initBackend(backend);
        if (backend === 'wasm+onednn' && addon !== null) {
          const count =
            <A extends unknown[]>(f: (...a: A) => void) =>
            (...a: A) => (calls++, f(...a));
          useNativeConvolutions(
            { ...addon, subsamplePad: count(addon.subsamplePad), subsamplePadGrad: count(addon.subsamplePadGrad) },
            addon.info().threads,
          );
        }
        const x = tf.tensor4d(
          values(
            shape.reduce((a, b) => a * b, 1),
            17,
          ),
          shape,
        );
        const y = subsamplePadChannels(x, before, after);
        const dx = tf.grad((t: tf.Tensor) => weighted(subsamplePadChannels(t as tf.Tensor4D, before, after)))(x);
        results.push([(await y.data()) as Float32Array, (await dx.data()) as Float32Array]);
        tf.dispose([x, y, dx]);
      }
      assert.deepEqual(Array.from(results[1][0]), Array.from(results[0][0]), `${shape.join('x')}: y`);
      assert.deepEqual(Array.from(results[1][1]), Array.from(results[0][1]), `${shape.join('x')}: dx`);
    }
    await initBackend('wasm+onednn'); // the real addon again
    assert.equal(calls, 6, 'the addon ran each forward (twice: y and under tf.grad) and each gradient');
  },
);

test(
  'matrix products in oneDNN (dense layers) match cpu: both transposes, bias and relu fused, gradients',
  { skip },
  async () => {
    const before = addon?.info().cachedPlans ?? 0;
    const [m, k, n] = [33, 17, 9]; // a shape no other test uses
    for (const transposeA of [false, true])
      for (const transposeB of [false, true]) {
        const shapeA = transposeA ? [k, m] : [m, k];
        const shapeB = transposeB ? [n, k] : [k, n];
        const label = `${transposeA ? 'aT' : 'a'} x ${transposeB ? 'bT' : 'b'}`;
        await assertMatchesCpu(
          [shapeA, shapeB, [n]],
          (a, b, bias) => [
            tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, transposeA, transposeB),
            tf.fused.matMul({
              a: a as tf.Tensor2D,
              b: b as tf.Tensor2D,
              transposeA,
              transposeB,
              bias,
              activation: 'relu',
            }),
            ...tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
              weighted(
                tf.fused.matMul({
                  a: x as tf.Tensor2D,
                  b: y as tf.Tensor2D,
                  transposeA,
                  transposeB,
                  bias: z,
                  activation: 'relu',
                }),
              ),
            )([a, b, bias]),
          ],
          label,
        );
      }
    const built = (addon?.info().cachedPlans ?? 0) - before;
    assert.ok(built >= 8, `oneDNN built ${built} matmul primitives for these products`);
  },
);

test('the addon rejects buffers that do not match the geometry, instead of reading past them', { skip }, () => {
  assert.ok(addon !== null);
  const geometry = Int32Array.from([1, 4, 4, 1, 3, 3, 1, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1]);
  const ok = () => new Float32Array(16);
  assert.throws(
    () => addon.forward(geometry, new Float32Array(3), new Float32Array(9), null, false, ok(), false),
    /x has 3 values, expected 16/,
  );
  assert.throws(
    () => addon.backwardWeights(geometry, ok(), ok(), new Float32Array(8), false),
    /dw has 8 values, expected 9/,
  );
  assert.throws(
    () => addon.forward(Int32Array.from([1, 2]), ok(), ok(), null, false, ok(), false),
    /geometry must be an Int32Array of 17 values/,
  );
});

test('backend wasm+onednn reports oneDNN, and backend wasm turns the native kernels off again', { skip }, async () => {
  const native = await initBackend('wasm+onednn');
  assert.equal(native.name, 'wasm+onednn');
  assert.match(native.detail, /convolutions in oneDNN \d+\.\d+\.\d+/);
  const before = addon?.info().cachedPlans ?? 0;
  const plain = await initBackend('wasm');
  assert.equal(plain.name, 'wasm');
  const x = tf.ones([1, 6, 6, 2]);
  const f = tf.ones([3, 3, 2, 2]);
  tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid', 'NHWC', 1).dispose(); // a shape no test above used
  tf.dispose([x, f]);
  assert.equal(addon?.info().cachedPlans, before, 'plain wasm must not reach oneDNN');
});

test(
  'without the addon, asking for wasm+onednn is one clear error naming the package to install',
  { skip: addon !== null ? 'the addon is built here' : false },
  async () => {
    await assert.rejects(initBackend('wasm+onednn'), /backend 'wasm\+onednn' is not available .*libdnnl-dev/);
  },
);

test(
  'batch norm in training mode (tf.layers, wasm+onednn) matches cpu: output, moving statistics, all gradients',
  { skip },
  async () => {
    const shape = [6, 5, 7, 12];
    const xv = Float32Array.from(values(6 * 5 * 7 * 12, 31), (v, i) => v * 3 + (i % 12) * 0.5); // channel means differ
    const gv = Float32Array.from(values(12, 32), (v) => 1 + v);
    const bv = values(12, 33);
    let nativeCalls = 0;
    let kernel: tf.KernelConfig | undefined;
    const results: Float32Array[][] = [];
    for (const backend of ['cpu', 'wasm+onednn'] as const) {
      await initBackend(backend);
      if (backend === 'wasm+onednn') {
        // Counts the native kernel's runs, to show the wrapped layer took the native path.
        const stock = tf.getKernel('CtcBatchNormTrain', 'wasm') as tf.KernelConfig;
        kernel = stock;
        tf.unregisterKernel('CtcBatchNormTrain', 'wasm');
        tf.registerKernel({ ...stock, kernelFunc: (args) => (nativeCalls++, stock.kernelFunc(args)) });
      }
      const before = [tf.memory().numTensors, tf.backend().numDataIds()];
      const layer = tf.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5 });
      layer.build(shape);
      const initial = [tf.tensor1d(gv), tf.tensor1d(bv), tf.zeros([12]), tf.ones([12])];
      layer.setWeights(initial);
      tf.dispose(initial);
      const x = tf.tensor(xv, shape);
      const [gamma, beta] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => weighted(layer.apply(x, { training: true }) as tf.Tensor),
        [gamma, beta],
      );
      const dx = tf.grad((t: tf.Tensor) => weighted(layer.apply(t, { training: true }) as tf.Tensor))(x);
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      const out = [y, dx, grads[gamma.name], grads[beta.name], ...layer.getWeights().slice(2)];
      results.push(await Promise.all(out.map((t) => t.data() as Promise<Float32Array>)));
      tf.dispose([x, value, dx, y, ...Object.values(grads)]);
      for (const w of layer.weights) w.dispose();
      assert.deepEqual([tf.memory().numTensors, tf.backend().numDataIds()], before, `leak on ${backend}`);
    }
    tf.unregisterKernel('CtcBatchNormTrain', 'wasm');
    tf.registerKernel(kernel as tf.KernelConfig);
    assert.ok(nativeCalls >= 3, `the native batch norm ran ${nativeCalls} times on wasm+onednn`);
    const names = ['y', 'dx', 'dgamma', 'dbeta', 'moving mean', 'moving variance'];
    results[0].forEach((expected, i) => {
      const err = relativeError(results[1][i], expected);
      assert.ok(err <= 1e-4, `${names[i]}: relative error ${err.toExponential(2)}`);
    });
  },
);
