// `ctc data fetch cifar10`: downloads the official cifar-10-binary.tar.gz into a resumable
// .part file, checks its md5 (the one published on www.cs.toronto.edu/~kriz/cifar.html),
// unpacks it with the path-escape checks of tar-read.ts and renames the folder into place.
// Record counts and labels are checked when the dataset is loaded (ctc data verify).

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { BATCHES_DIR, TEST_BATCH, TRAIN_BATCHES } from '../formats/cifar.js';
import { checkTarget, installAtomically } from './cifar-write.js';
import { cifar10Home } from '../data-dir.js';
import { downloadResumable } from './download.js';
import { fileSha256 } from '../formats/image-tree.js';
import { createProgress, type TaskProgress } from './progress.js';
import { extractTarGz } from './tar-read.js';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
export const PART_FILE = 'cifar-10-binary.tar.gz.part';

export interface FetchOptions {
  url?: string;
  md5?: string;
  /** The folder that gets cifar-10-batches-bin/ (default <data dir>/cifar10). */
  home?: string;
  force?: boolean;
  progress?: TaskProgress;
  retries?: number;
}

export async function fetchCifar10(opts: FetchOptions = {}): Promise<{ target: string; seconds: number }> {
  const started = performance.now();
  const url = opts.url ?? CIFAR10_URL;
  const md5 = (opts.md5 ?? CIFAR10_MD5).toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(md5)) throw new UserError(`--md5: expected 32 hex digits, got "${opts.md5}"`);
  const progress = opts.progress ?? createProgress(true);
  const home = opts.home ?? cifar10Home();
  const target = path.join(home, BATCHES_DIR);
  checkTarget(target, opts.force ?? false);
  fs.mkdirSync(home, { recursive: true });
  const part = path.join(home, PART_FILE);
  if (fs.existsSync(part)) progress.note(`found ${part}; resuming the download`);

  await downloadResumable({ url, part, progress, label: 'cifar-10-binary.tar.gz', retries: opts.retries });
  const got = await fileSha256(part, 'md5');
  if (got !== md5) {
    fs.rmSync(part, { force: true });
    throw new UserError(`${url}: downloaded file has md5 ${got}, expected ${md5}; deleted it, nothing installed`);
  }
  progress.note(`md5 ${got} ok; unpacking`);
  await installAtomically(target, opts.force ?? false, async (staging) => {
    const unpacked = path.join(staging, '.unpacked');
    const files = await extractTarGz(part, unpacked);
    const batches = findBatchesFolder(unpacked, files);
    if (batches === undefined) {
      throw new UserError(
        `${url}: the archive holds no ${BATCHES_DIR}/ with ${[...TRAIN_BATCHES, TEST_BATCH].join(', ')}`,
      );
    }
    for (const name of fs.readdirSync(batches)) fs.renameSync(path.join(batches, name), path.join(staging, name));
    fs.rmSync(unpacked, { recursive: true, force: true });
  }).catch((err: unknown) => {
    // The checksum matched (only possible with --md5 for a bad archive): a rerun must download again.
    if (err instanceof UserError) fs.rmSync(part, { force: true });
    throw err;
  });
  fs.rmSync(part, { force: true });
  const seconds = (performance.now() - started) / 1000;
  progress.note(`installed ${target} (official copy) in ${seconds.toFixed(1)} s`);
  return { target, seconds };
}

/** The unpacked folder that holds all six batch files (normally cifar-10-batches-bin/). */
function findBatchesFolder(root: string, files: string[]): string | undefined {
  const needed = [...TRAIN_BATCHES, TEST_BATCH];
  const dirs = new Set(files.map((f) => path.posix.dirname(f)));
  const have = new Set(files);
  for (const dir of dirs) {
    const prefix = dir === '.' ? '' : `${dir}/`;
    if (needed.every((n) => have.has(`${prefix}${n}`))) return dir === '.' ? root : path.join(root, dir);
  }
  return undefined;
}
