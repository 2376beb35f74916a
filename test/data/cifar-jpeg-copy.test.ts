// Checks the shared CIFAR-10 JPEG copy where it exists (developers, CI); skipped elsewhere.
// Reading and ordering all 60,000 entries is quick; decoding is sampled to keep it fast (a
// full `ctc data import` takes about 15 s and is run by hand, see docs/data.md).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CIFAR10_CLASSES } from '../../src/data/formats/cifar.js';
import { decodeImages } from '../../src/data/formats/decode-pool.js';
import { encoded } from '../../src/data/formats/imagefolder.js';
import { readImageTree } from '../../src/data/formats/image-tree.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '../../..') : path.resolve(here, '../..');
const ARCHIVE = path.resolve(ROOT, '../shared/datasets/cifar10-jpeg.tar.gz');
const SHA256 = 'd34c68f61cca57aa9144c8f25bda427abb9921bd642d5857a2fc1a6b4416f965';

test(
  'the shared JPEG copy reads as CIFAR-10: classes, counts, order, 32x32 RGB',
  { skip: !fs.existsSync(ARCHIVE) && `${ARCHIVE} not here` },
  async () => {
    const tree = await readImageTree(ARCHIVE);
    assert.equal(tree.sha256, SHA256);
    assert.equal(tree.root, '');
    assert.deepEqual(tree.classNames, CIFAR10_CLASSES);
    assert.equal(tree.train.length, 50000);
    assert.equal(tree.test.length, 10000);
    assert.deepEqual(
      tree.train.slice(0, 11).map((i) => i.label),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0],
    );
    assert.equal(tree.train[0].rel, 'train/airplane/0000.jpg');
    const sample = [...tree.train.filter((_, i) => i % 500 === 0), ...tree.test.slice(0, 50)].map((img) =>
      encoded(tree, img),
    );
    const { shape } = await decodeImages(sample, { workers: 0 });
    assert.deepEqual(shape, [32, 32, 3]);
  },
);
