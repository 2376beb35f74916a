// Decodes one JPEG or PNG file (found by its magic bytes, not its name) into 8-bit HWC pixels
// with pure-JS decoders (jpeg-js, pngjs): grayscale gives 1 channel, colour 3; an alpha
// channel is dropped. A file that does not decode is a UserError naming it.

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { UserError } from '../../errors.js';

export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** width*height*channels bytes, HWC, row-major. */
  data: Uint8Array;
}

export type ImageFormat = 'jpeg' | 'png';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function imageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  return undefined;
}

export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  const format = imageFormat(bytes);
  if (format === undefined) throw new UserError(`${file}: not a JPEG or PNG image (unknown magic bytes)`);
  try {
    return format === 'jpeg' ? decodeJpeg(bytes) : decodePng(bytes);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new UserError(`${file}: cannot decode ${format.toUpperCase()}: ${reason}`);
  }
}

function decodeJpeg(bytes: Uint8Array): DecodedImage {
  // jpeg-js always hands back RGB, so the component count comes from the frame header.
  const components = jpegComponents(bytes);
  if (components === undefined) throw new Error('no frame header (SOF) before the scan data');
  // tolerantDecoding: false makes a truncated scan an error instead of grey blocks.
  const img = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    tolerantDecoding: false,
    maxMemoryUsageInMB: 1024,
  });
  if (img.width === 0 || img.height === 0) throw new Error('empty image');
  if (components !== 1) return { width: img.width, height: img.height, channels: 3, data: img.data };
  const grey = new Uint8Array(img.width * img.height);
  for (let i = 0; i < grey.length; i++) grey[i] = img.data[3 * i];
  return { width: img.width, height: img.height, channels: 1, data: grey };
}

/** Number of colour components in the first SOF segment, or undefined if none comes first. */
export function jpegComponents(bytes: Uint8Array): number | undefined {
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    } // fill byte
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    } // no length
    if (marker === 0xda) return undefined; // start of scan
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return i + 9 < bytes.length ? bytes[i + 9] : undefined;
    i += 2 + length;
  }
  return undefined;
}

function decodePng(bytes: Uint8Array): DecodedImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const png = PNG.sync.read(buf);
  const channels = png.color ? 3 : 1;
  const n = png.width * png.height;
  const data = new Uint8Array(n * channels);
  const rgba = png.data;
  if (channels === 1) {
    for (let i = 0; i < n; i++) data[i] = rgba[4 * i];
  } else {
    for (let i = 0; i < n; i++) {
      data[3 * i] = rgba[4 * i];
      data[3 * i + 1] = rgba[4 * i + 1];
      data[3 * i + 2] = rgba[4 * i + 2];
    }
  }
  return { width: png.width, height: png.height, channels, data };
}

/** [height, width, channels] of every image in one dataset. */
export type ImageShape = [number, number, number];

/**
 * Decodes `bytes[k]` into slot `first + k` of `target` (HWC, h*w*c bytes per slot), checking
 * that each image has `shape`; `reference` names the file that set the shape, for the error.
 */
export function decodeIntoSlots(
  files: string[],
  bytes: Uint8Array[],
  shape: ImageShape,
  reference: string,
  target: Uint8Array,
  first: number,
): void {
  const [h, w, c] = shape;
  const pixels = h * w * c;
  for (let k = 0; k < files.length; k++) {
    const img = decodeImage(bytes[k], files[k]);
    if (img.height !== h || img.width !== w || img.channels !== c) {
      throw new UserError(
        `${files[k]}: ${img.width}x${img.height} with ${img.channels} channel(s), but ${reference} is ` +
          `${w}x${h} with ${c}; all images must have one size and channel count`,
      );
    }
    target.set(img.data, (first + k) * pixels);
  }
}
