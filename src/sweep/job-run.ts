// One sweep job in its run directory, shared by the local pool (`ctc sweep run`) and the queue
// worker (`ctc worker`): skip it when complete, otherwise write its config beside the run and
// start `ctc train` on it, with --resume when an earlier attempt left a run there.

import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Config } from '../config/schema.js';
import { runPaths } from '../train/run-dir.js';
import { writeFileAtomic } from '../util/atomic.js';
import { failureLine, startChild, threadShareEnv } from '../util/ctc-child.js';

export type JobOutcome =
  | { status: 'already done'; accuracy: number }
  | { status: 'done'; accuracy: number; resumed: boolean; seconds: number }
  | { status: 'failed'; detail: string; resumed: boolean; seconds: number }
  | { status: 'interrupted'; resumed: boolean; seconds: number };

export interface JobRunOptions {
  backend: string;
  checkpointSeconds?: number;
  /** How many jobs run side by side on this machine: each child gets its share of the cores. */
  sideBySide?: number;
}

/** The job's config, written into its run directory: `ctc train --config` reads it from there. */
export const JOB_CONFIG = 'sweep-job.yaml';

export function jobYaml(config: Config): string {
  return YAML.stringify(config);
}

export function runState(dir: string): 'done' | 'started' | 'new' {
  const paths = runPaths(dir);
  if (fs.existsSync(paths.summary)) return 'done';
  return fs.existsSync(paths.resolvedConfig) ? 'started' : 'new';
}

export function readAccuracy(dir: string): number {
  return (JSON.parse(fs.readFileSync(runPaths(dir).summary, 'utf8')) as { testAccuracy: number }).testAccuracy;
}

/** How far a run is: the last logged iteration (metrics.jsonl) of the total (log.ndjson's start line). */
export function readProgress(dir: string): { iteration: number; total: number } | undefined {
  const paths = runPaths(dir);
  const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
  const parse = (line: string) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return {}; // a line being written right now
    }
  };
  const start = lines(paths.log).map(parse).reverse().find((l) => l.event === 'start' || l.event === 'resume');
  if (typeof start?.total !== 'number') return undefined;
  const last = lines(paths.metrics).map(parse).reverse().find((l) => typeof l.iteration === 'number');
  return { iteration: (last?.iteration as number | undefined) ?? (start.iteration as number) ?? 0, total: start.total };
}

/**
 * Starts the job in `dir` (absolute). `outcome` settles when the child exits; `child` is absent
 * when the run was already complete. Children get their own process group and stop themselves
 * when their parent dies, so a signal to the parent is forwarded exactly once.
 */
export function startJob(dir: string, configYaml: string, opts: JobRunOptions): { child?: ChildProcess; outcome: Promise<JobOutcome> } {
  const state = runState(dir);
  if (state === 'done') return { outcome: Promise.resolve({ status: 'already done', accuracy: readAccuracy(dir) }) };
  const configFile = path.join(dir, JOB_CONFIG);
  writeFileAtomic(configFile, `# written by ctc sweep: this job's config (its run id is a hash of it)\n${configYaml}`);
  const resumed = state === 'started';
  const args = ['train', '--config', configFile, '--out', dir, '--backend', opts.backend, '--quiet'];
  if (opts.checkpointSeconds !== undefined) args.push('--checkpoint-seconds', String(opts.checkpointSeconds));
  if (resumed) args.push('--resume');
  const t0 = Date.now();
  const { child, done } = startChild(args, { detached: true, exitWithParent: true, env: threadShareEnv(opts.sideBySide ?? 1) });
  const outcome = done.then((r): JobOutcome => {
    const seconds = (Date.now() - t0) / 1000;
    if (r.code === 0 && fs.existsSync(runPaths(dir).summary)) return { status: 'done', accuracy: readAccuracy(dir), resumed, seconds };
    // ctc train saves a checkpoint and exits 130/143 on SIGINT/SIGTERM; a signal that arrives
    // before it listens ends it outright, and the checkpoint before stands.
    if (r.code === 130 || r.code === 143 || r.signal === 'SIGINT' || r.signal === 'SIGTERM') return { status: 'interrupted', resumed, seconds };
    return { status: 'failed', detail: failureLine(r), resumed, seconds };
  });
  return { child, outcome };
}

/**
 * Waits while another process on this machine holds the run's lock (a worker killed with -9
 * leaves its child finishing a checkpoint). The pid means nothing across machines, hence the
 * bound: after `maxMs` ctc train decides (it takes over a lock whose pid is dead here).
 */
export async function waitForLockHolder(dir: string, maxMs: number, stop: () => boolean): Promise<void> {
  const lock = runPaths(dir).lock;
  const until = Date.now() + maxMs;
  while (Date.now() < until && !stop()) {
    let pid = 0;
    try {
      pid = Number(fs.readFileSync(lock, 'utf8'));
    } catch {
      return; // no lock: nobody is writing the run
    }
    if (!pid || !isAlive(pid)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** An exited process nobody has reaped yet (Linux; where PID 1 does not reap orphans) holds nothing. */
function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
