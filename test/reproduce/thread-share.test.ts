// Side-by-side children (ctc reproduce --jobs, ctc sweep run --jobs, ctc worker --concurrency)
// split the cores between them instead of each taking all of them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { threadShareEnv } from '../../src/util/ctc-child.js';

test('one job keeps every core; N jobs get cores/N threads each, at least 1; a user setting wins', () => {
  const saved = process.env.CTC_WASM_THREADS;
  delete process.env.CTC_WASM_THREADS;
  try {
    assert.deepEqual(threadShareEnv(1), {});
    const cores = os.availableParallelism();
    assert.deepEqual(threadShareEnv(2), { CTC_WASM_THREADS: String(Math.max(1, Math.floor(cores / 2))) });
    assert.deepEqual(threadShareEnv(cores * 4), { CTC_WASM_THREADS: '1' });
    process.env.CTC_WASM_THREADS = '3';
    assert.deepEqual(threadShareEnv(2), {});
  } finally {
    if (saved === undefined) delete process.env.CTC_WASM_THREADS;
    else process.env.CTC_WASM_THREADS = saved;
  }
});
