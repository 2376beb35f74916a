// Chooses the TensorFlow.js backend a run computes on. 'auto' takes the fastest one present:
// cuda (tfjs-node-gpu with a visible GPU), webgpu (Dawn, on a hardware adapter only: webgpu.ts),
// tensorflow (libtensorflow on CPU via tfjs-node),
// wasm+onednn (wasm with convolutions in oneDNN through the optional addon, onednn.ts), wasm
// (XNNPACK on all cores, with ctc's kernels: wasm/gradients.ts, wasm/threads.ts), then
// plain-JS cpu. The native packages are optional dependencies, so they are imported dynamically
// and a missing one is not an error for 'auto'.

import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import { fastPathsNote } from './native/fast-paths.js';
import { loadOneDnn, useNativeConvolutions } from './native/onednn.js';
import { installWasmGradients } from './wasm/gradients.js';
import { adapterVerdict, describeCheck } from './self-check.js';
import { describeAdapter, SOFTWARE_ADAPTER_HINT, startWebgpu, type GpuAdapter } from './webgpu.js';
import { defaultWasmThreads, prepareWasmThreads, withCoreCount } from './wasm/threads.js';

export type BackendChoice = 'auto' | 'cuda' | 'webgpu' | 'tensorflow' | 'wasm+onednn' | 'wasm' | 'cpu';
export type BackendName = Exclude<BackendChoice, 'auto'>;
export interface BackendInfo {
  name: BackendName;
  /** The name tf.getBackend() reports ('tensorflow' for both native packages). */
  tfBackend: string;
  /** One human line for logs, e.g. "wasm (SIMD, 1 thread)". */
  detail: string;
  /** webgpu: the adapter the run computes on. */
  adapter?: GpuAdapter;
  /** webgpu: the adapter's self-check against the cpu backend (self-check.ts), one line. */
  selfCheck?: string;
}
export interface BackendOptions {
  /**
   * Compute threads (default: the cores available, at most 8): XNNPACK's for wasm (1 = the
   * single-threaded build; only honoured when wasm first starts in a process), oneDNN's for
   * wasm+onednn (wasm itself then runs on one). CTC_WASM_THREADS overrides it.
   */
  threads?: number;
}

export const BACKEND_CHOICES: readonly BackendChoice[] = [
  'auto',
  'cuda',
  'webgpu',
  'tensorflow',
  'wasm+onednn',
  'wasm',
  'cpu',
];

const INSTALL_HINT: Record<BackendName, string> = {
  cuda: "install @tensorflow/tfjs-node-gpu (Linux x64, needs CUDA 11.2 + cuDNN 8.1 and an NVIDIA GPU), or choose backend 'auto'",
  webgpu: `a GPU driver with Vulkan (Linux), Metal (macOS) or D3D12 (Windows); ${SOFTWARE_ADAPTER_HINT}; or choose backend 'auto'`,
  tensorflow:
    "install @tensorflow/tfjs-node (prebuilt libtensorflow for Linux/macOS/Windows x64), or choose backend 'auto'",
  'wasm+onednn':
    "install libdnnl-dev (apt-get install libdnnl-dev), then npm rebuild ctc-onednn; or choose backend 'wasm'",
  wasm: "reinstall @tensorflow/tfjs-backend-wasm (its .wasm files could not be loaded), or choose backend 'cpu'",
  cpu: 'reinstall @tensorflow/tfjs',
};

/** Starts a backend and describes it, or returns why it is not available here. */
type Loader = (opts: BackendOptions) => Promise<BackendInfo | string>;

/** Imports a package by a computed name so TypeScript does not require it to be installed. */
async function importOptional(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

/**
 * Registers and selects the native 'tensorflow' backend. Both native packages register that
 * same name, and importing both would clash, so a registered one is reused.
 */
async function startTensorflow(packages: string[]): Promise<string | null> {
  if (tf.findBackendFactory('tensorflow') === null) {
    let loaded: string | null = null;
    for (const pkg of packages) if (loaded === null && (await importOptional(pkg))) loaded = pkg;
    if (loaded === null) return `${packages.join(' / ')} could not be loaded`;
  }
  if (!(await tf.setBackend('tensorflow'))) return 'the tensorflow backend failed to start';
  await tf.ready();
  return null;
}

/**
 * tfjs-node(-gpu) sets `isUsingGpuDevice` on its backend when libtensorflow found a CUDA device
 * at start-up; tfjs-node-gpu without a usable GPU silently runs on the CPU, which is why 'cuda'
 * checks this flag rather than trusting the import.
 */
function usingGpu(): boolean {
  return (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
}

const LOADERS: Record<BackendName, Loader> = {
  async cuda() {
    const failed = await startTensorflow(['@tensorflow/tfjs-node-gpu']);
    if (failed !== null) return failed;
    if (!usingGpu()) return 'libtensorflow started but sees no CUDA GPU';
    return { name: 'cuda', tfBackend: 'tensorflow', detail: 'cuda (tfjs-node-gpu, libtensorflow on GPU)' };
  },
  async webgpu() {
    return webgpuLoader(false);
  },
  async tensorflow() {
    const failed = await startTensorflow(['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']);
    if (failed !== null) return failed;
    const where = usingGpu() ? 'GPU' : 'CPU';
    return { name: 'tensorflow', tfBackend: 'tensorflow', detail: `tensorflow (libtensorflow on ${where})` };
  },
  async 'wasm+onednn'(opts) {
    const { addon, reason } = loadOneDnn();
    if (addon === null) return reason ?? 'ctc-onednn is not available';
    // The cores go to oneDNN's OpenMP threads, and wasm runs single-threaded: what it still does
    // is small, and XNNPACK's workers spin-wait after each op, taking cores from OpenMP (with both
    // pools on every core, LeNets++ and ResNet-20 steps were measurably slower).
    const threads = wasmThreads(opts);
    const fastPaths = fastPathsNote();
    const started = await startWasm(opts, 1);
    if (typeof started === 'string') return started;
    useNativeConvolutions(addon, threads);
    const { version, isa } = addon.info();
    const detail = `${started.detail}; convolutions in oneDNN ${version} (${isa}, ${threads} thread${threads === 1 ? '' : 's'})${fastPaths}`;
    return { name: 'wasm+onednn', tfBackend: 'wasm', detail };
  },
  async wasm(opts) {
    const started = await startWasm(opts);
    if (typeof started === 'string') return started;
    return { name: 'wasm', tfBackend: 'wasm', detail: started.detail };
  },
  async cpu() {
    if (!(await tf.setBackend('cpu'))) return 'the cpu backend failed to start';
    await tf.ready();
    return { name: 'cpu', tfBackend: 'cpu', detail: 'cpu (plain JavaScript, slow)' };
  },
};

// Production mode: no debug checks, and no console banner from the cpu backend suggesting
// tfjs-node (it would break ctc's one-line output; the backend choice is reported instead).
tf.enableProdMode();

/**
 * Starts (or reselects) wasm with ctc's kernels and its convolutions on wasm itself; the
 * 'wasm+onednn' loader then turns the native ones on.
 */
async function startWasm(
  opts: BackendOptions,
  threads = wasmThreads(opts),
): Promise<{ detail: string; threads: number } | string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  installWasmGradients();
  useNativeConvolutions(null);
  let note = '';
  const firstStart = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm === undefined;
  if (firstStart && threads > 1) {
    const unavailable = prepareWasmThreads(wasm, threads);
    if (unavailable !== null) note = `; threads unavailable: ${unavailable}`;
  }
  if (firstStart && (threads === 1 || note)) wasm.setThreadsCount(1);
  if (!(await withCoreCount(threads, () => tf.setBackend('wasm')))) return 'the wasm backend failed to start';
  await tf.ready();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const actual = wasm.getThreadsCount();
  return { detail: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${actual} thread${actual === 1 ? '' : 's'}${note})`, threads };
}

/** The XNNPACK thread count: CTC_WASM_THREADS, else the option, else the available cores. */
function wasmThreads(opts: BackendOptions): number {
  const fromEnv = process.env.CTC_WASM_THREADS;
  const requested = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : (opts.threads ?? defaultWasmThreads());
  if (!Number.isInteger(requested) || requested < 1) {
    throw new UserError(
      `wasm threads must be a positive integer, got '${fromEnv ?? opts.threads}'${fromEnv !== undefined ? ' (CTC_WASM_THREADS)' : ''}`,
    );
  }
  return requested;
}

/** CTC_TRUST_GPU=1: run on a webgpu adapter without (or despite) its self-check. */
const TRUST_GPU = 'CTC_TRUST_GPU';
const trustGpu = () => process.env[TRUST_GPU] === '1';
const SELF_CHECK_FAILED = "ctc's self-check failed on";

/**
 * webgpu for an explicit choice (any adapter) or for 'auto' (hardware adapters only). Before
 * its first run on an adapter, ctc checks the adapter's loss and gradients against the cpu
 * backend (self-check.ts; the verdict is remembered per adapter). A failing adapter is a reason
 * for 'auto' to go on to the CPU path and, for an explicit choice, an error, unless
 * CTC_TRUST_GPU=1.
 */
async function webgpuLoader(hardwareOnly: boolean): Promise<BackendInfo | string> {
  let info: BackendInfo;
  try {
    const started = await startWebgpu(hardwareOnly);
    if (typeof started === 'string') return started;
    const { adapter } = started;
    info = { name: 'webgpu', tfBackend: 'webgpu', detail: `webgpu (Dawn on ${describeAdapter(adapter)})`, adapter };
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  if (hardwareOnly && trustGpu()) return { ...info, selfCheck: `not run (${TRUST_GPU}=1)` };
  const check = await adapterVerdict(info.adapter as GpuAdapter, 'webgpu');
  const line = `${describeCheck(check)}${check.cached ? ' (remembered)' : ` in ${check.seconds.toFixed(1)} s`}`;
  if (!check.pass) {
    const failed = `${SELF_CHECK_FAILED} ${describeAdapter(info.adapter as GpuAdapter)}: ${line}`;
    if (!trustGpu()) return `${failed}; ${TRUST_GPU}=1 runs on it anyway`;
    process.stderr.write(`ctc: warning: ${failed}; running on it because ${TRUST_GPU}=1\n`);
  }
  return { ...info, selfCheck: line };
}

/** Auto order: fastest first. 'tensorflow' after 'cuda' also covers tfjs-node-gpu without a GPU. */
const AUTO_ORDER: readonly BackendName[] = ['cuda', 'webgpu', 'tensorflow', 'wasm+onednn', 'wasm', 'cpu'];

/**
 * Runs a loader, turning a throw (e.g. a .wasm file that fails to load) into a reason. A UserError
 * (bad input, such as CTC_WASM_THREADS=0) is the user's to fix, not a reason to try the next
 * backend: 'auto' used to fall through to the plain-JS cpu backend on it, 50x slower, silently.
 */
async function load(name: BackendName, opts: BackendOptions): Promise<BackendInfo | string> {
  try {
    return await LOADERS[name](opts);
  } catch (err) {
    if (err instanceof UserError) throw err;
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Selects and starts a backend; callable repeatedly (tests switch between 'cpu' and 'wasm').
 * An explicit choice that is unavailable is a UserError naming what to install.
 */
export async function initBackend(choice: BackendChoice = 'auto', opts: BackendOptions = {}): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new UserError(`unknown backend '${String(choice)}': expected one of ${BACKEND_CHOICES.join(', ')}`);
  }
  if (choice !== 'auto') {
    const result = await load(choice, opts);
    if (typeof result === 'string') {
      if (result.startsWith(SELF_CHECK_FAILED)) throw new UserError(`backend '${choice}': ${result}`);
      throw new UserError(`backend '${choice}' is not available (${result}): ${INSTALL_HINT[choice]}`);
    }
    return result;
  }
  const reasons: string[] = [];
  for (const name of AUTO_ORDER) {
    const result = name === 'webgpu' ? await webgpuLoader(true) : await load(name, opts);
    if (typeof result !== 'string') {
      // A GPU that failed its self-check is said once, in the line that names the backend used.
      const failedGpu = reasons.find((r) => r.startsWith(`webgpu: ${SELF_CHECK_FAILED}`));
      if (failedGpu === undefined) return result;
      process.stderr.write(`ctc: not using webgpu: ${failedGpu.slice('webgpu: '.length)}; running on ${result.name}\n`);
      return { ...result, detail: `${result.detail}; not ${failedGpu}` };
    }
    reasons.push(`${name}: ${result}`);
  }
  throw new Error(`no TensorFlow.js backend could start (${reasons.join('; ')})`);
}

/** Switches to the wasm or cpu backend; a shorthand for tests and benchmarks. */
export async function useBackend(name: 'wasm+onednn' | 'wasm' | 'cpu'): Promise<BackendInfo> {
  return initBackend(name);
}
