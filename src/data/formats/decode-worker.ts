// A worker thread of the decode pool: decodes the chunks of JPEG/PNG files it is sent straight
// into the shared pixel buffer, and reports how many it did or the first error.

import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '../../errors.js';
import { decodeIntoSlots, type ImageShape } from './image-decode.js';

export interface WorkerInit {
  shared: SharedArrayBuffer;
  shape: ImageShape;
  reference: string;
}
export interface WorkerTask {
  first: number;
  files: string[];
  bytes: Uint8Array[];
}
export type WorkerReply = { done: number } | { error: string; user: boolean };

const init = workerData as WorkerInit;
const target = new Uint8Array(init.shared);

parentPort?.on('message', (task: WorkerTask) => {
  try {
    decodeIntoSlots(task.files, task.bytes, init.shape, init.reference, target, task.first);
    parentPort?.postMessage({ done: task.files.length } satisfies WorkerReply);
  } catch (err) {
    const user = err instanceof UserError;
    const error = user ? err.message : ((err as Error)?.stack ?? String(err));
    parentPort?.postMessage({ error, user } satisfies WorkerReply);
  }
});
