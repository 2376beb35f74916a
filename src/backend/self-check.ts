// A backend checked against the plain-JS cpu backend: the loss and every gradient ctc trains
// with (the networks' parameters, softmax + contrastive-center loss on their features, the
// centers' gradient), and the weights and centers after two of ctc's real training steps,
// computed from identical inputs on both, compared as max |a - b| / max |b|. 'auto' runs it on
// LeNets before trusting a GPU adapter it has not seen (and remembers the verdict per adapter
// in the user's cache folder); `ctc bench --check` runs it for the networks it times.
// tfjs in Node cannot read tensors back off webgpu onto another backend, so the cpu reference
// is computed first, as plain arrays, and the backend under test second.

import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { contrastiveCenterLoss, softmaxCrossEntropy } from '../losses/functions.js';
import { benchSetup, benchStep } from '../bench/measure.js';
import { userCacheDir } from '../data/data-dir.js';
import { buildModel } from '../models/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { versions } from '../util/provenance.js';
import { takeGpuError, type GpuAdapter } from './webgpu.js';

/** Above this relative error a value is wrong, not rounded differently (float32 sums on a GPU). */
export const SELF_CHECK_TOLERANCE = 1e-3;

export interface ProbeNet {
  name: string;
  inputShape: [number, number, number];
  batch: number;
}

/** Small batches: the cpu backend (plain JavaScript) computes the reference. */
export const PROBE_NETS: Record<string, ProbeNet> = {
  lenets: { name: 'lenets', inputShape: [28, 28, 1], batch: 4 },
  lenetspp: { name: 'lenetspp', inputShape: [28, 28, 1], batch: 2 },
  resnet20: { name: 'resnet20', inputShape: [32, 32, 3], batch: 2 },
};

const K = 10;

/** n values in [-0.5, 0.5) from a linear congruential sequence started at `seed`: the same on every backend. */
export function seededValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648 - 0.5;
  }
  return out;
}

/** max |a - b| / max |b| (lengths must agree; a length mismatch is an infinite error). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

/**
 * On the current backend: per network, the training loss (softmax + contrastive-center, λ 1,
 * mean) and its gradient with respect to every parameter and to the centers, and the weights
 * and centers after two training steps, as named arrays.
 */
export async function probeValues(nets: readonly ProbeNet[]): Promise<Map<string, Float32Array>> {
  const out = await gradientValues(nets);
  for (const net of nets) await trainedValues(net, out);
  return out;
}

/**
 * Per network, on the current backend, from the same seeded weights and inputs on every backend:
 * the loss (softmax + contrastive-center, λ 1, mean) and its gradient with respect to every
 * parameter and to the centers, as named arrays.
 */
export async function gradientValues(nets: readonly ProbeNet[]): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const net of nets) {
    const model = buildModel(net.name, { inputShape: [...net.inputShape], numClasses: K, seed: 7 });
    const size = net.batch * net.inputShape[0] * net.inputShape[1] * net.inputShape[2];
    const x = tf.tensor4d(seededValues(size, 3), [net.batch, ...net.inputShape]);
    const y = tf.tensor1d(
      Array.from({ length: net.batch }, (_, i) => i % K),
      'int32',
    );
    const [, featureDim] = (model.outputs[0].shape as number[]).slice(-2);
    const centers = tf.variable(
      tf.tensor2d(seededValues(K * featureDim, 6), [K, featureDim]),
      true,
      `${net.name}-centers`,
    );
    const variables = [...model.trainableWeights.map((w) => w.read() as tf.Variable), centers];
    const { value, grads } = tf.variableGrads(() => {
      const [features, logits] = model.apply(x, { training: true }) as tf.Tensor2D[];
      return tf.add(softmaxCrossEntropy(logits, y), contrastiveCenterLoss(features, y, centers)) as tf.Scalar;
    }, variables);
    out.set(`${net.name} loss`, (await value.data()) as Float32Array);
    for (const [i, v] of variables.entries()) {
      out.set(`${net.name} ${i} ${v.name.replace(/_\d+/g, '')}`, (await grads[v.name].data()) as Float32Array);
    }
    tf.dispose([value, x, y, centers, ...Object.values(grads)]);
    model.dispose();
  }
  return out;
}

/**
 * Two real training steps (ctc's own step: the loss, the finiteness check, the SGD update, the
 * center rule; src/train/step.ts) of the network as its project config trains it, on random
 * pixels; then every weight and the centers, as named arrays. This is what a wrong kernel, or
 * one the adapter refuses (a validation error leaves zeros), would change.
 */
async function trainedValues(net: ProbeNet, out: Map<string, Float32Array>): Promise<void> {
  const setup = benchSetup(net.name, net.batch);
  try {
    for (let i = 0; i < 2; i++) await benchStep(setup, i);
    const { model, loss } = setup.exp;
    for (const [i, w] of model.weights.entries()) {
      out.set(`${net.name} after 2 steps ${i} ${w.name.replace(/_\d+/g, '')}`, (await w.read().data()) as Float32Array);
    }
    if (loss.centers) out.set(`${net.name} after 2 steps centers`, (await loss.centers.data()) as Float32Array);
  } finally {
    setup.exp.model.dispose();
    setup.exp.loss.dispose();
  }
}

export interface SelfCheck {
  pass: boolean;
  /** The value furthest from the cpu backend's, and how far. */
  worst: { key: string; error: number };
  /** Values compared (the loss and each gradient, per network). */
  compared: number;
  nets: string[];
  tolerance: number;
  seconds: number;
}

/**
 * Compares the running backend (`tfBackend`, already started) with the cpu backend on `nets`,
 * and leaves `tfBackend` selected again.
 */
export async function checkAgainstCpu(tfBackend: string, nets: readonly ProbeNet[]): Promise<SelfCheck> {
  const started = Date.now();
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to start for the self-check');
  const reference = await probeValues(nets);
  if (!(await tf.setBackend(tfBackend)))
    throw new Error(`the ${tfBackend} backend did not start again after the self-check`);
  takeGpuError(); // only the errors of this check count
  const got = await probeValues(nets);
  let worst = { key: '', error: 0 };
  for (const [key, want] of reference) {
    const error = relativeError(got.get(key) ?? [], want);
    if (worst.key === '' || !(error <= worst.error)) worst = { key, error };
  }
  const refused = takeGpuError();
  if (refused !== null) worst = { key: `a kernel the GPU refused (${refused})`, error: Infinity };
  return {
    pass: worst.error <= SELF_CHECK_TOLERANCE,
    worst,
    compared: reference.size,
    nets: nets.map((n) => n.name),
    tolerance: SELF_CHECK_TOLERANCE,
    seconds: (Date.now() - started) / 1000,
  };
}

export function describeCheck(c: SelfCheck): string {
  const verdict = c.pass ? 'passed' : 'FAILED';
  return `${verdict}: ${c.compared} values of ${c.nets.join(', ')} against cpu, worst ${c.worst.key} at relative error ${c.worst.error.toExponential(1)} (tolerance ${c.tolerance})`;
}

export const VERDICTS_FILE = 'gpu-self-check.json';

interface Verdict extends SelfCheck {
  adapter: GpuAdapter;
  ctc: string;
  checkedAt: string;
}

/** One adapter (vendor, architecture, device, driver description) under one ctc version. */
function adapterKey(a: GpuAdapter, ctcVersion: string): string {
  return [a.vendor, a.architecture, a.device, a.description, `ctc ${ctcVersion}`].join(' | ');
}

function readVerdicts(file: string): Record<string, Verdict> {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, Verdict>) : {};
  } catch {
    return {}; // missing or unreadable: check again and write it anew
  }
}

/**
 * The adapter's verdict: the remembered one, else a fresh self-check on LeNets (seconds: the
 * larger networks take a minute or more on the cpu backend)
 * written to the cache. `tfBackend` must be the running backend on that adapter.
 */
export async function adapterVerdict(
  adapter: GpuAdapter,
  tfBackend: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SelfCheck & { cached: boolean }> {
  const file = path.join(userCacheDir(env), VERDICTS_FILE);
  const ctcVersion = versions().ctc;
  const key = adapterKey(adapter, ctcVersion);
  const known = readVerdicts(file)[key];
  if (known && typeof known.pass === 'boolean' && known.worst) return { ...known, cached: true };
  const check = await checkAgainstCpu(tfBackend, [PROBE_NETS.lenets]);
  const verdicts = readVerdicts(file);
  verdicts[key] = { ...check, adapter, ctc: ctcVersion, checkedAt: new Date().toISOString() };
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, `${JSON.stringify(verdicts, null, 2)}\n`);
  } catch {
    // A read-only cache only means the check runs again next time.
  }
  return { ...check, cached: false };
}
