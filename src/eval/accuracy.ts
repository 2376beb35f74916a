// Test-set evaluation: top-1 accuracy (percent) from the logits, optionally keeping the
// features for plots and compactness metrics. Batches run in order with training = false.

import * as tf from '@tensorflow/tfjs';
import { evalBatches, makeBatch, type InputScaling } from '../data/batches.js';
import type { Preprocessor } from '../train/preprocess.js';
import type { Split } from '../data/types.js';

export interface EvalResult {
  accuracy: number; // percent, e.g. 98.94
  correct: number;
  count: number;
  features?: Float32Array; // [count, d] when requested
  featureDim: number;
}

export async function evaluate(
  model: tf.LayersModel,
  split: Split,
  scaling: InputScaling,
  imageShape: [number, number, number],
  opts: { batchSize: number; keepFeatures?: boolean; preprocess?: Preprocessor },
): Promise<EvalResult> {
  let correct = 0;
  const featureDim = model.outputs[0].shape[1] as number;
  const features = opts.keepFeatures ? new Float32Array(split.count * featureDim) : undefined;
  let row = 0;
  for (const indices of evalBatches(split, opts.batchSize)) {
    const batch = opts.preprocess
      ? opts.preprocess.inputs(split, indices)
      : makeBatch(split, indices, scaling, imageShape);
    const [predicted, feats] = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [indices.length, ...imageShape]);
      const [f, logits] = model.apply(x, { training: false }) as tf.Tensor[];
      return [tf.argMax(logits, 1), f];
    });
    const labels = (await predicted.data()) as Int32Array;
    for (let i = 0; i < labels.length; i++) if (labels[i] === batch.y[i]) correct++;
    if (features) features.set((await feats.data()) as Float32Array, row * featureDim);
    row += indices.length;
    tf.dispose([predicted, feats]);
  }
  return { accuracy: (100 * correct) / split.count, correct, count: split.count, features, featureDim };
}
