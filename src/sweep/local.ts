// The embedded pool of `ctc sweep run`: N child `ctc train` processes at a time on this machine.
// Complete jobs are skipped, interrupted ones resume, a failed job does not stop the others.
// SIGINT/SIGTERM stop starting jobs and are passed once to the running children, which save a
// checkpoint and exit; the next `sweep run` resumes them.

import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Board, formatDuration } from './board.js';
import type { SweepJob, SweepPlan } from './expand.js';
import { jobYaml, readProgress, startJob, type JobOutcome } from './job-run.js';

export interface LocalOptions {
  jobs: number;
  runsRoot: string;
  checkpointSeconds?: number;
  quiet?: boolean;
}

export interface LocalResult {
  job: SweepJob;
  dir: string;
  outcome: JobOutcome;
}

export interface LocalRun {
  results: LocalResult[];
  /** The signal that stopped the sweep early, if any. */
  stoppedBy: NodeJS.Signals | null;
  wallSeconds: number;
}

const REFRESH_MS = 1000;

export async function runLocal(plan: SweepPlan, opts: LocalOptions): Promise<LocalRun> {
  const { jobs } = plan;
  const board = new Board(Boolean(opts.quiet));
  const running = new Map<string, { job: SweepJob; dir: string; child?: ChildProcess }>();
  const results: LocalResult[] = [];
  const started = Date.now();
  let stoppedBy: NodeJS.Signals | null = null;

  const onSignal = (signal: NodeJS.Signals) => {
    if (!stoppedBy) board.line(`${signal}: starting no more jobs; the ${running.size} running job(s) save a checkpoint and stop (send again to stop at once)`);
    stoppedBy = signal;
    for (const r of running.values()) r.child?.kill(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const count = (s: JobOutcome['status']) => results.filter((r) => r.outcome.status === s).length;
  const refresh = () => {
    const progress = [...running.values()].map((r) => {
      const p = readProgress(r.dir);
      return `${r.job.id.slice(0, 6)} ${p ? `${Math.floor((100 * p.iteration) / p.total)}%` : 'starting'}`;
    });
    const failed = count('failed');
    board.update(
      `sweep ${plan.spec.name}: ${results.length}/${jobs.length} finished${failed ? ` (${failed} failed)` : ''}, ${running.size} running` +
        `${progress.length ? `: ${progress.join(', ')}` : ''} · ${formatDuration((Date.now() - started) / 1000)}`,
    );
  };
  const ticker = setInterval(refresh, REFRESH_MS);

  let next = 0;
  const lane = async () => {
    while (next < jobs.length && !stoppedBy) {
      const job = jobs[next++];
      const dir = path.join(opts.runsRoot, ...job.runDir.split('/'));
      const { child, outcome: pending } = startJob(dir, jobYaml(job.config), { backend: plan.spec.backend, checkpointSeconds: opts.checkpointSeconds, sideBySide: opts.jobs });
      if (child) {
        running.set(job.id, { job, dir, child });
        board.line(`start  ${job.id}  ${job.label}`);
        refresh();
      }
      const outcome = await pending;
      running.delete(job.id);
      results.push({ job, dir, outcome });
      board.line(`[${results.length}/${jobs.length}] ${job.id}  ${describeOutcome(outcome)}  ${job.label}`);
      refresh();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.jobs, jobs.length) }, lane));
  } finally {
    clearInterval(ticker);
    board.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { results, stoppedBy, wallSeconds: (Date.now() - started) / 1000 };
}

export function describeOutcome(o: JobOutcome): string {
  switch (o.status) {
    case 'already done':
      return `already done (${o.accuracy.toFixed(2)}%)`;
    case 'done':
      return `done ${o.accuracy.toFixed(2)}% in ${formatDuration(o.seconds)}${o.resumed ? ' (resumed)' : ''}`;
    case 'interrupted':
      return `interrupted after ${formatDuration(o.seconds)} (resumes from its last checkpoint)`;
    case 'failed':
      return `FAILED: ${o.detail}`;
  }
}
