// The 'webgpu' backend: @tensorflow/tfjs-backend-webgpu on Dawn's Node bindings (the npm package
// `webgpu`, which ships a prebuilt dawn.node for Linux, macOS and Windows and loads the system's
// Vulkan, Metal or D3D12 at run time; nothing is downloaded). tfjs registers its webgpu backend
// only when navigator.gpu exists as its module is imported, so the GPU object comes first, and
// tfjs is handed the adapter chosen here. A software adapter (Mesa's lavapipe, llvmpipe) works
// for tests but is never chosen by 'auto'. CTC_WEBGPU_FLAGS passes Dawn flags, e.g.
// `backend=opengles` for Dawn's OpenGL ES backend (adapters in compatibility mode).

import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';

export interface GpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Mesa's lavapipe or llvmpipe, SwiftShader, or an adapter Dawn marks as a fallback: CPU, not GPU. */
  software: boolean;
}

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface Adapter {
  info?: AdapterInfo;
  limits: Record<string, unknown>;
  requestDevice(descriptor?: { requiredLimits?: Record<string, number> }): Promise<unknown>;
}
interface Gpu {
  requestAdapter(options?: Record<string, unknown>): Promise<Adapter | null>;
}
interface WebgpuModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

export const SOFTWARE_ADAPTER_HINT =
  'for a software adapter (tests, no GPU) install Mesa 25 lavapipe: scripts/install-software-gpu.sh';

let started: { adapter: GpuAdapter } | null = null;

/** Where a GPU would show itself on Linux; elsewhere (macOS, Windows) Dawn is asked directly. */
function gpuDeviceNodes(): boolean {
  if (process.platform !== 'linux') return true;
  const dri = fs.existsSync('/dev/dri') ? fs.readdirSync('/dev/dri').some((n) => n.startsWith('renderD')) : false;
  return dri || fs.existsSync('/dev/nvidia0') || fs.existsSync('/dev/dxg');
}

export function describeAdapter(a: GpuAdapter): string {
  const what = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${what}${a.description ? ` (${a.description})` : ''}${a.software ? ', a software adapter: CPU, not GPU' : ''}`;
}

/**
 * Starts tfjs's webgpu backend on Dawn. With `hardwareOnly` ('auto'), a machine without a GPU
 * device node or with only a software adapter is a reason to try the next backend; otherwise a
 * software adapter is accepted (the detail says so). Returns the adapter, or why it cannot start.
 */
export async function startWebgpu(hardwareOnly: boolean): Promise<{ adapter: GpuAdapter } | string> {
  if (started) {
    if (hardwareOnly && started.adapter.software) return `only a software adapter: ${describeAdapter(started.adapter)}`;
    return (await tf.setBackend('webgpu')) ? started : 'the webgpu backend failed to start';
  }
  if (hardwareOnly && !gpuDeviceNodes()) return 'no GPU device (/dev/dri/renderD*, /dev/nvidia0)';
  let webgpu: WebgpuModule;
  try {
    webgpu = (await import('webgpu' as string)) as WebgpuModule;
  } catch (err) {
    return `the webgpu package could not be loaded (${(err as Error).message.split('\n')[0]})`;
  }
  const flags = (process.env.CTC_WEBGPU_FLAGS ?? '').split(',').filter(Boolean);
  const gpu = webgpu.create(flags);
  const compatibility = flags.some((f) => f.startsWith('backend=opengl'));
  const raw = await gpu.requestAdapter({
    powerPreference: 'high-performance',
    ...(compatibility ? { featureLevel: 'compatibility' } : {}),
  });
  if (raw === null) {
    return `Dawn found no WebGPU adapter${flags.length ? ` with flags ${flags.join(',')}` : ''}`;
  }
  const info = raw.info ?? {};
  // The fields are getters on the prototype, so they are read by name.
  const adapter: GpuAdapter = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    software: false,
  };
  adapter.software =
    info.isFallbackAdapter === true ||
    adapter.architecture === 'software' ||
    /llvmpipe|lavapipe|swiftshader/i.test(`${adapter.device} ${adapter.description}`);
  if (hardwareOnly && adapter.software) return `only a software adapter: ${describeAdapter(adapter)}`;
  // tfjs asks for an adapter itself (with options of its own): it gets this one, whose device
  // has the adapter's own limits rather than the defaults (e.g. 8 storage buffers per stage,
  // which tfjs's AddN of 8 gradients exceeds).
  const requestDevice = raw.requestDevice.bind(raw);
  raw.requestDevice = (descriptor = {}) => {
    // The limits are getters on the prototype: for-in sees them, Object.entries does not.
    const limits: Record<string, number> = {};
    for (const key in raw.limits) if (typeof raw.limits[key] === 'number') limits[key] = raw.limits[key] as number;
    return requestDevice({ ...descriptor, requiredLimits: { ...limits, ...descriptor.requiredLimits } });
  };
  gpu.requestAdapter = async () => raw;
  Object.assign(globalThis, webgpu.globals);
  const global = globalThis as unknown as { navigator?: object };
  if (global.navigator) Object.defineProperty(global.navigator, 'gpu', { value: gpu, configurable: true });
  else global.navigator = { gpu };
  try {
    await import('@tensorflow/tfjs-backend-webgpu' as string);
  } catch (err) {
    return `@tensorflow/tfjs-backend-webgpu could not be loaded (${(err as Error).message.split('\n')[0]})`;
  }
  if (!(await tf.setBackend('webgpu'))) return 'the webgpu backend failed to start on the adapter';
  await tf.ready();
  watchGpuErrors();
  started = { adapter };
  return started;
}

let gpuError: string | null = null;

/**
 * Dawn reports a kernel it refuses (a validation error, e.g. more storage buffers than the
 * adapter allows) through the device's uncapturederror event, and tfjs goes on: the kernel's
 * output reads as zeros or garbage. The first such error is kept for takeGpuError.
 */
function watchGpuErrors(): void {
  const device = (tf.backend() as unknown as { device?: EventTarget }).device;
  device?.addEventListener('uncapturederror', (event) => {
    const message = (event as unknown as { error?: { message?: string } }).error?.message ?? 'unknown error';
    gpuError ??= message.split('\n')[0];
  });
}

/** The first error the GPU reported since the last call (then cleared), or null. */
export function takeGpuError(): string | null {
  const error = gpuError;
  gpuError = null;
  return error;
}

/** GPU memory in use and allocated (the buffer pool included), in bytes, on the webgpu backend. */
export function gpuMemory(): { inUse: number; allocated: number } | null {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
  if (tf.getBackend() !== 'webgpu' || m.numBytesInGPU === undefined) return null;
  return { inUse: m.numBytesInGPU, allocated: m.numBytesAllocatedInGPU ?? m.numBytesInGPU };
}
