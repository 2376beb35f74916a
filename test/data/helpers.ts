// Builds small IDX buffers and temp folders for the data tests.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** An IDX buffer: magic 0x00 0x00 <type> <ndims>, big-endian uint32 dims, then `data`. */
export function makeIdx(dims: number[], data: Uint8Array | number[], type = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-data-'));
}
