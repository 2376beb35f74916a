// Gradients that tfjs builds from many full-size ops, computed on wasm by one-pass kernels over
// the heap. tfjs registers gradients per op, not per backend, so each override keeps the stock
// gradient and uses it on every other backend (cpu stays the untouched reference) and for shapes
// the fast path does not handle:
// - FusedBatchNorm (batch norm): stock tiles 1/sqrt(var) to the full shape (a slow kernel) and
//   makes ~8 more full passes; here one pass for the per-channel sums of dy and dy * (x - mean)
//   and one for dx = dy * scale / sqrt(var + eps) (an XNNPACK pass, wasm/kernels.ts).
// - Prelu: stock runs greater (a slow bool kernel), two selects, two multiplies, zerosLike and a
//   sum; here dx = dy * (step(x) * (1 - alpha) + alpha) with the factor in one XNNPACK pass, and
//   dalpha = row sums of (x - relu(x)) * dy; with the addon, both in one native pass
//   (native/prelu.ts).
// - Mean and Sum: stock multiplies by a full ones tensor; here a tile of the (divided) dy.

import * as tf from '@tensorflow/tfjs';
import { nativePreluGradFits, trailingBlock } from '../native/prelu.js';
import { nativeConvolutions } from '../native/onednn.js';
import { f32s, output, release, reshape, ROW_BLOCK, runKernel, sizeOf, type Info, type KernelArgs } from './heap.js';
import { channelAffine } from './kernels.js';

type GradFunc = tf.GradConfig['gradFunc'];
type Grads = ReturnType<GradFunc>;

/**
 * The prelu input-gradient factor, 1 where x > 0 and alpha elsewhere: step(x) * (1 - alpha) +
 * alpha as one XNNPACK pass over [rows, block] (with alpha in [0, 1] the factor is exactly 1 or
 * alpha; float32 rounding of 1 - alpha otherwise moves it by at most an ulp).
 */
function preluFactor({ inputs: { x, alpha }, backend }: KernelArgs): Info {
  const block = sizeOf(alpha.shape);
  const mask = runKernel(backend, 'Step', { x }, { alpha: 0 });
  const rows = reshape(backend, mask, [sizeOf(x.shape) / block, block]);
  const as = f32s(backend, alpha)[0];
  const factor = channelAffine(
    backend,
    rows,
    Float64Array.from(as, (v) => 1 - v),
    as,
  );
  const out = reshape(backend, factor, x.shape);
  release(backend, mask, rows, factor);
  return out;
}

/** Per channel (last axis): row 0 = sum(dy), row 1 = sum(dy * (x - mean)), in float64. */
function batchNormSums({ inputs: { x, mean, dy }, backend }: KernelArgs): Info {
  const channels = mean.shape[0];
  const out = output(backend, [2, channels]);
  const [xs, ms, ds, os] = f32s(backend, x, mean, dy, out);
  const rows = xs.length / channels;
  const sumDy = new Float64Array(channels);
  const sumDyX = new Float64Array(channels);
  const wide = channels - (channels % 2);
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const end = Math.min(rows, r0 + ROW_BLOCK) * channels;
    for (let c = 0; c < wide; c += 2) {
      const [m0, m1] = [ms[c], ms[c + 1]];
      let d0 = 0;
      let d1 = 0;
      let e0 = 0;
      let e1 = 0;
      for (let i = r0 * channels + c; i < end; i += channels) {
        const g0 = ds[i];
        const g1 = ds[i + 1];
        d0 += g0;
        d1 += g1;
        e0 += g0 * (xs[i] - m0);
        e1 += g1 * (xs[i + 1] - m1);
      }
      sumDy[c] += d0;
      sumDy[c + 1] += d1;
      sumDyX[c] += e0;
      sumDyX[c + 1] += e1;
    }
    for (let c = wide; c < channels; c++) {
      for (let i = r0 * channels + c; i < end; i += channels) {
        sumDy[c] += ds[i];
        sumDyX[c] += ds[i] * (xs[i] - ms[c]);
      }
    }
  }
  os.set(sumDy, 0);
  os.set(sumDyX, channels);
  return out;
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor =>
  tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;

function preluGrad(dy: tf.Tensor, [x, alpha]: tf.Tensor[]): Grads | null {
  if (nativePreluGradFits(x, alpha) && dy.dtype === 'float32') {
    // Both in one native pass; each thunk returns a handle of its own (the tape disposes them).
    const [dx, dalpha] = tf.engine().runKernel('CtcPreluGrad', { x, alpha, dy }) as tf.Tensor[];
    return { x: () => tf.reshape(dx, x.shape), alpha: () => tf.reshape(dalpha, alpha.shape) };
  }
  const block = trailingBlock(alpha.shape, x.shape);
  if (x.dtype !== 'float32' || block === 0) return null;
  return {
    x: () => tf.mul(dy, run('CtcPreluFactor', { x, alpha })),
    // x - relu(x) is exactly x where x <= 0 and 0 elsewhere; rows summed by the fast leading-axis Sum.
    alpha: () => tf.reshape(tf.sum(tf.reshape(tf.mul(tf.sub(x, tf.relu(x)), dy), [-1, block]), 0), alpha.shape),
  };
}

function batchNormGrad(dy: tf.Tensor, [x, mean, variance, scale]: tf.Tensor[], attrs: tf.NamedAttrMap): Grads | null {
  const c = x.shape[x.shape.length - 1];
  const perChannel = [mean, variance, scale].every((t) => t == null || (t.rank === 1 && t.shape[0] === c));
  if (x.dtype !== 'float32' || !perChannel) return null;
  // Per-channel terms, shared by the five gradients (each is asked for separately).
  const [sumDy, sumDyX] = tf.unstack(run('CtcBatchNormSums', { x, mean, dy }));
  const invStd = tf.rsqrt(tf.add(variance, attrs.varianceEpsilon as number));
  const gain = scale == null ? invStd : tf.mul(scale, invStd); // scale / sqrt(var + eps)
  return {
    x: () => run('CtcScaleChannels', { dy, factor: gain }),
    mean: () => tf.neg(tf.mul(gain, sumDy)),
    variance: () => tf.mul(tf.mul(-0.5, tf.mul(gain, tf.square(invStd))), sumDyX),
    scale: () => tf.mul(invStd, sumDyX),
    offset: () => tf.reshape(sumDy, [c]), // a handle of its own: the tape may dispose an accumulated gradient
  };
}

/** Mean and Sum: dy broadcast back over the reduced axes (divided by their size for Mean). */
function reductionGrad(divide: boolean) {
  return (dy: tf.Tensor, [x]: tf.Tensor[], attrs: tf.NamedAttrMap): Grads | null => {
    if (x.dtype !== 'float32') return null;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const kept = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
    const reps = x.shape.map((s, i) => (axes.includes(i) ? s : 1));
    const size = sizeOf(reps);
    return { x: () => tf.tile(tf.reshape(divide ? tf.div(dy, size) : dy, kept), reps) };
  };
}

/** Relu: one native pass when the addon is active (backend wasm+onednn); the stock chain otherwise. */
function reluGrad(dy: tf.Tensor, [x]: tf.Tensor[]): Grads | null {
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || nativeConvolutions() === null) return null;
  return { x: () => run('CtcReluGrad', { x, dy }) };
}

const WASM_GRADS: Record<string, (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Grads | null> = {
  Prelu: preluGrad,
  Relu: reluGrad,
  FusedBatchNorm: batchNormGrad,
  Mean: reductionGrad(true),
  Sum: reductionGrad(false),
};

export const FUSED_GRADIENT_KERNELS: tf.KernelConfig[] = [
  { kernelName: 'CtcPreluFactor', backendName: 'wasm', kernelFunc: preluFactor as unknown as tf.KernelFunc },
  { kernelName: 'CtcBatchNormSums', backendName: 'wasm', kernelFunc: batchNormSums as unknown as tf.KernelFunc },
];

const installed = new Set<GradFunc>();

/** Replaces the gradients above by versions that take the fast path on wasm. Idempotent. */
export function installFusedGradients(): void {
  for (const [kernelName, wasmGrad] of Object.entries(WASM_GRADS)) {
    const stock = tf.getGradient(kernelName);
    if (stock === undefined || installed.has(stock.gradFunc)) continue;
    const gradFunc: GradFunc = (dy, saved, attrs) =>
      (tf.getBackend() === 'wasm' ? wasmGrad(dy as tf.Tensor, saved, attrs) : null) ?? stock.gradFunc(dy, saved, attrs);
    installed.add(gradFunc);
    tf.registerGradient({ ...stock, gradFunc });
  }
}

/** True when every gradient above is ctc's. */
export function fusedGradientsInstalled(): boolean {
  return Object.keys(WASM_GRADS).every((name) => {
    const g = tf.getGradient(name);
    return g !== undefined && installed.has(g.gradFunc);
  });
}
