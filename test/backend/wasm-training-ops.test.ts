// ctc's one-kernel training ops on wasm against the stock ops on cpu: the SGD update
// (src/backend/wasm/sgd.ts, used by src/train/optimizer.ts) and ResNet's option A shortcut
// (src/backend/wasm/shortcut.ts). Both are exact: same float32 roundings, plain copies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installWasmGradients } from '../../src/backend/wasm/gradients.js';
import { subsamplePadChannels } from '../../src/backend/wasm/shortcut.js';
import { sgdThreeSteps, values } from './values.js';

installWasmGradients();

/** Wraps a wasm kernel to count its runs; returns the count getter and an undo. */
function countRuns(name: string): { runs: () => number; restore: () => void } {
  const kernel = tf.getKernel(name, 'wasm') as tf.KernelConfig;
  let runs = 0;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...kernel, kernelFunc: (args) => (runs++, kernel.kernelFunc(args)) });
  return {
    runs: () => runs,
    restore: () => {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(kernel);
    },
  };
}

test('SGD with momentum and weight decay: the fused wasm update equals the op chain on cpu bit for bit', async () => {
  for (const momentum of [0.9, 0]) {
    const results: Float32Array[][] = [];
    let fusedRuns = 0;
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const counter = backend === 'wasm' ? countRuns('CtcSgdMomentum') : null;
      const before = tf.memory().numTensors;
      // A kernel (decayed) and a bias (not), as tf.layers names them.
      results.push(await sgdThreeSteps(momentum, [20, 15], `m${momentum}${backend}`));
      assert.equal(tf.memory().numTensors, before, `leak on ${backend}`);
      fusedRuns = counter?.runs() ?? fusedRuns;
      counter?.restore();
    }
    assert.equal(fusedRuns, 6, 'the fused kernel ran once per variable and step on wasm');
    results[0].forEach((expected, i) =>
      assert.deepEqual(Array.from(results[1][i]), Array.from(expected), `momentum ${momentum}, tensor ${i}`),
    );
  }
});

test('option A shortcut: wasm kernels equal max pool + pad on cpu, forward and gradient, odd sizes and splits', async () => {
  for (const [shape, before, after] of [
    [[2, 7, 9, 3], 2, 3],
    [[3, 8, 8, 16], 8, 8],
    [[1, 5, 4, 2], 0, 1],
  ] as [number[], number, number][]) {
    const results: Float32Array[][] = [];
    let kernelRuns = 0;
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const counter = backend === 'wasm' ? countRuns('CtcSubsamplePadGrad') : null;
      const x = tf.tensor4d(
        values(
          shape.reduce((a, b) => a * b, 1),
          9,
        ),
        shape as [number, number, number, number],
      );
      const y = subsamplePadChannels(x, before, after);
      const dx = tf.grad((t: tf.Tensor) => {
        const out = subsamplePadChannels(t as tf.Tensor4D, before, after);
        return out.mul(tf.tensor(values(out.size, 13), out.shape)).sum();
      })(x);
      results.push([(await y.data()) as Float32Array, (await dx.data()) as Float32Array, Float32Array.from(y.shape)]);
      tf.dispose([x, y, dx]);
      kernelRuns = counter?.runs() ?? kernelRuns;
      counter?.restore();
    }
    assert.equal(kernelRuns, 1, 'the gradient kernel ran on wasm');
    const label = `${shape.join('x')} +${before}/${after}`;
    results[0].forEach((expected, i) =>
      assert.deepEqual(Array.from(results[1][i]), Array.from(expected), `${label}: ${['y', 'dx', 'shape'][i]}`),
    );
  }
});
