// Correct and fast gradient kernels for the wasm backend of TensorFlow.js 4.22.
// Stock tfjs-backend-wasm has no Conv2DBackpropFilter kernel, a naive (slow) Conv2DBackpropInput,
// and a MaxPoolGrad that drops gradient entries when channels > 1. We replace all three at the
// kernel level, so both tf.conv2d and tf.fused.conv2d (what tf.layers.conv2d runs while
// training) are covered, while cpu/tensorflow kernels stay stock. Both conv gradients are
// rewritten as forward convolutions, which XNNPACK runs fast; max-pool backprop is a plain loop
// over the wasm heap that follows the cpu backend's tie rule exactly.

import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { FUSED_GRADIENT_KERNELS, fusedGradientsInstalled, installFusedGradients } from './wasm-fused-gradients.js';
import { deferOutput } from './wasm-deferred.js';
import { f32s, release, rememberStock, runKernel, type Info, type KernelArgs } from './wasm-heap.js';
import { FAST_KERNELS } from './wasm-kernels.js';

type Shape4 = [number, number, number, number];

/** Input gradients of convolutions with at most this many input channels are computed on first read. */
const DEFER_MAX_CHANNELS = 4;
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
/** [[before, after] rows, [before, after] columns]; a negative number crops instead of pads. */
type Pads2 = [[number, number], [number, number]];

function forwardConvInfo(kernel: string, xShape: number[], filterShape: number[], attrs: Record<string, unknown>) {
  const { strides, pad, dataFormat, dimRoundingMode } = attrs;
  // The wasm forward Conv2D is NHWC-only too, so NCHW could not be made fast here anyway.
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports only dataFormat NHWC, got ${String(dataFormat)}`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4, filterShape as Shape4, strides as number | [number, number], 1,
    pad as Pad, dimRoundingMode as Rounding, false, 'channelsLast');
}

/**
 * Stride-1 convolution of x with f at the given dilation, padded by `pads` (negative = crop),
 * returning exactly [batch, outH, outW, channels]. Padding is done inside XNNPACK; a crop is a
 * slice of the output, which is needed only for odd shape/stride combinations.
 */
function convPadded(backend: BackendWasm, x: Info, f: Info, dilations: [number, number], pads: Pads2, outH: number, outW: number): Info {
  const [[top, bottom], [left, right]] = pads;
  const pad = [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]];
  const y = runKernel(backend, 'Conv2D', { x, filter: f }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations });
  const begin = [0, Math.max(0, -top), Math.max(0, -left), 0];
  if (begin[1] === 0 && begin[2] === 0 && y.shape[1] === outH && y.shape[2] === outW) return y;
  const cropped = runKernel(backend, 'Slice', { x: y }, { begin, size: [y.shape[0], outH, outW, y.shape[3]] });
  release(backend, y);
  return cropped;
}

/** Inserts s-1 zeros after every row/column: [N,Ho,Wo,C] -> [N,Ho*sh,Wo*sw,C]. */
function dilateByStride(backend: BackendWasm, x: Info, sh: number, sw: number): Info {
  const [n, ho, wo, c] = x.shape;
  if (sh === 1 && sw === 1) return runKernel(backend, 'Reshape', { x }, { shape: x.shape });
  const x6 = runKernel(backend, 'Reshape', { x }, { shape: [n, ho, 1, wo, 1, c] });
  const padded = runKernel(backend, 'PadV2', { x: x6 }, {
    paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0,
  });
  const out = runKernel(backend, 'Reshape', { x: padded }, { shape: [n, ho * sh, wo * sw, c] });
  release(backend, x6, padded);
  return out;
}

/**
 * dx for y = conv2d(x, w). Forward: y[o] = sum_k x[o*s + k - padTop] * w[k], so
 * dx[i] = sum_k dyUp[i + padTop - k] * w[k] with dyUp = dy dilated by s: a full correlation of
 * dyUp with the 180-degree rotated filter (in/out channels swapped), padded by K-1-padTop before.
 */
function conv2DBackpropInput({ inputs, backend, attrs }: KernelArgs): Info {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const info = forwardConvInfo('Conv2DBackpropInput', inputShape, filter.shape, attrs);
  const compute = (): Info => {
    const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo } = info;
    const dyUp = dilateByStride(backend, dy, sh, sw); // [N, Ho*sh, Wo*sw, Co]
    const rotated = runKernel(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = runKernel(backend, 'Transpose', { x: rotated }, { perm: [0, 1, 3, 2] }); // [kh, kw, Co, Ci]
    const pads: Pads2 = [
      [kh - 1 - padInfo.top, info.inHeight + padInfo.top - info.outHeight * sh],
      [kw - 1 - padInfo.left, info.inWidth + padInfo.left - info.outWidth * sw],
    ];
    const dx = convPadded(backend, dyUp, swapped, [1, 1], pads, info.inHeight, info.inWidth);
    release(backend, dyUp, rotated, swapped);
    return dx;
  };
  // A layer with at most 4 input channels is, in practice, the first one: its input is the
  // images, whose gradient nobody reads, yet the fused conv2d gradient asks for it.
  return info.inChannels <= DEFER_MAX_CHANNELS ? deferOutput(backend, inputShape, [dy, filter], compute) : compute();
}

/**
 * dW for y = conv2d(x, w): dW[k,ci,co] = sum_{n,o} x[n, o*s + k - padTop, ci] * dy[n, o, co].
 * That is a convolution with batch = Ci and channels = N: input x^T [Ci,H,W,N], filter
 * dy^T [Ho,Wo,N,Co] dilated by s, stride 1, giving [Ci,kh,kw,Co].
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs;
  const info = forwardConvInfo('Conv2DBackpropFilter', x.shape, attrs.filterShape as number[], attrs);
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo } = info;
  const xT = runKernel(backend, 'Transpose', { x }, { perm: [3, 1, 2, 0] }); // [Ci, H, W, N]
  const dyT = runKernel(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, N, Co]
  const pads: Pads2 = [
    [padInfo.top, kh + sh * (info.outHeight - 1) - info.inHeight - padInfo.top],
    [padInfo.left, kw + sw * (info.outWidth - 1) - info.inWidth - padInfo.left],
  ];
  const grad = convPadded(backend, xT, dyT, [sh, sw], pads, kh, kw); // [Ci, kh, kw, Co]
  const dW = runKernel(backend, 'Transpose', { x: grad }, { perm: [1, 2, 0, 3] });
  release(backend, xT, dyT, grad);
  return dW;
}

let accumulator = new Float64Array(0);

/**
 * The common 2x2, stride 2, unpadded case (LeNets, LeNets++): windows are disjoint, so each
 * window writes its dy to its first maximum; the four comparisons are written out (30% faster).
 * `dxs` must be zero on entry.
 */
function maxPool2x2Grad(xs: Float32Array, dys: Float32Array, dxs: Float32Array, n: number, H: number, W: number, Ho: number, Wo: number, C: number): void {
  for (let b = 0; b < n; b++) {
    for (let yR = 0; yR < Ho; yR++) {
      for (let yC = 0; yC < Wo; yC++) {
        const i0 = ((b * H + 2 * yR) * W + 2 * yC) * C;
        const i1 = i0 + C;
        const i2 = i0 + W * C;
        const i3 = i2 + C;
        const dyBase = ((b * Ho + yR) * Wo + yC) * C;
        for (let d = 0; d < C; d++) {
          const [v0, v1, v2, v3] = [xs[i0 + d], xs[i1 + d], xs[i2 + d], xs[i3 + d]];
          // In row-major order: ties go to the first cell, as on cpu.
          // Strict > from -Infinity, as on cpu: NaN and -Infinity never win.
          let at = v0 > -Infinity ? i0 : -1;
          let best = v0 > -Infinity ? v0 : -Infinity;
          if (v1 > best) {
            at = i1;
            best = v1;
          }
          if (v2 > best) {
            at = i2;
            best = v2;
          }
          if (v3 > best) at = i3;
          if (at >= 0) dxs[at + d] = dys[dyBase + d];
        }
      }
    }
  }
}

/**
 * MaxPool backprop with the cpu backend's semantics (tfjs-backend-cpu maxPoolPositions): each
 * window sends its gradient to the FIRST maximum in row-major order (strict >), so tied windows
 * (flat MNIST background) give one entry, not all. Overlapping windows are summed in float64 in
 * the same order as cpu and rounded once, so the result is bit-identical.
 */
function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): Info {
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as Shape4, attrs.filterSize as [number, number], attrs.strides as [number, number], 1,
    attrs.pad as Pad, attrs.dimRoundingMode as Rounding);
  const dx = backend.makeOutput(input.shape, 'float32');
  // Take heap views only after makeOutput: its malloc may grow, and so detach, the wasm heap.
  const [xs, dys, dxs] = f32s(backend, input, dy, dx);
  const { batchSize, inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo, inChannels: C } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw, padInfo } = info;
  const overlaps = sh < fh || sw < fw;
  if (overlaps && accumulator.length < dxs.length) accumulator = new Float64Array(dxs.length);
  const acc = overlaps ? accumulator.subarray(0, dxs.length) : dxs;
  acc.fill(0);
  if (fh === 2 && fw === 2 && sh === 2 && sw === 2 && padInfo.top === 0 && padInfo.left === 0 && H >= 2 * Ho && W >= 2 * Wo) {
    maxPool2x2Grad(xs, dys, dxs, batchSize, H, W, Ho, Wo, C);
    return dx;
  }
  const best = new Float64Array(C);
  const bestAt = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < Ho; yR++) {
      const r0 = yR * sh - padInfo.top;
      const rEnd = Math.min(H, r0 + fh);
      for (let yC = 0; yC < Wo; yC++) {
        const c0 = yC * sw - padInfo.left;
        const cEnd = Math.min(W, c0 + fw);
        best.fill(Number.NEGATIVE_INFINITY);
        bestAt.fill(-1);
        for (let xR = Math.max(0, r0); xR < rEnd; xR++) {
          for (let xC = Math.max(0, c0); xC < cEnd; xC++) {
            const base = ((b * H + xR) * W + xC) * C;
            for (let d = 0; d < C; d++) {
              const v = xs[base + d];
              if (v > best[d]) {
                best[d] = v;
                bestAt[d] = base + d;
              }
            }
          }
        }
        const dyBase = ((b * Ho + yR) * Wo + yC) * C;
        for (let d = 0; d < C; d++) if (bestAt[d] >= 0) acc[bestAt[d]] += dys[dyBase + d];
      }
    }
  }
  if (overlaps) dxs.set(acc);
  return dx;
}

const GRADIENT_KERNELS: tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc },
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc },
  { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad as unknown as tf.KernelFunc },
];

/** Every wasm kernel ctc registers: the gradients above, faster stock replacements, fused gradients. */
const KERNELS: tf.KernelConfig[] = [...GRADIENT_KERNELS, ...FAST_KERNELS, ...FUSED_GRADIENT_KERNELS];

/** Names of the wasm kernels this module replaces or adds. */
export const WASM_GRADIENT_KERNELS: readonly string[] = KERNELS.map((k) => k.kernelName);

/** True when every kernel and gradient of ctc's wasm fast path is the one registered. */
export function wasmGradientsInstalled(): boolean {
  return KERNELS.every((k) => tf.getKernel(k.kernelName, 'wasm')?.kernelFunc === k.kernelFunc) && fusedGradientsInstalled();
}

/** Each replaced stock kernel's setup (binding its C function); it must still run at backend start. */
const stockSetup = new Map<string, tf.KernelSetupFunc | undefined>();

/**
 * Registers the kernels above for 'wasm' and the fused gradients. Idempotent: a kernel that is
 * already ours is left alone (registerKernel would warn on a duplicate). Works before or after
 * the backend starts, since the engine looks kernels up on every call; a replaced stock kernel
 * keeps its setup function, so kernels falling back to it work either way.
 */
export function installWasmGradients(): void {
  for (const config of KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined) {
      rememberStock(config.kernelName);
      if (!stockSetup.has(config.kernelName)) stockSetup.set(config.kernelName, current.setupFunc);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    tf.registerKernel({ ...config, setupFunc: stockSetup.get(config.kernelName) });
  }
  installFusedGradients();
}
