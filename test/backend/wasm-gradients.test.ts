// Gradients on the wasm backend, with our kernels installed, against the cpu backend as oracle:
// each case computes on cpu, reads the numbers, switches to wasm and recomputes from identical
// input values. Conv gradients must agree to 1e-4 relative error; max-pool gradients exactly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  installWasmGradients,
  wasmGradientsInstalled,
  WASM_GRADIENT_KERNELS,
} from '../../src/backend/wasm/gradients.js';
import { relativeError, values } from './values.js';

// Captured before install, to show cpu keeps its stock kernels and to time the stock wasm one.
const stockCpu = WASM_GRADIENT_KERNELS.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc);
const stockWasmBackpropInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
installWasmGradients();

/** Weights the output with fixed random numbers so every gradient entry differs. */
function weightedSum(y: tf.Tensor, seed = 99): tf.Scalar {
  return y.mul(tf.tensor(values(y.size, seed), y.shape)).sum();
}

type Grads = (...xs: tf.Tensor[]) => tf.Tensor[];

/** Gradients from f on cpu and on wasm for the same inputs: [cpu, wasm], one array per input. */
async function onCpuAndWasm(shapes: number[][], f: Grads, makeValues = values): Promise<Float32Array[][]> {
  const inputs = shapes.map((shape, i) =>
    makeValues(
      shape.reduce((a, b) => a * b, 1),
      11 + i,
    ),
  );
  const results: Float32Array[][] = [];
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    // numDataIds also counts backend buffers, so it catches intermediates a kernel forgot.
    const before = [tf.memory().numTensors, tf.backend().numDataIds()];
    const xs = inputs.map((v, i) => tf.tensor(v, shapes[i]));
    const grads = f(...xs);
    results.push(await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>)));
    tf.dispose([...xs, ...grads]);
    assert.deepEqual([tf.memory().numTensors, tf.backend().numDataIds()], before, `leak on ${backend}`);
  }
  return results;
}

async function assertClose(shapes: number[][], f: Grads, label: string, tolerance = 1e-4): Promise<void> {
  const [cpu, wasm] = await onCpuAndWasm(shapes, f);
  cpu.forEach((expected, i) => {
    const err = relativeError(wasm[i], expected);
    assert.ok(err <= tolerance, `${label}, gradient ${i}: relative error ${err}`);
  });
}

type Pad = 'same' | 'valid';
const convGrads =
  (stride: number | [number, number], pad: Pad): Grads =>
  (x, w) =>
    tf.grads((x: tf.Tensor, w: tf.Tensor) => weightedSum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad)))([
      x,
      w,
    ]);

test('conv2d dx and dW match cpu: strides 1/2, same/valid, kernels 1/3/5, odd and even sizes', async () => {
  for (const size of [7, 8, 28])
    for (const k of [1, 3, 5])
      for (const stride of [1, 2]) {
        for (const pad of ['same', 'valid'] as const)
          for (const [cin, cout] of [
            [1, 3],
            [3, 4],
          ]) {
            // Non-square input (size x size+1) checks that rows and columns are not mixed up.
            const shapes = [
              [2, size, size + 1, cin],
              [k, k, cin, cout],
            ];
            await assertClose(
              shapes,
              convGrads(stride, pad),
              `${size}x${size + 1} k${k} s${stride} ${pad} ${cin}->${cout}`,
            );
          }
      }
});

test('conv2d gradients match cpu on wider layers and odd geometries', async () => {
  const cases: [number[], number[], number | [number, number], Pad][] = [
    [[2, 32, 32, 16], [3, 3, 16, 32], 2, 'same'],
    [[2, 32, 32, 16], [5, 5, 16, 32], 1, 'valid'],
    [[2, 9, 10, 3], [4, 4, 3, 4], 2, 'same'], // even kernel: asymmetric 'same' padding
    [[2, 10, 9, 3], [2, 2, 3, 4], 2, 'valid'],
    [[2, 9, 11, 3], [3, 5, 3, 4], [1, 2], 'same'], // non-square kernel and strides
    [[1, 5, 5, 2], [5, 5, 2, 3], 2, 'valid'], // a 1x1 output
  ];
  for (const [xShape, wShape, stride, pad] of cases) {
    await assertClose([xShape, wShape], convGrads(stride, pad), `x${xShape} w${wShape} s${stride} ${pad}`);
  }
});

test('fused conv2d (the path tf.layers.conv2d trains through) matches cpu', async () => {
  for (const activation of ['linear', 'relu'] as const) {
    const f: Grads = (x, w, b) =>
      tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
        weightedSum(
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: w as tf.Tensor4D,
            bias: b,
            strides: 2,
            pad: 'same',
            activation,
          }),
        ),
      )([x, w, b]);
    await assertClose([[2, 9, 8, 3], [3, 3, 3, 5], [5]], f, `fused ${activation}`);
  }
});

/** Small integers: many equal values inside a window, as on a flat MNIST background. */
function tiedValues(n: number, seed: number): Float32Array {
  return values(n, seed).map((v, i) => (i % 7 < 3 ? 0 : Math.floor(v * 4)));
}

test('maxPool gradient equals cpu exactly, including ties and overlapping windows', async () => {
  const pools: [number, number, Pad][] = [
    [2, 2, 'valid'],
    [2, 2, 'same'],
    [3, 2, 'valid'],
    [3, 2, 'same'],
    [1, 2, 'valid'],
    [1, 1, 'valid'],
  ];
  for (const [size, channels] of [
    [7, 1],
    [8, 3],
    [28, 32],
    [9, 3],
  ]) {
    for (const [filter, stride, pad] of pools)
      for (const makeValues of [values, tiedValues]) {
        const f: Grads = (x) => [
          tf.grad((x: tf.Tensor) => weightedSum(tf.maxPool(x as tf.Tensor4D, filter, stride, pad)))(x),
        ];
        const [cpu, wasm] = await onCpuAndWasm([[2, size, size, channels]], f, makeValues);
        const err = relativeError(wasm[0], cpu[0]);
        assert.equal(err, 0, `${size}x${size}x${channels} pool ${filter}/${stride} ${pad} ${makeValues.name}: ${err}`);
      }
  }
});

test('maxPool gradient of a constant input goes to the first position of each window only', async () => {
  await tf.setBackend('wasm');
  const g = tf.grad((x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid').sum())(tf.ones([1, 4, 4, 2]));
  const perChannel = Array.from(await g.data()).filter((_, i) => i % 2 === 0);
  assert.deepEqual(perChannel, [1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  g.dispose();
});

test('other gradients used by the models match cpu on wasm', async () => {
  const checks: [string, number[][], Grads][] = [
    [
      'prelu',
      [[4, 5, 5, 3], [3]],
      (x, a) => tf.grads((x: tf.Tensor, a: tf.Tensor) => weightedSum(tf.prelu(x, a)))([x, a]),
    ],
    ['relu', [[4, 6]], (x) => [tf.grad((x: tf.Tensor) => weightedSum(tf.relu(x)))(x)]],
    [
      'dense',
      [[4, 6], [6, 3], [3]],
      (x, w, b) =>
        tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          weightedSum(tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b, activation: 'relu' })),
        )([x, w, b]),
    ],
    ['mean', [[4, 5, 5, 3]], (x) => [tf.grad((x: tf.Tensor) => weightedSum(tf.mean(x, [1, 2])))(x)]],
    [
      'softmax cross-entropy',
      [[4, 10]],
      (x) => [tf.grad((x: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot([1, 2, 3, 9], 10), x) as tf.Scalar)(x)],
    ],
    [
      'batch norm',
      [[4, 5, 5, 3], [3], [3]],
      (x, g, b) =>
        tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          return weightedSum(tf.batchNorm(x, mean, variance, b, g, 1e-3));
        })([x, g, b]),
    ],
    [
      'avgPool 2x2',
      [[2, 8, 8, 3]],
      (x) => [tf.grad((x: tf.Tensor) => weightedSum(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid')))(x)],
    ],
  ];
  for (const [label, shapes, f] of checks) await assertClose(shapes, f, label, 1e-5);
});

test('a small tf.layers network has the same weight gradients on wasm as on cpu', async () => {
  await tf.setBackend('cpu');
  const input = tf.input({ shape: [12, 12, 1] });
  // No bias before batch norm: its true gradient is 0, so only rounding noise would be compared.
  let h = tf.layers.conv2d({ filters: 8, kernelSize: 5, padding: 'same', useBias: false }).apply(input);
  h = tf.layers.batchNormalization().apply(h);
  h = tf.layers.prelu().apply(h);
  h = tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }).apply(h);
  h = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'relu' }).apply(h);
  h = tf.layers.globalAveragePooling2d({}).apply(h);
  const logits = tf.layers.dense({ units: 4 }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits });
  const x = values(3 * 12 * 12, 5).map((v) => Math.max(0, v)); // zero patches: tied pools
  const labels = [0, 3, 1];
  const results: Float32Array[][] = [];
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const { value, grads } = tf.variableGrads(() =>
      tf.tidy(() => {
        const out = model.apply(tf.tensor4d(x, [3, 12, 12, 1]), { training: true }) as tf.Tensor;
        return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 4), out) as tf.Scalar;
      }),
    );
    results.push(await Promise.all(Object.values(grads).map((g) => g.data() as Promise<Float32Array>)));
    tf.dispose([value, ...Object.values(grads)]);
  }
  results[0].forEach((expected, i) => assert.ok(relativeError(results[1][i], expected) <= 1e-4, `weight ${i}`));
  model.dispose();
});

test('installing twice is harmless and cpu keeps its stock kernels', async () => {
  const warnings: unknown[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args);
  try {
    installWasmGradients();
    installWasmGradients();
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warnings, []);
  assert.ok(wasmGradientsInstalled());
  WASM_GRADIENT_KERNELS.forEach((name, i) => assert.equal(tf.getKernel(name, 'cpu')?.kernelFunc, stockCpu[i], name));
  assert.notEqual(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc, stockWasmBackpropInput?.kernelFunc);
});

test('timing: LeNets++-sized conv gradients on wasm (printed, not asserted)', async () => {
  await tf.setBackend('wasm');
  const x = tf.randomNormal([128, 28, 28, 32]) as tf.Tensor4D;
  const w = tf.randomNormal([5, 5, 32, 32]) as tf.Tensor4D;
  const dy = tf.randomNormal([128, 28, 28, 32]) as tf.Tensor4D;
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC' } as const;
  /** Best of `runs` wall times in ms; the first call also pays XNNPACK set-up and heap growth. */
  const time = async (run: () => tf.Tensor, runs = 2): Promise<number> => {
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const out = run();
      await out.data();
      out.dispose();
      best = Math.min(best, performance.now() - start);
    }
    return best;
  };
  const dx = () =>
    tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor;
  const dW = () =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor;
  const forward = await time(() => tf.conv2d(x, w, 1, 'same'));
  const ours = { dx: await time(dx), dW: await time(dW) };
  // Swap the stock kernel back in for one timing, then reinstall ours (exercising reinstall).
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  if (stockWasmBackpropInput !== undefined) {
    tf.registerKernel(stockWasmBackpropInput);
    // Setup (binding the C function) runs only for kernels present when the backend started.
    stockWasmBackpropInput.setupFunc?.(tf.backend());
  }
  const stockDx = await time(dx, 1);
  installWasmGradients();
  assert.ok(wasmGradientsInstalled());
  console.log(
    `batch 128, 28x28, 32->32, 5x5 same on wasm: forward ${forward.toFixed(0)} ms, ` +
      `dx ${ours.dx.toFixed(0)} ms (stock ${stockDx.toFixed(0)} ms), dW ${ours.dW.toFixed(0)} ms`,
  );
  tf.dispose([x, w, dy]);
});
