// Faster replacements for stock tfjs-backend-wasm 4.22 kernels that training hits hard, each
// falling back to the stock kernel outside the shapes it handles:
// - Identity and same-dtype Cast: share the data instead of copying it.
// - Tile: the stock kernel indexes every element (very slow to broadcast 16 values to a
//   batch-norm activation); here block copies that double.
// - Sum and Mean over the leading axes (per-channel sums of an NHWC activation: bias and
//   batch-norm gradients, batch statistics): the stock kernels transpose the whole tensor, then
//   add in float32; here column sums in float64 straight off the heap, faster and with the cpu
//   backend's numbers. (A product with a ones row is no faster: XNNPACK packs fresh weights with
//   a strided copy.)
// - BatchMatMul and _FusedMatMul: see wasm/matmul.ts.
// - GatherV2 on axis 0: row copies instead of the stock kernel's large fixed cost per call.
// - FusedBatchNorm (forward): x * f + g per channel as a 1x1 depthwise convolution in XNNPACK.

import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  columnSums,
  f32,
  f32s,
  leadingAxes,
  output,
  parseAxes,
  release,
  reshape,
  runKernel,
  runStock,
  sizeOf,
  type Info,
  type KernelArgs,
} from './heap.js';
import { nativeConvolutions } from '../native/onednn.js';
import { MATMUL_KERNELS } from './matmul.js';

/** Below this many rows the stock reductions are as fast. */
const MIN_ROWS = 64;
/** From this many values column sums go to the addon when it is active. */
const NATIVE_SUM_MIN = 1 << 15;

/**
 * Identity, and Cast to the same dtype, share the data as the cpu backend does (tensors are
 * immutable). The stock wasm kernels copy it: the engine clones every tensor it saves for the
 * backward pass, hundreds of full activations per ResNet-20 step.
 */
function shareData({ inputs: { x }, backend, attrs }: KernelArgs, name: 'Identity' | 'Cast'): Info {
  if (x.dtype === 'string' || (name === 'Cast' && attrs.dtype !== x.dtype))
    return runStock(name, { inputs: { x }, backend, attrs });
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Generic tile by block copies: each level writes its block once, then doubles it in place. */
function tile({ inputs, backend, attrs }: KernelArgs): Info {
  const { x } = inputs;
  const reps = attrs.reps as number[];
  if (x.dtype === 'string' || reps.length !== x.shape.length) return runStock('Tile', { inputs, backend, attrs });
  const shape = x.shape;
  const outShape = shape.map((s, i) => s * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  f32s(backend, x); // computes x first if it is a deferred output (wasm/deferred.ts)
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const os = backend.typedArrayFromHeap(out) as Float32Array;
  if (os.length === 0) return out;
  const rank = shape.length;
  if (rank === 0) {
    os.set(xs);
    return out;
  }
  const inStrides = new Array<number>(rank);
  const outBlock = new Array<number>(rank + 1); // outBlock[d]: size of one index at dim d-1 in out
  inStrides[rank - 1] = 1;
  outBlock[rank] = 1;
  for (let d = rank - 1; d >= 0; d--) {
    if (d < rank - 1) inStrides[d] = inStrides[d + 1] * shape[d + 1];
    outBlock[d] = outBlock[d + 1] * outShape[d];
  }
  const fill = (d: number, inBase: number, outBase: number): void => {
    const part = shape[d] * outBlock[d + 1]; // one copy of x's extent along d
    if (d === rank - 1) {
      if (shape[d] === 1) {
        os.fill(xs[inBase], outBase, outBase + reps[d]);
        return;
      }
      os.set(xs.subarray(inBase, inBase + shape[d]), outBase);
    } else {
      for (let i = 0; i < shape[d]; i++) fill(d + 1, inBase + i * inStrides[d], outBase + i * outBlock[d + 1]);
    }
    for (let have = 1; have < reps[d];) {
      const n = Math.min(have, reps[d] - have);
      os.copyWithin(outBase + have * part, outBase, outBase + n * part);
      have += n;
    }
  };
  fill(0, 0, 0);
  return out;
}

/** Sum or Mean over leading axes of a float32 tensor, or null for the stock kernel. */
function leadingReduction(args: KernelArgs, mean: boolean): Info | null {
  const {
    inputs: { x },
    backend,
    attrs,
  } = args;
  if (x.dtype !== 'float32') return null;
  const axes = parseAxes(attrs.axis, x.shape);
  if (!leadingAxes(axes, x.shape.length)) return null;
  const rows = sizeOf(x.shape.slice(0, axes.length));
  const rest = x.shape.slice(axes.length);
  const cols = sizeOf(rest);
  if (rows < MIN_ROWS || cols === 0) return null;
  const totals = new Float64Array(cols);
  // The addon (backend wasm+onednn) sums on every core; the same float64 sums, in another order.
  const addon = nativeConvolutions();
  if (addon !== null && rows * cols >= NATIVE_SUM_MIN)
    addon.columnSums(Int32Array.from([rows, cols]), f32(backend, x), totals);
  else columnSums(f32(backend, x), cols, totals);
  const out = output(backend, attrs.keepDims ? [...axes.map(() => 1), ...rest] : rest);
  const v = f32(backend, out); // after makeOutput, which may grow the heap
  for (let i = 0; i < cols; i++) v[i] = mean ? Math.fround(totals[i]) / rows : totals[i]; // cpu: float32 sum / count
  return out;
}

function sum(args: KernelArgs): Info {
  return leadingReduction(args, false) ?? runStock('Sum', args);
}

function mean(args: KernelArgs): Info {
  return leadingReduction(args, true) ?? runStock('Mean', args);
}

/**
 * Rows of x picked by integer indices (axis 0): row copies. The stock kernel has a large fixed
 * cost per call whatever the size (contrastive-center gathers each sample's center twice per step).
 */
function gather({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, indices } = inputs;
  const axis = parseAxes(attrs.axis, x.shape)[0];
  if (
    axis !== 0 ||
    (attrs.batchDims as number) !== 0 ||
    x.dtype === 'string' ||
    x.dtype === 'bool' ||
    indices.dtype !== 'int32'
  ) {
    return runStock('GatherV2', { inputs, backend, attrs });
  }
  const rows = x.shape[0];
  const row = sizeOf(x.shape.slice(1));
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  const [, xs, os] = f32s(backend, indices, x, out); // typed by dtype: float32 or int32 rows
  const ids = backend.typedArrayFromHeap(indices) as Int32Array;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < rows)) {
      release(backend, out);
      throw new Error(`GatherV2: the index value ${id} is not in [0, ${rows - 1}]`);
    }
    os.set(xs.subarray(id * row, id * row + row), i * row);
  }
  return out;
}

/**
 * y[..., c] = x[..., c] * scale[c] (+ shift[c]) as a 1x1 depthwise convolution, which XNNPACK runs
 * in one vectorised, threaded pass (faster than a broadcast multiply).
 */
export function channelAffine(
  backend: BackendWasm,
  x: Info,
  scale: ArrayLike<number>,
  shift: ArrayLike<number> | null,
): Info {
  const channels = x.shape[x.shape.length - 1];
  const filter = output(backend, [1, 1, channels, 1]);
  const bias = shift === null ? undefined : output(backend, [channels]);
  const [fs, bs] = f32s(backend, filter, bias ?? filter);
  fs.set(scale);
  if (shift !== null) bs.set(shift);
  const x4 = reshape(backend, x, [1, 1, sizeOf(x.shape) / channels, channels]);
  const inputs: Record<string, Info> = bias === undefined ? { x: x4, filter } : { x: x4, filter, bias };
  const y4 = runKernel(backend, 'FusedDepthwiseConv2D', inputs, {
    strides: [1, 1],
    pad: 'valid',
    dilations: [1, 1],
    dataFormat: 'NHWC',
    activation: 'linear',
  });
  const y = reshape(backend, y4, x.shape);
  release(backend, filter, x4, y4, ...(bias === undefined ? [] : [bias]));
  return y;
}

/**
 * Batch norm y = offset + (x - mean) * scale / sqrt(variance + eps), per channel (last axis), as
 * y = x * f + (offset - mean * f) with f = scale / sqrt(variance + eps): one XNNPACK pass
 * (channelAffine), where the stock kernel divides per element.
 * The rearrangement rounds differently from the cpu formula by ~|mean| / std float32 ulps of y.
 */
function fusedBatchNorm({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, mean: m, variance, offset, scale } = inputs;
  const channels = x.shape[x.shape.length - 1];
  const perChannel = [m, variance, offset, scale].every(
    (t) => t === undefined || (t.shape.length === 1 && t.shape[0] === channels),
  );
  if (x.dtype !== 'float32' || !perChannel) return runStock('FusedBatchNorm', { inputs, backend, attrs });
  const eps = attrs.varianceEpsilon as number;
  const [ms, vs, gs, bs] = f32s(backend, m, variance, scale ?? m, offset ?? m);
  const factor = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    factor[c] = (scale !== undefined ? gs[c] : 1) / Math.sqrt(vs[c] + eps);
    shift[c] = (offset !== undefined ? bs[c] : 0) - ms[c] * factor[c];
  }
  return channelAffine(backend, x, factor, shift);
}

/** dy * factor[channel] (the batch-norm input gradient), by channelAffine. */
function scaleChannels({ inputs: { dy, factor }, backend }: KernelArgs): Info {
  return channelAffine(backend, dy, f32s(backend, factor)[0].slice(), null);
}

export const FAST_KERNELS: tf.KernelConfig[] = [
  {
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ((args: KernelArgs) => shareData(args, 'Identity')) as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'Cast',
    backendName: 'wasm',
    kernelFunc: ((args: KernelArgs) => shareData(args, 'Cast')) as unknown as tf.KernelFunc,
  },
  { kernelName: 'Tile', backendName: 'wasm', kernelFunc: tile as unknown as tf.KernelFunc },
  { kernelName: 'Sum', backendName: 'wasm', kernelFunc: sum as unknown as tf.KernelFunc },
  { kernelName: 'Mean', backendName: 'wasm', kernelFunc: mean as unknown as tf.KernelFunc },
  ...MATMUL_KERNELS,
  { kernelName: 'FusedBatchNorm', backendName: 'wasm', kernelFunc: fusedBatchNorm as unknown as tf.KernelFunc },
  { kernelName: 'GatherV2', backendName: 'wasm', kernelFunc: gather as unknown as tf.KernelFunc },
  { kernelName: 'CtcScaleChannels', backendName: 'wasm', kernelFunc: scaleChannels as unknown as tf.KernelFunc },
];
