// Reads IDX files, the format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist): a
// big-endian header `0x00 0x00 <type> <ndims>`, ndims uint32 sizes, then the raw elements.
// Only unsigned bytes (type 0x08) are supported; every check names the file.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../../errors.js';

export interface IdxArray {
  dims: number[];
  /** product(dims) bytes, a view into the file's buffer. */
  data: Uint8Array;
}

const IDX_TYPES: Record<number, string> = {
  0x08: 'ubyte',
  0x09: 'byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** Parses an uncompressed IDX buffer of unsigned bytes; `file` names it in errors. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) {
    throw new UserError(`${file}: truncated: ${bytes.length} bytes, too short for an IDX header`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), hex).join(' ');
    throw new UserError(`${file}: not an IDX file: magic ${magic}, expected 0x00 0x00 <type> <ndims>`);
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const typeName = IDX_TYPES[type] ?? 'unknown';
    throw new UserError(
      `${file}: unsupported IDX element type ${hex(type)} (${typeName}); only ubyte (0x08) is supported`,
    );
  }
  const ndims = bytes[3];
  if (ndims < 1 || ndims > 4) {
    throw new UserError(`${file}: unsupported number of IDX dimensions ${ndims}; expected 1 to 4`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new UserError(`${file}: truncated: header needs ${headerBytes} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (bytes.length < expected) {
    throw new UserError(`${file}: truncated: expected ${expected} bytes, got ${bytes.length}`);
  }
  if (bytes.length > expected) {
    throw new UserError(
      `${file}: trailing bytes: expected ${expected} bytes for dims [${dims.join(', ')}], got ${bytes.length}`,
    );
  }
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, expected - headerBytes);
  return { dims, data };
}

/** Reads a whole file; a missing or unreadable file is a UserError naming the path. */
export function readFileBytes(path: string): Uint8Array {
  try {
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(err)})`;
    throw new UserError(`${path}: ${reason}`);
  }
}

/** True for a `.gz` name or content starting with the gzip magic 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array, file: string): boolean {
  return file.endsWith('.gz') || (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b);
}

/** Gunzips when needed, then parses. `raw` is the file's content as read from disk. */
export function decodeIdx(raw: Uint8Array, file: string): IdxArray {
  if (!isGzip(raw, file)) return parseIdx(raw, file);
  let unpacked: Buffer;
  try {
    unpacked = gunzipSync(raw);
  } catch (err) {
    throw new UserError(`${file}: corrupt gzip: ${(err as Error).message}`);
  }
  return parseIdx(new Uint8Array(unpacked.buffer, unpacked.byteOffset, unpacked.length), file);
}

/** Reads and parses an IDX file, plain or gzipped. */
export function readIdxFile(path: string): IdxArray {
  return decodeIdx(readFileBytes(path), path);
}
