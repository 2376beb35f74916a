// Softmax + contrastive-center loss (Qi & Su, "Contrastive-center loss for deep neural
// networks", ICIP 2017):
//   L = L_s + lambda * L_ctc,  L_ctc = 1/2 sum_i A_i / B_i,  A_i = ||x_i - c_{y_i}||^2,
//   B_i = sum_{j != y_i} ||x_i - c_j||^2 + delta   (/ m for reduction 'mean').
// The loss value and the feature gradient use the configured reduction and lambda; the centers
// move after the network's update by their own rule (loss.centerUpdate), which sees the whole
// batch unscaled, as the reference center-loss implementations decouple it:
//   'normalized' (default): with r_i = A_i / B_i, each sample pulls its own center with weight 1
//     and pushes every other center with weight r_i:
//       delta_c_n = [sum_{y_i = n} (c_n - x_i) - sum_{y_i != n} r_i (c_n - x_i)] / (1 + n_n + sum_{y_i != n} r_i)
//       c_n <- c_n - alpha delta_c_n.
//     delta_c_n is dL_ctc,sum/dc_n with each sample's common factor 1/B_i dropped and the weights
//     normalised like Wen et al.'s count: the step does not shrink with the feature scale or
//     the batch size, and with r = 0 it is Wen et al.'s center-loss rule.
//   'sgd': the paper's rule, c <- c - alpha dL_ctc,sum/dc on the summed loss. Its step carries
//     1/B ~ 1/((k-1) R^2) for features of norm R, so alpha must grow with R^2.
//   'autodiff': the centers are trained by the network's optimizer on the total loss.
// Each rule has its own default alpha (chosen on a validation split, results/tuning/).
// Two options of ctc's own, for the ablation (results/ablation): `warmup` raises lambda linearly
// over the first iterations (the loop tells the loss its iteration), and `normPenalty` adds
// normPenalty/2 * mean ||x_i||^2, which holds the features' scale down: A/B is scale-invariant,
// so its gradient on the features falls like 1 / ||x|| while softmax grows them.

import * as tf from '@tensorflow/tfjs';
import { contrastiveCenterLoss, contrastiveRatios, softmaxCrossEntropy } from './functions.js';
import { ALPHA_HELP, lambdaSetting, REDUCTION_SETTING } from './settings.js';
import { defineLoss, initCenters, type Reduction } from './types.js';

/** The center rules, the default first. */
export const CENTER_UPDATES = ['normalized', 'sgd', 'autodiff'] as const;
export type CenterUpdate = (typeof CENTER_UPDATES)[number];

/**
 * alpha * delta_c of the 'normalized' rule, [k, d], in O((m + k) d) without an [m, k] matrix:
 * the push on center n sums over all samples minus those of class n,
 * sum_{y_i != n} r_i (c_n - x_i) = (R - R_n) c_n - (S - S_n) with R = sum r_i, S = sum r_i x_i
 * and R_n, S_n their class-n parts (scatters over the labels).
 */
export function normalizedCenterStep(
  centers: tf.Tensor2D,
  features: tf.Tensor2D,
  labels: tf.Tensor1D,
  alpha: number,
  delta: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [k, d] = centers.shape;
    const ids = tf.expandDims(labels, 1);
    const own = tf.gather(centers, labels); // [m, d]
    const ratio = contrastiveRatios(features, labels, centers, delta, true); // r, [m]
    const count = tf.scatterND(ids, tf.onesLike(ratio), [k]); // n_n, [k]
    const pull = tf.scatterND(ids, tf.sub(own, features), [k, d]); // sum_{y_i = n} (c_n - x_i)
    const weighted = tf.mul(tf.expandDims(ratio, 1), features); // r_i x_i, [m, d]
    const pushWeight = tf.sub(tf.sum(ratio), tf.scatterND(ids, ratio, [k])); // R - R_n, [k]
    const pushSum = tf.sub(tf.sum(weighted, 0), tf.scatterND(ids, weighted, [k, d])); // S - S_n, [k, d]
    const push = tf.sub(tf.mul(tf.expandDims(pushWeight, 1), centers), pushSum); // [k, d]
    const norm = tf.add(tf.add(count, pushWeight), 1); // 1 + n_n + R - R_n, [k]
    return tf.mul(tf.div(alpha, tf.expandDims(norm, 1)), tf.sub(pull, push)) as tf.Tensor2D;
  });
}

export const contrastiveCenter = defineLoss({
  settings: {
    lambda: lambdaSetting(1),
    // autodiff ignores alpha; its 0.5 only fills the resolved config.
    alpha: {
      rule: '> 0',
      default: { on: 'centerUpdate', values: { normalized: 0.5, sgd: 32, autodiff: 0.5 } },
      unusedWith: { centerUpdate: ['autodiff'] },
      help: ALPHA_HELP,
    },
    delta: { rule: '> 0', default: 1, help: 'constant added to the denominator B_i, which keeps it above 0' },
    reduction: REDUCTION_SETTING,
    centerUpdate: {
      rule: CENTER_UPDATES,
      default: 'normalized',
      help: "how the centers move after each network step: normalized (Wen et al.'s normalised step with pushes), sgd (the paper's step on the summed loss), autodiff (the network's optimizer trains them)",
    },
    warmup: {
      rule: '>= 0',
      default: 0,
      help: "iterations over which lambda rises linearly from lambda/warmup to lambda (0: none; ctc's option, not in the paper)",
    },
    normPenalty: {
      rule: '>= 0',
      default: 0,
      help: "ctc's variant, not the paper's: adds normPenalty/2 * mean ||x_i||^2 to the loss, holding the features' scale down (the control for why the term fades: docs/formulas.md, ctc's own options)",
    },
  },
  label: ['lambda', 'reduction', 'centerUpdate', 'alpha', 'delta', 'warmup', 'normPenalty'],
  create(dims, settings) {
    const { lambda, alpha, delta, reduction, centerUpdate, warmup, normPenalty } = settings;
    // The term's weight at a (0-based) iteration: lambda, or its share of the warm-up.
    const weightAt = (iteration: number) => (warmup > 0 ? lambda * Math.min(1, (iteration + 1) / warmup) : lambda);
    let weight = weightAt(0); // until setIteration says otherwise
    const centers = initCenters(dims, centerUpdate === 'autodiff');
    const auxLoss = (
      features: tf.Tensor2D,
      labels: tf.Tensor1D,
      c: tf.Tensor2D,
      constantCenters: boolean,
      r: Reduction,
    ): tf.Scalar => contrastiveCenterLoss(features, labels, c, { delta, reduction: r, constantCenters });

    return {
      name: 'contrastive-center',
      hyper: settings,
      centers,
      trainableVariables: () => (centerUpdate === 'autodiff' ? [centers] : []),
      setIteration(iteration) {
        weight = weightAt(iteration);
      },
      compute(features, logits, labels) {
        const softmax = softmaxCrossEntropy(logits, labels);
        // With an own center rule the network step needs no center gradient (the costly [k, d] one).
        const aux = auxLoss(features, labels, centers as tf.Tensor2D, centerUpdate !== 'autodiff', reduction);
        let total = tf.add(softmax, tf.mul(weight, aux));
        if (normPenalty > 0) total = tf.add(total, tf.mul(normPenalty / 2, tf.mean(tf.sum(tf.square(features), 1))));
        return { total: total as tf.Scalar, softmax, aux };
      },
      updateCenters(features, labels) {
        if (centerUpdate === 'autodiff') return;
        tf.tidy(() => {
          const c = centers as tf.Tensor2D;
          const step =
            centerUpdate === 'normalized'
              ? normalizedCenterStep(c, features, labels, alpha, delta)
              : // alpha scales the scalar loss, so the [k, d] gradient comes out already scaled.
                tf.grad((cs) => tf.mul(alpha, auxLoss(features, labels, cs as tf.Tensor2D, false, 'sum')))(c);
          centers.assign(tf.sub(centers, step));
        });
      },
      dispose() {
        centers.dispose();
      },
    };
  },
});
