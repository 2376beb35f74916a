// What every network factory receives and returns. A model is a functional tf.LayersModel with
// two outputs, [features, logits], so a loss can act on the features and softmax on the logits.

import type * as tf from '@tensorflow/tfjs';
import type { InputScaling } from '../data/batches.js';

export interface ModelContext {
  inputShape: [number, number, number]; // [h, w, c]
  numClasses: number;
  seed: number;
}

export interface ModelSpec<O extends object = Record<string, unknown>> {
  /** How raw pixels (0..255) are scaled before entering this network (paper doc, Networks). */
  inputScaling: InputScaling;
  /** Defaults of this network's options (config keys under `model`). */
  defaults: O;
  /** One line per option for the config reference (`ctc train --help`, docs/experiments.md). */
  help: { [K in keyof O]: string };
  /** Checks options; returns an error message naming the key, or null. */
  validate(options: O): string | null;
  build(ctx: ModelContext, options: O): tf.LayersModel;
}

/** The feature dimension of a built model (its first output). */
export function featureDimOf(model: tf.LayersModel): number {
  const shape = model.outputs[0].shape;
  return shape[shape.length - 1] as number;
}
