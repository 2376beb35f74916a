// One SGD-with-momentum update of one variable as one wasm kernel (CtcSgdMomentum), instead of the
// six tfjs ops the optimizer otherwise runs per variable (mul, add, mul, add, mul, sub: hundreds
// of kernel calls per ResNet-20 step). Each intermediate is rounded to float32 as
// those ops round it, so the result is bit for bit the op chain's. With the addon (backend
// wasm+onednn) the same arithmetic runs compiled, on every core.

import * as tf from '@tensorflow/tfjs';
import { nativeConvolutions } from '../native/onednn.js';
import { f32s, output, sizeOf, type Info, type KernelArgs } from './heap.js';

export const SGD_KERNEL = 'CtcSgdMomentum';

export interface SgdAttrs {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/**
 * Inputs variable w, velocity v, gradient g (same shape, float32); attrs as SgdAttrs. Outputs
 * [w', v']: d = g + weightDecay * w (when weightDecay > 0), v' = momentum * v + d (d when
 * momentum is 0), w' = w - lr * v'.
 */
function sgdMomentum({ inputs, backend, attrs }: KernelArgs): Info[] {
  const { variable, velocity, gradient } = inputs;
  const fr = Math.fround;
  const { lr, momentum, weightDecay } = attrs as unknown as SgdAttrs;
  const [lr32, m32, wd32] = [fr(lr), fr(momentum), fr(weightDecay)];
  for (const t of [velocity, gradient]) {
    if (t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, variable.shape))
      throw new Error(`${SGD_KERNEL}: inputs must be float32 of one shape`);
  }
  const nextVariable = output(backend, variable.shape);
  const nextVelocity = output(backend, variable.shape);
  const [w, v, g, w2, v2] = f32s(backend, variable, velocity, gradient, nextVariable, nextVelocity);
  const addon = nativeConvolutions();
  if (addon !== null) {
    addon.sgdMomentum(w, v, g, w2, v2, lr, momentum, weightDecay);
    return [nextVariable, nextVelocity];
  }
  const n = sizeOf(variable.shape);
  // The usual case (a kernel with decay, momentum) gets a loop without branches: 1.5x faster in V8 (measured).
  if (weightDecay > 0 && momentum > 0) {
    for (let i = 0; i < n; i++) {
      const next = fr(fr(v[i] * m32) + fr(g[i] + fr(w[i] * wd32)));
      v2[i] = next;
      w2[i] = w[i] - fr(next * lr32);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const d = weightDecay > 0 ? fr(g[i] + fr(w[i] * wd32)) : g[i];
      const next = momentum > 0 ? fr(fr(v[i] * m32) + d) : d;
      v2[i] = next;
      w2[i] = w[i] - fr(next * lr32);
    }
  }
  return [nextVariable, nextVelocity];
}

export const SGD_KERNELS: tf.KernelConfig[] = [
  { kernelName: SGD_KERNEL, backendName: 'wasm', kernelFunc: sgdMomentum as unknown as tf.KernelFunc },
];
