// The run-directory lock: a live process keeps it; a dead or zombie one does not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPaths } from '../../src/run/directory.js';
import { lockRunDir } from '../../src/run/lock.js';

function runDirWithLock(pid: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-lock-'));
  const paths = runPaths(dir);
  fs.writeFileSync(paths.lock, String(pid));
  return paths;
}

test('a lock held by a live process is refused, naming the process', async () => {
  const holder = spawn('sleep', ['30']);
  try {
    const paths = runDirWithLock(holder.pid as number);
    assert.throws(() => lockRunDir(paths), new RegExp(`in use by process ${holder.pid}`));
  } finally {
    holder.kill();
  }
});

test('a lock left by a zombie (exited, not yet reaped) is taken over', { skip: process.platform !== 'linux' ? '/proc is Linux-only' : false }, async () => {
  // The child exits 0.2 s later, after its shell has become `sleep` (which never reaps it): a
  // zombie. A child that exits at once can be reaped by the shell before its exec, on a loaded machine.
  const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30']);
  try {
    const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d).trim()))));
    for (let i = 0; i < 50 && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'), /\) Z /, 'the test needs a zombie');
    const paths = runDirWithLock(pid);
    const release = lockRunDir(paths);
    assert.equal(fs.readFileSync(paths.lock, 'utf8').trim(), String(process.pid));
    release();
  } finally {
    parent.kill();
  }
});
