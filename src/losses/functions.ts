// Pure, differentiable loss functions built from tfjs ops; tf.grads differentiates them. Two
// pieces carry a hand-written gradient (gatherRows, sumSquaredDistances), for wasm support and
// speed. The loss objects in this folder wrap these with hyperparameters and centers.
//
// Center loss (Wen et al., ECCV 2016):  L_c = 1/2 sum_i ||x_i - c_{y_i}||^2
// Contrastive-center loss (Qi & Su, ICIP 2017):
//   L_ctc = 1/2 sum_i A_i / B_i,  A_i = ||x_i - c_{y_i}||^2,  B_i = sum_{j != y_i} ||x_i - c_j||^2 + delta
// Reduction 'mean' divides by the batch size m (as the reference center-loss code does), 'sum'
// is the formula as printed.

import * as tf from '@tensorflow/tfjs';
import type { Reduction } from './types.js';

/** tf.customGrad's argument type (tfjs does not export it by name). */
type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/** Below this many rows a plain float32 sum is exact enough. */
const MIN_BLOCKED_ROWS = 64;

/**
 * Sum over axis 0 of a [k] or [k, c] tensor, blocked: a single float32 sum over ~5e7 values was
 * measured 7% off (wasm accumulates sequentially), so rows are summed in blocks of ~sqrt(k)
 * and the block sums summed after. Blocks are a batched matMul with ones (fast on both cpu
 * and wasm, where a sum over a middle axis transposes 5e7 values first); a block size that
 * divides k is preferred, else the remainder rows are summed on their own (tf.pad of a
 * [k, d] tensor costs seconds on the cpu backend).
 */
export function blockedSum0(t: tf.Tensor1D | tf.Tensor2D): tf.Tensor {
  const k = t.shape[0];
  if (k < MIN_BLOCKED_ROWS) return tf.sum(t, 0);
  return tf.tidy(() => {
    const cols = t.rank === 2 ? t.shape[1]! : 1;
    const block = blockRows(k);
    const blocks = Math.floor(k / block);
    const whole = blocks * block;
    const head = whole === k ? t : tf.slice(t, 0, whole);
    const perBlock = tf.matMul(tf.ones([blocks, 1, block]), tf.reshape(head, [blocks, block, cols])); // [blocks, 1, cols]
    let total = tf.sum(tf.reshape(perBlock, [blocks, cols]), 0); // [cols]
    if (whole < k) total = tf.add(total, tf.sum(tf.reshape(tf.slice(t, whole), [k - whole, cols]), 0));
    return t.rank === 2 ? total : tf.reshape(total, []);
  });
}

/** ~sqrt(k) rows per block, preferring a divisor of k within a factor 2 below sqrt(k). */
function blockRows(k: number): number {
  const target = Math.ceil(Math.sqrt(k));
  for (let b = target; b * 2 >= target; b--) if (k % b === 0) return b;
  return target;
}

/**
 * sum_j ||x_i - c_j||^2 for every sample, [m], in O((m + k) d) without an [m, k] matrix:
 * with the center mean mu, it equals k ||x_i - mu||^2 + sum_j ||c_j - mu||^2 (the cross term
 * vanishes since sum_j (c_j - mu) = 0). This is the expansion k||x||^2 - 2 x.sum_j c_j +
 * sum_j ||c_j||^2 taken about mu: unshifted, features and centers sharing a large offset
 * (ReLU features are all positive) lose digits to cancellation: at offset/spread ~50 the
 * loss was 2e-4 off unshifted on wasm, 1e-6 shifted (one extra pass over the centers).
 * The gradient is written in closed form, dx_i = 2 g_i (k x_i - sum_j c_j) and
 * dc_j = 2 (G c_j - sum_i g_i x_i) with G = sum_i g_i: two passes over the [k, d] centers,
 * where autodiff through the blocked sums makes several more (k = 100,000, d = 512, m = 128
 * on wasm: ~0.2 s forward + backward this way, 1.6 s with autodiff through padded sums).
 * tf.customGrad computes every input's gradient eagerly, so constant centers are closed over
 * instead of passed, which skips the [k, d] center gradient.
 */
export function sumSquaredDistances(x: tf.Tensor2D, c: tf.Tensor2D, constantCenters = false): tf.Tensor1D {
  const k = c.shape[0];
  const forward = (xs: tf.Tensor2D, cs: tf.Tensor2D, save: tf.GradSaveFunc): tf.Tensor1D => {
    const centerSum = blockedSum0(cs); // [d]
    const mu = tf.div(centerSum, k); // [d]
    const shifted = tf.sub(cs, mu); // [k, d]
    // Row norms as a batch of d-long dot products: one read, no second [k, d] temporary.
    const sqNorms = tf.matMul(tf.reshape(shifted, [k, 1, -1]), tf.reshape(shifted, [k, -1, 1])); // [k, 1, 1]
    const spread = blockedSum0(tf.reshape(sqNorms, [k]) as tf.Tensor1D); // sum_j ||c_j - mu||^2, []
    save([centerSum]);
    return tf.add(tf.mul(k, tf.sum(tf.square(tf.sub(xs, mu)), 1)), spread) as tf.Tensor1D; // [m]
  };
  const featureGrad = (dy: tf.Tensor1D, xs: tf.Tensor2D, centerSum: tf.Tensor): tf.Tensor2D =>
    tf.mul(tf.mul(2, tf.expandDims(dy, 1)), tf.sub(tf.mul(k, xs), centerSum)); // [m, d]
  const centerGrad = (dy: tf.Tensor1D, xs: tf.Tensor2D, cs: tf.Tensor2D): tf.Tensor2D => {
    const weightedFeatureSum = tf.mul(2, tf.sum(tf.mul(tf.expandDims(dy, 1), xs), 0)); // [d]
    return tf.sub(tf.mul(cs, tf.mul(2, tf.sum(dy))), weightedFeatureSum); // [k, d]
  };
  if (constantCenters) {
    const op = tf.customGrad(((xs: tf.Tensor2D, save: tf.GradSaveFunc) => ({
      value: forward(xs, c, save),
      gradFunc: (dy: tf.Tensor1D, [centerSum]: tf.Tensor[]) => featureGrad(dy, xs, centerSum),
    })) as unknown as CustomGradientFunc);
    return op(x) as tf.Tensor1D;
  }
  const op = tf.customGrad(((xs: tf.Tensor2D, cs: tf.Tensor2D, save: tf.GradSaveFunc) => ({
    value: forward(xs, cs, save),
    gradFunc: (dy: tf.Tensor1D, [centerSum]: tf.Tensor[]) => [featureGrad(dy, xs, centerSum), centerGrad(dy, xs, cs)],
  })) as unknown as CustomGradientFunc);
  return op(x, c) as tf.Tensor1D;
}

/**
 * tf.gather(centers, labels) with its gradient written as a scatter-add (ScatterNd sums
 * duplicate indices): tf.gather's own gradient needs UnsortedSegmentSum, which the wasm
 * backend lacks. Constant centers are closed over, detached from the gradient tape.
 */
export function gatherRows(centers: tf.Tensor2D, labels: tf.Tensor1D, constantCenters = false): tf.Tensor2D {
  if (constantCenters) {
    const detached = tf.customGrad(((ids: tf.Tensor1D) => ({
      value: tf.gather(centers, ids),
      gradFunc: () => tf.zerosLike(ids), // integer labels have no gradient
    })) as unknown as CustomGradientFunc);
    return detached(labels) as tf.Tensor2D;
  }
  const gather = tf.customGrad(((c: tf.Tensor2D) => ({
    value: tf.gather(c, labels),
    gradFunc: (dy: tf.Tensor2D) => tf.scatterND(tf.expandDims(labels, 1), dy, c.shape),
  })) as unknown as CustomGradientFunc);
  return gather(centers) as tf.Tensor2D;
}

/** Rejects inputs whose ranks, dtypes or sizes do not fit together, naming the function. */
export function checkLossInputs(fn: string, features: tf.Tensor, labels: tf.Tensor, centers: tf.Tensor): void {
  const fail = (what: string): never => {
    throw new Error(`${fn}: ${what}`);
  };
  if (features.rank !== 2) fail(`features must be [m, d], got shape [${features.shape}]`);
  if (labels.rank !== 1) fail(`labels must be [m], got shape [${labels.shape}]`);
  if (centers.rank !== 2) fail(`centers must be [k, d], got shape [${centers.shape}]`);
  if (labels.dtype !== 'int32') fail(`labels must be int32, got ${labels.dtype}`);
  if (labels.shape[0] !== features.shape[0]) {
    fail(`labels has ${labels.shape[0]} entries but features has ${features.shape[0]} rows`);
  }
  if (centers.shape[1] !== features.shape[1]) {
    fail(`centers have dimension ${centers.shape[1]} but features have ${features.shape[1]}`);
  }
  if (centers.shape[0] < 1) fail('centers must hold at least one class');
}

function reduce(perSample: tf.Tensor1D, reduction: Reduction): tf.Scalar {
  if (reduction === 'sum') return tf.sum(perSample) as tf.Scalar;
  if (reduction === 'mean') return tf.div(tf.sum(perSample), perSample.shape[0]) as tf.Scalar;
  throw new Error(`unknown reduction '${reduction as string}' (expected 'mean' or 'sum')`);
}

/** ||x_i - c_{y_i}||^2 per sample. */
function ownCenterDistance(
  x: tf.Tensor2D,
  labels: tf.Tensor1D,
  centers: tf.Tensor2D,
  constantCenters?: boolean,
): tf.Tensor1D {
  const own = gatherRows(centers, labels, constantCenters); // [m, d]
  return tf.sum(tf.square(tf.sub(x, own)), 1);
}

/** Softmax cross-entropy of logits [m, k] against integer labels [m], mean over the batch. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  if (logits.rank !== 2) throw new Error(`softmaxCrossEntropy: logits must be [m, k], got [${logits.shape}]`);
  if (labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(`softmaxCrossEntropy: labels [${labels.shape}] do not match logits [${logits.shape}]`);
  }
  return tf.tidy(() => {
    const oneHot = tf.cast(tf.oneHot(labels, logits.shape[1]), 'float32'); // [m, k]
    const logProb = tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1); // [m]
    return tf.neg(tf.mean(logProb)) as tf.Scalar;
  });
}

/**
 * Options of both center losses. constantCenters: the caller will not differentiate w.r.t.
 * the centers (they move by their own rule), so their [k, d] gradient is never built;
 * asking tf.grads for it anyway fails loudly.
 */
export interface CenterLossOptions {
  reduction?: Reduction;
  constantCenters?: boolean;
}

/** Center loss L_c = 1/2 sum_i ||x_i - c_{y_i}||^2 (Wen et al. 2016), / m for 'mean'. */
export function centerLoss(
  features: tf.Tensor2D,
  labels: tf.Tensor1D,
  centers: tf.Tensor2D,
  opts: CenterLossOptions = {},
): tf.Scalar {
  checkLossInputs('centerLoss', features, labels, centers);
  return tf.tidy(() => {
    const ownDist = ownCenterDistance(features, labels, centers, opts.constantCenters); // [m]
    return reduce(tf.mul(0.5, ownDist), opts.reduction ?? 'mean');
  });
}

/**
 * Contrastive-center loss L_ctc = 1/2 sum_i A_i / B_i (Qi & Su 2017), / m for 'mean'.
 * B_i is the sum over all centers minus the own term A_i, so the cost stays O((m + k) d).
 */
export function contrastiveCenterLoss(
  features: tf.Tensor2D,
  labels: tf.Tensor1D,
  centers: tf.Tensor2D,
  opts: CenterLossOptions & { delta?: number } = {},
): tf.Scalar {
  checkLossInputs('contrastiveCenterLoss', features, labels, centers);
  const delta = opts.delta ?? 1;
  if (!(delta > 0) || !Number.isFinite(delta))
    throw new Error(`contrastiveCenterLoss: delta must be > 0, got ${delta}`);
  return tf.tidy(() =>
    reduce(
      tf.mul(0.5, contrastiveRatios(features, labels, centers, delta, opts.constantCenters)),
      opts.reduction ?? 'mean',
    ),
  );
}

/**
 * r_i = A_i / B_i per sample, [m]: the terms of L_ctc (without the 1/2), and the push weights of
 * the 'normalized' center rule. B_i is the sum over all centers minus A_i, O((m + k) d).
 */
export function contrastiveRatios(
  features: tf.Tensor2D,
  labels: tf.Tensor1D,
  centers: tf.Tensor2D,
  delta: number,
  constantCenters?: boolean,
): tf.Tensor1D {
  return tf.tidy(() => {
    const ownDist = ownCenterDistance(features, labels, centers, constantCenters); // A, [m]
    const allDist = sumSquaredDistances(features, centers, constantCenters); // [m]
    // relu: the difference is >= 0 exactly; rounding must not make B smaller than delta.
    const otherDist = tf.relu(tf.sub(allDist, ownDist)); // [m]
    return tf.div(ownDist, tf.add(otherDist, delta)) as tf.Tensor1D; // A / B, [m]
  });
}
