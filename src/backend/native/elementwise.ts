// Elementwise kernels in the addon (backend wasm+onednn), on every core where tfjs-wasm runs them
// on one: Relu, and its gradient in one pass. Results are bit-identical to tfjs's cpu backend;
// plain wasm takes the stock kernels. (A native Add measured no faster than tfjs-wasm's: both
// run at memory speed.)

import * as tf from '@tensorflow/tfjs';
import { nativeConvolutions, requireNative } from './onednn.js';
import { f32s, output, runStock, type Info, type KernelArgs } from '../wasm/heap.js';

function relu(args: KernelArgs): Info {
  const addon = nativeConvolutions();
  const { x } = args.inputs;
  if (addon === null || x.dtype !== 'float32') return runStock('Relu', args);
  const y = output(args.backend, x.shape);
  const [xs, ys] = f32s(args.backend, x, y);
  addon.relu(xs, ys);
  return y;
}

/** Relu's gradient in one pass, dy where x > 0 (the stock gradient is Step, Cast and Multiply). */
function reluGrad({ inputs, backend }: KernelArgs): Info {
  const addon = requireNative('CtcReluGrad');
  const { x, dy } = inputs;
  const dx = output(backend, x.shape);
  const [xs, dys, dxs] = f32s(backend, x, dy, dx);
  addon.reluGrad(xs, dys, dxs);
  return dx;
}

export const NATIVE_ELEMENTWISE_KERNELS: tf.KernelConfig[] = [
  { kernelName: 'Relu', backendName: 'wasm', kernelFunc: relu as unknown as tf.KernelFunc },
  { kernelName: 'CtcReluGrad', backendName: 'wasm', kernelFunc: reluGrad as unknown as tf.KernelFunc },
];
