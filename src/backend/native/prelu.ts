// PReLU in the addon (backend wasm+onednn): the forward pass on every core, and the gradient for
// x and for the slopes in one pass (the wasm path makes five passes: a step mask, the factor, a
// product, and the slope terms' product and sum; a sizeable part of a LeNets++ step). Slopes
// must repeat over x's trailing axes (one per channel, or per feature); other shapes take the
// wasm path.

import * as tf from '@tensorflow/tfjs';
import { nativeConvolutions, requireNative } from './onednn.js';
import { f32s, output, runStock, sizeOf, type Info, type KernelArgs } from '../wasm/heap.js';

/**
 * Size of the block that `alpha` repeats over x (alpha's shape without leading ones must equal
 * the tail of x's shape), or 0 when alpha broadcasts some other way.
 */
export function trailingBlock(alphaShape: readonly number[], xShape: readonly number[]): number {
  let first = 0;
  while (first < alphaShape.length && alphaShape[first] === 1) first++;
  const core = alphaShape.slice(first);
  const tail = xShape.slice(xShape.length - core.length);
  return core.length <= xShape.length && core.every((s, i) => s === tail[i]) ? sizeOf(core) : 0;
}

/** [rows, block] for the addon, or null when it does not take these shapes. */
function rowsByBlock(x: Info, alpha: Info): Int32Array | null {
  const block = trailingBlock(alpha.shape, x.shape);
  if (block === 0 || x.dtype !== 'float32' || alpha.dtype !== 'float32' || sizeOf(x.shape) === 0) return null;
  return Int32Array.from([sizeOf(x.shape) / block, block]);
}

/**
 * Prelu with alpha broadcast any other way (e.g. one slope per row of NCHW-like data): tfjs-wasm
 * 4.22's kernel reads alpha as if it repeated over x's last axes and gets these wrong. A loop
 * over x with alpha's broadcast strides; ctc's models never take this path.
 */
function preluBroadcast({ inputs: { x, alpha }, backend }: KernelArgs): Info {
  const rank = x.shape.length;
  const aShape = [...new Array<number>(rank - alpha.shape.length).fill(1), ...alpha.shape];
  const strides = new Array<number>(rank).fill(0);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    strides[d] = aShape[d] === 1 ? 0 : s;
    s *= aShape[d];
  }
  const y = output(backend, x.shape);
  const [xs, as, ys] = f32s(backend, x, alpha, y);
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < xs.length; i++) {
    let at = 0;
    for (let d = 0; d < rank; d++) at += index[d] * strides[d];
    ys[i] = xs[i] < 0 ? as[at] * xs[i] : xs[i];
    for (let d = rank - 1; d >= 0 && ++index[d] === x.shape[d]; d--) index[d] = 0;
  }
  return y;
}

function prelu(args: KernelArgs): Info {
  const addon = nativeConvolutions();
  const { x, alpha } = args.inputs;
  if (x.dtype === 'float32' && alpha.dtype === 'float32' && trailingBlock(alpha.shape, x.shape) === 0)
    return preluBroadcast(args);
  const dims = addon === null ? null : rowsByBlock(x, alpha);
  if (addon === null || dims === null) return runStock('Prelu', args);
  const y = output(args.backend, x.shape);
  const [xs, as, ys] = f32s(args.backend, x, alpha, y);
  addon.preluForward(dims, xs, as, ys);
  return y;
}

/** [dx, dalpha] (dalpha shaped as alpha). */
function preluGrad({ inputs: { x, alpha, dy }, backend }: KernelArgs): Info[] {
  const addon = requireNative('CtcPreluGrad');
  const dims = rowsByBlock(x, alpha);
  if (dims === null) throw new Error('CtcPreluGrad needs slopes that repeat over the trailing axes of x');
  const dx = output(backend, x.shape);
  const dalpha = output(backend, alpha.shape);
  const [xs, as, dys, dxs, das] = f32s(backend, x, alpha, dy, dx, dalpha);
  addon.preluBackward(dims, xs, as, dys, dxs, das);
  return [dx, dalpha];
}

/** Whether CtcPreluGrad takes these tensors now. */
export function nativePreluGradFits(x: tf.Tensor, alpha: tf.Tensor): boolean {
  return nativeConvolutions() !== null && rowsByBlock(x, alpha) !== null;
}

export const NATIVE_PRELU_KERNELS: tf.KernelConfig[] = [
  { kernelName: 'Prelu', backendName: 'wasm', kernelFunc: prelu as unknown as tf.KernelFunc },
  { kernelName: 'CtcPreluGrad', backendName: 'wasm', kernelFunc: preluGrad as unknown as tf.KernelFunc },
];
