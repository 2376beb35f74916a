// Checkpoints: one folder holding `tensors.bin` (float32 values, concatenated) and
// `checkpoint.json` (tensor table, counters, RNG and data-order state, sha256 of tensors.bin).
// A checkpoint is written into a temporary folder and renamed into place, so a reader sees the
// previous checkpoint or the new one, never a half-written one.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';

export interface TensorEntry {
  name: string;
  shape: number[];
  offset: number; // in float32 elements
}

export interface CheckpointMeta {
  version: 1;
  /** Completed epochs and iterations when the checkpoint was written. */
  epoch: number;
  iteration: number;
  /** Free-form state of the training loop (data order, RNG, best accuracy, history...). */
  state: Record<string, unknown>;
  tensors: TensorEntry[];
  sha256: string;
  savedAt: string;
}

export async function saveCheckpoint(
  dir: string,
  tensors: Record<string, tf.Tensor>,
  meta: Omit<CheckpointMeta, 'version' | 'tensors' | 'sha256' | 'savedAt'>,
): Promise<void> {
  const entries: TensorEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const values = (await t.data()) as Float32Array;
    entries.push({ name, shape: t.shape, offset });
    chunks.push(values instanceof Float32Array ? values : Float32Array.from(values));
    offset += values.length;
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const bytes = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  const full: CheckpointMeta = {
    version: 1,
    ...meta,
    tensors: entries,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    savedAt: new Date().toISOString(),
  };
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.tmp-${path.basename(dir)}-`));
  try {
    writeSynced(path.join(tmp, 'tensors.bin'), bytes);
    writeSynced(path.join(tmp, 'checkpoint.json'), Buffer.from(JSON.stringify(full, null, 1)));
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT')
      throw new UserError(`${dir}: cannot write checkpoint: disk full (${code}); the previous checkpoint is kept`, 5);
    throw err;
  }
  // Keep the previous checkpoint as `<dir>.prev`: if the new one is ever found damaged (a torn
  // disk write, a full disk), loadGoodCheckpoint falls back to it.
  const prev = `${dir}.prev`;
  if (fs.existsSync(dir)) {
    fs.rmSync(prev, { recursive: true, force: true });
    fs.renameSync(dir, prev);
  }
  fs.renameSync(tmp, dir);
}

function writeSynced(file: string, data: Buffer): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  tensors: Map<string, tf.Tensor>;
}

/** Reads and verifies a checkpoint; the caller disposes the tensors. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const metaFile = path.join(dir, 'checkpoint.json');
  const binFile = path.join(dir, 'tensors.bin');
  if (!fs.existsSync(metaFile)) throw new UserError(`${dir}: no checkpoint here (checkpoint.json missing)`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as CheckpointMeta;
  } catch {
    throw new UserError(`${metaFile}: corrupt checkpoint metadata`);
  }
  if (meta.version !== 1 || !Array.isArray(meta.tensors))
    throw new UserError(`${metaFile}: unsupported checkpoint format`);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(binFile);
  } catch {
    throw new UserError(`${binFile}: missing or unreadable`);
  }
  const digest = crypto.createHash('sha256').update(bytes).digest('hex');
  if (digest !== meta.sha256) throw new UserError(`${binFile}: checksum mismatch (corrupt checkpoint)`);
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tensors = new Map<string, tf.Tensor>();
  for (const e of meta.tensors) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + size > values.length) throw new UserError(`${binFile}: truncated (tensor ${e.name})`);
    tensors.set(e.name, tf.tensor(values.subarray(e.offset, e.offset + size), e.shape));
  }
  return { meta, tensors };
}

/** The checkpoint in `dir`, or, if it is missing or damaged, the previous one (`dir.prev`). */
export function loadGoodCheckpoint(dir: string): LoadedCheckpoint & { usedFallback: string | null } {
  try {
    return { ...loadCheckpoint(dir), usedFallback: null };
  } catch (err) {
    const prev = `${dir}.prev`;
    if (!fs.existsSync(path.join(prev, 'checkpoint.json'))) throw err;
    return { ...loadCheckpoint(prev), usedFallback: (err as Error).message };
  }
}
