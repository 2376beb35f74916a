// Writes CIFAR-10 in its official binary layout (the inverse of cifar.ts: HWC back to planar
// R, G, B records) and installs a finished folder atomically: everything is written into a
// hidden staging folder beside the target, which is renamed into place only when complete.

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../errors.js';
import {
  CIFAR_SIDE,
  META_FILE,
  PIXEL_BYTES,
  PROVENANCE_FILE,
  RECORD_BYTES,
  TEST_BATCH,
  TRAIN_BATCHES,
  type ImportProvenance,
} from '../formats/cifar.js';
import type { Split } from '../types.js';

const PLANE = CIFAR_SIDE * CIFAR_SIDE;

/** Records `first .. first+count-1` of a 32x32x3 HWC split as one batch file's bytes. */
export function encodeCifarBatch(split: Split, first: number, count: number): Uint8Array {
  const out = new Uint8Array(count * RECORD_BYTES);
  for (let r = 0; r < count; r++) {
    const base = r * RECORD_BYTES;
    const src = (first + r) * PIXEL_BYTES;
    out[base] = split.labels[first + r];
    for (let p = 0; p < PLANE; p++) {
      out[base + 1 + p] = split.images[src + 3 * p];
      out[base + 1 + PLANE + p] = split.images[src + 3 * p + 1];
      out[base + 1 + 2 * PLANE + p] = split.images[src + 3 * p + 2];
    }
  }
  return out;
}

/** Writes the five training batches, the test batch, the class names and the provenance. */
export function writeCifarFiles(
  dir: string,
  train: Split,
  test: Split,
  classNames: string[],
  provenance: ImportProvenance | undefined,
  recordsPerBatch: number,
): void {
  if (train.count !== TRAIN_BATCHES.length * recordsPerBatch || test.count !== recordsPerBatch) {
    throw new RangeError(`writeCifarFiles: ${train.count}/${test.count} examples for batches of ${recordsPerBatch}`);
  }
  TRAIN_BATCHES.forEach((name, i) => {
    fs.writeFileSync(path.join(dir, name), encodeCifarBatch(train, i * recordsPerBatch, recordsPerBatch));
  });
  fs.writeFileSync(path.join(dir, TEST_BATCH), encodeCifarBatch(test, 0, recordsPerBatch));
  fs.writeFileSync(path.join(dir, META_FILE), `${classNames.join('\n')}\n`);
  if (provenance) fs.writeFileSync(path.join(dir, PROVENANCE_FILE), `${JSON.stringify(provenance, null, 2)}\n`);
}

/** Fails early, before a long import or download, when the target exists and --force is off. */
export function checkTarget(target: string, force: boolean): void {
  if (!force && fs.existsSync(target)) {
    throw new UserError(`${target} already exists; pass --force to replace it`);
  }
}

/**
 * Runs `fill(staging)` on a fresh hidden folder beside `target`, then renames it to `target`
 * (replacing an old one only with `force`). On any failure the staging folder is removed.
 */
export async function installAtomically(
  target: string,
  force: boolean,
  fill: (staging: string) => Promise<void> | void,
): Promise<void> {
  checkTarget(target, force);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.partial-`));
  try {
    await fill(staging);
    fs.chmodSync(staging, 0o755); // mkdtemp makes it private; the data is not secret
    checkTarget(target, force);
    if (fs.existsSync(target)) {
      const old = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.old-`));
      fs.renameSync(target, path.join(old, 'replaced'));
      fs.renameSync(staging, target);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(staging, target);
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
