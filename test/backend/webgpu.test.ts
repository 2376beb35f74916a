// The webgpu backend (Dawn) against the cpu backend: every parameter's gradient of the three
// networks, and both auxiliary losses' feature and center gradients, from identical inputs; a
// short training run recorded as webgpu with its adapter; one clear line when Dawn finds no
// adapter. Without a WebGPU adapter here (scripts/install-software-gpu.sh gives a software one)
// the tests that need it skip, saying why.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { gradientValues, PROBE_NETS } from '../../src/backend/self-check.js';
import { takeGpuError } from '../../src/backend/webgpu.js';
import { createLoss } from '../../src/losses/index.js';
import { Sgd } from '../../src/train/optimizer.js';
import { trainStep } from '../../src/train/step.js';
import { centerLoss, contrastiveCenterLoss } from '../../src/losses/functions.js';
import { ctc, tempDir } from '../cli/helpers.js';
import { relativeError, values } from './values.js';

const K = 10;
const LABELS = (m: number) => Array.from({ length: m }, (_, i) => i % K);

/**
 * Every gradient ctc trains with, as named arrays, on the current backend: the three networks'
 * (the self-check's: softmax + contrastive-center, centers included, small batches) and both
 * auxiliary losses' on their own.
 */
async function gradients(): Promise<Map<string, Float32Array>> {
  const out = await gradientValues(Object.values(PROBE_NETS));
  const m = 16;
  const d = 3;
  const features = tf.tensor2d(values(m * d, 5), [m, d]);
  const centers = tf.tensor2d(values(K * d, 6), [K, d]);
  const labels = tf.tensor1d(LABELS(m), 'int32');
  for (const [name, loss] of [
    [
      'contrastive-center',
      (f: tf.Tensor, c: tf.Tensor) =>
        contrastiveCenterLoss(f as tf.Tensor2D, labels, c as tf.Tensor2D, { reduction: 'sum' }),
    ],
    [
      'center',
      (f: tf.Tensor, c: tf.Tensor) => centerLoss(f as tf.Tensor2D, labels, c as tf.Tensor2D, { reduction: 'sum' }),
    ],
  ] as const) {
    const [df, dc] = tf.grads((f, c) => loss(f, c))([features, centers]);
    out.set(`${name} features`, (await df.data()) as Float32Array);
    out.set(`${name} centers`, (await dc.data()) as Float32Array);
    tf.dispose([df, dc]);
  }
  tf.dispose([features, centers, labels]);
  return out;
}

async function webgpuOrReason(): Promise<string | null> {
  try {
    await initBackend('webgpu');
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

test('webgpu: gradients of the three networks and both aux losses match cpu', async (t) => {
  await initBackend('cpu');
  const cpu = await gradients(); // everything on cpu first: tfjs cannot move live tensors off webgpu in Node
  const unavailable = await webgpuOrReason();
  if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
  const gpu = await gradients();
  assert.deepEqual([...gpu.keys()], [...cpu.keys()]);
  assert.ok(cpu.size > 3 * 8, `${cpu.size} gradients`);
  const worst = [...cpu]
    .map(([key, want]) => [key, relativeError(gpu.get(key) as Float32Array, want)] as const)
    .sort((a, b) => b[1] - a[1]);
  t.diagnostic(
    `worst relative errors: ${worst
      .slice(0, 3)
      .map(([k, e]) => `${k} ${e.toExponential(1)}`)
      .join(', ')}`,
  );
  for (const [key, err] of worst) assert.ok(err < 1e-3, `${key}: relative error ${err}`);
});

test('webgpu: a short training run is recorded with its adapter, same accuracy as wasm', async (t) => {
  const unavailable = await webgpuOrReason();
  if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
  const dir = tempDir('ctc-webgpu-');
  const args = (backend: string) =>
    `train --config mnist-lenets-softmax.yaml --set dataset.trainLimit=640 --set dataset.testLimit=500 --set train.iterations=20 --set train.batchSize=32 --backend ${backend} --out ${backend} --quiet`.split(
      ' ',
    );
  const gpu = ctc(args('webgpu'), dir, { XDG_RUNTIME_DIR: dir });
  assert.equal(gpu.code, 0, gpu.stderr);
  const wasm = ctc(args('wasm'), dir);
  assert.equal(wasm.code, 0, wasm.stderr);
  const summary = (b: string) => JSON.parse(fs.readFileSync(path.join(dir, b, 'summary.json'), 'utf8'));
  const s = summary('webgpu');
  assert.equal(s.backend.name, 'webgpu');
  assert.ok(s.backend.adapter && typeof s.backend.adapter.software === 'boolean', JSON.stringify(s.backend));
  assert.ok(Number.isFinite(s.lossTerms.loss) && s.lossTerms.loss > 0, `loss ${s.lossTerms.loss}`);
  assert.ok(
    Math.abs(s.testAccuracy - summary('wasm').testAccuracy) < 3,
    `webgpu ${s.testAccuracy}% vs wasm ${summary('wasm').testAccuracy}%`,
  );
});

test('webgpu: no adapter is one clear line, exit 2, never a silent fall to another backend', () => {
  const dir = tempDir('ctc-webgpu-none-');
  const r = ctc(
    [
      'train',
      '--config',
      'mnist-lenets-softmax.yaml',
      '--set',
      'train.iterations=1',
      '--backend',
      'webgpu',
      '--out',
      'x',
    ],
    dir,
    {
      VK_ICD_FILENAMES: path.join(dir, 'no-such-icd.json'),
      CTC_WEBGPU_FLAGS: 'backend=vulkan',
    },
  );
  assert.equal(r.code, 2, r.stderr);
  const last = r.stderr.trim().split('\n').pop() as string;
  assert.match(
    last,
    /^ctc: backend 'webgpu' is not available \((Dawn found no WebGPU adapter|the webgpu package could not be loaded)/,
  );
  assert.match(last, /scripts\/install-software-gpu\.sh/);
  assert.ok(!fs.existsSync(path.join(dir, 'x', 'summary.json')), 'nothing trained');
});

test('webgpu: the adapter is self-checked once and remembered; a failing one is refused unless CTC_TRUST_GPU=1', async (t) => {
  const unavailable = await webgpuOrReason();
  if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
  const dir = tempDir('ctc-webgpu-check-');
  const env = { XDG_CACHE_HOME: dir, XDG_RUNTIME_DIR: dir };
  const bench = (extra: Record<string, string> = {}) =>
    ctc(
      'bench --backend webgpu --nets lenets --batch 2 --steps 1 --warmup 0 --no-torch --no-loss --peak-runs 0 --out b'.split(
        ' ',
      ),
      dir,
      { ...env, ...extra },
    );
  const first = bench();
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^self-check: passed: 19 values of lenets against cpu, .* in \d+\.\d s$/m);
  const file = path.join(dir, 'ctc', 'gpu-self-check.json');
  const verdicts = JSON.parse(fs.readFileSync(file, 'utf8'));
  const [key] = Object.keys(verdicts);
  assert.equal(verdicts[key].pass, true);
  assert.match(bench().stderr, /^self-check: passed: .*\(remembered\)$/m);
  // The same adapter remembered as failing: refused in one line, or run with a warning when trusted.
  verdicts[key].pass = false;
  fs.writeFileSync(file, JSON.stringify(verdicts));
  const refused = bench();
  assert.equal(refused.code, 2, refused.stderr);
  const lines = refused.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('Warning: maxDynamic')); // Dawn's own notes on lavapipe
  assert.equal(lines.length, 1, refused.stderr);
  assert.match(
    lines[0],
    /^ctc: backend 'webgpu': ctc's self-check failed on .*: FAILED: 19 values of lenets .*\(remembered\); CTC_TRUST_GPU=1 runs on it anyway$/,
  );
  const trusted = bench({ CTC_TRUST_GPU: '1' });
  assert.equal(trusted.code, 0, trusted.stderr);
  assert.match(
    trusted.stderr,
    /^ctc: warning: ctc's self-check failed on .*: FAILED: .*; running on it because CTC_TRUST_GPU=1$/m,
  );
});

test('webgpu: a kernel the adapter refuses is caught, and the training step fails instead of reading zeros', async (t) => {
  const unavailable = await webgpuOrReason();
  if (unavailable) return t.skip(`no WebGPU adapter here: ${unavailable}`);
  const limit = (tf.backend() as unknown as { device: { limits: { maxStorageBuffersPerShaderStage: number } } }).device
    .limits.maxStorageBuffersPerShaderStage;
  if (limit > 256) return t.skip(`this adapter allows ${limit} storage buffers per stage: no AddN here exceeds it`);
  // One AddN of limit + 1 inputs binds limit + 2 buffers: Dawn refuses its pipeline.
  const refuse = async () => {
    const parts = Array.from({ length: limit + 1 }, (_, i) => tf.scalar(i));
    const sum = tf.addN(parts);
    await sum.data();
    tf.dispose([sum, ...parts]);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the error event is delivered asynchronously
  };
  takeGpuError();
  await refuse();
  assert.match(takeGpuError() ?? 'no error', /storage buffers/);
  assert.equal(takeGpuError(), null, 'taken once');
  // A pending refusal fails the next training step, naming it.
  const input = tf.input({ shape: [3] });
  const features = tf.layers.dense({ units: 2, name: 'features' }).apply(input) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: K, name: 'logits' }).apply(features) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [features, logits] });
  const loss = createLoss('softmax', { numClasses: K, featureDim: 2, seed: 1 });
  const sgd = new Sgd(
    model.trainableWeights.map((w) => w.read() as tf.Variable),
    { momentum: 0.9, weightDecay: 0 },
  );
  const x = tf.tensor2d(values(8 * 3, 2), [8, 3]);
  const y = tf.tensor1d(LABELS(8), 'int32');
  assert.equal((await trainStep(model, loss, sgd, x, y, 0.01)).ok, true);
  await refuse();
  const step = await trainStep(model, loss, sgd, x, y, 0.01);
  assert.equal(step.ok, false);
  assert.match(step.ok ? '' : step.what, /^the GPU refused a kernel \(.*(AddN|storage buffers)/); // the cached pipeline: "invalid due to a previous error"
  tf.dispose([x, y]);
  model.dispose();
});
