// `ctc worker --redis URL`: one machine's share of a distributed sweep. The work is in
// src/sweep/worker.ts (loaded only here, so other commands never load BullMQ).

import { integerFlag, positiveNumberFlag } from './flags.js';

export interface WorkerFlags {
  redis: string;
  queue: string;
  concurrency: string;
  runsRoot: string;
  checkpointSeconds?: string;
  lockDurationMs: string;
  stalledIntervalMs: string;
}

export async function workerCommand(flags: WorkerFlags): Promise<number> {
  const opts = {
    redis: flags.redis,
    queue: flags.queue,
    concurrency: integerFlag('--concurrency', flags.concurrency),
    runsRoot: flags.runsRoot,
    checkpointSeconds: positiveNumberFlag('--checkpoint-seconds', flags.checkpointSeconds),
    lockDurationMs: integerFlag('--lock-duration-ms', flags.lockDurationMs),
    stalledIntervalMs: integerFlag('--stalled-interval-ms', flags.stalledIntervalMs),
  };
  const { runWorker } = await import('../sweep/worker.js');
  return runWorker(opts);
}
