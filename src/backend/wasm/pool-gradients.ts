// MaxPool backprop for the wasm backend of TensorFlow.js 4.22: the stock kernel drops gradient
// entries when channels > 1; this one is a plain loop over the wasm heap that follows the cpu
// backend's tie rule exactly.

import * as tf from '@tensorflow/tfjs';
import { nativeConvolutions } from '../native/onednn.js';
import { f32s, type Info, type KernelArgs } from './heap.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

let accumulator = new Float64Array(0);

/**
 * The common 2x2, stride 2, unpadded case (LeNets, LeNets++): windows are disjoint, so each
 * window writes its dy to its first maximum; the four comparisons are written out (30% faster).
 * `dxs` must be zero on entry.
 */
function maxPool2x2Grad(
  xs: Float32Array,
  dys: Float32Array,
  dxs: Float32Array,
  n: number,
  H: number,
  W: number,
  Ho: number,
  Wo: number,
  C: number,
): void {
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

/** 2x2 windows, stride 2, no padding: the disjoint windows of LeNets' and LeNets++'s pools. */
export function isTwoByTwoPool(info: tf.backend_util.Conv2DInfo): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo, inHeight, inWidth, outHeight, outWidth } =
    info;
  return (
    filterHeight === 2 &&
    filterWidth === 2 &&
    strideHeight === 2 &&
    strideWidth === 2 &&
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    inHeight >= 2 * outHeight &&
    inWidth >= 2 * outWidth
  );
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
    input.shape as Shape4,
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  // Take heap views only after makeOutput: its malloc may grow, and so detach, the wasm heap.
  const [xs, dys, dxs] = f32s(backend, input, dy, dx);
  const { batchSize, inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo, inChannels: C } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw, padInfo } = info;
  const twoByTwo = isTwoByTwoPool(info);
  // The addon (backend wasm+onednn) runs the loops below compiled, on every core.
  const addon = nativeConvolutions();
  if (addon !== null) {
    if (twoByTwo) addon.maxPoolGrad2x2(Int32Array.from([batchSize, H, W, Ho, Wo, C]), xs, dys, dxs);
    else
      addon.maxPoolGrad(
        Int32Array.from([batchSize, H, W, C, Ho, Wo, fh, fw, sh, sw, padInfo.top, padInfo.left]),
        xs,
        dys,
        dxs,
      );
    return dx;
  }
  const overlaps = sh < fh || sw < fw;
  if (overlaps && accumulator.length < dxs.length) accumulator = new Float64Array(dxs.length);
  const acc = overlaps ? accumulator.subarray(0, dxs.length) : dxs;
  acc.fill(0);
  if (twoByTwo) {
    maxPool2x2Grad(xs, dys, dxs, batchSize, H, W, Ho, Wo, C);
    return dx;
  }
  if (fh === 1 && fw === 1 && padInfo.top === 0 && padInfo.left === 0) {
    // A 1x1 window (ResNet's option-A shortcut subsamples this way): each dy pixel goes to the
    // one input pixel it was taken from, unless that pixel is NaN or -Infinity (cpu's rule).
    for (let b = 0; b < batchSize; b++) {
      for (let yR = 0; yR < Ho; yR++) {
        for (let yC = 0; yC < Wo; yC++) {
          const from = ((b * Ho + yR) * Wo + yC) * C;
          const to = ((b * H + yR * sh) * W + yC * sw) * C;
          for (let d = 0; d < C; d++) dxs[to + d] = xs[to + d] > -Infinity ? dys[from + d] : 0;
        }
      }
    }
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

export const POOL_GRADIENT_KERNELS: tf.KernelConfig[] = [
  { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad as unknown as tf.KernelFunc },
];
