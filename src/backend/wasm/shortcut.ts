// ResNet's option A shortcut (every second pixel, channels zero-padded on both sides) as one op
// with one wasm kernel each way. Stock tfjs runs it as a 1x1 stride-2 max pool and a pad, and
// differentiates those with a channel Slice and a MaxPoolGrad, a visible part of a ResNet-20
// step; these strided copies are much cheaper in JavaScript, and cheaper still in the addon when
// it is active (wasm+onednn). Other backends keep the stock ops.

import * as tf from '@tensorflow/tfjs';
import { nativeConvolutions } from '../native/onednn.js';
import { f32s, output, type Info, type KernelArgs } from './heap.js';

const FORWARD = 'CtcSubsamplePad';
const GRADIENT = 'CtcSubsamplePadGrad';

interface Geometry {
  n: number;
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
  before: number;
  after: number;
  outC: number;
}

function geometryOf(inShape: readonly number[], before: number, after: number): Geometry {
  const [n, h, w, c] = inShape;
  return { n, h, w, c, oh: Math.ceil(h / 2), ow: Math.ceil(w / 2), before, after, outC: before + c + after };
}

/** The addon's dims for this shortcut: n, h, w, c, before, after. */
const addonDims = (g: Geometry): Int32Array => Int32Array.from([g.n, g.h, g.w, g.c, g.before, g.after]);

/** Calls visit(inOffset, outOffset) for each kept pixel: input (2i, 2j), output (i, j) after `before` channels. */
function eachKeptPixel(g: Geometry, visit: (at: number, to: number) => void): void {
  for (let b = 0; b < g.n; b++) {
    for (let i = 0; i < g.oh; i++) {
      for (let j = 0; j < g.ow; j++)
        visit(((b * g.h + 2 * i) * g.w + 2 * j) * g.c, ((b * g.oh + i) * g.ow + j) * g.outC + g.before);
    }
  }
}

function subsamplePad({ inputs: { x }, backend, attrs }: KernelArgs): Info {
  const g = geometryOf(x.shape, attrs.before as number, attrs.after as number);
  const y = output(backend, [g.n, g.oh, g.ow, g.outC]);
  const [xs, ys] = f32s(backend, x, y);
  const addon = nativeConvolutions();
  if (addon !== null) {
    addon.subsamplePad(addonDims(g), xs, ys);
    return y;
  }
  ys.fill(0);
  eachKeptPixel(g, (at, to) => {
    for (let k = 0; k < g.c; k++) ys[to + k] = xs[at + k];
  });
  return y;
}

function subsamplePadGrad({ inputs: { dy }, backend, attrs }: KernelArgs): Info {
  const g = geometryOf(attrs.inShape as number[], attrs.before as number, attrs.after as number);
  const dx = output(backend, attrs.inShape as number[]);
  const [dys, dxs] = f32s(backend, dy, dx);
  const addon = nativeConvolutions();
  if (addon !== null) {
    addon.subsamplePadGrad(addonDims(g), dys, dxs);
    return dx;
  }
  dxs.fill(0);
  eachKeptPixel(g, (at, to) => {
    for (let k = 0; k < g.c; k++) dxs[at + k] = dys[to + k];
  });
  return dx;
}

export const SHORTCUT_KERNELS: tf.KernelConfig[] = [
  { kernelName: FORWARD, backendName: 'wasm', kernelFunc: subsamplePad as unknown as tf.KernelFunc },
  { kernelName: GRADIENT, backendName: 'wasm', kernelFunc: subsamplePadGrad as unknown as tf.KernelFunc },
];

/**
 * x[:, ::2, ::2, :] with `before` zero channels in front and `after` behind, differentiable in x.
 * One kernel each way where ctc registered them (wasm), tfjs's max pool and pad elsewhere.
 */
export function subsamplePadChannels(x: tf.Tensor4D, before: number, after: number): tf.Tensor4D {
  if (tf.getKernel(FORWARD, tf.getBackend()) === undefined) {
    // A 1x1 max pool with stride 2 is a strided subsample that every backend runs.
    return tf.pad(tf.maxPool(x, 1, 2, 'valid'), [
      [0, 0],
      [0, 0],
      [0, 0],
      [before, after],
    ]);
  }
  const inShape = x.shape;
  const forward = (xi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    const value = tf.engine().runKernel(FORWARD, { x: xi }, { before, after }) as tf.Tensor4D;
    const gradFunc = (dy: tf.Tensor | tf.Tensor[]) =>
      tf.engine().runKernel(GRADIENT, { dy: dy as tf.Tensor }, { before, after, inShape }) as tf.Tensor;
    return { value, gradFunc };
  };
  return tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor4D;
}
