import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { UserError } from '../../src/errors.js';
import { parseIdx, readIdxFile } from '../../src/data/formats/idx.js';
import { makeIdx, tempDir } from './helpers.js';

const userError = (pattern: RegExp) => (err: unknown) => err instanceof UserError && pattern.test(err.message);

test('parseIdx reads 1-d and 3-d ubyte arrays', () => {
  const labels = parseIdx(makeIdx([3], [7, 0, 9]), 'labels');
  assert.deepEqual(labels.dims, [3]);
  assert.deepEqual([...labels.data], [7, 0, 9]);

  const pixels = Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
  const images = parseIdx(makeIdx([2, 3, 4], pixels), 'images');
  assert.deepEqual(images.dims, [2, 3, 4]);
  assert.deepEqual([...images.data], pixels);
});

test('parseIdx rejects truncated data and a truncated header', () => {
  const full = makeIdx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.throws(
    () => parseIdx(full.subarray(0, full.length - 1), 'imgs'),
    userError(/^imgs: truncated: expected 24 bytes, got 23$/),
  );
  assert.throws(() => parseIdx(full.subarray(0, 10), 'imgs'), userError(/^imgs: truncated: header/));
  assert.throws(() => parseIdx(new Uint8Array([0, 0]), 'imgs'), userError(/^imgs: truncated/));
});

test('parseIdx rejects trailing bytes', () => {
  const withGarbage = makeIdx([2], [1, 2, 3]);
  assert.throws(
    () => parseIdx(withGarbage, 'lbl'),
    userError(/^lbl: trailing bytes: expected 10 bytes for dims \[2\], got 11$/),
  );
});

test('parseIdx rejects a wrong magic, a non-ubyte type and bad dimension counts', () => {
  const bad = makeIdx([1], [5]);
  bad[0] = 0x42;
  assert.throws(() => parseIdx(bad, 'x.idx'), userError(/^x\.idx: not an IDX file: magic 0x42 0x00/));
  assert.throws(
    () => parseIdx(makeIdx([1], [0, 0, 0, 0], 0x0d), 'x.idx'),
    userError(/^x\.idx: unsupported IDX element type 0x0d \(float\)/),
  );
  assert.throws(() => parseIdx(makeIdx([], []), 'x.idx'), userError(/dimensions 0/));
  assert.throws(() => parseIdx(makeIdx([1, 1, 1, 1, 1], [3]), 'x.idx'), userError(/dimensions 5/));
});

test('readIdxFile reads plain files, .gz files and gzip content without the suffix', () => {
  const dir = tempDir();
  const idx = makeIdx([4], [1, 2, 3, 4]);
  const plain = path.join(dir, 'labels-idx1-ubyte');
  const gz = path.join(dir, 'labels-idx1-ubyte.gz');
  const sneaky = path.join(dir, 'gzipped-without-suffix');
  fs.writeFileSync(plain, idx);
  fs.writeFileSync(gz, gzipSync(idx));
  fs.writeFileSync(sneaky, gzipSync(idx));
  for (const file of [plain, gz, sneaky]) {
    assert.deepEqual([...readIdxFile(file).data], [1, 2, 3, 4], file);
  }
});

test('readIdxFile names the file for corrupt gzip, bad content and a missing file', () => {
  const dir = tempDir();
  const corrupt = path.join(dir, 'corrupt.gz');
  fs.writeFileSync(corrupt, Buffer.concat([gzipSync(makeIdx([4], [1, 2, 3, 4])).subarray(0, 12)]));
  assert.throws(() => readIdxFile(corrupt), userError(/corrupt\.gz: corrupt gzip/));

  const notGzip = path.join(dir, 'plain-but-named.gz');
  fs.writeFileSync(notGzip, makeIdx([1], [1]));
  assert.throws(() => readIdxFile(notGzip), userError(/plain-but-named\.gz: corrupt gzip/));

  const truncatedInGz = path.join(dir, 'short.gz');
  fs.writeFileSync(truncatedInGz, gzipSync(makeIdx([9], [1, 2])));
  assert.throws(() => readIdxFile(truncatedInGz), userError(/short\.gz: truncated: expected 17 bytes, got 10/));

  const missing = path.join(dir, 'nope-idx1-ubyte');
  assert.throws(() => readIdxFile(missing), userError(/nope-idx1-ubyte: file not found/));
  assert.throws(() => readIdxFile(dir), userError(/cannot read \(EISDIR\)/));
});
