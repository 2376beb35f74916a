// Builds the data tests' inputs in memory: JPEG and PNG images, CIFAR binary batches, and
// .tar.gz archives written by hand (ustar headers), so that hostile entries such as
// `../evil`, absolute paths and links can be made too.

import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { RECORD_BYTES } from '../../src/data/formats/cifar.js';

/** A w x h image with c channels whose pixel (y, x, k) is f(y, x, k). */
export function pixels(w: number, h: number, c: number, f: (y: number, x: number, k: number) => number): Uint8Array {
  const out = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = f(y, x, k) & 255;
  return out;
}

/** PNG of HWC pixels with 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA) channels. */
export function makePng(w: number, h: number, c: 1 | 2 | 3 | 4, data: Uint8Array): Uint8Array {
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[c];
  return new Uint8Array(
    PNG.sync.write({ width: w, height: h, data }, { inputColorType: colorType, colorType, inputHasAlpha: c % 2 === 0 }),
  );
}

/** JPEG (quality 90) of RGB pixels. Slow in jpeg-js (about 60 ms): make a few and reuse them. */
export function makeJpeg(w: number, h: number, rgb: Uint8Array): Uint8Array {
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
    rgba[4 * i + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, 90).data);
}

/**
 * A grayscale (one-component) baseline JPEG of 8x8 pixels of value 144, assembled by hand
 * because jpeg-js only encodes colour: quantisation 1, one-symbol Huffman tables, and a
 * single block whose DC coefficient is 8 * (144 - 128) = 128 (category 8) and no AC terms.
 */
export function greyJpeg8x8(): Uint8Array {
  const seg = (marker: number, body: number[]) => [
    0xff,
    marker,
    (body.length + 2) >> 8,
    (body.length + 2) & 255,
    ...body,
  ];
  const oneCode = (tableClass: number, symbol: number) => [tableClass, 1, ...new Array<number>(15).fill(0), symbol];
  return Uint8Array.from([
    0xff,
    0xd8,
    ...seg(0xdb, [0x00, ...new Array<number>(64).fill(1)]),
    ...seg(0xc0, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]),
    ...seg(0xc4, oneCode(0x00, 8)),
    ...seg(0xc4, oneCode(0x10, 0x00)),
    ...seg(0xda, [1, 1, 0x00, 0, 63, 0]),
    // bits: DC code 0, value 10000000, AC end-of-block code 0, then 1s to the byte boundary
    0x40,
    0x3f,
    0xff,
    0xd9,
  ]);
}

/** One CIFAR batch file: record r has label labels[r] and planar pixels R, G, B = f(r, channel, p). */
export function makeCifarBatch(
  labels: number[],
  f: ((r: number, ch: number, p: number) => number) | null = (r, ch, p) => r + ch * 7 + p,
): Uint8Array {
  const out = new Uint8Array(labels.length * RECORD_BYTES);
  labels.forEach((label, r) => {
    out[r * RECORD_BYTES] = label;
    // f === null: only the first pixel byte (the record's index), for fast full-size files
    if (f === null) out[r * RECORD_BYTES + 1] = r & 255;
    else
      for (let ch = 0; ch < 3; ch++)
        for (let p = 0; p < 1024; p++) out[r * RECORD_BYTES + 1 + ch * 1024 + p] = f(r, ch, p) & 255;
  });
  return out;
}

export interface TarEntry {
  path: string;
  bytes?: Uint8Array;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  linkpath?: string;
}

/** A ustar archive, gzipped; paths are written as given (no sanitising), up to 100 bytes. */
export function makeTarGz(entries: TarEntry[]): Buffer {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const data = e.bytes ?? new Uint8Array(0);
    const header = Buffer.alloc(512);
    const put = (text: string, offset: number, length: number) => header.write(text, offset, length, 'utf8');
    const octal = (n: number, offset: number, length: number) =>
      put(`${n.toString(8).padStart(length - 1, '0')}\0`, offset, length);
    if (Buffer.byteLength(e.path) > 100) throw new RangeError(`makeTarGz: path over 100 bytes: ${e.path}`);
    put(e.path, 0, 100);
    octal(e.type === 'dir' ? 0o755 : 0o644, 100, 8);
    octal(0, 108, 8);
    octal(0, 116, 8);
    octal(e.type === 'file' || e.type === undefined ? data.length : 0, 124, 12);
    octal(1_700_000_000, 136, 12);
    header.write(' '.repeat(8), 148, 8, 'ascii');
    put({ file: '0', dir: '5', symlink: '2', hardlink: '1' }[e.type ?? 'file'], 156, 1);
    if (e.linkpath) put(e.linkpath, 157, 100);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    let sum = 0;
    for (const b of header) sum += b;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    blocks.push(header);
    if ((e.type ?? 'file') === 'file' && data.length > 0) {
      blocks.push(data);
      const padding = (512 - (data.length % 512)) % 512;
      if (padding) blocks.push(new Uint8Array(padding));
    }
  }
  blocks.push(new Uint8Array(1024));
  return gzipSync(Buffer.concat(blocks), { level: 1 });
}

/** Writes `files` (relative path -> bytes) under `dir`. */
export function writeTree(dir: string, files: Record<string, Uint8Array>): string {
  for (const [rel, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), bytes);
  }
  return dir;
}
