// Whether a center term can move the features, measured on one training batch (issue 30): the
// features' mean norm, the mean A_i = ||x_i - c_{y_i}||^2 and, for contrastive-center loss,
// B_i = sum_{j != y_i} ||x_i - c_j||^2 + delta, and the ratio of the auxiliary term's gradient on
// the features (lambda dL_aux/dX, as configured: reduction included) to softmax's (dL_softmax/dX,
// through the network's 'logits' layer), as Frobenius norms. The suspected mechanism: A/B does not
// change when every feature and center is scaled by R, so its gradient falls like 1/R while
// softmax grows the features; this ratio shows whether it does.

import * as tf from '@tensorflow/tfjs';
import type { TrainingLoss } from '../losses/types.js';

export interface FeatureDiagnostics {
  /** Mean ||x_i|| over the batch. */
  featureNorm: number;
  /** Mean A_i (losses with centers). */
  a?: number;
  /** Mean B_i including delta (contrastive-center loss). */
  b?: number;
  /** ||lambda dL_aux/dX|| / ||dL_softmax/dX|| (losses with an auxiliary term). */
  auxGradRatio?: number;
}

/** Above this many classes the [m, k] distances for B are not formed (the loss itself never forms them). */
const MAX_CLASSES_FOR_B = 4096;

/**
 * The diagnostics of `features` [m, d] (the batch's, before the step's update) with their labels.
 * Reads one small tensor; leaves no tensor behind.
 */
export async function diagnoseFeatures(
  model: tf.LayersModel,
  loss: TrainingLoss,
  features: tf.Tensor2D,
  labels: tf.Tensor1D,
): Promise<FeatureDiagnostics> {
  const centers = loss.centers;
  const contrastive = loss.name === 'contrastive-center';
  const values = tf.tidy(() => {
    const out: tf.Scalar[] = [tf.mean(tf.norm(features, 'euclidean', 1))];
    if (centers) {
      const own = tf.gather(centers, labels); // [m, d]
      const a = tf.sum(tf.square(tf.sub(features, own)), 1); // [m]
      out.push(tf.mean(a));
      if (contrastive && centers.shape[0] <= MAX_CLASSES_FOR_B) {
        const all = tf.sum(tf.square(tf.sub(tf.expandDims(features, 1), tf.expandDims(centers, 0))), 2); // [m, k]
        const delta = Number(loss.hyper.delta ?? 0);
        out.push(tf.mean(tf.add(tf.sub(tf.sum(all, 1), a), delta)));
      } else out.push(tf.scalar(NaN));
      const head = model.getLayer('logits');
      const terms = (f: tf.Tensor2D) => loss.compute(f, head.apply(f) as tf.Tensor2D, labels);
      const softGrad = tf.grad((f) => terms(f as tf.Tensor2D).softmax)(features);
      const auxGrad = tf.grad((f) => {
        const t = terms(f as tf.Tensor2D);
        return tf.sub(t.total, t.softmax);
      })(features);
      out.push(tf.div(tf.norm(auxGrad), tf.norm(softGrad)));
    }
    return tf.stack(out);
  });
  const [featureNorm, a, b, ratio] = Array.from(await values.data());
  values.dispose();
  if (!centers) return { featureNorm };
  return { featureNorm, a, ...(Number.isNaN(b) ? {} : { b }), auxGradRatio: ratio };
}
