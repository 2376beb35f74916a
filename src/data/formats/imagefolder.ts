// Dataset `imagefolder`: any classification set laid out as train/<class>/<image> and
// test/<class>/<image> (JPEG or PNG), in a folder or a .tar.gz given by dataset.path. Labels
// follow the sorted class folder names; all images must share one size and channel count.

import path from 'node:path';
import { UserError } from '../../errors.js';
import { decodeImages, type DecodeOptions, type EncodedImage } from './decode-pool.js';
import { readImageTree, treeHash, type ImageTree, type TreeImage } from './image-tree.js';
import { checkLimit } from './split-utils.js';
import type { Dataset, DatasetFile, DatasetOptions, Split } from '../types.js';

export async function loadImageFolder(opts: DatasetOptions = {}, decode: DecodeOptions = {}): Promise<Dataset> {
  const trainLimit = checkLimit('trainLimit', opts.trainLimit);
  const testLimit = checkLimit('testLimit', opts.testLimit);
  if (opts.path === undefined) {
    throw new UserError(
      'dataset.path is required for imagefolder: a folder (or .tar.gz) with train/<class>/<image> and test/<class>/<image>',
    );
  }
  const tree = await readImageTree(opts.path);
  // Only the kept images are decoded: the order is fixed before decoding, so a limit is cheap.
  const train = tree.train.slice(0, trainLimit ?? tree.train.length);
  const test = tree.test.slice(0, testLimit ?? tree.test.length);
  const items = [...train, ...test].map((img) => encoded(tree, img));
  const { images, shape } = await decodeImages(items, decode);
  const pixels = shape[0] * shape[1] * shape[2];
  const split = (list: TreeImage[], offset: number): Split => ({
    images: images.subarray(offset * pixels, (offset + list.length) * pixels),
    labels: Uint8Array.from(list, (img) => img.label),
    count: list.length,
  });
  if (tree.classNames.length > 256) {
    throw new UserError(`${opts.path}: ${tree.classNames.length} classes; at most 256 fit in uint8 labels`);
  }
  return {
    name: 'imagefolder',
    imageShape: shape,
    numClasses: tree.classNames.length,
    classNames: tree.classNames,
    train: split(train, 0),
    test: split(test, train.length),
    identity: {
      name: 'imagefolder',
      source: path.resolve(opts.path),
      files: [splitRecord(tree, 'train'), splitRecord(tree, 'test')],
      trainSize: train.length,
      testSize: test.length,
    },
  };
}

/** Errors name the image as a real path, or as `archive: path inside it`. */
export function encoded(tree: ImageTree, img: TreeImage): EncodedImage {
  const file = tree.kind === 'folder' ? path.join(tree.source, img.rel) : `${tree.source}: ${img.rel}`;
  return { file, bytes: img.bytes };
}

/** One identity entry per split: the hash of all its files (see treeHash) and their total size. */
function splitRecord(tree: ImageTree, which: 'train' | 'test'): DatasetFile {
  const list = tree[which];
  const prefix = tree.root === '' ? '' : `${tree.root}/`;
  return {
    file: `${prefix}${which}/ (${list.length} images)`,
    sha256: treeHash(list),
    bytes: list.reduce((sum, img) => sum + img.bytes.length, 0),
  };
}
