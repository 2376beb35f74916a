// `ctc worker --redis URL`: one machine's share of a distributed sweep. The work is in
// src/sweep/worker.ts (loaded only here, so other commands never load BullMQ).

import { UserError } from '../errors.js';

export interface WorkerFlags {
  redis: string;
  queue: string;
  concurrency: string;
  runsRoot: string;
  checkpointSeconds?: string;
  lockDurationMs: string;
  stalledIntervalMs: string;
}

/** A positive integer flag, or a one-line error naming it. */
export function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag}: expected a positive integer, got '${text}'`);
  return n;
}

export function positiveNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new UserError(`${flag}: expected a positive number, got '${text}'`);
  return n;
}

export async function workerCommand(flags: WorkerFlags): Promise<number> {
  const opts = {
    redis: flags.redis,
    queue: flags.queue,
    concurrency: positiveInt('--concurrency', flags.concurrency),
    runsRoot: flags.runsRoot,
    checkpointSeconds: positiveNumber('--checkpoint-seconds', flags.checkpointSeconds),
    lockDurationMs: positiveInt('--lock-duration-ms', flags.lockDurationMs),
    stalledIntervalMs: positiveInt('--stalled-interval-ms', flags.stalledIntervalMs),
  };
  const { runWorker } = await import('../sweep/worker.js');
  return runWorker(opts);
}
