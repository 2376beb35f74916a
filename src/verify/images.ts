// The images of an LFW-layout tree (`DIR/NAME/NAME_0001.jpg`, JPEG or PNG) that a pairs file
// names, as a split of the shape a run's network takes: any size and channel count, centre-
// cropped to a square, resized bilinearly, converted to grey (ITU-R BT.601 luma) or to RGB (the
// grey value three times). Each image is read once however many pairs name it.

import fs from 'node:fs';
import path from 'node:path';
import type { Split } from '../data/types.js';
import { decodeImage, type DecodedImage } from '../data/formats/image-decode.js';
import { UserError } from '../errors.js';
import type { ImageRef, PairsFile } from './pairs.js';

/** How the images were made to fit, for the output. */
export const CONVERSION = 'centre-cropped to a square, resized bilinearly, grey = 0.299 R + 0.587 G + 0.114 B';

export function imagePath(dir: string, ref: ImageRef): string | undefined {
  const base = path.join(dir, ref.name, `${ref.name}_${String(ref.index).padStart(4, '0')}`);
  return ['.jpg', '.jpeg', '.png', '.JPG', '.PNG'].map((e) => base + e).find((f) => fs.existsSync(f));
}

/** Every image the pairs name, in first-mention order, with the row of each reference. */
export function loadPairImages(
  dir: string,
  pairs: PairsFile,
  shape: [number, number, number],
): { split: Split; row: (ref: ImageRef) => number } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`--images ${dir}: no such folder`);
  const rows = new Map<string, number>();
  const files: string[] = [];
  const key = (r: ImageRef) => `${r.name}\u0000${r.index}`;
  for (const fold of pairs.folds) {
    for (const p of fold) {
      for (const r of [p.a, p.b]) {
        if (rows.has(key(r))) continue;
        const file = imagePath(dir, r);
        if (!file)
          throw new UserError(
            `${pairs.file}:${p.line}: no image ${path.join(dir, r.name, `${r.name}_${String(r.index).padStart(4, '0')}`)}.{jpg,png}`,
          );
        rows.set(key(r), files.length);
        files.push(file);
      }
    }
  }
  const [h, w, c] = shape;
  const images = new Uint8Array(files.length * h * w * c);
  files.forEach((file, i) =>
    images.set(fitImage(decodeImage(new Uint8Array(fs.readFileSync(file)), file), shape), i * h * w * c),
  );
  const split: Split = { images, labels: new Uint8Array(files.length), count: files.length };
  return { split, row: (r) => rows.get(key(r)) as number };
}

/** One image, centre-cropped to a square, resized to [h, w] and converted to c channels. */
export function fitImage(img: DecodedImage, [h, w, c]: [number, number, number]): Uint8Array {
  const side = Math.min(img.width, img.height);
  const x0 = (img.width - side) / 2;
  const y0 = (img.height - side) / 2;
  const out = new Uint8Array(h * w * c);
  const at = (x: number, y: number, ch: number) => img.data[(y * img.width + x) * img.channels + ch];
  const sample = (fx: number, fy: number, ch: number) => {
    // Bilinear between the four nearest source pixels, sampled at pixel centres.
    const sx = Math.min(Math.max(fx - 0.5, 0), img.width - 1);
    const sy = Math.min(Math.max(fy - 0.5, 0), img.height - 1);
    const xa = Math.floor(sx);
    const ya = Math.floor(sy);
    const xb = Math.min(xa + 1, img.width - 1);
    const yb = Math.min(ya + 1, img.height - 1);
    const tx = sx - xa;
    const ty = sy - ya;
    const top = at(xa, ya, ch) * (1 - tx) + at(xb, ya, ch) * tx;
    const bottom = at(xa, yb, ch) * (1 - tx) + at(xb, yb, ch) * tx;
    return top * (1 - ty) + bottom * ty;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const fx = x0 + ((x + 0.5) * side) / w;
      const fy = y0 + ((y + 0.5) * side) / h;
      const rgb = img.channels === 3 ? [0, 1, 2].map((ch) => sample(fx, fy, ch)) : null;
      const grey = rgb ? 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] : sample(fx, fy, 0);
      for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = Math.round(c === 3 && rgb ? rgb[ch] : grey);
    }
  }
  return out;
}
