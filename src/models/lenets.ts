// LeNets (Caffe's LeNet, as used by the paper): conv 5x5/20 valid -> maxpool 2/2 ->
// conv 5x5/50 valid -> maxpool 2/2 -> dense 500 -> ReLU [features] -> dense k. Input p / 256.

import * as tf from '@tensorflow/tfjs';
import { SeededInit } from './init.js';
import type { ModelSpec } from './types.js';

export interface LeNetsOptions {
  featureDim: number;
}

export const lenets: ModelSpec<LeNetsOptions> = {
  inputScaling: 'div256',
  defaults: { featureDim: 500 },
  help: { featureDim: 'feature size: width of the features output, where the center losses act' },
  validate: (o) =>
    Number.isInteger(o.featureDim) && o.featureDim >= 1
      ? null
      : `model.featureDim must be a positive integer, got ${o.featureDim}`,
  build(ctx, options) {
    const init = new SeededInit(ctx.seed);
    const input = tf.input({ shape: ctx.inputShape, name: 'image' });
    const conv = (filters: number, name: string) =>
      tf.layers.conv2d({ filters, kernelSize: 5, padding: 'valid', kernelInitializer: init.caffeXavier(), name });
    const pool = (name: string) => tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name });

    let h = conv(20, 'conv1').apply(input) as tf.SymbolicTensor;
    h = pool('pool1').apply(h) as tf.SymbolicTensor;
    h = conv(50, 'conv2').apply(h) as tf.SymbolicTensor;
    h = pool('pool2').apply(h) as tf.SymbolicTensor;
    h = tf.layers.flatten({ name: 'flatten' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers
      .dense({ units: options.featureDim, kernelInitializer: init.caffeXavier(), name: 'ip1' })
      .apply(h) as tf.SymbolicTensor;
    const features = tf.layers.reLU({ name: 'features' }).apply(h) as tf.SymbolicTensor;
    const logits = tf.layers
      .dense({ units: ctx.numClasses, kernelInitializer: init.caffeXavier(), name: 'logits' })
      .apply(features) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: [features, logits], name: 'lenets' });
  },
};
