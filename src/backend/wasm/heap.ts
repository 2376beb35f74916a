// Shared plumbing for ctc's wasm kernels: calling another registered wasm kernel directly,
// freeing intermediates, and typed views of tensors on the wasm heap.

import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Info = tf.TensorInfo;

export interface KernelArgs {
  inputs: Record<string, Info>;
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}

/** The kernel registered for 'wasm' when ctc first replaced it (tfjs's own), by name. */
const stockKernels = new Map<string, tf.KernelFunc>();

/** Remembers tfjs's own wasm kernel before ctc replaces it; `runStock` calls it. */
export function rememberStock(name: string): void {
  if (stockKernels.has(name)) return;
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel !== undefined) stockKernels.set(name, kernel.kernelFunc);
}

/** Runs another registered wasm kernel directly (no tape, no engine bookkeeping). */
export function runKernel(
  backend: BackendWasm,
  name: string,
  inputs: Record<string, Info>,
  attrs: tf.NamedAttrMap = {},
): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`wasm kernel '${name}' is not registered`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as Info;
}

/** Runs tfjs's own wasm kernel for `name`, for the cases ctc's replacement does not handle. */
export function runStock(name: string, args: KernelArgs): Info {
  const stock = stockKernels.get(name);
  if (stock === undefined) throw new Error(`no stock wasm kernel '${name}' was recorded`);
  return stock(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
}

export function release(backend: BackendWasm, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** A same-data view with another shape (the wasm Reshape kernel shares the buffer). */
export function reshape(backend: BackendWasm, x: Info, shape: number[]): Info {
  return runKernel(backend, 'Reshape', { x }, { shape });
}

/**
 * A float32 view of a tensor's data on the wasm heap. Take views only after the last
 * makeOutput of a kernel: an allocation may grow, and so detach, the heap.
 */
export function f32(backend: BackendWasm, info: Info): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/**
 * Float32 views of several tensors, taken together after every one is looked up once: a lookup
 * may compute a deferred output (wasm/deferred.ts), and the allocation that needs may detach
 * views taken before it.
 */
export function f32s(backend: BackendWasm, ...infos: Info[]): Float32Array[] {
  for (const info of infos)
    (backend as unknown as { dataIdMap: { get(id: object): unknown } }).dataIdMap.get(info.dataId);
  return infos.map((info) => f32(backend, info));
}

/** A new float32 output tensor of the given shape. */
export function output(backend: BackendWasm, shape: number[]): Info {
  return backend.makeOutput(shape, 'float32');
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The rows x columns view of a reduction: true when `axes` are exactly the leading axes 0..k-1
 * of a tensor (the batch and spatial axes of an NHWC activation, reduced per channel).
 */
export function leadingAxes(axes: readonly number[], rank: number): boolean {
  const sorted = [...axes].sort((a, b) => a - b);
  return sorted.length > 0 && sorted.length < rank && sorted.every((a, i) => a === i);
}

/** Normalises an axis attribute (number, list, negative entries) against a rank. */
export function parseAxes(axis: unknown, shape: readonly number[]): number[] {
  return tf.util.parseAxisParam(axis as number | number[], shape as number[]);
}

/** Rows per block in the per-channel loops: 64 rows of up to 128 channels stay in cache across the channel sweeps. */
export const ROW_BLOCK = 64;

/**
 * Per-column sums of `v` viewed as [rows, cols], in float64. Four columns per sweep keep four
 * running sums in registers, over blocks of ROW_BLOCK rows: faster in V8 than one column per
 * sweep or an array of sums.
 */
export function columnSums(v: Float32Array, cols: number, out: Float64Array): void {
  const rows = v.length / cols;
  out.fill(0);
  const wide = cols - (cols % 4);
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const end = Math.min(rows, r0 + ROW_BLOCK) * cols;
    for (let c = 0; c < wide; c += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = r0 * cols + c; i < end; i += cols) {
        s0 += v[i];
        s1 += v[i + 1];
        s2 += v[i + 2];
        s3 += v[i + 3];
      }
      out[c] += s0;
      out[c + 1] += s1;
      out[c + 2] += s2;
      out[c + 3] += s3;
    }
    for (let c = wide; c < cols; c++) {
      let s = 0;
      for (let i = r0 * cols + c; i < end; i += cols) s += v[i];
      out[c] += s;
    }
  }
}
