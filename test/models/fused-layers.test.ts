// The fused ResNet layers (models/layers.ts): BN -> ReLU and BN -> add -> ReLU in one native
// kernel each way on wasm+onednn, against the separate layers on the cpu backend (output, every
// gradient, the moving statistics), and a whole ResNet-20 training-mode gradient, fused against
// the separate native kernels (CTC_FAST_PATHS without bn-relu) on wasm+onednn from the same weights.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { loadOneDnn } from '../../src/backend/native/onednn.js';
import { BatchNormReLU } from '../../src/models/layers.js';
import { buildModel } from '../../src/models/index.js';
import { softmaxCrossEntropy } from '../../src/losses/functions.js';
import { relativeError, values } from '../backend/values.js';

const { addon, reason } = loadOneDnn();
const skip = addon === null ? `native accelerator absent: ${reason ?? 'unknown'}` : false;

const weighted = (y: tf.Tensor): tf.Scalar => y.mul(tf.tensor(values(y.size, 99), y.shape)).sum();

/** Runs `f` with every call of the named wasm kernels counted; returns f's result and the counts. */
async function counting<T>(names: string[], f: () => Promise<T>): Promise<{ result: T; calls: Map<string, number> }> {
  const calls = new Map(names.map((n) => [n, 0]));
  const originals = names.map((n) => tf.getKernel(n, 'wasm') as tf.KernelConfig);
  originals.forEach((k) => {
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => (calls.set(k.kernelName, calls.get(k.kernelName)! + 1), k.kernelFunc(args)),
    });
  });
  try {
    return { result: await f(), calls };
  } finally {
    originals.forEach((k) => {
      tf.unregisterKernel(k.kernelName, 'wasm');
      tf.registerKernel(k);
    });
  }
}

for (const residual of [false, true]) {
  const label = residual ? 'relu(bn(x) + residual)' : 'relu(bn(x))';
  test(
    `fused ${label} on wasm+onednn matches the separate layers on cpu: output, gradients, moving statistics`,
    { skip },
    async () => {
      const shape = [4, 6, 5, 12];
      const size = 4 * 6 * 5 * 12;
      const xv = Float32Array.from(values(size, 41), (v, i) => v * 3 + (i % 12) * 0.5);
      // Channel 0 has gamma = beta = 0: its output is exactly 0 before the relu (the mask's edge).
      const gv = Float32Array.from(values(12, 42), (v, k) => (k === 0 ? 0 : 1 + v));
      const bv = Float32Array.from(values(12, 43), (v, k) => (k === 0 ? 0 : v));
      const rv = values(size, 44);
      const results: Float32Array[][] = [];
      for (const backend of ['cpu', 'wasm+onednn'] as const) {
        await initBackend(backend);
        const before = [tf.memory().numTensors, tf.backend().numDataIds()];
        const run = async () => {
          const layer = new BatchNormReLU({ name: `bn_${backend}`, axis: -1, momentum: 0.9, epsilon: 1e-5, residual });
          layer.build(residual ? [shape, shape] : shape);
          const initial = [tf.tensor1d(gv), tf.tensor1d(bv), tf.zeros([12]), tf.ones([12])];
          layer.setWeights(initial);
          tf.dispose(initial);
          const x = tf.tensor(xv, shape);
          const r = tf.tensor(rv, shape);
          const inputs = (a: tf.Tensor, b: tf.Tensor) => (residual ? [a, b] : a);
          const apply = (a: tf.Tensor, b: tf.Tensor) => layer.apply(inputs(a, b), { training: true }) as tf.Tensor;
          const [gamma, beta] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
          const { value, grads } = tf.variableGrads(() => weighted(apply(x, r)), [gamma, beta]);
          const [dx, dr] = residual
            ? tf.grads((a: tf.Tensor, b: tf.Tensor) => weighted(apply(a, b)))([x, r])
            : [tf.grad((a: tf.Tensor) => weighted(apply(a, r)))(x), tf.zerosLike(r)];
          const y = apply(x, r);
          const out = [y, dx, dr, grads[gamma.name], grads[beta.name], ...layer.getWeights().slice(2)];
          const data = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
          tf.dispose([x, r, value, dx, dr, y, ...Object.values(grads)]);
          for (const w of layer.weights) w.dispose();
          return data;
        };
        if (backend === 'cpu') {
          results.push(await run());
        } else {
          const { result, calls } = await counting(['CtcBatchNormTrain', 'CtcBatchNormTrainGrad', 'Relu', 'Add'], run);
          results.push(result);
          assert.ok(calls.get('CtcBatchNormTrain')! >= 3 && calls.get('CtcBatchNormTrainGrad')! >= 2, `${[...calls]}`);
          assert.equal(calls.get('Relu'), 0, 'the relu is fused');
          assert.equal(calls.get('Add'), 0, 'the residual add is fused');
        }
        assert.deepEqual([tf.memory().numTensors, tf.backend().numDataIds()], before, `leak on ${backend}`);
      }
      const names = ['y', 'dx', 'd(residual)', 'dgamma', 'dbeta', 'moving mean', 'moving variance'];
      results[0].forEach((expected, i) => {
        if (!residual && names[i] === 'd(residual)') {
          assert.ok(
            results[1][i].every((v) => v === 0) && expected.every((v) => v === 0),
            'no residual: zero gradient',
          );
          return;
        }
        const err = relativeError(results[1][i], expected);
        assert.ok(err <= 1e-4, `${label}, ${names[i]}: relative error ${err.toExponential(2)}`);
      });
      // The channel whose pre-activation is exactly 0 gets no gradient through the relu (without a residual).
      if (!residual)
        assert.ok(
          [0, 1].every((b) => results[b][3][0] === 0),
          'dgamma of the zero channel',
        );
    },
  );
}

test(
  'ResNet-20 in training mode: the fused layers give the same loss and gradients as the separate native kernels',
  { skip },
  async () => {
    await initBackend('wasm+onednn');
    const shape = [4, 32, 32, 3];
    const x = values(4 * 32 * 32 * 3, 51).map((v) => v + 0.5);
    const labels = Int32Array.from([3, 1, 4, 1]);
    const saved = process.env.CTC_FAST_PATHS;
    const run = (fast: string) => {
      process.env.CTC_FAST_PATHS = fast;
      const model = buildModel('resnet20', { inputShape: [32, 32, 3], numClasses: 10, seed: 5 });
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => {
        const [, logits] = model.apply(tf.tensor(x, shape), { training: true }) as tf.Tensor2D[];
        return softmaxCrossEntropy(logits, tf.tensor1d(labels, 'int32')) as tf.Scalar;
      }, variables);
      const out = [value.dataSync()[0], ...variables.map((v) => grads[v.name].dataSync() as Float32Array)];
      tf.dispose([value, ...Object.values(grads)]);
      model.dispose();
      return out as [number, ...Float32Array[]];
    };
    try {
      const [fusedLoss, ...fused] = run('1');
      const [plainLoss, ...plain] = run('conv-input-grad,winograd'); // only bn-relu off
      assert.equal(fusedLoss, plainLoss, 'loss');
      fused.forEach((g, i) => assert.deepEqual(Array.from(g), Array.from(plain[i]), `gradient ${i}`));
    } finally {
      if (saved === undefined) delete process.env.CTC_FAST_PATHS;
      else process.env.CTC_FAST_PATHS = saved;
    }
  },
);
