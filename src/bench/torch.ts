// Runs the PyTorch reference (scripts/torch_reference.py) with Debian's /usr/bin/python3, after
// checking that it can import torch; returns its JSON, or why it was skipped.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../util/package-root.js';

export const PYTHON = '/usr/bin/python3';
/** Debian's threaded OpenBLAS (libopenblas0-pthread): its libblas.so.3 is the strongest CPU anchor. */
export const OPENBLAS_PTHREAD_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

/**
 * The environment PyTorch runs in: Debian's torch loads whatever libblas.so.3 the alternatives
 * system names, possibly the slow reference BLAS; with OpenBLAS's threaded build installed, it is
 * put first on the library path, so the comparison is against the strongest BLAS present.
 */
export function torchEnv(env: NodeJS.ProcessEnv = process.env, openblasDir = OPENBLAS_PTHREAD_DIR): NodeJS.ProcessEnv {
  if (!fs.existsSync(path.join(openblasDir, 'libblas.so.3'))) return env;
  return { ...env, LD_LIBRARY_PATH: [openblasDir, env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
}

/** Whether PyTorch ran on the reference BLAS (netlib's, Debian's libblas3): it flatters ctc. */
export function onReferenceBlas(result: Pick<TorchResult, 'blasLibrary'>): boolean {
  return result.blasLibrary.some((lib) => /\/blas\/libblas\.so/.test(lib));
}
export const TORCH_SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'torch_reference.py');

export interface TorchNet {
  msPerStep: number;
  imagesPerSecond: number;
  memoryFormat: string;
  byFormat: Record<string, number>;
  times: number[];
}

export interface TorchLoss {
  batch: number;
  dim: number;
  classes: number;
  /** The loss from the [m, k] distance matrix, the direct PyTorch formulation. */
  msMatrix: number;
  /** The same O((m + k) d) closed form ctc uses. */
  msClosedForm: number;
}

export interface TorchResult {
  torch: string;
  python: string;
  threads: number;
  blas: string;
  blasLibrary: string[];
  mkldnn: boolean;
  nets: Record<string, TorchNet>;
  loss: TorchLoss[];
}

export type TorchOutcome = { ran: true; result: TorchResult } | { ran: false; reason: string };

/** The last non-empty line of a process's error output, for a one-line reason. */
function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? '';
}

export function runTorchReference(opts: {
  nets: string[];
  batch: number;
  steps: number;
  warmup: number;
  threads: number;
  loss: boolean;
}): TorchOutcome {
  if (!fs.existsSync(PYTHON)) return { ran: false, reason: `${PYTHON} not found` };
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return {
      ran: false,
      reason: `${PYTHON} cannot import torch (${lastLine(probe.stderr ?? '') || probe.error?.message || `exit ${probe.status}`}); install it with: apt-get install python3-torch`,
    };
  }
  const args = [
    TORCH_SCRIPT,
    '--nets',
    opts.nets.join(','),
    '--batch',
    String(opts.batch),
    '--steps',
    String(opts.steps),
    '--warmup',
    String(opts.warmup),
    '--threads',
    String(opts.threads),
  ];
  if (!opts.loss) args.push('--no-loss');
  const run = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, env: torchEnv() });
  if (run.error || run.status !== 0) {
    return {
      ran: false,
      reason: `the PyTorch reference failed (${lastLine(run.stderr ?? '') || run.error?.message || `exit ${run.status}`})`,
    };
  }
  try {
    return { ran: true, result: JSON.parse(run.stdout) as TorchResult };
  } catch {
    return { ran: false, reason: 'the PyTorch reference printed no valid JSON' };
  }
}
