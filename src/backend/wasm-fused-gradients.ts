// Gradients that tfjs builds from many full-size ops, computed on wasm by one-pass kernels over
// the heap. tfjs registers gradients per op, not per backend, so each override keeps the stock
// gradient and uses it on every other backend (cpu stays the untouched reference) and for shapes
// the fast path does not handle. Per [128,32,32,16] activation, measured on one thread:
// - FusedBatchNorm (batch norm): stock tiles 1/sqrt(var) to the full shape (120 ms on wasm) and
//   makes ~8 more full passes; here one pass for the per-channel sums of dy and dy * (x - mean)
//   and one for dx = dy * scale / sqrt(var + eps) (an XNNPACK pass, wasm-kernels.ts).
// - Prelu: stock runs greater, two selects, two multiplies, zerosLike and a sum; here one pass
//   each for dx and dalpha.
// - Mean and Sum: stock multiplies by a full ones tensor; here a tile of the (divided) dy.

import * as tf from '@tensorflow/tfjs';
import { f32s, output, ROW_BLOCK, sizeOf, type Info, type KernelArgs } from './wasm-heap.js';

type GradFunc = tf.GradConfig['gradFunc'];
type Grads = ReturnType<GradFunc>;

/**
 * Size of the block that `alpha` repeats over x (alpha's shape without leading ones must equal
 * the tail of x's shape), or 0 when alpha broadcasts some other way.
 */
function trailingBlock(alphaShape: readonly number[], xShape: readonly number[]): number {
  let first = 0;
  while (first < alphaShape.length && alphaShape[first] === 1) first++;
  const core = alphaShape.slice(first);
  const tail = xShape.slice(xShape.length - core.length);
  return core.length <= xShape.length && core.every((s, i) => s === tail[i]) ? sizeOf(core) : 0;
}

/** dx of prelu: dy where x > 0, else alpha * dy. */
function preluGradX({ inputs: { x, alpha, dy }, backend }: KernelArgs): Info {
  const out = output(backend, x.shape);
  const [xs, as, ds, os] = f32s(backend, x, alpha, dy, out);
  const a = as.length;
  const oneMinus = Float64Array.from(as, (v) => 1 - v);
  // Branch-free (signs are random: a branch here runs 2-3x slower): the factor is exactly 1 or
  // exactly alpha. Hot loops are written out: V8 does not hoist arrays captured by a closure.
  if (a % 4 === 0) {
    for (let i = 0; i < xs.length; i += a) {
      for (let c = 0; c < a; c += 4) {
        const j = i + c;
        os[j] = ds[j] * (as[c] + +(xs[j] > 0) * oneMinus[c]);
        os[j + 1] = ds[j + 1] * (as[c + 1] + +(xs[j + 1] > 0) * oneMinus[c + 1]);
        os[j + 2] = ds[j + 2] * (as[c + 2] + +(xs[j + 2] > 0) * oneMinus[c + 2]);
        os[j + 3] = ds[j + 3] * (as[c + 3] + +(xs[j + 3] > 0) * oneMinus[c + 3]);
      }
    }
  } else {
    for (let i = 0; i < xs.length; i += a) for (let c = 0; c < a; c++) os[i + c] = ds[i + c] * (as[c] + +(xs[i + c] > 0) * oneMinus[c]);
  }
  return out;
}

/** dalpha of prelu: sum over the broadcast rows of dy * x where x <= 0 (blocked as columnSums). */
function preluGradAlpha({ inputs: { x, dy }, backend, attrs }: KernelArgs): Info {
  const a = attrs.block as number;
  const out = output(backend, [a]);
  const [xs, ds, os] = f32s(backend, x, dy, out);
  const rows = xs.length / a;
  const acc = new Float64Array(a);
  const wide = a - (a % 4);
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const end = Math.min(rows, r0 + ROW_BLOCK) * a;
    for (let c = 0; c < wide; c += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = r0 * a + c; i < end; i += a) {
        const [v0, v1, v2, v3] = [xs[i], xs[i + 1], xs[i + 2], xs[i + 3]];
        s0 += +(v0 <= 0) * v0 * ds[i];
        s1 += +(v1 <= 0) * v1 * ds[i + 1];
        s2 += +(v2 <= 0) * v2 * ds[i + 2];
        s3 += +(v3 <= 0) * v3 * ds[i + 3];
      }
      acc[c] += s0;
      acc[c + 1] += s1;
      acc[c + 2] += s2;
      acc[c + 3] += s3;
    }
    for (let c = wide; c < a; c++) {
      for (let i = r0 * a + c; i < end; i += a) acc[c] += +(xs[i] <= 0) * xs[i] * ds[i];
    }
  }
  os.set(acc);
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
  const block = trailingBlock(alpha.shape, x.shape);
  if (x.dtype !== 'float32' || block === 0) return null;
  return {
    x: () => run('CtcPreluGradX', { x, alpha, dy }),
    alpha: () => tf.reshape(run('CtcPreluGradAlpha', { x, dy }, { block }), alpha.shape),
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

const WASM_GRADS: Record<string, (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Grads | null> = {
  Prelu: preluGrad,
  FusedBatchNorm: batchNormGrad,
  Mean: reductionGrad(true),
  Sum: reductionGrad(false),
};

export const FUSED_GRADIENT_KERNELS: tf.KernelConfig[] = [
  { kernelName: 'CtcPreluGradX', backendName: 'wasm', kernelFunc: preluGradX as unknown as tf.KernelFunc },
  { kernelName: 'CtcPreluGradAlpha', backendName: 'wasm', kernelFunc: preluGradAlpha as unknown as tf.KernelFunc },
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
