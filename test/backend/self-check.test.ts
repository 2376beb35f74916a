// ctc's self-check of a backend against the cpu backend (src/backend/self-check.ts): it passes on
// wasm, catches a wrong kernel, remembers its verdict per adapter in the user's cache folder; and
// the step's finiteness check sums any number of gradients in AddNs of at most 7 inputs (one AddN
// of LeNets++'s 22 failed on a webgpu adapter, and the step read zeros).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import {
  adapterVerdict,
  checkAgainstCpu,
  PROBE_NETS,
  relativeError,
  VERDICTS_FILE,
} from '../../src/backend/self-check.js';
import type { GpuAdapter } from '../../src/backend/webgpu.js';
import { sumOfAll } from '../../src/train/step.js';
import { tempDir } from '../cli/helpers.js';

test('relativeError: max |a - b| / max |b|; NaN and a length mismatch are infinitely wrong', () => {
  assert.equal(relativeError([1, 2.5], [1, 2]), 0.25);
  assert.equal(relativeError([0, 0], [0, 0]), 0);
  assert.equal(relativeError([NaN, 1], [1, 1]), Infinity);
  assert.equal(relativeError([1], [1, 1]), Infinity);
});

test('self-check: wasm matches cpu on LeNets (gradients, and weights after two real steps)', async () => {
  await initBackend('wasm', { threads: 1 });
  const check = await checkAgainstCpu('wasm', [PROBE_NETS.lenets]);
  assert.equal(tf.getBackend(), 'wasm', 'the backend under test is selected again');
  assert.equal(check.pass, true, JSON.stringify(check));
  assert.ok(check.compared >= 19, `${check.compared} values`); // the loss, 9 gradients, 9 values after the steps
  assert.ok(check.worst.error < 1e-4, JSON.stringify(check.worst));
});

test('self-check: a wrong kernel fails it, naming the value it broke', async () => {
  await initBackend('wasm', { threads: 1 });
  // A Relu that lets negative values through at a tenth, a plausible kernel bug; broken on the
  // cpu side, so the two backends disagree as they would with a wrong GPU kernel.
  const relu = tf.getKernel('Relu', 'cpu') as tf.KernelConfig;
  const leaky = tf.getKernel('LeakyRelu', 'cpu') as tf.KernelConfig;
  tf.unregisterKernel('Relu', 'cpu');
  tf.registerKernel({ ...relu, kernelFunc: (args) => leaky.kernelFunc({ ...args, attrs: { alpha: 0.1 } }) });
  try {
    const check = await checkAgainstCpu('wasm', [PROBE_NETS.lenets]);
    assert.equal(check.pass, false, JSON.stringify(check));
    assert.match(check.worst.key, /^lenets /);
    assert.ok(check.worst.error > 1e-3, JSON.stringify(check.worst));
  } finally {
    tf.unregisterKernel('Relu', 'cpu');
    tf.registerKernel(relu);
  }
});

test('adapterVerdict: checks an adapter once, then remembers it per adapter and ctc version', async () => {
  await initBackend('wasm', { threads: 1 });
  const cache = tempDir('ctc-self-check-');
  const env = { XDG_CACHE_HOME: cache };
  const adapter: GpuAdapter = {
    vendor: 'test',
    architecture: 'none',
    device: 'wasm',
    description: 'driver 1',
    software: true,
  };
  const first = await adapterVerdict(adapter, 'wasm', env);
  assert.equal(first.cached, false);
  assert.equal(first.pass, true);
  const file = path.join(cache, 'ctc', VERDICTS_FILE);
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  const [key] = Object.keys(saved);
  assert.match(key, /^test \| none \| wasm \| driver 1 \| ctc \d/);
  assert.equal(saved[key].pass, true);
  const again = await adapterVerdict(adapter, 'wasm', env);
  assert.equal(again.cached, true);
  // A remembered failure stays a failure, without running again.
  saved[key].pass = false;
  fs.writeFileSync(file, JSON.stringify(saved));
  assert.equal((await adapterVerdict(adapter, 'wasm', env)).pass, false);
  // Another driver is another adapter: checked anew.
  const other = await adapterVerdict({ ...adapter, description: 'driver 2' }, 'wasm', env);
  assert.equal(other.cached, false);
  assert.equal(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8'))).length, 2);
  // An unreadable cache is checked again and written anew.
  fs.writeFileSync(file, '{ not json');
  assert.equal((await adapterVerdict(adapter, 'wasm', env)).cached, false);
  fs.rmSync(cache, { recursive: true, force: true });
});

test('sumOfAll: the sum of any number of tensors, in AddNs of at most 7', async () => {
  await initBackend('cpu');
  for (const n of [1, 2, 7, 8, 22, 50]) {
    const parts = Array.from({ length: n }, (_, i) => tf.scalar(i + 1));
    const seen: number[] = [];
    const addN = tf.getKernel('AddN', 'cpu') as tf.KernelConfig;
    tf.unregisterKernel('AddN', 'cpu');
    tf.registerKernel({
      ...addN,
      kernelFunc: (args) => {
        seen.push(Object.keys(args.inputs).length);
        return addN.kernelFunc(args);
      },
    });
    try {
      const total = sumOfAll(parts);
      assert.equal((await total.data())[0], (n * (n + 1)) / 2, `n = ${n}`);
      assert.ok(
        seen.every((k) => k <= 7),
        `n = ${n}: AddN inputs ${seen.join(', ')}`,
      );
      if (total !== parts[0]) total.dispose();
    } finally {
      tf.unregisterKernel('AddN', 'cpu');
      tf.registerKernel(addN);
      tf.dispose(parts);
    }
  }
});
