// Every trainable parameter's gradient of each network, computed on wasm (with ctc's gradient
// kernels) and on the reference cpu backend from identical weights and real MNIST / random
// CIFAR-sized inputs: relative error (max |wasm - cpu| / max |cpu|) at most 1e-4.
// ResNet-20 is compared with batch norm in inference mode: in training mode, float32 rounding
// differences between the backends' forward passes (about 1e-5 relative after 20 layers) flip
// the sign of a few ReLU inputs that sit within 1e-5 of zero, and each flip moves a gradient by a
// whole element (measured: 3 flips in 8 CIFAR-sized images, exactly at the layers that then
// differ). Batch norm's training-mode gradient itself is checked in test/backend.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { loadOneDnn } from '../../src/backend/native/onednn.js';
import { makeBatch } from '../../src/data/batches.js';
import { loadMnist } from '../../src/data/formats/mnist.js';
import { buildModel, getModelSpec } from '../../src/models/index.js';
import { softmaxCrossEntropy } from '../../src/losses/functions.js';

type Grads = Map<string, Float32Array>;

function gradients(
  name: string,
  weights: Float32Array[] | null,
  x: Float32Array,
  shape: number[],
  labels: Int32Array,
  training: boolean,
): { grads: Grads; weights: Float32Array[] } {
  const model = buildModel(name, { inputShape: shape.slice(1) as [number, number, number], numClasses: 10, seed: 3 });
  if (weights) model.setWeights(weights.map((w, i) => tf.tensor(w, model.weights[i].shape as number[])));
  const own = model.getWeights().map((w) => w.dataSync() as Float32Array);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const [features, logits] = model.apply(tf.tensor(x, shape), { training }) as tf.Tensor2D[];
    // Pull on the features too, so every path to them is exercised.
    return softmaxCrossEntropy(logits, tf.tensor1d(labels, 'int32')).add(
      features.square().mean().mul(0.1),
    ) as tf.Scalar;
  }, variables);
  const out: Grads = new Map();
  model.trainableWeights.forEach((w) =>
    out.set(w.originalName, grads[(w.read() as tf.Variable).name].dataSync() as Float32Array),
  );
  tf.dispose([value, ...Object.values(grads)]);
  model.dispose();
  return { grads: out, weights: own.map((w) => Float32Array.from(w)) };
}

async function compare(
  backend: 'wasm' | 'wasm+onednn',
  name: string,
  x: Float32Array,
  shape: number[],
  labels: Int32Array,
  training = true,
): Promise<void> {
  await initBackend('cpu');
  const ref = gradients(name, null, x, shape, labels, training);
  await initBackend(backend);
  const got = gradients(name, ref.weights, x, shape, labels, training);
  assert.equal(got.grads.size, ref.grads.size);
  for (const [param, expected] of ref.grads) {
    const actual = got.grads.get(param) as Float32Array;
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < expected.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
    }
    assert.ok(maxRef > 0, `${name} ${param}: zero gradient on cpu`);
    assert.ok(maxDiff / maxRef <= 1e-4, `${name} ${param}: relative error ${(maxDiff / maxRef).toExponential(2)}`);
  }
}

const mnist = loadMnist({ trainLimit: 8, testLimit: 1 });
const oneDnn = loadOneDnn();

// Plain wasm always; wasm with oneDNN convolutions where the optional addon is built.
for (const backend of ['wasm', 'wasm+onednn'] as const) {
  const skip =
    backend === 'wasm+onednn' && oneDnn.addon === null ? `native accelerator absent: ${oneDnn.reason ?? ''}` : false;
  for (const name of ['lenets', 'lenetspp']) {
    test(`${name}: every parameter's gradient on ${backend} matches cpu (real MNIST digits)`, { skip }, async () => {
      const n = 3;
      const batch = makeBatch(
        mnist.train,
        Int32Array.from({ length: n }, (_, i) => i),
        getModelSpec(name).inputScaling,
        [28, 28, 1],
      );
      await compare(backend, name, batch.x, [n, 28, 28, 1], batch.y);
    });
  }

  test(
    `resnet20: every parameter's gradient on ${backend} matches cpu (CIFAR-sized input, BN in inference mode)`,
    { skip },
    async () => {
      const n = 2;
      const x = Float32Array.from({ length: n * 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.37) * 0.5 + 0.5);
      await compare(backend, 'resnet20', x, [n, 32, 32, 3], Int32Array.from([3, 7]), false);
    },
  );
}
