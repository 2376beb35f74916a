// The distributed mode's queue on BullMQ (Redis): what a queued job carries, submitting a sweep
// (idempotent: the job id is the run directory `<sweep>/<id>`, so a second submit adds nothing)
// and reading each job's state back. Loaded only by `sweep submit|status` and `worker`.

import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { UserError } from '../errors.js';
import type { SweepPlan } from './expand.js';
import { jobYaml } from '../run/jobs.js';

export const DEFAULT_QUEUE = 'ctc-sweeps';

/** What a worker needs, and nothing machine-specific: the run dir is relative to the worker's runs root. */
export const jobDataSchema = z
  .object({
    sweep: z.string(),
    id: z.string(),
    runDir: z.string().regex(/^[A-Za-z][A-Za-z0-9._-]*\/[0-9a-f]{12}$/, 'expected <sweep>/<12 hex digits>'),
    label: z.string(),
    /** The job's resolved config (YAML), validated when the sweep was expanded. */
    configYaml: z.string().min(1),
    backend: z.string(),
  })
  .strict();
export type JobData = z.infer<typeof jobDataSchema>;

export interface QueueTarget {
  redis: string;
  queue: string;
}

/** Connects once with a short timeout, so a wrong URL is a one-line error instead of endless retries. */
export async function checkRedis(url: string): Promise<void> {
  if (!/^rediss?:\/\/[^\s]+$/.test(url)) throw new UserError(`--redis: expected redis://host:port, got '${url}'`);
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5000,
    enableOfflineQueue: false,
  });
  let cause = '';
  client.on('error', (err: Error) => (cause ||= err.message)); // more telling than connect()'s "Connection is closed"
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new UserError(`--redis ${url}: cannot connect (${cause || (err as Error).message})`);
  } finally {
    client.disconnect();
  }
}

export function checkQueueName(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new UserError(`--queue: letters, digits, ".", "_" and "-" only, got '${name}'`);
  return name;
}

export async function openQueue(target: QueueTarget): Promise<Queue<JobData>> {
  await checkRedis(target.redis);
  return new Queue<JobData>(checkQueueName(target.queue), { connection: { url: target.redis } });
}

export interface SubmitOptions {
  attempts: number;
  backoffSeconds: number;
  retryFailed: boolean;
}

export async function submitSweep(
  queue: Queue<JobData>,
  plan: SweepPlan,
  opts: SubmitOptions,
): Promise<{ added: number; present: number; retried: number }> {
  let added = 0;
  let present = 0;
  let retried = 0;
  for (const job of plan.jobs) {
    const existing = await queue.getJob(job.runDir);
    if (existing) {
      if (opts.retryFailed && (await existing.getState()) === 'failed') {
        await existing.retry('failed', { resetAttemptsMade: true });
        retried++;
      } else present++;
      continue;
    }
    const data: JobData = {
      sweep: plan.spec.name,
      id: job.id,
      runDir: job.runDir,
      label: job.label,
      configYaml: jobYaml(job.config),
      backend: plan.spec.backend,
    };
    // Adding an id that exists returns the existing job: two submits racing still add it once.
    await queue.add('train', data, {
      jobId: job.runDir,
      attempts: opts.attempts,
      backoff: { type: 'exponential', delay: opts.backoffSeconds * 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
    added++;
  }
  return { added, present, retried };
}

export type SweepJobState = 'queued' | 'running' | 'done' | 'failed' | 'not submitted';

export interface JobStatusRow {
  id: string;
  runDir: string;
  label: string;
  state: SweepJobState;
  /** BullMQ's own state name (waiting, delayed, prioritized, active, completed, failed). */
  queueState: string;
  attempts: number;
  progress: { iteration?: number; total?: number; percent?: number } | null;
  worker: string | null;
  testAccuracy: number | null;
  failedReason: string | null;
}

export async function sweepStatus(queue: Queue<JobData>, plan: SweepPlan): Promise<JobStatusRow[]> {
  const rows: JobStatusRow[] = [];
  for (const job of plan.jobs) {
    const j: Job | undefined = await queue.getJob(job.runDir);
    const queueState = j ? await j.getState() : 'unknown';
    const progress =
      j && typeof j.progress === 'object' && j.progress !== null ? (j.progress as JobStatusRow['progress']) : null;
    rows.push({
      id: job.id,
      runDir: job.runDir,
      label: job.label,
      state: toSweepState(queueState),
      queueState,
      attempts: j?.attemptsMade ?? 0,
      progress,
      worker: j?.processedBy ?? null,
      testAccuracy: typeof j?.returnvalue?.testAccuracy === 'number' ? j.returnvalue.testAccuracy : null,
      failedReason: j?.failedReason || null,
    });
  }
  return rows;
}

function toSweepState(state: string): SweepJobState {
  if (state === 'active') return 'running';
  if (state === 'completed') return 'done';
  if (state === 'failed') return 'failed';
  if (state === 'unknown') return 'not submitted';
  return 'queued'; // waiting, prioritized, delayed (a retry's backoff), waiting-children
}
