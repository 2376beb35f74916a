// CIFAR training-time preprocessing as plain typed-array functions (no tensors): the
// per-pixel training mean, and the standard augmentation of the ResNet paper (He et al. 2016,
// §4.2): pad 4 pixels with zeros, take a random 32x32 crop, flip horizontally with p = 0.5.
//
// Order in the training loop: scale the pixels (batches.ts), subtract the mean (scaled the
// same way), then augment. The padding is zeros *after* mean subtraction, so in the original
// pixel space the border holds the mean image, as in the Caffe/PyTorch CIFAR recipes.

import type { Rng } from '../util/rng.js';
import type { Split } from './types.js';

/**
 * Per-pixel mean over a split: h*w*c floats (HWC) on the uint8 0..255 scale. Multiply by the
 * input scaling's factor (e.g. 1/255 for 'unit') before subtracting it from scaled inputs.
 */
export function pixelMean(split: Split, imageShape: [number, number, number]): Float32Array {
  const pixels = imageShape[0] * imageShape[1] * imageShape[2];
  if (split.count === 0 || split.images.length !== split.count * pixels) {
    throw new RangeError(`pixelMean: ${split.images.length} bytes are not ${split.count} images of ${pixels}`);
  }
  const sum = new Float64Array(pixels);
  const images = split.images;
  for (let i = 0; i < split.count; i++) {
    const offset = i * pixels;
    for (let p = 0; p < pixels; p++) sum[p] += images[offset + p];
  }
  const mean = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) mean[p] = sum[p] / split.count;
  return mean;
}

/** x[i] -= scale * mean[i mod pixels], in place, for a batch of n images; returns x. */
export function subtractMean(x: Float32Array, mean: Float32Array, scale = 1): Float32Array {
  const pixels = mean.length;
  if (x.length % pixels !== 0)
    throw new RangeError(`subtractMean: ${x.length} floats are not whole images of ${pixels}`);
  for (let offset = 0; offset < x.length; offset += pixels) {
    for (let p = 0; p < pixels; p++) x[offset + p] -= scale * mean[p];
  }
  return x;
}

export interface AugmentOptions {
  /** Zero padding on each side before the random crop (0 turns cropping off). */
  pad: number;
  /** Random horizontal flip with probability 0.5. */
  flip: boolean;
}

/**
 * A randomly padded-cropped and flipped copy of a batch of n HWC images. Per image the Rng is
 * drawn in a fixed order (row offset, column offset, then the flip), so the same Rng state
 * gives the same batch. Offsets are uniform in [-pad, pad]: output pixel (y, x) is input pixel
 * (y + dy, x' + dx) with x' = w - 1 - x when flipped, and 0 where that falls outside.
 */
export function augmentBatch(
  x: Float32Array,
  n: number,
  shape: [number, number, number],
  rng: Rng,
  opts: AugmentOptions = { pad: 4, flip: true },
  out: Float32Array = new Float32Array(x.length),
): Float32Array {
  const [h, w, c] = shape;
  const pixels = h * w * c;
  const rowLen = w * c;
  if (x.length !== n * pixels || out.length !== x.length) {
    throw new RangeError(`augmentBatch: ${x.length} floats (out ${out.length}) are not ${n} images of ${h}x${w}x${c}`);
  }
  const pad = opts.pad;
  if (!Number.isInteger(pad) || pad < 0) throw new RangeError(`augmentBatch: pad must be an integer >= 0, got ${pad}`);
  for (let b = 0; b < n; b++) {
    const dy = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
    const dx = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
    const flip = opts.flip && rng.next() < 0.5;
    const base = b * pixels;
    for (let y = 0; y < h; y++) {
      const row = base + y * rowLen;
      const sy = y + dy;
      if (sy < 0 || sy >= h) {
        out.fill(0, row, row + rowLen);
        continue;
      }
      const srcRow = base + sy * rowLen;
      if (!flip) {
        // Columns x with 0 <= x + dx < w are copied in one block; the rest is padding.
        const x0 = Math.max(0, -dx);
        const x1 = Math.max(x0, Math.min(w, w - dx));
        out.fill(0, row, row + x0 * c);
        out.set(x.subarray(srcRow + (x0 + dx) * c, srcRow + (x1 + dx) * c), row + x0 * c);
        out.fill(0, row + x1 * c, row + rowLen);
        continue;
      }
      for (let xo = 0; xo < w; xo++) {
        const sx = w - 1 - xo + dx;
        const o = row + xo * c;
        if (sx < 0 || sx >= w) {
          for (let k = 0; k < c; k++) out[o + k] = 0;
        } else {
          const s = srcRow + sx * c;
          for (let k = 0; k < c; k++) out[o + k] = x[s + k];
        }
      }
    }
  }
  return out;
}
