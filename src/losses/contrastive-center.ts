// Softmax + contrastive-center loss (Qi & Su, "Contrastive-center loss for deep neural
// networks", ICIP 2017):
//   L = L_s + lambda * L_ctc,  L_ctc = 1/2 sum_i ||x_i - c_{y_i}||^2 / (sum_{j != y_i} ||x_i - c_j||^2 + delta)
// (/ m for reduction 'mean'). The paper updates the centers per mini-batch with their own
// learning rate: centerUpdate 'sgd' (default) steps c <- c - alpha dL_ctc/dc after the network's
// update (not scaled by lambda, no momentum or decay); 'autodiff' hands the centers to the
// network's optimizer instead.

import * as tf from '@tensorflow/tfjs';
import { contrastiveCenterLoss, softmaxCrossEntropy } from './functions.js';
import { checkChoice, checkDims, checkNumber, initCenters, type LossFactory, type Reduction } from './types.js';


/** lambda when a config gives none (the paper's value). */
export const CONTRASTIVE_CENTER_DEFAULT_LAMBDA = 1;
export const createContrastiveCenterLoss: LossFactory = (opts) => {
  checkDims(opts);
  const lambda = checkNumber('lambda', opts.lambda, CONTRASTIVE_CENTER_DEFAULT_LAMBDA, '>= 0');
  const alpha = checkNumber('alpha', opts.alpha, 0.5, '> 0');
  const delta = checkNumber('delta', opts.delta, 1, '> 0');
  const reduction = checkChoice<Reduction>('reduction', opts.reduction, ['mean', 'sum']);
  const centerUpdate = checkChoice('centerUpdate', opts.centerUpdate, ['sgd', 'autodiff'] as const);
  const centers = initCenters(opts, centerUpdate === 'autodiff');
  const auxLoss = (features: tf.Tensor2D, labels: tf.Tensor1D, c: tf.Tensor2D, constantCenters: boolean): tf.Scalar =>
    contrastiveCenterLoss(features, labels, c, { delta, reduction, constantCenters });

  return {
    name: 'contrastive-center',
    hyper: { lambda, alpha, delta, reduction, centerUpdate },
    centers,
    trainableVariables: () => (centerUpdate === 'autodiff' ? [centers] : []),
    compute(features, logits, labels) {
      const softmax = softmaxCrossEntropy(logits, labels);
      // With the SGD update the network step needs no center gradient (the costly [k, d] one).
      const aux = auxLoss(features, labels, centers as tf.Tensor2D, centerUpdate === 'sgd');
      return { total: tf.add(softmax, tf.mul(lambda, aux)), softmax, aux };
    },
    updateCenters(features, labels) {
      if (centerUpdate !== 'sgd') return;
      tf.tidy(() => {
        // alpha scales the scalar loss, so the [k, d] gradient comes out already scaled.
        const step = tf.grad((c) => tf.mul(alpha, auxLoss(features, labels, c as tf.Tensor2D, false)))(centers);
        centers.assign(tf.sub(centers, step));
      });
    },
    dispose() {
      centers.dispose();
    },
  };
};
