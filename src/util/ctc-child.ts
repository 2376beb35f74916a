// Runs `ctc <args>` (usually `ctc train`) as a child process of the built CLI, shared by
// `ctc reproduce`, `ctc sweep run` and `ctc worker`. Only stderr is kept (its tail), since the
// children run with --quiet and their results are in the run directory.

import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';

export interface ChildResult {
  code: number | null;
  /** The signal that ended the child, when it did not exit by itself. */
  signal: NodeJS.Signals | null;
  stderr: string;
}

export interface ChildOptions {
  /**
   * Own process group: a Ctrl-C at the terminal reaches only the parent, which forwards it once
   * (ctc train takes a second signal as "stop now, without a checkpoint").
   */
  detached?: boolean;
  /** Preload a guard that stops the child (as on SIGTERM) when its parent dies without telling it. */
  exitWithParent?: boolean;
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
}

/**
 * Environment for one of `jobs` children running side by side: each computes with its share of
 * the cores (wasm's XNNPACK threads and the oneDNN addon's OpenMP threads both follow
 * CTC_WASM_THREADS), since OpenMP threads competing for cores slow every job down several times
 * over. A CTC_WASM_THREADS the user set is kept.
 */
export function threadShareEnv(jobs: number): Record<string, string> {
  if (jobs <= 1 || process.env.CTC_WASM_THREADS) return {};
  return { CTC_WASM_THREADS: String(Math.max(1, Math.floor(os.availableParallelism() / jobs))) };
}

const STDERR_TAIL = 64 * 1024; // characters kept: enough for the last error, bounded for long runs

export const CTC_BIN = path.join(PACKAGE_ROOT, 'bin', 'ctc.js');
const EXIT_WITH_PARENT = path.join(PACKAGE_ROOT, 'dist', 'src', 'sweep', 'exit-with-parent.js');

export function startChild(
  args: string[],
  opts: ChildOptions = {},
): { child: ChildProcess; done: Promise<ChildResult> } {
  const node = opts.exitWithParent ? ['--import', EXIT_WITH_PARENT] : [];
  const child = spawn(process.execPath, [...node, CTC_BIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: Boolean(opts.detached),
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
    if (stderr.length > 2 * STDERR_TAIL) stderr = stderr.slice(-STDERR_TAIL);
  });
  const done = new Promise<ChildResult>((resolve) => {
    child.on('error', (err) => resolve({ code: null, signal: null, stderr: `${stderr}${err.message}\n` }));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, done };
}

export function runChild(args: string[], opts: ChildOptions = {}): Promise<ChildResult> {
  return startChild(args, opts).done;
}

/** The child's last stderr line without the `ctc: ` prefix, or how it ended when it said nothing. */
export function failureLine(result: ChildResult): string {
  const last = result.stderr
    .trim()
    .split('\n')
    .pop()
    ?.replace(/^ctc: /, '');
  if (last) return last;
  return result.signal ? `killed by ${result.signal}` : `exit ${result.code}`;
}
