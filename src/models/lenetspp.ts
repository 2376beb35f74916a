// LeNets++ (Wen et al.'s center-loss MNIST network, used by the paper for its 2-D feature plots):
// [conv 5x5 pad 2 -> PReLU] x2 -> maxpool 2/2, the same with 64 and 128 filters, the last pool
// 3/2 (released code) or 2/2 (paper table), dense featureDim -> PReLU [features] -> dense k
// without bias. PReLU slopes start at 0.25, one per channel. Input (p - 127.5) / 128.

import * as tf from '@tensorflow/tfjs';
import { SeededInit } from './init.js';
import type { ModelSpec } from './types.js';

export interface LeNetsPPOptions {
  featureDim: number;
  pool3: 2 | 3;
}

export const lenetspp: ModelSpec<LeNetsPPOptions> = {
  inputScaling: 'center128',
  defaults: { featureDim: 2, pool3: 3 },
  help: {
    featureDim: 'feature size: width of the features output, where the center losses act',
    pool3: "window of the last max pool: 3 (the released code) or 2 (the paper's table)",
  },
  validate(o) {
    if (!Number.isInteger(o.featureDim) || o.featureDim < 1)
      return `model.featureDim must be a positive integer, got ${o.featureDim}`;
    if (o.pool3 !== 2 && o.pool3 !== 3) return `model.pool3 must be 2 or 3, got ${o.pool3}`;
    return null;
  },
  build(ctx, options) {
    const init = new SeededInit(ctx.seed);
    const prelu = (name: string, sharedAxes?: number[]) =>
      tf.layers.prelu({ alphaInitializer: tf.initializers.constant({ value: 0.25 }), sharedAxes, name });
    const input = tf.input({ shape: ctx.inputShape, name: 'image' });
    let h: tf.SymbolicTensor = input;
    const stages: [number, number][] = [
      [1, 32],
      [2, 64],
      [3, 128],
    ];
    for (const [stage, filters] of stages) {
      for (const part of [1, 2]) {
        const name = `conv${stage}_${part}`;
        h = tf.layers
          .conv2d({ filters, kernelSize: 5, padding: 'same', kernelInitializer: init.caffeXavier(), name })
          .apply(h) as tf.SymbolicTensor;
        h = prelu(`prelu${stage}_${part}`, [1, 2]).apply(h) as tf.SymbolicTensor;
      }
      const poolSize = stage === 3 ? options.pool3 : 2;
      h = tf.layers
        .maxPooling2d({ poolSize, strides: 2, padding: 'valid', name: `pool${stage}` })
        .apply(h) as tf.SymbolicTensor;
    }
    h = tf.layers.flatten({ name: 'flatten' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers
      .dense({ units: options.featureDim, kernelInitializer: init.caffeXavier(), name: 'ip1' })
      .apply(h) as tf.SymbolicTensor;
    const features = prelu('features').apply(h) as tf.SymbolicTensor;
    const logits = tf.layers
      .dense({ units: ctx.numClasses, useBias: false, kernelInitializer: init.caffeXavier(), name: 'logits' })
      .apply(features) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: [features, logits], name: 'lenetspp' });
  },
};
