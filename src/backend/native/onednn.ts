// The optional native accelerator (native/onednn, package ctc-onednn): oneDNN convolutions built
// against Debian's libdnnl-dev, and a few compiled kernels. On the 'wasm+onednn' backend, Conv2D,
// FusedConv2D (linear or relu) and both convolution gradients run in oneDNN on views of the wasm
// heap (no copies); native-*.ts register the addon's other kernels. On 'wasm' the same kernels
// fall back to the wasm ones.

import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { PACKAGE_ROOT } from '../../util/package-root.js';
import { f32s, output, runStock, type Info, type KernelArgs } from '../wasm/heap.js';
import { nativeFastPath } from './fast-paths.js';

/**
 * The addon's functions (native/onednn/src/*.cc). A convolution's geometry is 17 int32 values:
 * n, h, w, c, kh, kw, o, oh, ow, strideH, strideW, dilationH, dilationW, padTop, padLeft,
 * padBottom, padRight; activations are NHWC, filters HWIO, all float32.
 */
export interface OneDnnAddon {
  forward(
    geometry: Int32Array,
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | null,
    relu: boolean,
    y: Float32Array,
    winograd: boolean,
  ): void;
  /**
   * viaForward: a stride-1 convolution's input gradient may run as a forward convolution (conv.cc,
   * asForward). winograd, here and in forward and backwardWeights: Winograd's algorithm where
   * conv.cc's winogradFits says it is faster.
   */
  backwardData(
    geometry: Int32Array,
    dy: Float32Array,
    filter: Float32Array,
    dx: Float32Array,
    viaForward: boolean,
    winograd: boolean,
  ): void;
  backwardWeights(geometry: Int32Array, x: Float32Array, dy: Float32Array, dw: Float32Array, winograd: boolean): void;
  /** dims: m, k, n; a is [m, k] (stored [k, m] when transposeA), b [k, n] (stored [n, k] when transposeB). */
  matMul(
    dims: Int32Array,
    transposeA: boolean,
    transposeB: boolean,
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    relu: boolean,
    c: Float32Array,
  ): void;
  /** dims: n, h, w, oh, ow, c of a 2x2, stride-2, unpadded max pool. */
  maxPool2x2(dims: Int32Array, x: Float32Array, y: Float32Array): void;
  maxPoolGrad2x2(dims: Int32Array, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** One SGD-with-momentum update (src/backend/wasm/sgd.ts), compiled and on every core. */
  sgdMomentum(
    w: Float32Array,
    v: Float32Array,
    g: Float32Array,
    w2: Float32Array,
    v2: Float32Array,
    lr: number,
    momentum: number,
    weightDecay: number,
  ): void;
  /** dims: n, h, w, c, oh, ow, filterH, filterW, strideH, strideW, padTop, padLeft. */
  maxPoolGrad(dims: Int32Array, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** dims: n, h, w, c, channels before, channels after (ResNet's option A shortcut). */
  subsamplePad(dims: Int32Array, x: Float32Array, y: Float32Array): void;
  subsamplePadGrad(dims: Int32Array, dy: Float32Array, dx: Float32Array): void;
  preluForward(dims: Int32Array, x: Float32Array, alpha: Float32Array, y: Float32Array): void;
  preluBackward(
    dims: Int32Array,
    x: Float32Array,
    alpha: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
    dalpha: Float32Array,
  ): void;
  batchNormForward(
    dims: Int32Array,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    epsilon: number,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    residual: Float32Array | null,
    relu: boolean,
  ): void;
  batchNormBackward(
    dims: Int32Array,
    x: Float32Array,
    dy: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    epsilon: number,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    /** The forward's output when it ended in a relu (the gradient's mask), else null. */
    y: Float32Array | null,
    /** With a residual: its gradient, written here. */
    dresidual: Float32Array | null,
  ): void;
  columnSums(dims: Int32Array, x: Float32Array, sums: Float64Array): void;
  relu(x: Float32Array, y: Float32Array): void;
  reluGrad(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  setThreads(threads: number): void;
  info(): {
    version: string;
    isa: string;
    threads: number;
    cachedPlans: number;
    winogradPlans: number;
    backwardDataViaForward: number;
  };
}

interface Loaded {
  addon: OneDnnAddon | null;
  reason: string | null;
}

let loaded: Loaded | undefined;

/**
 * The addon, or why it is not there. It is looked up as the installed optional dependency
 * ctc-onednn, then in this checkout's native/onednn (a clone whose node_modules predates it).
 */
export function loadOneDnn(): Loaded {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  const candidates = ['ctc-onednn', path.join(PACKAGE_ROOT, 'native', 'onednn', 'index.cjs')];
  loaded = {
    addon: null,
    reason: 'ctc-onednn is not installed (see docs/backends-and-performance.md: native accelerator)',
  };
  for (const id of candidates) {
    try {
      loaded = require(id) as Loaded;
      break;
    } catch {
      // Not installed at this location; try the next.
    }
  }
  return loaded;
}

/** The addon the conv kernels use now: set by the backend loader, null on plain wasm. */
let active: OneDnnAddon | null = null;

export function useNativeConvolutions(addon: OneDnnAddon | null, threads = 1): void {
  active = addon;
  if (addon !== null) addon.setThreads(threads);
}

export function nativeConvolutions(): OneDnnAddon | null {
  return active;
}

/** The active addon, for a kernel that only exists with it; throws naming the kernel otherwise. */
export function requireNative(kernelName: string): OneDnnAddon {
  if (active === null) throw new Error(`${kernelName} needs the ctc-onednn addon (backend wasm+onednn)`);
  return active;
}

/**
 * The 17 integers the addon takes for a convolution, or null when oneDNN's output size rule
 * (floor) would disagree with tfjs's (a dimRoundingMode of 'ceil' or 'round').
 */
export function geometryOf(info: tf.backend_util.Conv2DInfo): Int32Array | null {
  const { padInfo: p } = info;
  const fits = (inSize: number, k: number, d: number, s: number, before: number, after: number, out: number) =>
    Math.floor((inSize + before + after - ((k - 1) * d + 1)) / s) + 1 === out && before >= 0 && after >= 0;
  if (!fits(info.inHeight, info.filterHeight, info.dilationHeight, info.strideHeight, p.top, p.bottom, info.outHeight))
    return null;
  if (!fits(info.inWidth, info.filterWidth, info.dilationWidth, info.strideWidth, p.left, p.right, info.outWidth))
    return null;
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
  ]);
}

/** y = conv(x, filter) (+ bias, relu) in oneDNN; the output tensor is allocated first, then views taken. */
export function nativeForward(
  addon: OneDnnAddon,
  backend: BackendWasm,
  geometry: Int32Array,
  info: tf.backend_util.Conv2DInfo,
  x: Info,
  filter: Info,
  bias: Info | undefined,
  relu: boolean,
): Info {
  const y = output(backend, info.outShape);
  const infos = bias === undefined ? [x, filter, y] : [x, filter, y, bias];
  const [xs, fs, ys, bs] = f32s(backend, ...infos);
  addon.forward(geometry, xs, fs, bs ?? null, relu, ys, nativeFastPath('winograd'));
  return y;
}

export function nativeBackwardData(
  addon: OneDnnAddon,
  backend: BackendWasm,
  geometry: Int32Array,
  inShape: number[],
  dy: Info,
  filter: Info,
): Info {
  const dx = output(backend, inShape);
  const [dys, fs, dxs] = f32s(backend, dy, filter, dx);
  addon.backwardData(geometry, dys, fs, dxs, nativeFastPath('conv-input-grad'), nativeFastPath('winograd'));
  return dx;
}

export function nativeBackwardWeights(
  addon: OneDnnAddon,
  backend: BackendWasm,
  geometry: Int32Array,
  filterShape: number[],
  x: Info,
  dy: Info,
): Info {
  const dw = output(backend, filterShape);
  const [xs, dys, dws] = f32s(backend, x, dy, dw);
  addon.backwardWeights(geometry, xs, dys, dws, nativeFastPath('winograd'));
  return dw;
}

type Shape4 = [number, number, number, number];

/** The forward convolution's geometry for oneDNN, or null where the wasm kernel must run it. */
function forwardGeometry(
  x: Info,
  filter: Info,
  attrs: Record<string, unknown>,
): { info: tf.backend_util.Conv2DInfo; geometry: Int32Array } | null {
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    strides as number | [number, number],
    (dilations ?? 1) as number | [number, number],
    pad as 'same' | 'valid' | number | tf.backend_util.ExplicitPadding,
    dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
  const geometry = geometryOf(info);
  return geometry === null ? null : { info, geometry };
}

function conv2D(args: KernelArgs): Info {
  const addon = active;
  const { x, filter } = args.inputs;
  const plan = addon === null ? null : forwardGeometry(x, filter, args.attrs);
  if (addon === null || plan === null) return runStock('Conv2D', args);
  return nativeForward(addon, args.backend, plan.geometry, plan.info, x, filter, undefined, false);
}

/** A fused convolution oneDNN covers: a per-channel bias (or none), a linear or relu activation. */
function fusedConv2D(args: KernelArgs): Info {
  const addon = active;
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const activation = (args.attrs.activation ?? 'linear') as string;
  const plan = addon === null ? null : forwardGeometry(x, filter, args.attrs);
  const biasFits = bias === undefined || (bias.shape.length === 1 && bias.shape[0] === filter.shape[3]);
  if (
    addon === null ||
    plan === null ||
    !biasFits ||
    preluActivationWeights !== undefined ||
    (activation !== 'linear' && activation !== 'relu')
  ) {
    return runStock('FusedConv2D', args);
  }
  return nativeForward(addon, args.backend, plan.geometry, plan.info, x, filter, bias, activation === 'relu');
}

/** Forward kernels that use oneDNN when it is active; registered on wasm with ctc's other kernels. */
export const NATIVE_FORWARD_KERNELS: tf.KernelConfig[] = [
  { kernelName: 'Conv2D', backendName: 'wasm', kernelFunc: conv2D as unknown as tf.KernelFunc },
  { kernelName: 'FusedConv2D', backendName: 'wasm', kernelFunc: fusedConv2D as unknown as tf.KernelFunc },
];
