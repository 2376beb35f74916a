// The multiply-accumulates of a training step, counted from the layers, against a hand count of
// each network (forward, weight gradient, and the input gradient of every layer but the first).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { benchSetup } from '../../src/bench/measure.js';
import { gmacPerStep, layerMacs } from '../../src/bench/macs.js';

/** Per image: a convolution's forward MACs, H x W x Cout x kh x kw x Cin. */
const conv = (h: number, w: number, cout: number, k: number, cin: number) => h * w * cout * k * k * cin;
/** Per image, a training step: 3x the forward MACs, less the first layer's input gradient. */
const training = (forward: number[]) => 3 * forward.reduce((a, b) => a + b, 0) - forward[0];

const HAND: Record<string, number[]> = {
  // conv 5x5/20 valid 28 -> 24, pool -> 12, conv 5x5/50 valid -> 8, pool -> 4, dense 800 -> 500 -> 10
  lenets: [conv(24, 24, 20, 5, 1), conv(8, 8, 50, 5, 20), 800 * 500, 500 * 10],
  // [conv 5x5 'same'] x2 per stage at 28, 14, 7 with 32, 64, 128 filters; pool 3/2: 7 -> 3; 1152 -> 2 -> 10
  lenetspp: [
    conv(28, 28, 32, 5, 1),
    conv(28, 28, 32, 5, 32),
    conv(14, 14, 64, 5, 32),
    conv(14, 14, 64, 5, 64),
    conv(7, 7, 128, 5, 64),
    conv(7, 7, 128, 5, 128),
    128 * 3 * 3 * 2,
    2 * 10,
  ],
  // conv 3x3/16; 6 convs 16 -> 16 at 32x32; stride-2 16 -> 32 at 16x16 then 5 of 32 -> 32; the same
  // to 64 at 8x8; dense 64 -> 10
  resnet20: [
    conv(32, 32, 16, 3, 3),
    ...Array<number>(6).fill(conv(32, 32, 16, 3, 16)),
    conv(16, 16, 32, 3, 16),
    ...Array<number>(5).fill(conv(16, 16, 32, 3, 32)),
    conv(8, 8, 64, 3, 32),
    ...Array<number>(5).fill(conv(8, 8, 64, 3, 64)),
    64 * 10,
  ],
};

test('the MACs of a training step match a hand count for each network', async () => {
  await tf.setBackend('cpu');
  for (const [net, forward] of Object.entries(HAND)) {
    const setup = benchSetup(net, 4);
    try {
      const layers = layerMacs(setup.exp.model);
      assert.deepEqual(
        layers.map((l) => l.forward),
        forward,
        `${net}: forward MACs per layer`,
      );
      assert.equal(
        layers.reduce((sum, l) => sum + l.training, 0),
        training(forward),
        `${net}: training MACs per image`,
      );
      assert.ok(Math.abs(gmacPerStep(setup.exp.model, 128) * 1e9 - training(forward) * 128) < 1, `${net}: per step`);
    } finally {
      setup.exp.dispose();
    }
  }
  // The figures the issue quotes: ~31 GMAC (LeNets++) and ~15.5 (ResNet-20) at batch 128.
  assert.equal(Math.round(training(HAND.lenetspp) * 128 * 1e-8) / 10, 31.0);
  assert.equal(Math.round(training(HAND.resnet20) * 128 * 1e-8) / 10, 15.5);
});
