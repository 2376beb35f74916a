// Convolution gradients for the wasm backend of TensorFlow.js 4.22, as ops XNNPACK runs fast.
// Stock tfjs-backend-wasm has no Conv2DBackpropFilter kernel and a naive (slow)
// Conv2DBackpropInput; both are replaced at the kernel level, so tf.conv2d and tf.fused.conv2d
// (what tf.layers.conv2d trains through) are covered, while cpu/tensorflow keep theirs.
// - dW: a forward convolution with batch = input channels and channels = batch.
// - dx: a forward convolution of dy (dilated by the stride) with the rotated filter; or, where
//   that convolution would mostly multiply zeros (valid padding, strides), dy times the filter as
//   one matrix product followed by col2im, the scatter-add of each pixel's patch.
// - dx of a layer with at most 4 input channels (the images) is computed only if read.

import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { deferOutput } from './deferred.js';
import { geometryOf, nativeBackwardData, nativeBackwardWeights, nativeConvolutions } from '../native/onednn.js';
import { f32s, release, reshape, runKernel, type Info, type KernelArgs } from './heap.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
/** [[before, after] rows, [before, after] columns]; a negative number crops instead of pads. */
type Pads2 = [[number, number], [number, number]];
type ConvInfo = tf.backend_util.Conv2DInfo;

/** Input gradients of convolutions with at most this many input channels are computed on first read. */
const DEFER_MAX_CHANNELS = 4;
/** A JS scatter-add in col2im costs about as much as this many XNNPACK multiply-adds (measured). */
const COL2IM_ADD_COST = 30;

function forwardConvInfo(kernel: string, xShape: number[], filterShape: number[], attrs: Record<string, unknown>) {
  const { strides, pad, dataFormat, dimRoundingMode } = attrs;
  // The wasm forward Conv2D is NHWC-only too, so NCHW could not be made fast here anyway.
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports only dataFormat NHWC, got ${String(dataFormat)}`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    strides as number | [number, number],
    1,
    pad as Pad,
    dimRoundingMode as Rounding,
    false,
    'channelsLast',
  );
}

/**
 * Stride-1 convolution of x with f at the given dilation, padded by `pads` (negative = crop),
 * returning exactly [batch, outH, outW, channels]. Padding is done inside XNNPACK; a crop is a
 * slice of the output, which is needed only for odd shape/stride combinations.
 */
function convPadded(
  backend: BackendWasm,
  x: Info,
  f: Info,
  dilations: [number, number],
  pads: Pads2,
  outH: number,
  outW: number,
): Info {
  const [[top, bottom], [left, right]] = pads;
  const pad = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
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
  const padded = runKernel(
    backend,
    'PadV2',
    { x: x6 },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  const out = runKernel(backend, 'Reshape', { x: padded }, { shape: [n, ho * sh, wo * sw, c] });
  release(backend, x6, padded);
  return out;
}

/**
 * dx for y = conv2d(x, w). Forward: y[o] = sum_k x[o*s + k - padTop] * w[k], so
 * dx[i] = sum_k dyUp[i + padTop - k] * w[k] with dyUp = dy dilated by s: a full correlation of
 * dyUp with the 180-degree rotated filter (in/out channels swapped), padded by K-1-padTop before.
 */
function dxByConvolution(backend: BackendWasm, dy: Info, filter: Info, info: ConvInfo): Info {
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
}

let scratch = new Float64Array(0);

/**
 * dx as col2im(dy . W^T): each dy pixel's [kh, kw, Ci] patch of input gradient is one row of a
 * matrix product (no zeros multiplied), then added into dx at the pixel's window, in float64.
 */
function dxByCol2im(backend: BackendWasm, dy: Info, filter: Info, info: ConvInfo): Info {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo } = info;
  const patch = kh * kw * ci;
  const dy3 = reshape(backend, dy, [1, n * ho * wo, co]);
  const w3 = reshape(backend, filter, [1, patch, co]);
  const cols = runKernel(backend, 'BatchMatMul', { a: dy3, b: w3 }, { transposeA: false, transposeB: true }); // [1, N*Ho*Wo, patch]
  const dx = backend.makeOutput([n, H, W, ci], 'float32');
  const [cs, dxs] = f32s(backend, cols, dx);
  if (scratch.length < dxs.length) scratch = new Float64Array(dxs.length);
  const acc = scratch.subarray(0, dxs.length);
  acc.fill(0);
  for (let b = 0, row = 0; b < n; b++) {
    for (let oh = 0; oh < ho; oh++) {
      for (let ow = 0; ow < wo; ow++, row += patch) {
        for (let i = 0; i < kh; i++) {
          const ih = oh * sh + i - padInfo.top;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < kw; j++) {
            const iw = ow * sw + j - padInfo.left;
            if (iw < 0 || iw >= W) continue;
            const src = row + (i * kw + j) * ci;
            const dst = ((b * H + ih) * W + iw) * ci;
            for (let c = 0; c < ci; c++) acc[dst + c] += cs[src + c];
          }
        }
      }
    }
  }
  dxs.set(acc);
  release(backend, dy3, w3, cols);
  return dx;
}

/** Multiply-adds of each dx method: the convolution also multiplies the zeros of padding and stride dilation. */
function col2imIsCheaper(info: ConvInfo): boolean {
  const {
    batchSize: n,
    inHeight: H,
    inWidth: W,
    inChannels: ci,
    outHeight: ho,
    outWidth: wo,
    outChannels: co,
    filterHeight: kh,
    filterWidth: kw,
  } = info;
  const convolution = n * H * W * ci * kh * kw * co;
  const product = n * ho * wo * kh * kw * ci * co;
  const scatter = n * ho * wo * kh * kw * ci;
  return product + COL2IM_ADD_COST * scatter < convolution;
}

function conv2DBackpropInput({ inputs, backend, attrs }: KernelArgs): Info {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const info = forwardConvInfo('Conv2DBackpropInput', inputShape, filter.shape, attrs);
  const addon = nativeConvolutions();
  const geometry = addon === null ? null : geometryOf(info);
  const compute = (): Info =>
    addon !== null && geometry !== null
      ? nativeBackwardData(addon, backend, geometry, inputShape, dy, filter)
      : (col2imIsCheaper(info) ? dxByCol2im : dxByConvolution)(backend, dy, filter, info);
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
  const addon = nativeConvolutions();
  const geometry = addon === null ? null : geometryOf(info);
  if (addon !== null && geometry !== null)
    return nativeBackwardWeights(addon, backend, geometry, attrs.filterShape as number[], x, dy);
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

export const CONV_GRADIENT_KERNELS: tf.KernelConfig[] = [
  {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
  },
];
