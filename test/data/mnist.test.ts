import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { UserError } from '../../src/errors.js';
import { loadFashionMnist, loadMnist } from '../../src/data/formats/mnist.js';
import { makeIdx, tempDir } from './helpers.js';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const userError = (pattern: RegExp) => (err: unknown) => err instanceof UserError && pattern.test(err.message);

/** A tiny MNIST-shaped folder: n train and n test images whose first pixel is their index. */
function writeFakeMnist(n: number, opts: { gzip?: boolean; labels?: number[]; side?: number } = {}) {
  const dir = tempDir();
  const side = opts.side ?? 28;
  const pixels = new Uint8Array(n * side * side);
  for (let i = 0; i < n; i++) pixels[i * side * side] = i;
  const labels = opts.labels ?? Array.from({ length: n }, (_, i) => i % 10);
  const write = (name: string, bytes: Uint8Array) =>
    opts.gzip
      ? fs.writeFileSync(path.join(dir, `${name}.gz`), gzipSync(bytes))
      : fs.writeFileSync(path.join(dir, name), bytes);
  for (const prefix of ['train', 't10k']) {
    write(`${prefix}-images-idx3-ubyte`, makeIdx([n, side, side], pixels));
    write(`${prefix}-labels-idx1-ubyte`, makeIdx([labels.length], labels));
  }
  return dir;
}

test('loadMnist loads the real MNIST with a sane label histogram', () => {
  const start = performance.now();
  const ds = loadMnist();
  const ms = performance.now() - start;
  assert.equal(ds.train.count, 60000);
  assert.equal(ds.test.count, 10000);
  assert.equal(ds.train.images.length, 60000 * 784);
  assert.equal(ds.test.images.length, 10000 * 784);
  assert.deepEqual(ds.imageShape, [28, 28, 1]);
  assert.equal(ds.numClasses, 10);
  const histogram = new Array<number>(10).fill(0);
  for (const label of ds.train.labels) histogram[label]++;
  for (const [digit, count] of histogram.entries()) {
    assert.ok(count >= 5000 && count <= 7000, `class ${digit}: ${count}`);
  }
  assert.equal(ds.identity.files.length, 4);
  const trainImages = ds.identity.files.find((f) => f.file === 'train-images-idx3-ubyte');
  assert.equal(trainImages?.bytes, 47040016);
  assert.match(trainImages?.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(ds.identity.trainSize, 60000);
  console.log(`# full MNIST loaded in ${ms.toFixed(0)} ms`);
});

test('trainLimit/testLimit keep the first N examples; bad limits are rejected', () => {
  const full = loadMnist();
  const ds = loadMnist({ trainLimit: 100, testLimit: 50 });
  assert.equal(ds.train.count, 100);
  assert.equal(ds.train.images.length, 100 * 784);
  assert.deepEqual(ds.train.labels, full.train.labels.subarray(0, 100));
  assert.deepEqual(ds.train.images, full.train.images.subarray(0, 100 * 784));
  assert.equal(ds.test.count, 50);
  assert.deepEqual([ds.identity.trainSize, ds.identity.testSize], [100, 50]);
  assert.equal(loadMnist({ trainLimit: 1e9 }).train.count, 60000);
  assert.throws(() => loadMnist({ trainLimit: 0 }), userError(/dataset\.trainLimit must be a positive integer, got 0/));
  assert.throws(() => loadMnist({ testLimit: 2.5 }), userError(/dataset\.testLimit .* got 2\.5/));
});

test('loadMnist reads a folder of plain or gzipped files given by path', () => {
  for (const gzip of [false, true]) {
    const dir = writeFakeMnist(12, { gzip });
    const ds = loadMnist({ path: dir, trainLimit: 5 });
    assert.equal(ds.train.count, 5);
    assert.equal(ds.test.count, 12);
    assert.equal(ds.test.images[11 * 784], 11);
    assert.equal(ds.identity.source, dir);
    const suffix = gzip ? '.gz' : '';
    assert.deepEqual(
      ds.identity.files.map((f) => f.file),
      ['train', 't10k'].flatMap((p) => [`${p}-images-idx3-ubyte${suffix}`, `${p}-labels-idx1-ubyte${suffix}`]),
    );
  }
});

test('loadMnist validates dims, counts and labels, naming the file', () => {
  assert.throws(
    () => loadMnist({ path: writeFakeMnist(3, { labels: [1, 2, 10] }) }),
    userError(/train-labels-idx1-ubyte: label 10 at index 2 is not below 10/),
  );
  assert.throws(
    () => loadMnist({ path: writeFakeMnist(3, { labels: [1, 2] }) }),
    userError(/train-labels-idx1-ubyte: 2 labels but train-images-idx3-ubyte has 3 images/),
  );
  assert.throws(
    () => loadMnist({ path: writeFakeMnist(3, { side: 27 }) }),
    userError(/train-images-idx3-ubyte: expected images of dims \[n, 28, 28\], got \[3, 27, 27\]/),
  );
  const dir = writeFakeMnist(3);
  fs.rmSync(path.join(dir, 't10k-labels-idx1-ubyte'));
  assert.throws(() => loadMnist({ path: dir }), userError(/t10k-labels-idx1-ubyte \(or .*\.gz\) not found in/));
});

test('loadFashionMnist says how to install it when the folder is missing', () => {
  const dir = path.join(tempDir(), 'absent');
  assert.throws(
    () => loadFashionMnist({ path: dir }),
    userError(
      new RegExp(`^Fashion-MNIST not found in ${dir}: apt-get install dataset-fashion-mnist, or set dataset\\.path$`),
    ),
  );
});

test('loadFashionMnist loads the Debian package', (t) => {
  if (!fs.existsSync(FASHION_DIR)) {
    t.skip(`${FASHION_DIR} missing (apt-get install dataset-fashion-mnist)`);
    return;
  }
  const ds = loadFashionMnist({ testLimit: 1000 });
  assert.equal(ds.train.count, 60000);
  assert.equal(ds.test.count, 1000);
  assert.equal(ds.classNames.length, 10);
  assert.equal(ds.classNames[9], 'Ankle boot');
  const histogram = new Array<number>(10).fill(0);
  for (const label of ds.train.labels) histogram[label]++;
  assert.deepEqual(histogram, new Array(10).fill(6000));
});
