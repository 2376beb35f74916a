// Per-epoch feature frames for the training animation: a cheap hook the training loop calls
// after each test evaluation writes <run>/frames/epoch-NNNN.bin (2-D points, a fixed subset of
// at most 2000 test samples; features with d > 2 are PCA-projected first, per frame), and
// `ctc plot --run DIR --animate` reads them back. About 16 kB a frame.
//
// Format, little-endian: "CTCF" | u32 version=1 | u32 epoch | u32 n | u32 k (centers) |
// u32 dim (before projection) | f32 testAccuracy (NaN: none) | u8 labels[n], zero-padded to 4 |
// f32 points[n*2] | f32 centers[k*2]. Labels are bytes: at most 256 classes.

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { fitPca2, projectPca2 } from './pca.js';
import { subsample } from './subsample.js';

export const FRAME_POINTS = 2000;
const MAGIC = 0x46435443; // "CTCF" read as a little-endian u32
const HEADER = 28;

export interface FeatureFrame {
  epoch: number;
  dim: number; // feature dimension before projection
  testAccuracy: number | null;
  labels: Uint8Array; // [n]
  points: Float32Array; // [n, 2]
  centers: Float32Array; // [k, 2]
}

export function framesDir(runDir: string): string {
  return path.join(runDir, 'frames');
}

/**
 * The training-loop hook: call after each epoch's test evaluation with the test features
 * ([n, d]), their labels and the loss's centers ([k, d], or null). Takes a few milliseconds
 * for d = 2; for d > 2 the PCA of 2000 points costs about 2000 * d^2 / 2 multiply-adds.
 */
export function writeFeatureFrame(
  runDir: string,
  epoch: number,
  features: Float32Array,
  labels: ArrayLike<number>,
  centers: Float32Array | null,
  opts: { testAccuracy?: number; maxPoints?: number } = {},
): string {
  const file = path.join(framesDir(runDir), `epoch-${String(epoch).padStart(4, '0')}.bin`);
  writeFileAtomic(file, encodeFrame(makeFrame(epoch, features, labels, centers, opts)));
  return file;
}

export function makeFrame(
  epoch: number,
  features: Float32Array,
  labels: ArrayLike<number>,
  centers: Float32Array | null,
  opts: { testAccuracy?: number; maxPoints?: number } = {},
): FeatureFrame {
  const dim = features.length / labels.length;
  if (!Number.isInteger(dim) || dim < 2)
    throw new Error(`makeFrame: ${features.length} values do not make [${labels.length}, d >= 2] features`);
  const keep = subsample(labels.length, opts.maxPoints ?? FRAME_POINTS);
  const sub = new Float32Array(keep.length * dim);
  keep.forEach((i, r) => sub.set(features.subarray(i * dim, (i + 1) * dim), r * dim));
  let points = sub;
  let centers2 = centers ?? new Float32Array(0);
  if (dim > 2) {
    const pca = fitPca2(sub, keep.length, dim);
    points = Float32Array.from(projectPca2(pca, sub, keep.length));
    centers2 = centers ? Float32Array.from(projectPca2(pca, centers, centers.length / dim)) : centers2;
  }
  const frameLabels = Uint8Array.from(keep, (i) => {
    if (labels[i] > 255) throw new Error(`makeFrame: label ${labels[i]} does not fit a frame (at most 256 classes)`);
    return labels[i];
  });
  return { epoch, dim, testAccuracy: opts.testAccuracy ?? null, labels: frameLabels, points, centers: centers2 };
}

export function encodeFrame(f: FeatureFrame): Uint8Array {
  const n = f.labels.length;
  const k = f.centers.length / 2;
  const padded = Math.ceil(n / 4) * 4;
  const buf = new ArrayBuffer(HEADER + padded + 4 * (2 * n + 2 * k));
  const view = new DataView(buf);
  [MAGIC, 1, f.epoch, n, k, f.dim].forEach((v, i) => view.setUint32(4 * i, v, true));
  view.setFloat32(24, f.testAccuracy ?? NaN, true);
  new Uint8Array(buf, HEADER, n).set(f.labels);
  let off = HEADER + padded;
  for (const v of [...f.points, ...f.centers]) {
    view.setFloat32(off, v, true);
    off += 4;
  }
  return new Uint8Array(buf);
}

export function decodeFrame(bytes: Uint8Array, file: string): FeatureFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < HEADER || view.getUint32(0, true) !== MAGIC)
    throw new UserError(`${file}: not a ctc feature frame`);
  if (view.getUint32(4, true) !== 1)
    throw new UserError(`${file}: unknown feature frame version ${view.getUint32(4, true)}`);
  const [epoch, n, k, dim] = [8, 12, 16, 20].map((o) => view.getUint32(o, true));
  const padded = Math.ceil(n / 4) * 4;
  if (bytes.byteLength !== HEADER + padded + 8 * (n + k))
    throw new UserError(
      `${file}: truncated feature frame (${bytes.byteLength} bytes, expected ${HEADER + padded + 8 * (n + k)})`,
    );
  const acc = view.getFloat32(24, true);
  const floats = (off: number, count: number) =>
    Float32Array.from({ length: count }, (_, i) => view.getFloat32(off + 4 * i, true));
  return {
    epoch,
    dim,
    testAccuracy: Number.isNaN(acc) ? null : acc,
    labels: bytes.slice(HEADER, HEADER + n),
    points: floats(HEADER + padded, 2 * n),
    centers: floats(HEADER + padded + 8 * n, 2 * k),
  };
}

/** Every frame of a run, in epoch order. */
export function readFeatureFrames(runDir: string): FeatureFrame[] {
  const dir = framesDir(runDir);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^epoch-\d+\.bin$/.test(f)) : [];
  if (files.length === 0) {
    throw new UserError(
      `${dir}: no feature frames (epoch-NNNN.bin); they are written during training by writeFeatureFrame`,
    );
  }
  return files
    .map((f) => decodeFrame(new Uint8Array(fs.readFileSync(path.join(dir, f))), path.join(dir, f)))
    .sort((a, b) => a.epoch - b.epoch);
}
