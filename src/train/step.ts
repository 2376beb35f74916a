// One SGD step: forward with training = true, loss terms, gradients of every trained variable,
// a finiteness check of the loss terms and of the gradients (one scalar read each step: on the
// CPU backends kernels run synchronously, so the read costs nothing), then the update and the
// loss's own center update. A non-finite step, or one in which the GPU refused a kernel (whose
// output then reads as zeros), changes nothing and reports what went wrong.

import * as tf from '@tensorflow/tfjs';
import { takeGpuError } from '../backend/webgpu.js';
import type { TrainingLoss } from '../losses/types.js';
import { diagnoseFeatures, type FeatureDiagnostics } from './diagnose.js';
import type { Sgd } from './optimizer.js';

export interface StepTerms {
  total: number;
  softmax: number;
  aux: number;
}

/** features: the batch's features [m, d], when the caller asked for them; diagnostics likewise (diagnose.ts). */
export type StepResult =
  | { ok: true; terms: StepTerms; features?: Float32Array; diagnostics?: FeatureDiagnostics }
  | { ok: false; what: string };

export async function trainStep(
  model: tf.LayersModel,
  loss: TrainingLoss,
  sgd: Sgd,
  x: tf.Tensor,
  y: tf.Tensor1D,
  lr: number,
  keepFeatures = false,
  diagnose = false,
): Promise<StepResult> {
  let features: tf.Tensor2D | null = null;
  let softmax: tf.Scalar | null = null;
  let aux: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const [f, logits] = model.apply(x, { training: true }) as tf.Tensor2D[];
    const t = loss.compute(f, logits, y);
    features = tf.keep(f);
    softmax = tf.keep(t.softmax);
    aux = tf.keep(t.aux ?? tf.scalar(0));
    return t.total;
  }, sgd.variables);
  const gradList = Object.values(grads);
  // The sum of every gradient entry is finite exactly when each entry is (barring an overflow of
  // the sum itself, which is worth stopping for too); no squares needed, a pass per gradient less.
  const check = tf.tidy(() =>
    tf.stack([
      value,
      softmax as unknown as tf.Scalar,
      aux as unknown as tf.Scalar,
      sumOfAll(gradList.map((g) => g.sum())),
    ]),
  );
  const [total, soft, auxValue, gradSum] = (await check.data()) as Float32Array;
  check.dispose();
  try {
    const refused = takeGpuError();
    if (refused !== null) return { ok: false, what: `the GPU refused a kernel (${refused})` };
    const terms = { total, softmax: soft, aux: auxValue };
    // Name the specific term first: the total is non-finite whenever one of them is.
    for (const [name, v] of [
      ['softmax', soft],
      ['aux', auxValue],
      ['total', total],
    ] as const) {
      if (!Number.isFinite(v)) return { ok: false, what: `loss term '${name === 'aux' ? loss.name : name}' is ${v}` };
    }
    if (!Number.isFinite(gradSum)) {
      const bad = await firstNonFinite(grads);
      return { ok: false, what: `the gradient of '${bad}' is not finite` };
    }
    // Measured before the update, on the weights and centers that produced this step's gradients.
    const diagnostics = diagnose
      ? await diagnoseFeatures(model, loss, features as unknown as tf.Tensor2D, y)
      : undefined;
    sgd.apply(grads, lr);
    loss.updateCenters(features as unknown as tf.Tensor2D, y);
    if (!keepFeatures) return { ok: true, terms, diagnostics };
    return {
      ok: true,
      terms,
      diagnostics,
      features: (await (features as unknown as tf.Tensor2D).data()) as Float32Array,
    };
  } finally {
    tf.dispose([
      value,
      features as unknown as tf.Tensor,
      softmax as unknown as tf.Tensor,
      aux as unknown as tf.Tensor,
      ...gradList,
    ]);
  }
}

/**
 * AddN of at most 7 tensors at a time: on webgpu an AddN binds one storage buffer per input plus
 * its output, and an adapter may allow as few as 8 per shader stage (WebGPU's default; lavapipe
 * gives 16), while LeNets++ has 22 gradients: one AddN of them all failed validation there, and
 * the step silently read zeros. Up to 7 inputs is one AddN, as before, on every backend.
 */
export function sumOfAll(tensors: tf.Tensor[]): tf.Tensor {
  const CHUNK = 7;
  let parts = tensors;
  while (parts.length > CHUNK) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < parts.length; i += CHUNK) {
      const chunk = parts.slice(i, i + CHUNK);
      next.push(chunk.length === 1 ? chunk[0] : tf.addN(chunk));
    }
    parts = next;
  }
  return parts.length === 1 ? parts[0] : tf.addN(parts);
}

async function firstNonFinite(grads: tf.NamedTensorMap): Promise<string> {
  for (const [name, g] of Object.entries(grads)) {
    const values = await g.data();
    if (values.some((v) => !Number.isFinite(v))) return name;
  }
  return 'unknown';
}
