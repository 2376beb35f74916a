// The run directory (`runs/<name>/seed-<seed>/` unless --out): its files, and the rules that
// keep a finished run from being overwritten by accident. The lock is in lock.ts, the summary
// in summary.ts, the checkpoints in checkpoint.ts.

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

export interface RunPaths {
  dir: string;
  resolvedConfig: string;
  metrics: string;
  log: string;
  summary: string;
  last: string;
  best: string;
  lock: string;
  /** `ctc verify`'s result when written beside the run (its default --out): the tables read it. */
  verification: string;
}

export function runPaths(dir: string): RunPaths {
  return {
    dir,
    resolvedConfig: path.join(dir, 'config.resolved.yaml'),
    metrics: path.join(dir, 'metrics.jsonl'),
    log: path.join(dir, 'log.ndjson'),
    summary: path.join(dir, 'summary.json'),
    last: path.join(dir, 'checkpoints', 'last'),
    best: path.join(dir, 'checkpoints', 'best'),
    lock: path.join(dir, '.lock'),
    verification: path.join(dir, 'verification', 'verification.json'),
  };
}

export function defaultRunDir(root: string, name: string, seed: number): string {
  return path.join(root, name, `seed-${seed}`);
}

/**
 * Prepares the directory for a new run or a resume. A new run refuses a directory that already
 * holds one (no data lost); a resume requires a checkpoint and the same resolved config.
 */
export function prepareRunDir(paths: RunPaths, resolvedYaml: string, resume: boolean): 'new' | 'resume' {
  const hasRun = fs.existsSync(paths.resolvedConfig);
  if (resume) {
    const hasCheckpoint = [paths.last, `${paths.last}.prev`].some((d) =>
      fs.existsSync(path.join(d, 'checkpoint.json')),
    );
    if (!hasRun || !hasCheckpoint) {
      if (!hasRun)
        throw new UserError(`${paths.dir}: nothing to resume (no run here); run without --resume to start it`);
      // A run killed before its first checkpoint restarts from scratch in the same directory.
      return 'new';
    }
    const before = fs.readFileSync(paths.resolvedConfig, 'utf8');
    if (before !== resolvedYaml) {
      throw new UserError(
        `${paths.resolvedConfig}: the config changed since this run started; use another --out or the same config to resume`,
      );
    }
    return 'resume';
  }
  if (hasRun) {
    const done = fs.existsSync(paths.summary);
    throw new UserError(
      `${paths.dir}: already holds a ${done ? 'finished' : 'started'} run; use --resume to continue it, --out DIR for a new one, or delete the folder`,
    );
  }
  fs.mkdirSync(paths.dir, { recursive: true });
  return 'new';
}
