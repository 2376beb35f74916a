/**
 * Geometry of one convolution, packed as 17 int32 values:
 * n, h, w, c, kh, kw, o, oh, ow, strideH, strideW, dilationH, dilationW, padTop, padLeft,
 * padBottom, padRight. Activations are NHWC, filters HWIO, all float32.
 */
export interface OneDnnAddon {
  forward(geometry: Int32Array, x: Float32Array, filter: Float32Array, bias: Float32Array | null, relu: boolean, y: Float32Array): void;
  backwardData(geometry: Int32Array, dy: Float32Array, filter: Float32Array, dx: Float32Array): void;
  backwardWeights(geometry: Int32Array, x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  /** 2x2 stride-2 unpadded max-pool gradient; dims = [n, h, w, outH, outW, channels] (NHWC). */
  maxPoolGrad2x2(dims: Int32Array, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** Training-mode batch norm over the last axis; dims = [rows, channels]. */
  batchNormForward(dims: Int32Array, x: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number, y: Float32Array, mean: Float32Array, variance: Float32Array): void;
  batchNormBackward(dims: Int32Array, x: Float32Array, dy: Float32Array, gamma: Float32Array, mean: Float32Array, variance: Float32Array, epsilon: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
  setThreads(threads: number): void;
  info(): { version: string; isa: string; threads: number; cachedPlans: number };
}
export declare const addon: OneDnnAddon | null;
export declare const reason: string | null;
