import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { loadDataset } from '../../src/data/index.js';
import { loadImageFolder } from '../../src/data/formats/imagefolder.js';
import { organizeTree, readImageTree } from '../../src/data/formats/image-tree.js';
import { tempDir } from './helpers.js';
import { makeJpeg, makePng, makeTarGz, pixels, writeTree } from './image-fixtures.js';

const userError = (pattern: RegExp) => (err: unknown) => err instanceof UserError && pattern.test(err.message);

/** A grey PNG whose every pixel is `v`, so a decoded image says which file it was. */
const greyPng = (v: number, side = 4) =>
  makePng(
    side,
    side,
    1,
    pixels(side, side, 1, () => v),
  );

/** train: 3 per class, test: 1 per class; pixel value = 10 * class index + file number. */
function tree(classes = ['zebra', 'ant', 'cat']): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  [...classes].sort().forEach((c, label) => {
    for (let i = 0; i < 3; i++) files[`train/${c}/${i}.png`] = greyPng(10 * label + i);
    files[`test/${c}/0.png`] = greyPng(100 + label);
  });
  return files;
}

test('imagefolder: sorted classes, files by name, classes interleaved', async () => {
  const dir = writeTree(tempDir(), {
    ...tree(),
    'train/ant/.DS_Store': new Uint8Array([1]),
    'README.txt': new Uint8Array([1]),
  });
  const ds = await loadDataset('imagefolder', { path: dir });
  assert.deepEqual(ds.classNames, ['ant', 'cat', 'zebra']);
  assert.deepEqual(ds.imageShape, [4, 4, 1]);
  assert.equal(ds.numClasses, 3);
  assert.deepEqual([...ds.train.labels], [0, 1, 2, 0, 1, 2, 0, 1, 2]);
  const firstPixels = Array.from({ length: 9 }, (_, i) => ds.train.images[i * 16]);
  assert.deepEqual(firstPixels, [0, 10, 20, 1, 11, 21, 2, 12, 22]);
  assert.deepEqual([...ds.test.labels], [0, 1, 2]);
  assert.equal(ds.test.images[2 * 16], 102);
  assert.deepEqual(
    ds.identity.files.map((f) => f.file),
    ['train/ (9 images)', 'test/ (3 images)'],
  );
  assert.match(ds.identity.files[0].sha256, /^[0-9a-f]{64}$/);
  const limited = await loadImageFolder({ path: dir, trainLimit: 4, testLimit: 1 });
  assert.deepEqual([limited.train.count, limited.test.count, limited.train.images.length], [4, 1, 64]);
  assert.deepEqual([...limited.train.labels], [0, 1, 2, 0]);
});

test('imagefolder reads RGB JPEGs and a .tar.gz under one top folder', async () => {
  const jpg = makeJpeg(
    8,
    8,
    pixels(8, 8, 3, (y, x, k) => 30 * k + y + x),
  );
  const archive = path.join(tempDir(), 'set.tar.gz');
  fs.writeFileSync(
    archive,
    makeTarGz([
      { path: 'set/train/b/1.jpg', bytes: jpg },
      { path: 'set/train/a/1.jpg', bytes: jpg },
      { path: 'set/test/a/1.jpg', bytes: jpg },
      { path: 'set/test/b/1.jpg', bytes: jpg },
    ]),
  );
  const ds = await loadImageFolder({ path: archive });
  assert.deepEqual(ds.imageShape, [8, 8, 3]);
  assert.deepEqual(ds.classNames, ['a', 'b']);
  assert.deepEqual([...ds.train.labels], [0, 1]);
  assert.equal(ds.identity.files[0].file, 'set/train/ (2 images)');
});

test('imagefolder errors name the folder or the offending file', async () => {
  await assert.rejects(loadImageFolder({}), userError(/^dataset\.path is required for imagefolder/));
  await assert.rejects(
    loadImageFolder({ path: path.join(tempDir(), 'nope') }),
    userError(/nope: no such folder or archive$/),
  );

  const mismatch = writeTree(tempDir(), { ...tree(), 'test/dog/0.png': greyPng(1) });
  await assert.rejects(
    loadImageFolder({ path: mismatch }),
    userError(/same class folders; only in train: -; only in test: dog$/),
  );

  const mixed = writeTree(tempDir(), { ...tree(), 'train/cat/9.png': greyPng(1, 5) });
  await assert.rejects(
    loadImageFolder({ path: mixed }),
    userError(/train\/cat\/9\.png: 5x5 with 1 channel\(s\), but .*train\/ant\/0\.png is 4x4 with 1/),
  );

  const rgbAmongGrey = writeTree(tempDir(), {
    ...tree(),
    'test/zebra/0.png': makePng(
      4,
      4,
      3,
      pixels(4, 4, 3, () => 1),
    ),
  });
  await assert.rejects(
    loadImageFolder({ path: rgbAmongGrey }),
    userError(/test\/zebra\/0\.png: 4x4 with 3 channel\(s\)/),
  );

  const corrupt = writeTree(tempDir(), { ...tree(), 'train/cat/1.png': greyPng(1).subarray(0, 30) });
  await assert.rejects(loadImageFolder({ path: corrupt }), userError(/train\/cat\/1\.png: cannot decode PNG: /));

  const text = writeTree(tempDir(), { ...tree(), 'train/cat/notes.txt': new TextEncoder().encode('hi') });
  await assert.rejects(loadImageFolder({ path: text }), userError(/train\/cat\/notes\.txt: not a JPEG or PNG image/));

  const nested = writeTree(tempDir(), { ...tree(), 'train/cat/sub/x.png': greyPng(1) });
  await assert.rejects(
    loadImageFolder({ path: nested }),
    userError(/train\/cat\/sub\/x\.png: expected train\/<class>\/<image>$/),
  );

  const noTest = writeTree(tempDir(), { 'train/a/1.png': greyPng(1) });
  await assert.rejects(loadImageFolder({ path: noTest }), userError(/no images under test\/$/));
});

test('organizeTree finds one top folder and refuses two', () => {
  const f = (rel: string) => ({ rel, bytes: new Uint8Array(0) });
  const one = organizeTree([f('CIFAR/train/a/1.jpg'), f('CIFAR/test/a/1.jpg'), f('LICENSE')], 'x');
  assert.equal(one.root, 'CIFAR');
  assert.throws(
    () => organizeTree([f('a/train/c/1.jpg'), f('a/test/c/1.jpg'), f('b/train/c/1.jpg')], 'x.tgz'),
    userError(/^x\.tgz: train\/ and test\/ folders found in several places \(a\/, b\/\); expected one$/),
  );
  assert.throws(
    () => organizeTree([f('img/1.jpg')], 'x.tgz'),
    userError(/no train\/<class>\/<image> or test\/<class>\/<image> files found/),
  );
});

test('a folder tree hash changes with any file and ignores hidden files', async () => {
  const dir = writeTree(tempDir(), tree());
  const before = (await readImageTree(dir)).sha256;
  fs.writeFileSync(path.join(dir, 'train/ant/.hidden'), 'x');
  assert.equal((await readImageTree(dir)).sha256, before);
  fs.writeFileSync(path.join(dir, 'train/ant/0.png'), greyPng(77));
  assert.notEqual((await readImageTree(dir)).sha256, before);
});
