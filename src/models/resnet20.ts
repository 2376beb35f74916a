// ResNet-20 for CIFAR (He et al. 2016, section 4.2): conv 3x3/16 -> BN -> ReLU, three stages of
// three basic blocks (16, 32, 64 filters, stride 2 at the start of stages 2 and 3), option A
// shortcuts (subsample + zero-padded channels, no parameters), global average pool [64-d
// features] -> dense k. Convolutions have no bias and He initialisation; about 0.27 M parameters.
// Each BN -> ReLU, and each block's BN -> add -> ReLU, is one layer (models/layers.ts: fused on
// wasm+onednn), named after its batch norm.

import * as tf from '@tensorflow/tfjs';
import { subsamplePadChannels } from '../backend/wasm/shortcut.js';
import { SeededInit } from './init.js';
import { BatchNormReLU } from './layers.js';
import type { ModelSpec } from './types.js';

export interface ResNet20Options {
  blocksPerStage: number;
}

/** Option A shortcut: keep every second pixel, then pad the new channels with zeros on both sides. */
class ShortcutA extends tf.layers.Layer {
  static readonly className = 'ShortcutA';
  private readonly extra: number;

  constructor(args: { extraChannels: number; name?: string }) {
    super({ name: args.name });
    this.extra = args.extraChannels;
  }

  override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = shape as tf.Shape;
    const half = (n: number | null) => (n === null ? null : Math.ceil(n / 2));
    return [s[0], half(s[1]), half(s[2]), (s[3] as number) + this.extra];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const before = Math.floor(this.extra / 2);
      return subsamplePadChannels(x, before, this.extra - before);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), extraChannels: this.extra };
  }
}
tf.serialization.registerClass(ShortcutA);

export const resnet20: ModelSpec<ResNet20Options> = {
  inputScaling: 'unit',
  defaults: { blocksPerStage: 3 },
  help: { blocksPerStage: 'basic blocks in each of the three stages (3 gives ResNet-20)' },
  validate: (o) =>
    Number.isInteger(o.blocksPerStage) && o.blocksPerStage >= 1
      ? null
      : `model.blocksPerStage must be a positive integer, got ${o.blocksPerStage}`,
  build(ctx, options) {
    const init = new SeededInit(ctx.seed);
    const conv = (filters: number, strides: number, name: string) =>
      tf.layers.conv2d({
        filters,
        kernelSize: 3,
        strides,
        padding: 'same',
        useBias: false,
        kernelInitializer: init.he(),
        name,
      });
    const bnRelu = (name: string, residual = false) =>
      new BatchNormReLU({ axis: -1, momentum: 0.9, epsilon: 1e-5, name, residual });

    const input = tf.input({ shape: ctx.inputShape, name: 'image' });
    let h = conv(16, 1, 'conv1').apply(input) as tf.SymbolicTensor;
    h = bnRelu('bn1').apply(h) as tf.SymbolicTensor;

    let channels = 16;
    [16, 32, 64].forEach((filters, s) => {
      for (let b = 0; b < options.blocksPerStage; b++) {
        const name = `stage${s + 1}_block${b + 1}`;
        const strides = s > 0 && b === 0 ? 2 : 1;
        let r = conv(filters, strides, `${name}_conv1`).apply(h) as tf.SymbolicTensor;
        r = bnRelu(`${name}_bn1`).apply(r) as tf.SymbolicTensor;
        r = conv(filters, 1, `${name}_conv2`).apply(r) as tf.SymbolicTensor;
        const shortcut =
          strides === 1 && filters === channels
            ? h
            : (new ShortcutA({ extraChannels: filters - channels, name: `${name}_shortcut` }).apply(
                h,
              ) as tf.SymbolicTensor);
        h = bnRelu(`${name}_bn2`, true).apply([r, shortcut]) as tf.SymbolicTensor;
        channels = filters;
      }
    });
    const features = tf.layers.globalAveragePooling2d({ name: 'features' }).apply(h) as tf.SymbolicTensor;
    const logits = tf.layers
      .dense({ units: ctx.numClasses, kernelInitializer: init.glorot(), name: 'logits' })
      .apply(features) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: [features, logits], name: 'resnet20' });
  },
};
