// Provenance recorded with every run and table: git commit, package versions, machine.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

import { PACKAGE_ROOT } from './package-root.js';

export { PACKAGE_ROOT };

export function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

function versionOf(pkg: string): string {
  try {
    const require = createRequire(path.join(PACKAGE_ROOT, 'package.json'));
    const file = require.resolve(`${pkg}/package.json`);
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export function versions(): Record<string, string> {
  return {
    ctc: versionOf('ctc') === 'not installed' ? ownVersion() : versionOf('ctc'),
    node: process.version,
    '@tensorflow/tfjs-core': versionOf('@tensorflow/tfjs-core'),
    '@tensorflow/tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
  };
}

function ownVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export function machine(): { cpu: string; cores: number; memoryGiB: number; platform: string } {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`,
  };
}

/** The Slurm job this process runs in (from the variables Slurm sets), or undefined outside Slurm. */
export function slurmContext(env = process.env): Record<string, string | number> | undefined {
  if (env.SLURM_JOB_ID === undefined) return undefined;
  const fields: Record<string, string | number> = {
    jobId: env.SLURM_JOB_ID,
    restartCount: Number(env.SLURM_RESTART_COUNT ?? 0),
  };
  if (env.SLURM_ARRAY_JOB_ID !== undefined) fields.arrayJobId = env.SLURM_ARRAY_JOB_ID;
  if (env.SLURM_ARRAY_TASK_ID !== undefined) fields.arrayTaskId = Number(env.SLURM_ARRAY_TASK_ID);
  if (env.SLURMD_NODENAME !== undefined) fields.node = env.SLURMD_NODENAME;
  return fields;
}
