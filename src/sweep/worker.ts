// `ctc worker`: takes sweep jobs from the BullMQ queue and runs each as a child `ctc train` in
// `<runs root>/<sweep>/<id>/` (resuming when an earlier attempt left a checkpoint there),
// reporting its progress to the queue. A failed job is retried by BullMQ with exponential
// backoff; a worker that dies mid-job stops renewing the job's lock, and BullMQ's stalled-job
// check hands the job to another worker, which resumes it from the last checkpoint.
// SIGINT/SIGTERM: take no more jobs, pass the signal to the children (they checkpoint and exit),
// put their jobs back in the queue without spending an attempt, then exit 0.

import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { formatDuration } from './board.js';
import { startJob } from '../run/jobs.js';
import { waitForLockHolder } from '../run/lock.js';
import { readProgress } from '../run/summary.js';
import { describeOutcome } from './local.js';
import { checkQueueName, checkRedis, jobDataSchema, type JobData } from './queue.js';

export interface WorkerOptions {
  redis: string;
  queue: string;
  concurrency: number;
  runsRoot: string;
  checkpointSeconds?: number;
  /** How long a job's lock lives without renewal: how soon a dead worker's job is handed on. */
  lockDurationMs: number;
  /** How often this worker looks for stalled jobs (those whose lock expired). */
  stalledIntervalMs: number;
}

const PROGRESS_MS = 3000;
/** How long to wait for a live local process holding a run's lock (a dying worker's child checkpointing). */
const LOCK_WAIT_MS = 60_000;
/** How many times a job may stall (its worker died) before it counts as failed. */
const MAX_STALLED = 3;

export async function runWorker(opts: WorkerOptions): Promise<number> {
  await checkRedis(opts.redis);
  const name = `${os.hostname()}:${process.pid}`;
  const say = (line: string) => process.stderr.write(`[worker ${name}] ${line}\n`);
  const children = new Map<string, ChildProcess>();
  let stopping: NodeJS.Signals | null = null;

  const processor = async (job: Job<JobData>, token?: string) => {
    const parsed = jobDataSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(
        `job ${job.id}: not a ctc sweep job (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message})`,
      );
    const data = parsed.data;
    const dir = path.resolve(opts.runsRoot, ...data.runDir.split('/'));
    const handBack = async (): Promise<never> => {
      await job.moveToWait(token);
      say(`job ${job.id}: handed back to the queue (${stopping})`);
      throw new WaitingError();
    };
    await waitForLockHolder(dir, LOCK_WAIT_MS, () => stopping !== null);
    if (stopping) return handBack();
    const { child, outcome } = startJob(
      dir,
      { yaml: data.configYaml },
      { backend: data.backend, checkpointSeconds: opts.checkpointSeconds, sideBySide: opts.concurrency },
    );
    if (child) {
      children.set(job.id as string, child);
      say(`job ${job.id}: start (attempt ${job.attemptsMade + 1}/${job.opts.attempts ?? 1}) ${data.label} -> ${dir}`);
      await job.updateProgress({ percent: 0, worker: name }).catch(() => undefined); // progress is news, not state
    }
    const timer = setInterval(() => {
      const p = readProgress(dir);
      if (p)
        job
          .updateProgress({ ...p, percent: Math.floor((100 * p.iteration) / p.total), worker: name })
          .catch(() => undefined);
    }, PROGRESS_MS);
    const result = await outcome.finally(() => {
      clearInterval(timer);
      children.delete(job.id as string);
    });
    if (result.status !== 'failed') say(`job ${job.id}: ${describeOutcome(result)}`); // failures: the 'failed' event says it
    if (result.status === 'done' || result.status === 'already done') {
      await job.updateProgress({ ...readProgress(dir), percent: 100, worker: name }).catch(() => undefined);
      return {
        status: result.status,
        testAccuracy: result.accuracy,
        seconds: 'seconds' in result ? Math.round(result.seconds) : 0,
        worker: name,
      };
    }
    if (result.status === 'interrupted' && stopping) return handBack();
    // Anything else (including a child interrupted by someone else) is a failed attempt: BullMQ retries it with backoff.
    throw new Error(
      result.status === 'failed' ? result.detail : `ctc train was interrupted after ${formatDuration(result.seconds)}`,
    );
  };

  const worker = new Worker<JobData>(checkQueueName(opts.queue), processor, {
    connection: { url: opts.redis },
    name,
    concurrency: opts.concurrency,
    lockDuration: opts.lockDurationMs,
    stalledInterval: opts.stalledIntervalMs,
    maxStalledCount: MAX_STALLED,
    autorun: true,
  });
  worker.on('error', (err) => say(`queue error: ${err.message}`));
  worker.on('failed', (job, err) => {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    say(
      `job ${job.id}: attempt ${job.attemptsMade}/${attempts} failed: ${err.message}${job.attemptsMade < attempts ? '; it will be retried' : '; no attempts left'}`,
    );
  });
  worker.on('stalled', (id) => say(`job ${id}: stalled (its worker stopped renewing the lock); back in the queue`));
  say(
    `taking jobs from queue ${opts.queue} at ${opts.redis}, ${opts.concurrency} at a time; runs in ${path.resolve(opts.runsRoot)}`,
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (s: NodeJS.Signals) => {
      if (stopping) {
        for (const c of children.values()) c.kill(s); // a second signal: the children stop at once
        return;
      }
      stopping = s;
      const running = children.size
        ? `; ${children.size} running job(s) save a checkpoint and go back to the queue (send again to stop at once)`
        : '';
      say(`${s}: taking no more jobs${running}`);
      for (const c of children.values()) c.kill(s);
      resolve(s);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await worker.close();
  say(`stopped (${signal})`);
  return 0;
}
