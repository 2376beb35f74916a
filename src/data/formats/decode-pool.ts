// Decodes many small JPEG/PNG files into one uint8 pixel buffer, spread over worker threads:
// jpeg-js is slow enough that 60,000 images keep one core busy for a long while. The
// first image fixes the shape; workers write straight into a SharedArrayBuffer.

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { UserError } from '../../errors.js';
import { decodeImage, decodeIntoSlots, type ImageShape } from './image-decode.js';
import type { WorkerInit, WorkerReply, WorkerTask } from './decode-worker.js';

export interface EncodedImage {
  /** Names the image in errors (a path relative to the folder or archive). */
  file: string;
  bytes: Uint8Array;
}

export interface DecodeOptions {
  /** Worker threads; default: the CPU count (at most 8), and none below MIN_FOR_WORKERS images. */
  workers?: number;
  onProgress?: (done: number) => void;
}

const CHUNK = 500;
const MIN_FOR_WORKERS = 4000;

export async function decodeImages(
  items: EncodedImage[],
  opts: DecodeOptions = {},
): Promise<{ images: Uint8Array; shape: ImageShape }> {
  if (items.length === 0) throw new UserError('no images to decode');
  const first = decodeImage(items[0].bytes, items[0].file);
  const shape: ImageShape = [first.height, first.width, first.channels];
  const pixels = shape[0] * shape[1] * shape[2];
  const workers = opts.workers ?? (items.length < MIN_FOR_WORKERS ? 0 : Math.min(os.availableParallelism(), 8));
  if (workers <= 1) {
    const images = new Uint8Array(items.length * pixels);
    for (let start = 0; start < items.length; start += CHUNK) {
      const chunk = items.slice(start, start + CHUNK);
      decodeIntoSlots(
        chunk.map((i) => i.file),
        chunk.map((i) => i.bytes),
        shape,
        items[0].file,
        images,
        start,
      );
      opts.onProgress?.(start + chunk.length);
    }
    return { images, shape };
  }
  const shared = new SharedArrayBuffer(items.length * pixels);
  await runPool(items, { shared, shape, reference: items[0].file }, workers, opts.onProgress);
  // A plain copy: callers and tfjs may expect an ArrayBuffer behind the pixels.
  return { images: new Uint8Array(shared).slice(), shape };
}

function runPool(
  items: EncodedImage[],
  init: WorkerInit,
  count: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  const tasks: WorkerTask[] = [];
  for (let start = 0; start < items.length; start += CHUNK) {
    const chunk = items.slice(start, start + CHUNK);
    tasks.push({ first: start, files: chunk.map((i) => i.file), bytes: chunk.map((i) => i.bytes) });
  }
  const pool = Array.from({ length: Math.min(count, tasks.length) }, () => startWorker(init));
  let done = 0;
  let next = 0;
  let running = 0;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      for (const w of pool) void w.terminate();
      if (err) reject(err);
      else resolve();
    };
    const feed = (w: Worker) => {
      if (next < tasks.length) {
        running++;
        w.postMessage(tasks[next++]);
      } else if (running === 0) finish();
    };
    for (const w of pool) {
      w.on('message', (reply: WorkerReply) => {
        running--;
        if ('error' in reply) return finish(reply.user ? new UserError(reply.error) : new Error(reply.error));
        done += reply.done;
        onProgress?.(done);
        feed(w);
      });
      w.on('error', (err) => finish(err));
      w.on('exit', (code) => {
        if (!settled) finish(new Error(`image decode worker exited with code ${code}`));
      });
      feed(w);
    }
  });
}

/** The compiled worker next to this file; from TypeScript sources (tests), via tsx. */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./decode-worker.js', import.meta.url), { workerData: init });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./decode-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData: init });
}
