// Matrix products on wasm. The stock BatchMatMul/_FusedMatMul kernels use XNNPACK only for one
// untransposed batch, on one thread, and otherwise a naive float32 triple loop (slow for LeNets'
// dense-layer gradients). Here:
// - transposed operands are transposed first (a cheap copy), so XNNPACK does the product;
// - with more than one XNNPACK thread, a single product runs as a 1x1 convolution, which XNNPACK
//   spreads over its threads (bias and relu fused as in the stock kernel);
// - with the addon active (wasm+onednn), a single product is one oneDNN matmul instead, reading
//   transposed operands in place;
// - batched products of one row by a matrix (the loss's blocked sums) are weighted column sums.

import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeConvolutions, type OneDnnAddon } from '../native/onednn.js';
import { f32s, output, release, reshape, runKernel, runStock, sizeOf, type Info, type KernelArgs } from './heap.js';

/** Moves a transposed matMul operand into plain layout: [b, r, c] -> [b, c, r]. */
function untranspose(backend: BackendWasm, t: Info): Info {
  return runKernel(backend, 'Transpose', { x: t }, { perm: [0, 2, 1] });
}

/**
 * Batched products whose left operand is one row per batch, [B,1,K] x [B,K,N] with N > 1 (the
 * loss's blocked sums): weighted column sums in float64, four columns per sweep, 35% faster than
 * the stock naive triple loop in float32. (For N = 1, dot products, the stock loop is faster.)
 */
function rowTimesMatrices(backend: BackendWasm, a: Info, b: Info, batch: number, k: number, n: number): Info {
  const out = output(backend, [batch, 1, n]);
  const [as, bs, os] = f32s(backend, a, b, out);
  const wide = n - (n % 4);
  for (let p = 0; p < batch; p++) {
    const aBase = p * k;
    const bBase = p * k * n;
    for (let c = 0; c < wide; c += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let r = 0, i = bBase + c; r < k; r++, i += n) {
        const w = as[aBase + r];
        s0 += w * bs[i];
        s1 += w * bs[i + 1];
        s2 += w * bs[i + 2];
        s3 += w * bs[i + 3];
      }
      os[p * n + c] = s0;
      os[p * n + c + 1] = s1;
      os[p * n + c + 2] = s2;
      os[p * n + c + 3] = s3;
    }
    for (let c = wide; c < n; c++) {
      let sum = 0;
      for (let r = 0, i = bBase + c; r < k; r++, i += n) sum += as[aBase + r] * bs[i];
      os[p * n + c] = sum;
    }
  }
  return out;
}

/** A (fused) matMul on the fastest route its shapes allow; the stock kernel otherwise. */
function matMulVia(name: 'BatchMatMul' | '_FusedMatMul', { inputs, backend, attrs }: KernelArgs): Info {
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const [batchA, batchB] = [sizeOf(a.shape.slice(0, -2)), sizeOf(b.shape.slice(0, -2))];
  const [m, k, n] = [a.shape[a.shape.length - 2], a.shape[a.shape.length - 1], b.shape[b.shape.length - 1]];
  if (
    name === 'BatchMatMul' &&
    batchA > 1 &&
    batchA === batchB &&
    m === 1 &&
    n > 1 &&
    !transposeA &&
    !transposeB &&
    a.dtype === 'float32'
  ) {
    const product = rowTimesMatrices(backend, a, b, batchA, k, n);
    const out = reshape(backend, product, [...a.shape.slice(0, -2), 1, n]);
    release(backend, product);
    return out;
  }
  const batchOne = batchA === 1 && batchB === 1;
  const addon = nativeConvolutions();
  if (
    addon !== null &&
    batchOne &&
    a.dtype === 'float32' &&
    b.dtype === 'float32' &&
    convCanFuse(name, inputs, attrs)
  ) {
    return nativeMatMul(addon, backend, name, inputs, attrs);
  }
  const threaded = xnnThreads(backend) > 1 && convCanFuse(name, inputs, attrs);
  if (!batchOne || a.dtype !== 'float32' || (!transposeA && !transposeB && !threaded))
    return runStock(name, { inputs, backend, attrs });
  const a3 = reshape(backend, a, [1, a.shape[a.shape.length - 2], a.shape[a.shape.length - 1]]);
  const b3 = reshape(backend, b, [1, b.shape[b.shape.length - 2], b.shape[b.shape.length - 1]]);
  const aPlain = transposeA ? untranspose(backend, a3) : a3;
  const bPlain = transposeB ? untranspose(backend, b3) : b3;
  const product = threaded
    ? productAsConv(backend, aPlain, bPlain, inputs, attrs)
    : runStock(name, {
        inputs: { ...inputs, a: aPlain, b: bPlain },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = reshape(backend, product, [...outer, ...product.shape.slice(-2)]);
  release(backend, a3, b3, product);
  if (aPlain !== a3) release(backend, aPlain);
  if (bPlain !== b3) release(backend, bPlain);
  return out;
}

/**
 * One product in oneDNN's matmul (backend wasm+onednn): transposed operands are read through their
 * strides, bias and relu fused; [..., m, n] out.
 */
function nativeMatMul(
  addon: OneDnnAddon,
  backend: BackendWasm,
  name: string,
  inputs: Record<string, Info>,
  attrs: Record<string, unknown>,
): Info {
  const { a, b } = inputs;
  const [transposeA, transposeB] = [attrs.transposeA === true, attrs.transposeB === true];
  const [ar, ac, br, bc] = [
    a.shape[a.shape.length - 2],
    a.shape[a.shape.length - 1],
    b.shape[b.shape.length - 2],
    b.shape[b.shape.length - 1],
  ];
  const [m, k, n] = [transposeA ? ac : ar, transposeA ? ar : ac, transposeB ? br : bc];
  const bias = name === '_FusedMatMul' ? inputs.bias : undefined;
  const relu = name === '_FusedMatMul' && attrs.activation === 'relu';
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const c = output(backend, [...outer, m, n]);
  const [as, bs, cs, biases] = f32s(backend, ...(bias === undefined ? [a, b, c] : [a, b, c, bias]));
  addon.matMul(Int32Array.from([m, k, n]), transposeA, transposeB, as, bs, biases ?? null, relu, cs);
  return c;
}

/** XNNPACK's thread count (the stock matMul kernel runs its product on one thread only). */
function xnnThreads(backend: BackendWasm): number {
  return (backend as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm.tfjs.getThreadsCount();
}

/** Whether a (fused) matMul's extras map onto FusedConv2D: a [N] bias, a linear or relu activation. */
function convCanFuse(name: string, inputs: Record<string, Info>, attrs: Record<string, unknown>): boolean {
  if (name === 'BatchMatMul') return true;
  const { bias, preluActivationWeights } = inputs;
  const n = inputs.b.shape[inputs.b.shape.length - (attrs.transposeB ? 2 : 1)];
  const biasOk = bias === undefined || (bias.shape.length === 1 && bias.shape[0] === n);
  return (
    biasOk && preluActivationWeights === undefined && (attrs.activation === 'linear' || attrs.activation === 'relu')
  );
}

/**
 * [1, M, K] x [1, K, N] as a 1x1 convolution of M pixels with K channels, which XNNPACK runs on
 * all its threads; returns [1, M, N].
 */
function productAsConv(
  backend: BackendWasm,
  a: Info,
  b: Info,
  inputs: Record<string, Info>,
  attrs: Record<string, unknown>,
): Info {
  const [m, k, n] = [a.shape[1], a.shape[2], b.shape[2]];
  const x = reshape(backend, a, [m, 1, 1, k]);
  const filter = reshape(backend, b, [1, 1, k, n]);
  const conv = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] };
  const { bias } = inputs;
  const activation = (attrs.activation as string | undefined) ?? 'linear';
  const y =
    bias === undefined && activation === 'linear'
      ? runKernel(backend, 'Conv2D', { x, filter }, conv)
      : runKernel(backend, 'FusedConv2D', bias === undefined ? { x, filter } : { x, filter, bias }, {
          ...conv,
          activation,
        });
  const out = reshape(backend, y, [1, m, n]);
  release(backend, x, filter, y);
  return out;
}

export const MATMUL_KERNELS: tf.KernelConfig[] = [
  {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    kernelFunc: ((args: KernelArgs) => matMulVia('BatchMatMul', args)) as unknown as tf.KernelFunc,
  },
  {
    kernelName: '_FusedMatMul',
    backendName: 'wasm',
    kernelFunc: ((args: KernelArgs) => matMulVia('_FusedMatMul', args)) as unknown as tf.KernelFunc,
  },
];
