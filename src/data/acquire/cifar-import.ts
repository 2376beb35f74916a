// `ctc data import cifar10`: rebuilds the official binary layout from an image-folder copy of
// CIFAR-10 (a folder or .tar.gz of train/<class>/*.jpg and test/<class>/*.jpg, such as the JPEG
// copy), so that one loader serves both copies. A ctc-import.json beside the batches records
// the source and its sha256, and the loader reports the copy as 'jpeg-copy' (or 'png-copy').

import path from 'node:path';
import { UserError } from '../../errors.js';
import {
  BATCHES_DIR,
  CIFAR10_CLASSES,
  CIFAR_SIDE,
  RECORDS_PER_BATCH,
  TRAIN_BATCHES,
  loadCifar10,
  type ImportProvenance,
} from '../formats/cifar.js';
import { checkTarget, installAtomically, writeCifarFiles } from './cifar-write.js';
import { cifar10Home } from '../data-dir.js';
import { decodeImages } from '../formats/decode-pool.js';
import { imageFormat } from '../formats/image-decode.js';
import { encoded } from '../formats/imagefolder.js';
import { readImageTree, type TreeImage } from '../formats/image-tree.js';
import { createProgress, type TaskProgress } from './progress.js';

export interface ImportOptions {
  /** The folder that gets cifar-10-batches-bin/ (default <data dir>/cifar10). */
  home?: string;
  force?: boolean;
  progress?: TaskProgress;
  /** 10,000 for CIFAR-10; tests use small batches. */
  recordsPerBatch?: number;
  workers?: number;
}

export interface ImportResult {
  target: string;
  provenance: ImportProvenance;
  seconds: number;
}

export async function importCifar10(from: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const started = performance.now();
  const progress = opts.progress ?? createProgress(true);
  const perBatch = opts.recordsPerBatch ?? RECORDS_PER_BATCH;
  const target = path.join(opts.home ?? cifar10Home(), BATCHES_DIR);
  checkTarget(target, opts.force ?? false);

  progress.note(`reading ${from}`);
  const tree = await readImageTree(from);
  const expected = CIFAR10_CLASSES.join(', ');
  if (tree.classNames.join(', ') !== expected) {
    throw new UserError(`${from}: CIFAR-10 needs the class folders ${expected}; found ${tree.classNames.join(', ')}`);
  }
  checkCounts(from, 'train', tree.train, (TRAIN_BATCHES.length * perBatch) / CIFAR10_CLASSES.length);
  checkCounts(from, 'test', tree.test, perBatch / CIFAR10_CLASSES.length);

  const items = [...tree.train, ...tree.test].map((img) => encoded(tree, img));
  progress.start('decoding images', items.length);
  const { images, shape } = await decodeImages(items, { workers: opts.workers, onProgress: (n) => progress.update(n) });
  progress.stop();
  if (shape[0] !== CIFAR_SIDE || shape[1] !== CIFAR_SIDE || shape[2] !== 3) {
    throw new UserError(
      `${items[0].file}: CIFAR-10 images are 32x32 RGB; this one is ${shape[1]}x${shape[0]} with ${shape[2]} channel(s)`,
    );
  }
  const pixels = CIFAR_SIDE * CIFAR_SIDE * 3;
  const nTrain = tree.train.length;
  const train = {
    images: images.subarray(0, nTrain * pixels),
    labels: Uint8Array.from(tree.train, (i) => i.label),
    count: nTrain,
  };
  const test = {
    images: images.subarray(nTrain * pixels),
    labels: Uint8Array.from(tree.test, (i) => i.label),
    count: tree.test.length,
  };

  const lossy = [...tree.train, ...tree.test].some((img) => imageFormat(img.bytes) === 'jpeg');
  const provenance: ImportProvenance = {
    copy: lossy ? 'jpeg-copy' : 'png-copy',
    source: path.resolve(from),
    sha256: tree.sha256,
    importedAt: new Date().toISOString(),
  };
  await installAtomically(target, opts.force ?? false, (staging) => {
    writeCifarFiles(staging, train, test, CIFAR10_CLASSES, provenance, perBatch);
    // Read back what was written, so a bug here can never install a folder that fails to load.
    loadCifar10({ path: staging }, perBatch);
  });
  const seconds = (performance.now() - started) / 1000;
  progress.note(
    `imported ${nTrain} training and ${test.count} test images into ${target} (${provenance.copy}) in ${seconds.toFixed(1)} s`,
  );
  return { target, provenance, seconds };
}

function checkCounts(from: string, split: string, images: TreeImage[], perClass: number): void {
  const counts = new Array<number>(CIFAR10_CLASSES.length).fill(0);
  for (const img of images) counts[img.label]++;
  const wrong = counts.map((n, label) => [n, label]).filter(([n]) => n !== perClass);
  if (wrong.length > 0) {
    const list = wrong.map(([n, label]) => `${CIFAR10_CLASSES[label]} ${n}`).join(', ');
    throw new UserError(`${from}: CIFAR-10 has ${perClass} ${split} images per class; found ${list}`);
  }
}
