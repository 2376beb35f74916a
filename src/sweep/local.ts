// The embedded pool of `ctc sweep run`: N child `ctc train` processes at a time on this machine.
// Complete jobs are skipped, interrupted ones resume, a failed job does not stop the others, and
// a job whose run another process holds is left to it.
// SIGINT/SIGTERM stop starting jobs and are passed once to the running children, which save a
// checkpoint and exit; the next `sweep run` resumes them.

import path from 'node:path';
import { jobYaml, runPool, type PoolOutcome } from '../run/jobs.js';
import { readProgress } from '../run/summary.js';
import { Board, formatDuration } from './board.js';
import type { SweepJob, SweepPlan } from './expand.js';

export interface LocalOptions {
  jobs: number;
  runsRoot: string;
  checkpointSeconds?: number;
  quiet?: boolean;
}

export interface LocalResult {
  job: SweepJob;
  dir: string;
  outcome: PoolOutcome;
}

export interface LocalRun {
  results: LocalResult[];
  /** The signal that stopped the sweep early, if any. */
  stoppedBy: NodeJS.Signals | null;
  wallSeconds: number;
}

export async function runLocal(plan: SweepPlan, opts: LocalOptions): Promise<LocalRun> {
  const { jobs } = plan;
  const board = new Board(Boolean(opts.quiet));
  const started = Date.now();
  const results: LocalResult[] = [];
  let running: { job: SweepJob; dir: string }[] = [];
  const refresh = () => {
    const progress = running.map((r) => {
      const p = readProgress(r.dir);
      return `${r.job.id.slice(0, 6)} ${p ? `${Math.floor((100 * p.iteration) / p.total)}%` : 'starting'}`;
    });
    const failed = results.filter((r) => r.outcome.status === 'failed').length;
    board.update(
      `sweep ${plan.spec.name}: ${results.length}/${jobs.length} finished${failed ? ` (${failed} failed)` : ''}, ${running.length} running` +
        `${progress.length ? `: ${progress.join(', ')}` : ''} · ${formatDuration((Date.now() - started) / 1000)}`,
    );
  };
  const poolJobs = jobs.map((job) => ({
    job,
    dir: path.join(opts.runsRoot, ...job.runDir.split('/')),
    source: { yaml: jobYaml(job.config) },
  }));
  const pool = await runPool(
    poolJobs,
    { backend: plan.spec.backend, checkpointSeconds: opts.checkpointSeconds, sideBySide: opts.jobs },
    {
      started: (j) => {
        running.push(j);
        board.line(`start  ${j.job.id}  ${j.job.label}`);
        refresh();
      },
      finished: (j, outcome) => {
        running = running.filter((r) => r !== j);
        results.push({ job: j.job, dir: j.dir, outcome });
        board.line(`[${results.length}/${jobs.length}] ${j.job.id}  ${describeOutcome(outcome)}  ${j.job.label}`);
        refresh();
      },
      tick: refresh,
      signal: (signal, n) =>
        board.line(
          `${signal}: starting no more jobs; the ${n} running job(s) save a checkpoint and stop (send again to stop at once)`,
        ),
    },
  ).finally(() => board.stop());
  return { results, stoppedBy: pool.stoppedBy, wallSeconds: pool.wallSeconds };
}

export function describeOutcome(o: PoolOutcome): string {
  switch (o.status) {
    case 'skipped':
      return `skipped: ${o.detail}`;
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
