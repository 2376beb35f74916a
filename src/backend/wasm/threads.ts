// Multi-threaded XNNPACK for tfjs-backend-wasm under Node. tfjs turns wasm threads off in Node
// (tfjs issue 3830) because its loader hands emscripten `blob:` URLs (the pthread worker script and
// the module factory), which Node's worker_threads cannot load, and the glue it bundles for Node
// references helpers that do not exist inside a worker. The threaded SIMD build itself runs fine:
// here the workers are created from the package's own emscripten files (wasm-out/), and the core
// count is corrected (tfjs sizes its pool as emscripten_num_logical_cores() / 2, i.e. half of
// os.cpus(), assuming two hyper-threads per core). Call before the wasm backend first starts.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

/** tfjs-backend-wasm creates at most this many XNNPACK threads (its pre-created worker pool). */
export const MAX_WASM_THREADS = 8;

interface ThreadedBuild {
  /** The pthread worker's source (emscripten's .worker.js, escaped as tfjs escapes it). */
  workerSource: string;
  /** The emscripten factory each worker evaluates (`var WasmBackendModuleThreadedSimd = ...`). */
  factoryFile: string;
}

/** Finds the threaded build's worker and factory files, or says why they are unusable. */
function findThreadedBuild(): ThreadedBuild | string {
  if (typeof SharedArrayBuffer === 'undefined') return 'this Node has no SharedArrayBuffer';
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const factoryFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const workerFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  if (!fs.existsSync(factoryFile) || !fs.existsSync(workerFile)) return `the threaded build is missing from ${dir}`;
  const contents = (require(workerFile) as { wasmWorkerContents?: unknown }).wasmWorkerContents;
  if (typeof contents !== 'string') return `${workerFile} does not export wasmWorkerContents`;
  // The source is a template literal whose "\n" escapes became real newlines inside string
  // literals; tfjs's own loader escapes them back the same way before using it.
  return { workerSource: contents.replace(/\n/g, '\\n'), factoryFile };
}

/**
 * The Worker class the emscripten glue sees. A worker for the pthread script (a blob: URL in
 * Node) runs the script from source instead, and its "load" message names the factory file
 * rather than a Blob. Pool workers never keep the process alive: XNNPACK's threads wait forever
 * for work, and a finished ctc command must still exit.
 */
function makeWorkerClass(build: ThreadedBuild): typeof NodeWorker {
  return class PthreadWorker extends NodeWorker {
    private readonly pthread: boolean;

    constructor(url: string | URL, options?: WorkerOptions) {
      const pthread = String(url).startsWith('blob:') || String(url).endsWith('threaded-simd.worker.js');
      // No inherited execArgv: under --input-type=module the eval'd script would be an ES module,
      // without the require() it uses; loaders (--import tsx) are not needed there either.
      super(pthread ? build.workerSource : url, pthread ? { ...options, eval: true, execArgv: [] } : options);
      this.pthread = pthread;
      if (pthread) this.unref();
    }

    override ref(): void {
      if (!this.pthread) super.ref();
    }

    override postMessage(message: unknown, transfer?: readonly import('node:worker_threads').TransferListItem[]): void {
      const msg = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (this.pthread && msg?.cmd === 'load' && typeof msg.urlOrBlob !== 'string') {
        message = { ...msg, urlOrBlob: build.factoryFile };
      }
      super.postMessage(message, transfer);
    }
  };
}

let installedWorker: typeof NodeWorker | null = null;

/**
 * Prepares the next wasm backend start to use `threads` XNNPACK threads (the threaded SIMD
 * build). Returns null when prepared, or why threads are unavailable (the caller then starts the
 * single-threaded build as before). Must run before the wasm backend is first created.
 */
export function prepareWasmThreads(wasm: { setThreadsCount(n: number): void }, threads: number): string | null {
  const build = findThreadedBuild();
  if (typeof build === 'string') return build;
  if (installedWorker === null) {
    installedWorker = makeWorkerClass(build);
    const worker = installedWorker;
    // The glue assigns globalThis.Worker = worker_threads.Worker when it starts; keep ours.
    Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => worker, set: () => {} });
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  return null;
}

/**
 * Runs `start` (which creates the wasm backend) while os.cpus() reports 2 * threads entries, so
 * that tfjs's "logical cores / 2" pool cap equals the requested thread count. Only the static
 * initialiser of the wasm module reads it, during start-up; the real function is restored after.
 */
export async function withCoreCount<T>(threads: number, start: () => Promise<T>): Promise<T> {
  const realCpus = os.cpus;
  const first = realCpus()[0];
  (os as { cpus: () => os.CpuInfo[] }).cpus = () => Array.from({ length: 2 * threads }, () => first);
  try {
    return await start();
  } finally {
    (os as { cpus: () => os.CpuInfo[] }).cpus = realCpus;
  }
}

/** How many threads to use by default: the cores this process may run on, at most the pool size. */
export function defaultWasmThreads(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(MAX_WASM_THREADS, cores));
}
