// Deferred kernel outputs on wasm: an output whose values are computed only when something reads
// it, and never if it is disposed unread. tfjs's fused conv2d (what tf.layers.conv2d trains
// through) computes its input gradient eagerly, even for the first layer, whose input (the images)
// needs none: 15% of a LeNets step. Every wasm kernel, read and heap view looks a tensor up in the
// backend's dataIdMap first, so that lookup is where a pending output gets computed.

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { release, type Info } from './heap.js';

type DataId = object;

interface Job {
  /** Computes the values and writes them into the deferred output's memory. */
  run(): void;
  /** Drops the job unread: releases the inputs it was keeping alive. */
  cancel(): void;
}

interface Storage {
  get(dataId: DataId): { refCount: number } | undefined;
}

const jobs = new Map<DataId, Job>();
const patched = new WeakSet<BackendWasm>();

/** Routes the backend's tensor lookups and disposals through the pending jobs (once per backend). */
function patch(backend: BackendWasm): void {
  if (patched.has(backend)) return;
  patched.add(backend);
  const storage = (backend as unknown as { dataIdMap: Storage }).dataIdMap;
  const get = storage.get.bind(storage);
  storage.get = (dataId: DataId) => {
    if (jobs.size > 0) {
      const job = jobs.get(dataId);
      if (job !== undefined) {
        jobs.delete(dataId);
        job.run();
      }
    }
    return get(dataId);
  };
  const disposeData = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: DataId, force = false): boolean => {
    const job = jobs.get(dataId);
    if (job !== undefined && (force || (get(dataId)?.refCount ?? 0) <= 1)) {
      jobs.delete(dataId);
      job.cancel();
    }
    return disposeData(dataId, force);
  };
}

/**
 * Returns a float32 output of `shape` whose values `compute` produces on first use. The inputs
 * `compute` reads must be listed in `keep`: they stay alive until then.
 */
export function deferOutput(backend: BackendWasm, shape: number[], keep: Info[], compute: () => Info): Info {
  patch(backend);
  for (const info of keep) backend.incRef(info.dataId);
  const out = backend.makeOutput(shape, 'float32');
  jobs.set(out.dataId, {
    run() {
      const result = compute();
      release(backend, ...keep);
      (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(result) as Float32Array);
      release(backend, result);
    },
    cancel() {
      release(backend, ...keep);
    },
  });
  return out;
}

/** How many deferred outputs are waiting (for tests). */
export function pendingOutputs(): number {
  return jobs.size;
}
