// Softmax + center loss (Wen et al., ECCV 2016), the second baseline of Qi & Su (ICIP 2017):
//   L = L_s + lambda * L_c,  L_c = 1/2 sum_i ||x_i - c_{y_i}||^2  (/ m for reduction 'mean').
// The centers are not trained by the network's optimizer; after each step they move by Wen
// et al.'s rule  delta_c_j = sum_{i: y_i = j} (c_j - x_i) / (1 + n_j),  c_j <- c_j - alpha delta_c_j.

import * as tf from '@tensorflow/tfjs';
import { centerLoss, softmaxCrossEntropy } from './functions.js';
import { ALPHA_HELP, lambdaSetting, REDUCTION_SETTING } from './settings.js';
import { defineLoss, initCenters } from './types.js';

/**
 * alpha * delta_c as a sparse-in-rows [k, d] tensor. Each sample adds (c_{y_i} - x_i) / (1 + n_{y_i});
 * scatterND sums duplicates, which gives the per-class sum. n comes from comparing labels
 * pairwise ([m, m]), so nothing of size k is built besides the one scatter.
 */
export function wenCenterStep(
  centers: tf.Tensor2D,
  features: tf.Tensor2D,
  labels: tf.Tensor1D,
  alpha: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const sameClass = tf.equal(tf.expandDims(labels, 1), tf.expandDims(labels, 0)); // [m, m]
    const classCount = tf.sum(tf.cast(sameClass, 'float32'), 1); // n_{y_i}, [m]
    const scale = tf.div(alpha, tf.add(classCount, 1)); // [m]
    const diff = tf.sub(tf.gather(centers, labels), features); // c_{y_i} - x_i, [m, d]
    const rows = tf.mul(tf.expandDims(scale, 1), diff); // [m, d]
    return tf.scatterND(tf.expandDims(labels, 1), rows, centers.shape) as tf.Tensor2D;
  });
}

export const center = defineLoss({
  settings: {
    /** The paper's MNIST value. */
    lambda: lambdaSetting(0.01),
    /** Wen et al.'s value. */
    alpha: { rule: '> 0', default: 0.5, help: ALPHA_HELP },
    reduction: REDUCTION_SETTING,
  },
  label: ['lambda', 'reduction', 'alpha'],
  create(dims, settings) {
    const { lambda, alpha, reduction } = settings;
    // trainable = false: the network optimizer must not move them; only updateCenters does.
    const centers = initCenters(dims, false);
    return {
      name: 'center',
      hyper: settings,
      centers,
      trainableVariables: () => [],
      compute(features, logits, labels) {
        const softmax = softmaxCrossEntropy(logits, labels);
        const aux = centerLoss(features, labels, centers as tf.Tensor2D, { reduction, constantCenters: true });
        return { total: tf.add(softmax, tf.mul(lambda, aux)), softmax, aux };
      },
      updateCenters(features, labels) {
        tf.tidy(() => {
          centers.assign(tf.sub(centers, wenCenterStep(centers as tf.Tensor2D, features, labels, alpha)));
        });
      },
      dispose() {
        centers.dispose();
      },
    };
  },
});
