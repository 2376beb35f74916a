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
  const { x, gamma, beta, movingMean, movingVariance, residual } = inputs;
  const channels = x.shape[x.shape.length - 1];
  const y = output(backend, x.shape);
  const [mean, variance, nextMean, nextVariance] = [0, 1, 2, 3].map(() => output(backend, [channels]));
  const infos = [x, gamma, beta, y, mean, variance, movingMean, movingVariance, nextMean, nextVariance];
  const [xs, gs, bs, ys, ms, vs, mm, mv, nm, nv, rs] = f32s(backend, ...infos, ...(residual ? [residual] : []));
  addon.batchNormForward(normDims(x), xs, gs, bs, attrs.epsilon as number, ys, ms, vs, rs ?? null, attrs.relu === true);
  const fr = Math.fround;
  const keep = fr(1 - (attrs.momentum as number));
  for (let k = 0; k < channels; k++) {
    nm[k] = mm[k] - fr(fr(mm[k] - ms[k]) * keep);
    nv[k] = mv[k] - fr(fr(mv[k] - vs[k]) * keep);
  }
  return [y, mean, variance, nextMean, nextVariance];
}

/** [dx, dgamma, dbeta] of the above, through the batch statistics, plus d(residual) when it had one. */
function batchNormTrainGrad({ inputs, backend, attrs }: KernelArgs): Info[] {
  const addon = requireNative('CtcBatchNormTrainGrad');
  const { x, dy, gamma, mean, variance, y } = inputs;
  const channels = x.shape[x.shape.length - 1];
  const dx = output(backend, x.shape);
  const dgamma = output(backend, [channels]);
  const dbeta = output(backend, [channels]);
  const dresidual = attrs.residual === true ? output(backend, x.shape) : undefined;
  const optional = [...(y ? [y] : []), ...(dresidual ? [dresidual] : [])];
  const [xs, dys, gs, ms, vs, dxs, dgs, dbs, ...rest] = f32s(
    backend,
    x,
    dy,
    gamma,
    mean,
    variance,
    dx,
    dgamma,
    dbeta,
    ...optional,
  );
  const ys = y ? rest[0] : null;
  const drs = dresidual ? rest[rest.length - 1] : null;
  addon.batchNormBackward(normDims(x), xs, dys, gs, ms, vs, attrs.epsilon as number, dxs, dgs, dbs, ys, drs);
  return dresidual ? [dx, dgamma, dbeta, dresidual] : [dx, dgamma, dbeta];
}

export const NATIVE_BATCH_NORM_KERNELS: tf.KernelConfig[] = [
  { kernelName: 'CtcBatchNormTrain', backendName: 'wasm', kernelFunc: batchNormTrain as unknown as tf.KernelFunc },
  {
    kernelName: 'CtcBatchNormTrainGrad',
    backendName: 'wasm',
    kernelFunc: batchNormTrainGrad as unknown as tf.KernelFunc,
  },
];

/** What a fused batch norm ends in: ResNet's BN -> ReLU, or BN -> add(residual) -> ReLU. */
export interface BatchNormTail {
  relu?: boolean;
  residual?: tf.Tensor;
}

/**
 * Training-mode batch norm of x over its last axis: y (differentiable in x, gamma, beta and the
 * residual), and the moving statistics updated with this batch's (not differentiated). With a
 * tail, y = relu(bn(x) (+ residual)) in one kernel, and its gradient in one. The caller disposes
 * the moving statistics: they are kept out of any enclosing tidy.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  moving: { mean: tf.Tensor; variance: tf.Tensor; momentum: number },
  epsilon: number,
  tail: BatchNormTail = {},
): { y: tf.Tensor; movingMean: tf.Tensor1D; movingVariance: tf.Tensor1D } {
  const relu = tail.relu === true || tail.residual !== undefined;
  const residual = tail.residual !== undefined;
  let updated: tf.Tensor[] = [];
  const forward = (...args: tf.Tensor[]) => {
    const save = args.pop() as unknown as tf.GradSaveFunc;
    const [xi, g, b, res] = args;
    const inputs = {
      x: xi,
      gamma: g,
      beta: b,
      movingMean: moving.mean,
      movingVariance: moving.variance,
      ...(res ? { residual: res } : {}),
    };
    const [y, mean, variance, movingMean, movingVariance] = tf
      .engine()
      .runKernel('CtcBatchNormTrain', inputs, { epsilon, momentum: moving.momentum, relu }) as tf.Tensor[];
    // With a relu the gradient's mask comes from y itself (the next layer keeps it anyway).
    save(relu ? [xi, g, mean, variance, y] : [xi, g, mean, variance]);
    // customGrad runs this inside a tidy that keeps only `value`: keep the statistics past it.
    updated = [tf.keep(movingMean), tf.keep(movingVariance)];
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sg, sm, sv, sy] = saved;
        const gradInputs = { x: sx, dy: dy as tf.Tensor, gamma: sg, mean: sm, variance: sv, ...(sy ? { y: sy } : {}) };
        return tf.engine().runKernel('CtcBatchNormTrainGrad', gradInputs, { epsilon, residual }) as tf.Tensor[];
      },
    };
  };
  const inputs = residual ? [x, gamma, beta, tail.residual!] : [x, gamma, beta];
  const y = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0])(...inputs);
  return { y, movingMean: updated[0] as tf.Tensor1D, movingVariance: updated[1] as tf.Tensor1D };
}

interface LayerVariableLike {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

export interface BatchNormLayer {
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

/**
 * A tf.layers BatchNormalization layer's training-mode output through the native kernels, with
 * its moving statistics updated as tf.layers updates them; null where that path does not apply
 * (inference, another axis, no gamma or beta, not float32, not on wasm with the addon), and then
 * the caller runs tf.layers' own.
 */
export function nativeBatchNormCall(
  layer: BatchNormLayer,
  x: tf.Tensor,
  kwargs: Record<string, unknown> | undefined,
  tail: BatchNormTail = {},
): tf.Tensor | null {
  const lastAxis = layer.axis === -1 || layer.axis === x.rank - 1;
  const usable =
    kwargs?.training === true &&
    lastAxis &&
    layer.gamma !== undefined &&
    layer.beta !== undefined &&
    x.dtype === 'float32' &&
    tf.getBackend() === 'wasm' &&
    nativeConvolutions() !== null;
  if (!usable) return null;
  return tf.tidy(() => {
    const moving = { mean: layer.movingMean.read(), variance: layer.movingVariance.read(), momentum: layer.momentum };
    const { y, movingMean, movingVariance } = batchNormTraining(
      x,
      layer.gamma!.read() as tf.Tensor1D,
      layer.beta!.read() as tf.Tensor1D,
      moving,
      layer.epsilon,
      tail,
    );
    layer.movingMean.write(movingMean);
    layer.movingVariance.write(movingVariance);
    tf.dispose([movingMean, movingVariance]);
    return y;
  });
}

let wrapped = false;

/** Wraps tf.layers' BatchNormalization.call once per process (see the header). */
export function installNativeBatchNorm(): void {
  if (wrapped) return;
  wrapped = true;
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call };
  const original = proto.call;
  proto.call = function call(this: BatchNormLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return nativeBatchNormCall(this, x, kwargs) ?? original.call(this, inputs, kwargs);
  };
}
