// Loads CIFAR-10 from its official binary layout (www.cs.toronto.edu/~kriz/cifar.html):
// cifar-10-batches-bin/ holds data_batch_1..5.bin and test_batch.bin, each 10,000 records of
// 1 label byte + 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue, row-major), and
// batches.meta.txt with the class names. Pixels are converted from planar CHW to HWC.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { cifar10Home } from '../data-dir.js';
import { readFileBytes } from './idx.js';
import { checkLimit, fileRecord, limitSplit } from './split-utils.js';
import type { Dataset, DatasetFile, DatasetIdentity, DatasetOptions, Split } from '../types.js';

/** Label order of the official release; alphabetical order gives the same order. */
export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];
export const CIFAR_SIDE = 32;
const PLANE = CIFAR_SIDE * CIFAR_SIDE;
export const PIXEL_BYTES = 3 * PLANE;
export const RECORD_BYTES = 1 + PIXEL_BYTES;
export const RECORDS_PER_BATCH = 10000;
export const TRAIN_BATCHES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const TEST_BATCH = 'test_batch.bin';
export const META_FILE = 'batches.meta.txt';
export const BATCHES_DIR = 'cifar-10-batches-bin';
/** Written by `ctc data import`; its absence means the official files. */
export const PROVENANCE_FILE = 'ctc-import.json';

export const HOW_TO_GET =
  'run "ctc data import cifar10 --from <dir or .tar.gz>" or "ctc data fetch cifar10", or set dataset.path';

export interface ImportProvenance {
  copy: string;
  source: string;
  sha256: string;
  importedAt: string;
}

/** dataset.path may name the folder holding cifar-10-batches-bin/ or that folder itself. */
export function resolveCifarDir(dir?: string): string {
  if (dir === undefined) return path.join(cifar10Home(), BATCHES_DIR);
  const nested = path.join(dir, BATCHES_DIR);
  return existsSync(nested) ? nested : dir;
}

/**
 * Checks one batch file's size and labels, and writes its records into `images` (HWC) and
 * `labels` from example `first` on. `file` names it in errors.
 */
export function decodeCifarBatch(
  bytes: Uint8Array,
  file: string,
  records: number,
  images: Uint8Array,
  labels: Uint8Array,
  first: number,
): void {
  const expected = records * RECORD_BYTES;
  if (bytes.length !== expected) {
    const kind = bytes.length < expected ? 'truncated' : 'too long';
    const whole = bytes.length % RECORD_BYTES === 0 ? ` (${bytes.length / RECORD_BYTES} records)` : '';
    throw new UserError(
      `${file}: ${kind}: ${bytes.length} bytes${whole} is not ${records} records of ${RECORD_BYTES} bytes`,
    );
  }
  for (let r = 0; r < records; r++) {
    const base = r * RECORD_BYTES;
    const label = bytes[base];
    if (label >= CIFAR10_CLASSES.length) {
      throw new UserError(`${file}: label ${label} in record ${r} is not below ${CIFAR10_CLASSES.length}`);
    }
    labels[first + r] = label;
    const out = (first + r) * PIXEL_BYTES;
    const red = base + 1;
    for (let p = 0; p < PLANE; p++) {
      const o = out + 3 * p;
      images[o] = bytes[red + p];
      images[o + 1] = bytes[red + PLANE + p];
      images[o + 2] = bytes[red + 2 * PLANE + p];
    }
  }
}

/** Reads the class names; a missing file gives the standard names (they never changed). */
export function readClassNames(dir: string): string[] {
  const file = path.join(dir, META_FILE);
  if (!existsSync(file)) return [...CIFAR10_CLASSES];
  const names = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (names.length !== CIFAR10_CLASSES.length) {
    throw new UserError(`${file}: expected ${CIFAR10_CLASSES.length} class names, found ${names.length}`);
  }
  return names;
}

export function readProvenance(dir: string): ImportProvenance | undefined {
  const file = path.join(dir, PROVENANCE_FILE);
  if (!existsSync(file)) return undefined;
  let prov: Partial<ImportProvenance>;
  try {
    prov = JSON.parse(readFileSync(file, 'utf8')) as Partial<ImportProvenance>;
  } catch {
    throw new UserError(`${file}: not valid JSON (written by ctc data import; import again to fix it)`);
  }
  if (typeof prov?.copy !== 'string' || typeof prov.source !== 'string' || typeof prov.sha256 !== 'string') {
    throw new UserError(`${file}: expected {copy, source, sha256, importedAt} (written by ctc data import)`);
  }
  return { copy: prov.copy, source: prov.source, sha256: prov.sha256, importedAt: String(prov.importedAt ?? '') };
}

/** The loader behind dataset `cifar10`; `recordsPerBatch` is smaller only in tests. */
export function loadCifar10(opts: DatasetOptions = {}, recordsPerBatch = RECORDS_PER_BATCH): Dataset {
  const trainLimit = checkLimit('trainLimit', opts.trainLimit);
  const testLimit = checkLimit('testLimit', opts.testLimit);
  const dir = resolveCifarDir(opts.path);
  if (!existsSync(dir)) throw new UserError(`CIFAR-10 not found in ${dir}: ${HOW_TO_GET}`);
  for (const name of [...TRAIN_BATCHES, TEST_BATCH]) {
    if (!existsSync(path.join(dir, name))) throw new UserError(`CIFAR-10: ${name} missing in ${dir}: ${HOW_TO_GET}`);
  }
  const files: DatasetFile[] = [];
  const readSplit = (names: string[]): Split => {
    const count = names.length * recordsPerBatch;
    const images = new Uint8Array(count * PIXEL_BYTES);
    const labels = new Uint8Array(count);
    names.forEach((name, i) => {
      const file = path.join(dir, name);
      const bytes = readFileBytes(file);
      files.push(fileRecord(name, bytes));
      decodeCifarBatch(bytes, file, recordsPerBatch, images, labels, i * recordsPerBatch);
    });
    return { images, labels, count };
  };
  const train = limitSplit(readSplit(TRAIN_BATCHES), trainLimit);
  const test = limitSplit(readSplit([TEST_BATCH]), testLimit);
  const provenance = readProvenance(dir);
  const identity: DatasetIdentity = {
    name: 'cifar10',
    source: dir,
    files,
    trainSize: train.count,
    testSize: test.count,
    copy: provenance?.copy ?? 'official',
  };
  if (provenance) {
    identity.importedFrom = { path: provenance.source, sha256: provenance.sha256, at: provenance.importedAt };
  }
  return {
    name: 'cifar10',
    imageShape: [CIFAR_SIDE, CIFAR_SIDE, 3],
    numClasses: CIFAR10_CLASSES.length,
    classNames: readClassNames(dir),
    train,
    test,
    identity,
  };
}
