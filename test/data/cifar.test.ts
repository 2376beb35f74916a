import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/errors.js';
import {
  BATCHES_DIR,
  CIFAR10_CLASSES,
  PROVENANCE_FILE,
  RECORD_BYTES,
  TEST_BATCH,
  TRAIN_BATCHES,
  decodeCifarBatch,
  loadCifar10,
} from '../../src/data/formats/cifar.js';
import { encodeCifarBatch } from '../../src/data/acquire/cifar-write.js';
import { cifar10Home, dataDir } from '../../src/data/data-dir.js';
import { loadDataset } from '../../src/data/index.js';
import { tempDir } from './helpers.js';
import { makeCifarBatch } from './image-fixtures.js';

const userError = (pattern: RegExp) => (err: unknown) => err instanceof UserError && pattern.test(err.message);

/** A cifar-10-batches-bin/ with `per` records per batch; labels cycle, pixel bytes encode (record, channel, p). */
function writeBatches(per: number, opts: { nested?: boolean; root?: string; fast?: boolean } = {}): string {
  const root = opts.root ?? tempDir();
  const dir = opts.nested === false ? root : path.join(root, BATCHES_DIR);
  fs.mkdirSync(dir, { recursive: true });
  [...TRAIN_BATCHES, TEST_BATCH].forEach((name, b) => {
    const labels = Array.from({ length: per }, (_, r) => (r + b) % 10);
    fs.writeFileSync(
      path.join(dir, name),
      makeCifarBatch(labels, opts.fast ? null : (r, ch, p) => b * 50 + r + ch * 7 + p),
    );
  });
  fs.writeFileSync(path.join(dir, 'batches.meta.txt'), `${CIFAR10_CLASSES.join('\n')}\n\n`);
  return root;
}

test('decodeCifarBatch turns planar R, G, B records into HWC pixels', () => {
  const bytes = makeCifarBatch([3, 9], (r, ch, p) => 100 * r + 10 * ch + p);
  const images = new Uint8Array(2 * 3072);
  const labels = new Uint8Array(2);
  decodeCifarBatch(bytes, 'b.bin', 2, images, labels, 0);
  assert.deepEqual([...labels], [3, 9]);
  // pixel p=1 (row 0, column 1) of record 1: R 100+0+1, G 100+10+1, B 100+20+1
  assert.deepEqual([...images.subarray(3072 + 3, 3072 + 6)], [101, 111, 121]);
  // pixel p=33 (row 1, column 1) of record 0
  assert.deepEqual([...images.subarray(33 * 3, 33 * 3 + 3)], [33, 43, 53]);
  // and back: encodeCifarBatch is its inverse
  assert.deepEqual(encodeCifarBatch({ images, labels, count: 2 }, 0, 2), bytes);
});

test('loadCifar10 reads the folder or its parent, with limits and the official copy', () => {
  const root = writeBatches(4);
  for (const p of [root, path.join(root, BATCHES_DIR)]) {
    const ds = loadCifar10({ path: p }, 4);
    assert.equal(ds.train.count, 20);
    assert.equal(ds.test.count, 4);
    assert.deepEqual(ds.imageShape, [32, 32, 3]);
    assert.deepEqual(ds.classNames, CIFAR10_CLASSES);
    assert.equal(ds.identity.source, path.join(root, BATCHES_DIR));
    assert.equal(ds.identity.copy, 'official');
    assert.equal(ds.identity.importedFrom, undefined);
    assert.deepEqual(
      ds.identity.files.map((f) => f.file),
      [...TRAIN_BATCHES, TEST_BATCH],
    );
    assert.ok(ds.identity.files.every((f) => f.bytes === 4 * RECORD_BYTES && /^[0-9a-f]{64}$/.test(f.sha256)));
    // batch 2 (index 1), record 3: label (3 + 1) % 10, red of pixel 0 = 50 + 3
    assert.equal(ds.train.labels[7], 4);
    assert.equal(ds.train.images[7 * 3072], 53);
    assert.equal(ds.test.images[0], (5 * 50) & 255);
  }
  const limited = loadCifar10({ path: root, trainLimit: 6, testLimit: 2 }, 4);
  assert.deepEqual([limited.train.count, limited.test.count, limited.train.images.length], [6, 2, 6 * 3072]);
  assert.deepEqual([limited.identity.trainSize, limited.identity.testSize], [6, 2]);
});

test('loadCifar10 reports an imported copy from ctc-import.json', () => {
  const root = writeBatches(2);
  const prov = {
    copy: 'jpeg-copy',
    source: '/x/cifar10-jpeg.tar.gz',
    sha256: 'ab'.repeat(32),
    importedAt: '2025-01-01T00:00:00.000Z',
  };
  fs.writeFileSync(path.join(root, BATCHES_DIR, PROVENANCE_FILE), JSON.stringify(prov));
  const ds = loadCifar10({ path: root }, 2);
  assert.equal(ds.identity.copy, 'jpeg-copy');
  assert.deepEqual(ds.identity.importedFrom, { path: prov.source, sha256: prov.sha256, at: prov.importedAt });
  fs.writeFileSync(path.join(root, BATCHES_DIR, PROVENANCE_FILE), '{oops');
  assert.throws(() => loadCifar10({ path: root }, 2), userError(/ctc-import\.json: not valid JSON/));
});

test('loadCifar10 names the file for truncated, long and mislabelled batches', () => {
  const root = writeBatches(3);
  const dir = path.join(root, BATCHES_DIR);
  const batch3 = path.join(dir, 'data_batch_3.bin');
  const good = fs.readFileSync(batch3);
  fs.writeFileSync(batch3, good.subarray(0, good.length - 1));
  assert.throws(
    () => loadCifar10({ path: root }, 3),
    userError(/data_batch_3\.bin: truncated: 9218 bytes is not 3 records of 3073 bytes$/),
  );
  fs.writeFileSync(batch3, good.subarray(0, 2 * RECORD_BYTES));
  assert.throws(
    () => loadCifar10({ path: root }, 3),
    userError(/data_batch_3\.bin: truncated: 6146 bytes \(2 records\) is not 3 records/),
  );
  fs.writeFileSync(batch3, Buffer.concat([good, good.subarray(0, 10)]));
  assert.throws(
    () => loadCifar10({ path: root }, 3),
    userError(/data_batch_3\.bin: too long: 9229 bytes is not 3 records/),
  );
  const bad = Buffer.from(good);
  bad[2 * RECORD_BYTES] = 10;
  fs.writeFileSync(batch3, bad);
  assert.throws(
    () => loadCifar10({ path: root }, 3),
    userError(/data_batch_3\.bin: label 10 in record 2 is not below 10$/),
  );
  fs.writeFileSync(batch3, good);
  fs.writeFileSync(path.join(dir, 'batches.meta.txt'), 'a\nb\n');
  assert.throws(
    () => loadCifar10({ path: root }, 3),
    userError(/batches\.meta\.txt: expected 10 class names, found 2/),
  );
});

test('missing CIFAR-10 says how to get it, in one line', () => {
  const dir = path.join(tempDir(), 'absent');
  assert.throws(
    () => loadCifar10({ path: dir }),
    userError(
      /^CIFAR-10 not found in .*absent: run "ctc data import cifar10 --from <dir or \.tar\.gz>" or "ctc data fetch cifar10", or set dataset\.path$/,
    ),
  );
  const root = writeBatches(1);
  fs.rmSync(path.join(root, BATCHES_DIR, 'test_batch.bin'));
  assert.throws(
    () => loadCifar10({ path: root }, 1),
    userError(/^CIFAR-10: test_batch\.bin missing in .*ctc data fetch cifar10/),
  );
});

test('the data directory: CTC_DATA_DIR, then XDG_CACHE_HOME/ctc, then ~/.cache/ctc', () => {
  assert.equal(dataDir({ CTC_DATA_DIR: '/d', XDG_CACHE_HOME: '/x' }), '/d');
  assert.equal(dataDir({ XDG_CACHE_HOME: '/x' }), '/x/ctc');
  assert.match(dataDir({ XDG_CACHE_HOME: 'relative' }), /\.cache\/ctc$/);
  assert.match(dataDir({}), /\.cache\/ctc$/);
  assert.equal(cifar10Home({ CTC_DATA_DIR: '/d' }), '/d/cifar10');
});

test('dataset cifar10 loads full-size batches from the data directory by default', async () => {
  const home = tempDir();
  writeBatches(10000, { root: path.join(home, 'cifar10'), fast: true });
  const saved = process.env.CTC_DATA_DIR;
  process.env.CTC_DATA_DIR = home;
  try {
    const start = performance.now();
    const ds = await loadDataset('cifar10');
    console.log(`# 60,000 CIFAR records loaded in ${(performance.now() - start).toFixed(0)} ms`);
    assert.equal(ds.train.count, 50000);
    assert.equal(ds.test.count, 10000);
    assert.equal(ds.train.images.length, 50000 * 3072);
    assert.equal(ds.identity.source, path.join(home, 'cifar10', BATCHES_DIR));
    assert.equal(ds.train.images[9999 * 3072], 9999 & 255);
    assert.equal(ds.train.labels[10000], 1);
  } finally {
    if (saved === undefined) delete process.env.CTC_DATA_DIR;
    else process.env.CTC_DATA_DIR = saved;
    fs.rmSync(home, { recursive: true, force: true });
  }
});
