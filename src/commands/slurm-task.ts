// `ctc slurm-task TASKS INDEX`: what one Slurm array task runs (the job script of `ctc sweep submit
// --slurm` execs it). It trains run INDEX of the task list as a child `ctc train`, resuming from the
// run's checkpoint when an earlier attempt left one, and keeps slurm-task.json in the run folder
// (state, node, restart count, a heartbeat). The signal sbatch sends before the time limit
// (--signal=B:USR2@120 by default), or a preemption's, makes the child checkpoint after its
// current step; the task then asks Slurm to requeue itself (that task only), ignores the SIGTERM
// that follows and exits. After --max-requeues such requeues it stops instead. Not for users.

import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { startJob } from '../run/jobs.js';
import { describeOutcome } from '../sweep/local.js';
import { hostName, readTaskState, TASK_STATE, type TaskList, type TaskState } from '../sweep/slurm.js';
import { DEFAULT_MAX_REQUEUES } from '../sweep/slurm-script.js';
import { writeFileAtomic } from '../util/atomic.js';
import { integerFlag } from './flags.js';

const HEARTBEAT_MS = Number(process.env.CTC_SLURM_HEARTBEAT_SECONDS ?? 30) * 1000;
const say = (line: string) => process.stderr.write(`[${new Date().toISOString()}] ctc slurm-task: ${line}\n`);

function readTasks(file: string): TaskList {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as TaskList;
  } catch (err) {
    throw new UserError(`${file}: cannot read the task list (${(err as Error).message})`);
  }
}

/** This task's id for scontrol: ARRAYJOB_TASK inside an array, else the job id. */
function slurmJob(): string {
  const { SLURM_ARRAY_JOB_ID: array, SLURM_ARRAY_TASK_ID: task, SLURM_JOB_ID: job } = process.env;
  return array !== undefined && task !== undefined ? `${array}_${task}` : (job ?? 'none');
}

export async function slurmTaskCommand(
  tasksFile: string,
  index: string,
  flags: { maxRequeues: string },
): Promise<number> {
  const list = readTasks(tasksFile);
  const i = integerFlag('INDEX', index, 0);
  const task = list.tasks[i];
  if (task === undefined) throw new UserError(`${tasksFile}: no task ${i} (${list.tasks.length} tasks)`);
  const maxRequeues = integerFlag('--max-requeues', flags.maxRequeues, 0);
  fs.mkdirSync(task.dir, { recursive: true });

  const job = slurmJob();
  const restartCount = Number(process.env.SLURM_RESTART_COUNT ?? 0);
  let requeues = readTaskState(task.dir)?.requeues ?? 0;
  const record = (state: TaskState['state'], detail?: string) =>
    writeFileAtomic(
      path.join(task.dir, TASK_STATE),
      `${JSON.stringify({ state, job, host: hostName(), restartCount, requeues, heartbeat: new Date().toISOString(), detail } satisfies TaskState, null, 2)}\n`,
    );
  say(`run ${task.id} (${task.label || 'base config'}) in ${task.dir}, job ${job}, restart ${restartCount}`);
  record('running');
  const heartbeat = setInterval(() => record('running'), HEARTBEAT_MS);

  let stopping: NodeJS.Signals | null = null;
  const { child, outcome } = startJob(task.dir, task.source, {
    backend: list.backend,
    checkpointSeconds: list.checkpointSeconds,
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return; // once is enough; after SIGUSR2 the SIGTERM is Slurm ending the job we asked it to requeue
    stopping = signal;
    say(`${signal}: the run saves a checkpoint after its current step`);
    child?.kill('SIGINT');
  };
  process.on('SIGUSR2', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const result = await outcome;
  clearInterval(heartbeat);
  say(describeOutcome(result));
  if (result.status === 'done' || result.status === 'already done') {
    record('done');
    return 0;
  }
  if (result.status === 'failed') {
    record('failed', result.detail);
    return 1;
  }
  const stop = (detail: string, code: number) => {
    record('stopped', detail);
    say(`stopped: ${detail}`);
    return code;
  };
  if (stopping !== 'SIGUSR2')
    return stop(`${stopping ?? 'interrupted'}: cancelled or preempted; resubmit to continue`, 143);
  if (requeues >= maxRequeues)
    return stop(`time limit: not requeued again (${requeues} requeue(s), --max-requeues ${maxRequeues})`, 1);
  const requeue = spawnSync('scontrol', ['requeue', job], { encoding: 'utf8' });
  if (requeue.status !== 0)
    return stop(`scontrol requeue ${job} failed: ${(requeue.stderr ?? requeue.error?.message ?? '').trim()}`, 1);
  requeues++;
  record('requeued', `requeue ${requeues} of at most ${maxRequeues}`);
  say(`requeued ${job} (${requeues} of at most ${maxRequeues}); it resumes from the checkpoint`);
  return 0;
}

export function registerSlurmTaskCommand(program: Command): void {
  program
    .command('slurm-task <tasks> <index>', { hidden: true })
    .description('run one task of a sweep submitted with --slurm (the job script calls it)')
    .option('--max-requeues <n>', 'requeues after a time-limit signal before giving up', String(DEFAULT_MAX_REQUEUES))
    .action(async (tasks: string, index: string, flags: { maxRequeues: string }) => {
      process.exitCode = await slurmTaskCommand(tasks, index, flags);
    });
}
