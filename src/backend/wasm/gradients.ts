// ctc's fast path for TensorFlow.js 4.22 on the wasm backend: which kernels and gradients it
// replaces or adds, and their installation. Only 'wasm' kernels change; cpu and tensorflow keep
// their stock kernels, and every replaced gradient falls back to the stock one off wasm.
// - wasm/conv-gradients.ts: Conv2DBackpropInput/Filter as XNNPACK convolutions and products.
// - onednn.ts: Conv2D/FusedConv2D and both gradients in oneDNN when 'wasm+onednn' is chosen;
//   native/batch-norm.ts, native/prelu.ts, native/elementwise.ts: training-mode batch norm,
//   PReLU, Relu in the same addon.
// - wasm/pool-gradients.ts: MaxPoolGrad with the cpu tie rule (the stock one is wrong).
// - wasm/kernels.ts: faster stock replacements (Identity, Tile, Sum, Mean, matMul, ...).
// - wasm/fused-gradients.ts: batch-norm, PReLU, Mean and Sum gradients in one pass each.
// - wasm/sgd.ts: the optimizer's per-variable update as one kernel.
// - wasm/shortcut.ts: ResNet's option A shortcut, one kernel each way.

import * as tf from '@tensorflow/tfjs';
import { NATIVE_BATCH_NORM_KERNELS, installNativeBatchNorm } from '../native/batch-norm.js';
import { NATIVE_ELEMENTWISE_KERNELS } from '../native/elementwise.js';
import { NATIVE_PRELU_KERNELS } from '../native/prelu.js';
import { NATIVE_FORWARD_KERNELS } from '../native/onednn.js';
import { CONV_GRADIENT_KERNELS } from './conv-gradients.js';
import { FUSED_GRADIENT_KERNELS, fusedGradientsInstalled, installFusedGradients } from './fused-gradients.js';
import { rememberStock } from './heap.js';
import { FAST_KERNELS } from './kernels.js';
import { POOL_GRADIENT_KERNELS } from './pool-gradients.js';
import { SGD_KERNELS } from './sgd.js';
import { SHORTCUT_KERNELS } from './shortcut.js';

/** Every wasm kernel ctc registers. */
const KERNELS: tf.KernelConfig[] = [
  ...NATIVE_FORWARD_KERNELS,
  ...NATIVE_ELEMENTWISE_KERNELS,
  ...NATIVE_BATCH_NORM_KERNELS,
  ...NATIVE_PRELU_KERNELS,
  ...CONV_GRADIENT_KERNELS,
  ...POOL_GRADIENT_KERNELS,
  ...FAST_KERNELS,
  ...FUSED_GRADIENT_KERNELS,
  ...SGD_KERNELS,
  ...SHORTCUT_KERNELS,
];

/** Names of the wasm kernels this module replaces or adds. */
export const WASM_GRADIENT_KERNELS: readonly string[] = KERNELS.map((k) => k.kernelName);

/** True when every kernel and gradient of ctc's wasm fast path is the one registered. */
export function wasmGradientsInstalled(): boolean {
  return (
    KERNELS.every((k) => tf.getKernel(k.kernelName, 'wasm')?.kernelFunc === k.kernelFunc) && fusedGradientsInstalled()
  );
}

/** Each replaced stock kernel's setup (binding its C function); it must still run at backend start. */
const stockSetup = new Map<string, tf.KernelSetupFunc | undefined>();

/**
 * Registers the kernels above for 'wasm' and the fused gradients. Idempotent: a kernel that is
 * already ours is left alone (registerKernel would warn on a duplicate). Works before or after
 * the backend starts, since the engine looks kernels up on every call; a replaced stock kernel
 * keeps its setup function, so kernels falling back to it work either way.
 */
export function installWasmGradients(): void {
  for (const config of KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined) {
      rememberStock(config.kernelName);
      if (!stockSetup.has(config.kernelName)) stockSetup.set(config.kernelName, current.setupFunc);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    tf.registerKernel({ ...config, setupFunc: stockSetup.get(config.kernelName) });
  }
  installFusedGradients();
  installNativeBatchNorm();
}
