// Training-mode batch normalisation in the addon (backend wasm+onednn). tf.layers computes it as
// tf.moments (Mean, Sub, Square, Mean) then FusedBatchNorm, and differentiates that chain op by
// op: about a dozen passes over each activation, a large part of a ResNet-20 step. Here the
// forward pass is two passes (statistics, then y) and the gradient two (sums, then dx), with
// the gradient through the batch statistics in closed form. BatchNormalization.call is wrapped:
// in training mode, over the last axis, with gamma and beta, on wasm with the addon active, it
// takes this path and updates the moving statistics exactly as tf.layers does; otherwise the
// original runs.

import * as tf from '@tensorflow/tfjs';
import { nativeConvolutions, requireNative } from './onednn.js';
import { f32s, output, sizeOf, type Info, type KernelArgs } from '../wasm/heap.js';

function normDims(x: Info): Int32Array {
  const channels = x.shape[x.shape.length - 1];
  return Int32Array.from([sizeOf(x.shape) / channels, channels]);
}

/**
 * [y, mean, variance, moving mean', moving variance'] of training-mode batch norm over the last
 * axis. The moving statistics follow tf.layers' update, moving - (moving - batch) * (1 - momentum),
 * rounded to float32 step by step as its three ops round it (six tiny kernels per layer there).
 */
function batchNormTrain({ inputs, backend, attrs }: KernelArgs): Info[] {
  const addon = requireNative('CtcBatchNormTrain');
  const { x, gamma, beta, movingMean, movingVariance } = inputs;
  const channels = x.shape[x.shape.length - 1];
  const y = output(backend, x.shape);
  const [mean, variance, nextMean, nextVariance] = [0, 1, 2, 3].map(() => output(backend, [channels]));
  const [xs, gs, bs, ys, ms, vs, mm, mv, nm, nv] = f32s(
    backend,
    x,
    gamma,
    beta,
    y,
    mean,
    variance,
    movingMean,
    movingVariance,
    nextMean,
    nextVariance,
  );
  addon.batchNormForward(normDims(x), xs, gs, bs, attrs.epsilon as number, ys, ms, vs);
  const fr = Math.fround;
  const keep = fr(1 - (attrs.momentum as number));
  for (let k = 0; k < channels; k++) {
    nm[k] = mm[k] - fr(fr(mm[k] - ms[k]) * keep);
    nv[k] = mv[k] - fr(fr(mv[k] - vs[k]) * keep);
  }
  return [y, mean, variance, nextMean, nextVariance];
}

/** [dx, dgamma, dbeta] of the above, through the batch statistics. */
function batchNormTrainGrad({ inputs, backend, attrs }: KernelArgs): Info[] {
  const addon = requireNative('CtcBatchNormTrainGrad');
  const { x, dy, gamma, mean, variance } = inputs;
  const channels = x.shape[x.shape.length - 1];
  const dx = output(backend, x.shape);
  const dgamma = output(backend, [channels]);
  const dbeta = output(backend, [channels]);
  const [xs, dys, gs, ms, vs, dxs, dgs, dbs] = f32s(backend, x, dy, gamma, mean, variance, dx, dgamma, dbeta);
  addon.batchNormBackward(normDims(x), xs, dys, gs, ms, vs, attrs.epsilon as number, dxs, dgs, dbs);
  return [dx, dgamma, dbeta];
}

export const NATIVE_BATCH_NORM_KERNELS: tf.KernelConfig[] = [
  { kernelName: 'CtcBatchNormTrain', backendName: 'wasm', kernelFunc: batchNormTrain as unknown as tf.KernelFunc },
  {
    kernelName: 'CtcBatchNormTrainGrad',
    backendName: 'wasm',
    kernelFunc: batchNormTrainGrad as unknown as tf.KernelFunc,
  },
];

/**
 * Training-mode batch norm of x over its last axis: y (differentiable in x, gamma, beta), and the
 * moving statistics updated with this batch's (not differentiated). The caller disposes the
 * moving statistics: they are kept out of any enclosing tidy.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  moving: { mean: tf.Tensor; variance: tf.Tensor; momentum: number },
  epsilon: number,
): { y: tf.Tensor; movingMean: tf.Tensor1D; movingVariance: tf.Tensor1D } {
  let updated: tf.Tensor[] = [];
  const forward = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const inputs = { x: xi, gamma: g, beta: b, movingMean: moving.mean, movingVariance: moving.variance };
    const [y, mean, variance, movingMean, movingVariance] = tf
      .engine()
      .runKernel('CtcBatchNormTrain', inputs, { epsilon, momentum: moving.momentum }) as tf.Tensor[];
    save([xi, g, mean, variance]);
    // customGrad runs this inside a tidy that keeps only `value`: keep the statistics past it.
    updated = [tf.keep(movingMean), tf.keep(movingVariance)];
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sg, sm, sv] = saved;
        return tf
          .engine()
          .runKernel(
            'CtcBatchNormTrainGrad',
            { x: sx, dy: dy as tf.Tensor, gamma: sg, mean: sm, variance: sv },
            { epsilon },
          ) as tf.Tensor[];
      },
    };
  };
  const y = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0])(x, gamma, beta);
  return { y, movingMean: updated[0] as tf.Tensor1D, movingVariance: updated[1] as tf.Tensor1D };
}

interface LayerVariableLike {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: LayerVariableLike;
  beta?: LayerVariableLike;
  movingMean: LayerVariableLike;
  movingVariance: LayerVariableLike;
}

type Call = (
  this: BatchNormLayer,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
) => tf.Tensor | tf.Tensor[];

let wrapped = false;

/** Wraps tf.layers' BatchNormalization.call once per process (see the header). */
export function installNativeBatchNorm(): void {
  if (wrapped) return;
  wrapped = true;
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call };
  const original = proto.call;
  proto.call = function call(this: BatchNormLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = this.axis === -1 || this.axis === x.rank - 1;
    const usable =
      kwargs?.training === true &&
      lastAxis &&
      this.gamma !== undefined &&
      this.beta !== undefined &&
      x.dtype === 'float32' &&
      tf.getBackend() === 'wasm' &&
      nativeConvolutions() !== null;
    if (!usable) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const moving = { mean: this.movingMean.read(), variance: this.movingVariance.read(), momentum: this.momentum };
      const { y, movingMean, movingVariance } = batchNormTraining(
        x,
        this.gamma!.read() as tf.Tensor1D,
        this.beta!.read() as tf.Tensor1D,
        moving,
        this.epsilon,
      );
      this.movingMean.write(movingMean);
      this.movingVariance.write(movingVariance);
      tf.dispose([movingMean, movingVariance]);
      return y;
    });
  };
}
