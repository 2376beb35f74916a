// Shared by the backend tests: deterministic inputs (the same values on every backend), the
// error measure their comparisons with the cpu backend use (both from src/backend/self-check.ts,
// which ctc's own self-check of a GPU uses too), and a few SGD steps to compare bit for bit.

import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { relativeError as relative, seededValues } from '../../src/backend/self-check.js';
import { Sgd } from '../../src/train/optimizer.js';

export { seededValues as values };

/** max |a - b| / max |b|: the tolerance measure for results compared with the cpu backend. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  return relative(a, b);
}

/**
 * Three SGD steps (weight decay 5e-4, lr 0.1 / step) on a [rows, cols] kernel and a [cols]
 * bias with deterministic gradients, on the current backend; returns the kernel, the bias and
 * the optimizer's state, and disposes everything it made.
 */
export async function sgdThreeSteps(
  momentum: number,
  [rows, cols]: [number, number],
  scope: string,
): Promise<Float32Array[]> {
  const size = rows * cols;
  const kernel = tf.tidy(() =>
    tf.variable(tf.tensor(seededValues(size, 3), [rows, cols]), true, `${scope}/dense/kernel`),
  );
  const bias = tf.tidy(() => tf.variable(tf.tensor(seededValues(cols, 4)), true, `${scope}/dense/bias`));
  const sgd = new Sgd([kernel, bias], { momentum, weightDecay: 5e-4 });
  for (let step = 0; step < 3; step++) {
    const grads = {
      [kernel.name]: tf.tensor(seededValues(size, 10 + step), [rows, cols]),
      [bias.name]: tf.tensor(seededValues(cols, 20 + step)),
    };
    sgd.apply(grads, 0.1 / (step + 1));
    tf.dispose(Object.values(grads));
  }
  const result = await Promise.all([kernel, bias, ...sgd.getState()].map((t) => t.data() as Promise<Float32Array>));
  sgd.dispose();
  tf.dispose([kernel, bias]);
  return result;
}
