// Backend selection: explicit cpu/wasm, what 'auto' picks on a machine without the native
// packages, and the one-line UserError for a backend that is not installed or not known.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { initBackend, useBackend, type BackendChoice } from '../../src/backend/index.js';
import { loadOneDnn } from '../../src/backend/native/onednn.js';
import { wasmGradientsInstalled } from '../../src/backend/wasm/gradients.js';
import { UserError } from '../../src/errors.js';

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const nativeInstalled = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

/** A rejection that is a UserError with one line mentioning `text`. */
function userErrorMentioning(text: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.ok(err.message.includes(text), err.message);
    assert.ok(!err.message.includes('\n'), 'message is one line');
    return true;
  };
}

test("initBackend('cpu') selects the cpu backend", async () => {
  const info = await initBackend('cpu');
  assert.deepEqual([info.name, info.tfBackend, tf.getBackend()], ['cpu', 'cpu', 'cpu']);
  assert.match(info.detail, /^cpu/);
});

test("initBackend('wasm') selects wasm and installs the gradient kernels", async () => {
  const info = await initBackend('wasm', { threads: 1 });
  assert.deepEqual([info.name, info.tfBackend, tf.getBackend()], ['wasm', 'wasm', 'wasm']);
  assert.match(info.detail, /^wasm \((no )?SIMD, \d+ threads?\)$/);
  assert.ok(wasmGradientsInstalled());
  // A conv gradient needs Conv2DBackpropFilter, which stock tfjs-backend-wasm lacks.
  const w = tf.ones([3, 3, 1, 2]);
  const g = tf.grad((w: tf.Tensor) =>
    tf.conv2d(tf.ones([1, 5, 5, 1]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid').sum(),
  )(w);
  assert.deepEqual(Array.from(await g.data()), new Array(18).fill(9));
  tf.dispose([w, g]);
});

test('initBackend can switch back and forth', async () => {
  for (const name of ['cpu', 'wasm', 'cpu', 'wasm'] as const) {
    assert.equal((await useBackend(name)).name, name);
    assert.equal(tf.getBackend(), name);
  }
});

test(
  "initBackend('auto') falls through to wasm without the native packages (with the oneDNN addon when it is built)",
  { skip: nativeInstalled },
  async () => {
    const info = await initBackend('auto');
    assert.equal(info.name, loadOneDnn().addon === null ? 'wasm' : 'wasm+onednn');
    assert.equal(tf.getBackend(), 'wasm');
  },
);

test(
  "initBackend('cuda') without tfjs-node-gpu is a UserError naming the package",
  { skip: nativeInstalled },
  async () => {
    await assert.rejects(initBackend('cuda'), userErrorMentioning('@tensorflow/tfjs-node-gpu'));
  },
);

test(
  "initBackend('tensorflow') without tfjs-node is a UserError naming the package",
  { skip: nativeInstalled },
  async () => {
    await assert.rejects(initBackend('tensorflow'), userErrorMentioning('@tensorflow/tfjs-node'));
  },
);

test('an unknown backend name is a UserError listing the valid ones', async () => {
  await assert.rejects(
    initBackend('metal' as BackendChoice),
    userErrorMentioning('auto, cuda, webgpu, tensorflow, wasm+onednn, wasm, cpu'),
  );
});

test("a bad thread count is one UserError naming CTC_WASM_THREADS, also under 'auto' (not a silent fall to cpu)", async () => {
  const saved = process.env.CTC_WASM_THREADS;
  process.env.CTC_WASM_THREADS = '0';
  try {
    for (const choice of ['auto', 'wasm'] as const) {
      await assert.rejects(initBackend(choice), userErrorMentioning("got '0' (CTC_WASM_THREADS)"));
    }
  } finally {
    if (saved === undefined) delete process.env.CTC_WASM_THREADS;
    else process.env.CTC_WASM_THREADS = saved;
  }
  await assert.rejects(
    initBackend('auto', { threads: 0 }),
    userErrorMentioning("wasm threads must be a positive integer, got '0'"),
  );
});
