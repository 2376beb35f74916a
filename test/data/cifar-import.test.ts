import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/errors.js';
import {
  BATCHES_DIR,
  CIFAR10_CLASSES,
  PROVENANCE_FILE,
  RECORD_BYTES,
  TRAIN_BATCHES,
  loadCifar10,
} from '../../src/data/formats/cifar.js';
import { importCifar10 } from '../../src/data/acquire/cifar-import.js';
import { tempDir } from './helpers.js';
import { makeJpeg, makePng, makeTarGz, pixels, writeTree, type TarEntry } from './image-fixtures.js';

const userError = (pattern: RegExp) => (err: unknown) => err instanceof UserError && pattern.test(err.message);
const PER_BATCH = 10; // 5 training images per class, 1 test image per class

/** A 32x32 RGB PNG whose red channel is `v` everywhere, green the column, blue the row. */
const rgbPng = (v: number) =>
  makePng(
    32,
    32,
    3,
    pixels(32, 32, 3, (y, x, k) => [v, x, y][k]),
  );

/** A small CIFAR-shaped tree: image i of class c has red value 20 * c + i (test: 200 + c). */
function cifarTree(opts: { classes?: string[]; perClass?: number; prefix?: string } = {}): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const prefix = opts.prefix ?? '';
  (opts.classes ?? CIFAR10_CLASSES).forEach((c, label) => {
    for (let i = 0; i < (opts.perClass ?? 5); i++)
      files[`${prefix}train/${c}/${String(i).padStart(4, '0')}.png`] = rgbPng(20 * label + i);
    files[`${prefix}test/${c}/0000.png`] = rgbPng(200 + label);
  });
  return files;
}

const leftovers = (home: string) => fs.readdirSync(home).filter((n) => n !== BATCHES_DIR);

test('import from a folder writes the binary layout: mixed classes per batch, lossless round trip', async () => {
  const src = writeTree(tempDir(), cifarTree());
  const home = tempDir();
  const r = await importCifar10(src, { home, recordsPerBatch: PER_BATCH });
  const dir = path.join(home, BATCHES_DIR);
  assert.equal(r.target, dir);
  assert.equal(r.provenance.copy, 'png-copy');
  assert.equal(fs.statSync(path.join(dir, 'data_batch_5.bin')).size, PER_BATCH * RECORD_BYTES);
  assert.equal(fs.readFileSync(path.join(dir, 'batches.meta.txt'), 'utf8'), `${CIFAR10_CLASSES.join('\n')}\n`);
  assert.deepEqual(leftovers(home), []);
  assert.equal((fs.statSync(dir).mode & 0o777).toString(8), '755');

  const ds = loadCifar10({ path: home }, PER_BATCH);
  assert.equal(ds.identity.copy, 'png-copy');
  assert.equal(ds.identity.importedFrom?.sha256, r.provenance.sha256);
  for (let b = 0; b < TRAIN_BATCHES.length; b++) {
    const labels = [...ds.train.labels.subarray(b * PER_BATCH, (b + 1) * PER_BATCH)];
    assert.deepEqual(labels, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], `batch ${b + 1}`);
  }
  // example 13 = second round (image 0001) of class 3: red 61, green = column, blue = row
  const at = (img: number, y: number, x: number) => [
    ...ds.train.images.subarray(img * 3072 + (y * 32 + x) * 3, img * 3072 + (y * 32 + x) * 3 + 3),
  ];
  assert.deepEqual(at(13, 5, 7), [61, 7, 5]);
  assert.deepEqual([...ds.test.images.subarray(9 * 3072, 9 * 3072 + 3)], [209, 0, 0]);
});

test('import from a .tar.gz with a top folder: jpeg-copy, archive sha256, same bytes every time', async () => {
  const jpg = makeJpeg(
    32,
    32,
    pixels(32, 32, 3, (y, x, k) => [90, x * 4, y * 4][k]),
  );
  const entries: TarEntry[] = Object.entries(cifarTree({ prefix: 'CIFAR-10-images/' })).map(([p, bytes]) => ({
    path: p,
    bytes,
  }));
  entries[3].bytes = jpg;
  const archive = path.join(tempDir(), 'c.tar.gz');
  fs.writeFileSync(archive, makeTarGz(entries));
  const home = tempDir();
  const r = await importCifar10(archive, { home, recordsPerBatch: PER_BATCH });
  assert.equal(r.provenance.copy, 'jpeg-copy');
  assert.equal(r.provenance.sha256, createHash('sha256').update(fs.readFileSync(archive)).digest('hex'));
  assert.equal(r.provenance.source, archive);
  const read = () => fs.readFileSync(path.join(home, BATCHES_DIR, 'data_batch_2.bin'));
  const first = read();
  await assert.rejects(
    importCifar10(archive, { home, recordsPerBatch: PER_BATCH }),
    userError(/cifar-10-batches-bin already exists; pass --force to replace it$/),
  );
  await importCifar10(archive, { home, recordsPerBatch: PER_BATCH, force: true, workers: 2 });
  assert.deepEqual(read(), first);
  const prov = JSON.parse(fs.readFileSync(path.join(home, BATCHES_DIR, PROVENANCE_FILE), 'utf8'));
  assert.equal(prov.copy, 'jpeg-copy');
  assert.deepEqual(leftovers(home), []);
});

test('import refuses trees that are not CIFAR-10, and installs nothing', async () => {
  const home = tempDir();
  const expectNothing = () => assert.deepEqual(fs.readdirSync(home), []);
  const classes = [...CIFAR10_CLASSES.slice(0, 9), 'lorry'];
  await assert.rejects(
    importCifar10(writeTree(tempDir(), cifarTree({ classes })), { home, recordsPerBatch: PER_BATCH }),
    userError(/CIFAR-10 needs the class folders airplane, .*, truck; found airplane, .*, lorry, ship$/),
  );
  await assert.rejects(
    importCifar10(writeTree(tempDir(), cifarTree({ perClass: 4 })), { home, recordsPerBatch: PER_BATCH }),
    userError(/CIFAR-10 has 5 train images per class; found airplane 4, automobile 4/),
  );
  const grey = cifarTree();
  for (const k of Object.keys(grey))
    grey[k] = makePng(
      32,
      32,
      1,
      pixels(32, 32, 1, () => 5),
    );
  await assert.rejects(
    importCifar10(writeTree(tempDir(), grey), { home, recordsPerBatch: PER_BATCH }),
    userError(/train\/airplane\/0000\.png: CIFAR-10 images are 32x32 RGB; this one is 32x32 with 1 channel/),
  );
  const corrupt = cifarTree();
  corrupt['test/truck/0000.png'] = corrupt['test/truck/0000.png'].subarray(0, 50);
  await assert.rejects(
    importCifar10(writeTree(tempDir(), corrupt), { home, recordsPerBatch: PER_BATCH }),
    userError(/test\/truck\/0000\.png: cannot decode PNG/),
  );
  expectNothing();
});

test('import rejects hostile archives before writing anything', async () => {
  const home = tempDir();
  const good = Object.entries(cifarTree()).map(([p, bytes]) => ({ path: p, bytes }));
  for (const [evil, pattern] of [
    [{ path: '../evil', bytes: new Uint8Array([1]) }, /entry "\.\.\/evil" climbs out of the archive/],
    [{ path: '/tmp/ctc-evil-abs', bytes: new Uint8Array([1]) }, /entry "\/tmp\/ctc-evil-abs" has an absolute path/],
    [{ path: 'train/cat/x.png', type: 'symlink', linkpath: '/etc/passwd' }, /entry "train\/cat\/x\.png" is a link/],
  ] as [TarEntry, RegExp][]) {
    const archive = path.join(tempDir(), 'evil.tar.gz');
    fs.writeFileSync(archive, makeTarGz([...good.slice(0, 5), evil, ...good.slice(5)]));
    await assert.rejects(importCifar10(archive, { home, recordsPerBatch: PER_BATCH }), userError(pattern));
    assert.deepEqual(fs.readdirSync(home), []);
    assert.ok(!fs.existsSync(path.join(path.dirname(archive), '..', 'evil')));
  }
  assert.ok(!fs.existsSync('/tmp/ctc-evil-abs'));
});
