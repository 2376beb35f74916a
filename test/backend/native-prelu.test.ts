// PReLU in the addon (backend wasm+onednn, src/backend/native/prelu.ts) against the cpu backend:
// the output and both gradients, per-channel slopes on activations and per-feature slopes on
// features, NaN and zeros included; slopes of another shape take the wasm path. Skipped, with the
// reason, where the addon is not built.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { loadOneDnn } from '../../src/backend/native/onednn.js';
import { relativeError, values } from './values.js';

const { addon, reason } = loadOneDnn();
const skip = addon === null ? `native accelerator absent: ${reason ?? 'unknown'}` : false;

const weighted = (y: tf.Tensor): tf.Scalar => y.mul(tf.tensor(values(y.size, 77), y.shape)).sum();

/** [y, dx, dalpha] of prelu on `backend`, and how often the native kernels ran. */
async function preluOn(
  backend: 'cpu' | 'wasm+onednn',
  x: Float32Array,
  xShape: number[],
  alpha: Float32Array,
  alphaShape: number[],
) {
  await initBackend(backend);
  let native = 0;
  const counted = ['Prelu', 'CtcPreluGrad'].map((name) => tf.getKernel(name, 'wasm') as tf.KernelConfig);
  if (backend === 'wasm+onednn') {
    for (const k of counted) {
      tf.unregisterKernel(k.kernelName, 'wasm');
      tf.registerKernel({
        ...k,
        kernelFunc: (args) => (k.kernelName === 'CtcPreluGrad' && native++, k.kernelFunc(args)),
      });
    }
  }
  try {
    const before = tf.memory().numTensors;
    const xt = tf.tensor(x, xShape);
    const at = tf.tensor(alpha, alphaShape);
    const y = tf.prelu(xt, at);
    const [dx, dalpha] = tf.grads((a: tf.Tensor, b: tf.Tensor) => weighted(tf.prelu(a, b)))([xt, at]);
    const out = await Promise.all([y, dx, dalpha].map((t) => t.data() as Promise<Float32Array>));
    tf.dispose([xt, at, y, dx, dalpha]);
    assert.equal(tf.memory().numTensors, before, `leak on ${backend}`);
    return { out, native };
  } finally {
    if (backend === 'wasm+onednn') {
      for (const k of counted) {
        tf.unregisterKernel(k.kernelName, 'wasm');
        tf.registerKernel(k);
      }
    }
  }
}

test(
  'native prelu: output and gradients match cpu for per-channel and per-feature slopes, NaN and zeros included',
  { skip },
  async () => {
    const cases: [number[], number[], boolean][] = [
      [[3, 9, 7, 16], [1, 1, 16], true], // conv activations, one slope per channel (LeNets++)
      [[128, 2], [2], true], // 2-d features (LeNets++'s last PReLU)
      [[5, 33], [33], true],
      [[3, 4, 5, 6], [4, 1, 1], false], // slopes along another axis: the wasm path
    ];
    for (const [xShape, alphaShape, nativeExpected] of cases) {
      const size = xShape.reduce((a, b) => a * b, 1);
      const x = values(size, 61);
      x[0] = Number.NaN;
      x[1] = 0;
      x[2] = -0;
      const alpha = Float32Array.from(
        values(
          alphaShape.reduce((a, b) => a * b, 1),
          62,
        ),
        (v) => 0.25 + v * 0.2,
      );
      const cpu = await preluOn('cpu', x, xShape, alpha, alphaShape);
      const native = await preluOn('wasm+onednn', x, xShape, alpha, alphaShape);
      const label = `x ${xShape.join('x')}, alpha ${alphaShape.join('x')}`;
      assert.equal(native.native > 0, nativeExpected, `${label}: native gradient ran ${native.native} times`);
      // Elementwise results are exact; the slope gradient sums in another order (relative 1e-5).
      const names = ['y', 'dx', 'dalpha'];
      cpu.out.forEach((expected, i) => {
        if (i < 2) {
          assert.deepEqual(Array.from(native.out[i]), Array.from(expected), `${label}: ${names[i]}`);
          return;
        }
        const nan = (a: Float32Array) => Array.from(a, Number.isNaN);
        const finite = (a: Float32Array) => Array.from(a, (v) => (Number.isNaN(v) ? 0 : v));
        assert.deepEqual(nan(native.out[i]), nan(expected), `${label}: NaN slots of dalpha`);
        const err = relativeError(finite(native.out[i]), finite(expected));
        assert.ok(err <= 1e-5, `${label}: dalpha relative error ${err.toExponential(2)}`);
      });
    }
  },
);
