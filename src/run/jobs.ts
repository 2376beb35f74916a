// The one job runner behind `ctc reproduce`, `ctc sweep run` and `ctc worker`: a job is one
// `ctc train` in its run directory, skipped when complete and resumed when an earlier attempt
// left a run there, and not started while another process holds its run. A pool runs N jobs side
// by side on this machine; SIGINT/SIGTERM stop it starting jobs and reach each running child once,
// which saves a checkpoint and stops.

import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import YAML from 'yaml';
import type { Config } from '../config/schema.js';
import { writeFileAtomic } from '../util/atomic.js';
import { failureLine, startChild, threadShareEnv } from '../util/ctc-child.js';
import { lockHolder } from './lock.js';
import { readAccuracy, runState } from './summary.js';

export type JobOutcome =
  | { status: 'already done'; accuracy: number }
  | { status: 'done'; accuracy: number; resumed: boolean; seconds: number }
  | { status: 'failed'; detail: string; resumed: boolean; seconds: number }
  | { status: 'interrupted'; resumed: boolean; seconds: number };

/** What a pool reports for a job: its outcome, or why it was not started. */
export type PoolOutcome = JobOutcome | { status: 'skipped'; detail: string };

/** What `ctc train` runs: a config file with overrides, or a whole config written beside the run. */
export type JobSource = { config: string; sets?: string[] } | { yaml: string };

export interface JobRunOptions {
  backend: string;
  checkpointSeconds?: number;
  /** How many jobs run side by side on this machine: each child gets its share of the cores. */
  sideBySide?: number;
}

/** The job's config when it comes as YAML, written into its run directory: `ctc train --config` reads it there. */
export const JOB_CONFIG = 'sweep-job.yaml';

export function jobYaml(config: Config): string {
  return YAML.stringify(config);
}

/** The `ctc train` arguments of a job (without --resume), as a user would type them. */
export function trainArgs(dir: string, source: JobSource, opts: JobRunOptions): string[] {
  const config = 'yaml' in source ? path.join(dir, JOB_CONFIG) : source.config;
  const sets = 'yaml' in source ? [] : (source.sets ?? []).flatMap((s) => ['--set', s]);
  const args = ['train', '--config', config, ...sets, '--out', dir, '--backend', opts.backend, '--quiet'];
  if (opts.checkpointSeconds !== undefined) args.push('--checkpoint-seconds', String(opts.checkpointSeconds));
  return args;
}

/**
 * Starts the job in `dir` (absolute). `outcome` settles when the child exits; `child` is absent
 * when the run was already complete. Children get their own process group and stop themselves
 * when their parent dies, so a signal to the parent is forwarded exactly once.
 */
export function startJob(
  dir: string,
  source: JobSource,
  opts: JobRunOptions,
): { child?: ChildProcess; outcome: Promise<JobOutcome> } {
  const state = runState(dir);
  if (state === 'done') return { outcome: Promise.resolve({ status: 'already done', accuracy: readAccuracy(dir) }) };
  if ('yaml' in source) {
    writeFileAtomic(
      path.join(dir, JOB_CONFIG),
      `# written by ctc sweep: this job's config (its run id is a hash of it)\n${source.yaml}`,
    );
  }
  const resumed = state === 'started';
  const args = [...trainArgs(dir, source, opts), ...(resumed ? ['--resume'] : [])];
  const t0 = Date.now();
  const { child, done } = startChild(args, {
    detached: true,
    exitWithParent: true,
    env: threadShareEnv(opts.sideBySide ?? 1),
  });
  const outcome = done.then((r): JobOutcome => {
    const seconds = (Date.now() - t0) / 1000;
    if (r.code === 0 && runState(dir) === 'done')
      return { status: 'done', accuracy: readAccuracy(dir), resumed, seconds };
    // ctc train saves a checkpoint and exits 130/143 on SIGINT/SIGTERM; a signal that arrives
    // before it listens ends it outright, and the checkpoint before stands.
    if (r.code === 130 || r.code === 143 || r.signal === 'SIGINT' || r.signal === 'SIGTERM')
      return { status: 'interrupted', resumed, seconds };
    return { status: 'failed', detail: failureLine(r), resumed, seconds };
  });
  return { child, outcome };
}

/** Why a job's run is not started here: another process (a second sweep, a worker, a ctc train) holds it. */
function runningElsewhere(dir: string): string | undefined {
  const pid = lockHolder(dir);
  return pid === null ? undefined : `running in process ${pid} (another sweep, worker or ctc train); not started here`;
}

export interface PoolJob {
  dir: string;
  source: JobSource;
}

export interface PoolHooks<J extends PoolJob> {
  /** A reason to skip the job without starting it (e.g. its group already failed), or undefined. */
  skip?(job: J): string | undefined;
  started?(job: J): void;
  finished?(job: J, outcome: PoolOutcome, done: number): void;
  /** Called once a second while jobs run, with the directories of the running ones. */
  tick?(running: J[]): void;
  signal?(signal: NodeJS.Signals, running: number): void;
}

export interface PoolResult<J> {
  results: { job: J; outcome: PoolOutcome }[];
  /** The signal that stopped the pool early, if any. */
  stoppedBy: NodeJS.Signals | null;
  wallSeconds: number;
}

const TICK_MS = 1000;

/** Runs `jobs` in order, `opts.sideBySide` at a time; a failed job does not stop the others. */
export async function runPool<J extends PoolJob>(
  jobs: J[],
  opts: JobRunOptions,
  hooks: PoolHooks<J> = {},
): Promise<PoolResult<J>> {
  const lanes = Math.max(1, opts.sideBySide ?? 1);
  const running = new Map<J, ChildProcess>();
  const results: PoolResult<J>['results'] = [];
  const started = Date.now();
  let stoppedBy: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stoppedBy) hooks.signal?.(signal, running.size);
    stoppedBy = signal;
    for (const child of running.values()) child.kill(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const ticker = hooks.tick ? setInterval(() => hooks.tick?.([...running.keys()]), TICK_MS) : undefined;

  let next = 0;
  const lane = async () => {
    while (next < jobs.length && !stoppedBy) {
      const job = jobs[next++];
      const reason = hooks.skip?.(job) ?? runningElsewhere(job.dir);
      let outcome: PoolOutcome;
      if (reason) outcome = { status: 'skipped', detail: reason };
      else {
        const { child, outcome: pending } = startJob(job.dir, job.source, { ...opts, sideBySide: lanes });
        if (child) {
          running.set(job, child);
          hooks.started?.(job);
        }
        outcome = await pending;
        running.delete(job);
      }
      results.push({ job, outcome });
      hooks.finished?.(job, outcome, results.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(lanes, jobs.length) }, lane));
  } finally {
    if (ticker) clearInterval(ticker);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { results, stoppedBy, wallSeconds: (Date.now() - started) / 1000 };
}
