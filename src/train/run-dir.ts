// The run directory (`runs/<name>/seed-<seed>/` unless --out): its files, a lock so two
// processes never write the same run, and the rules that keep a finished run from being
// overwritten by accident.

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
    const hasCheckpoint = [paths.last, `${paths.last}.prev`].some((d) => fs.existsSync(path.join(d, 'checkpoint.json')));
    if (!hasRun || !hasCheckpoint) {
      if (!hasRun) throw new UserError(`${paths.dir}: nothing to resume (no run here); run without --resume to start it`);
      // A run killed before its first checkpoint restarts from scratch in the same directory.
      return 'new';
    }
    const before = fs.readFileSync(paths.resolvedConfig, 'utf8');
    if (before !== resolvedYaml) {
      throw new UserError(`${paths.resolvedConfig}: the config changed since this run started; use another --out or the same config to resume`);
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

/** Takes the run's lock; a stale lock (its process gone) is taken over. Returns the release function. */
export function lockRunDir(paths: RunPaths): () => void {
  fs.mkdirSync(paths.dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(paths.lock, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(paths.lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(paths.lock, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new UserError(`${paths.dir}: in use by process ${pid} (lock ${paths.lock})`);
      }
      fs.rmSync(paths.lock, { force: true });
    }
  }
  throw new UserError(`${paths.lock}: cannot take the run lock`);
}

/**
 * Whether a process still runs. A zombie (exited, not yet reaped by its parent: a killed run whose
 * parent shell lingers) answers signal 0 like a live one, so on Linux its state is read too.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces and parentheses.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS, Windows): trust the signal
  }
}
