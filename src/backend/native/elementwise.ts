// Elementwise and pooling kernels in the addon (backend wasm+onednn), on every core where tfjs-wasm
// runs them on one: Relu, its gradient in one pass, and 2x2 stride-2 max pooling (LeNets,
// LeNets++). Results are bit-identical to tfjs's cpu backend; plain wasm takes the stock kernels.
// (A native Add measured no faster than tfjs-wasm's: both run at memory speed.)

import * as tf from '@tensorflow/tfjs';
import { nativeConvolutions, requireNative } from './onednn.js';
import { f32s, output, runStock, type Info, type KernelArgs } from '../wasm/heap.js';
import { isTwoByTwoPool } from '../wasm/pool-gradients.js';

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

/** MaxPool: 2x2 windows, stride 2, unpadded, float32 in the addon; any other pool on the stock kernel. */
function maxPool(args: KernelArgs): Info {
  const addon = nativeConvolutions();
  const { x } = args.inputs;
  const { attrs } = args;
  if (addon === null || x.dtype !== 'float32' || x.shape.length !== 4) return runStock('MaxPool', args);
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  if (!isTwoByTwoPool(info)) return runStock('MaxPool', args);
  const y = output(args.backend, info.outShape);
  const [xs, ys] = f32s(args.backend, x, y);
  const { batchSize, inHeight, inWidth, outHeight, outWidth, inChannels } = info;
  addon.maxPool2x2(Int32Array.from([batchSize, inHeight, inWidth, outHeight, outWidth, inChannels]), xs, ys);
  return y;
}

export const NATIVE_ELEMENTWISE_KERNELS: tf.KernelConfig[] = [
  { kernelName: 'Relu', backendName: 'wasm', kernelFunc: relu as unknown as tf.KernelFunc },
  { kernelName: 'CtcReluGrad', backendName: 'wasm', kernelFunc: reluGrad as unknown as tf.KernelFunc },
  { kernelName: 'MaxPool', backendName: 'wasm', kernelFunc: maxPool as unknown as tf.KernelFunc },
];
