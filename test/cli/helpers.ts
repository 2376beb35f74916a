// Runs the built CLI (bin/ctc.js) as a user would, in a temporary folder.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  fileURLToPath(import.meta.url).includes('/dist/') ? '../../..' : '../..',
);
export const CTC = path.join(ROOT, 'bin', 'ctc.js');

export function tempDir(prefix = 'ctc-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function ctc(args: string[], cwd: string, env: Record<string, string> = {}): Result {
  const r = spawnSync(process.execPath, [CTC, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts ctc in the background; resolves when it exits. */
export function ctcAsync(args: string[], cwd: string): { child: ReturnType<typeof spawn>; done: Promise<Result> } {
  const child = spawn(process.execPath, [CTC, ...args], { cwd, env: { ...process.env, CI: 'true' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Result>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** A one-line error: non-zero exit, a single `ctc: ...` line, no stack trace. */
export function isCleanError(r: Result): boolean {
  const lines = r.stderr.trim().split('\n');
  return r.code !== 0 && lines.length === 1 && !/\n\s+at /.test(r.stderr);
}
