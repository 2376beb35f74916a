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

test(
  'a lock left by a zombie (exited, not yet reaped) is taken over',
  { skip: process.platform !== 'linux' ? '/proc is Linux-only' : false },
  async () => {
    // A zombie made without racing the clock: the shell starts a child, then becomes `sleep`
    // (which never reaps). Only once the exec has happened is the child killed, so nobody reaps it.
    const parent = spawn('sh', ['-c', 'sleep 1000 & echo $!; exec sleep 1000']);
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; !ok(); i++) {
        if (i > 1000) assert.fail(`the test needs ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      const pid = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d).trim()))),
      );
      const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
      await until('the shell to exec sleep', () => read(`/proc/${parent.pid}/comm`).trim() === 'sleep');
      process.kill(pid, 'SIGKILL');
      await until('a zombie', () => /\) Z /.test(read(`/proc/${pid}/stat`)));
      const paths = runDirWithLock(pid);
      const release = lockRunDir(paths);
      assert.equal(fs.readFileSync(paths.lock, 'utf8').trim(), String(process.pid));
      release();
    } finally {
      parent.kill();
    }
  },
);
