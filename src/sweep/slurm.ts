// Sweeps on a Slurm cluster: `ctc sweep submit --slurm` writes a job script and a task list into
// the runs root and submits one sbatch array per MaxArraySize tasks, then returns; each task runs
// `ctc slurm-task` (src/commands/slurm-task.ts), which trains its run and keeps a state file in the
// run folder. The sweep's state lives in the runs root and in squeue, never in a process that must
// stay alive: status reads both, and a second submit adds only the runs neither done nor queued.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { jobYaml, type JobSource } from '../run/jobs.js';
import { readAccuracy, readProgress, runState } from '../run/summary.js';
import { writeFileAtomic } from '../util/atomic.js';
import { CTC_BIN } from '../util/ctc-child.js';
import { gitCommit, versions } from '../util/provenance.js';
import type { SweepPlan } from './expand.js';
import type { JobStatusRow } from './queue.js';
import {
  arraySpec,
  jobScript,
  maxArraySize,
  parseJobId,
  parseSqueue,
  splitArrays,
  type SlurmOptions,
} from './slurm-script.js';

/** One run of a submission's task list (tasks.json), read by `ctc slurm-task`. */
export interface SlurmTask {
  id: string;
  label: string;
  /** The run folder, absolute. */
  dir: string;
  source: JobSource;
}

export interface TaskList {
  sweep: string;
  backend: string;
  checkpointSeconds?: number;
  tasks: SlurmTask[];
}

/** What a task writes into its run folder (slurm-task.json) as it goes. */
export interface TaskState {
  state: 'running' | 'done' | 'failed' | 'requeued' | 'stopped';
  job: string;
  host: string;
  restartCount: number;
  /** Requeues this task asked for itself (capped by --max-requeues). */
  requeues: number;
  heartbeat: string;
  detail?: string;
}

export const TASK_STATE = 'slurm-task.json';
const SUBMISSIONS = 'submissions.jsonl';

interface Submission {
  arrayJobId: string;
  size: number;
  /** The run ids of the array's tasks, in index order. */
  ids: string[];
  submitDir: string;
  at: string;
}

/** Runs a Slurm client command; a missing command is one clear error. */
function slurm(command: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new UserError(`${command} not found: --slurm needs Slurm's client commands (apt-get install slurm-client)`);
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').trim() };
}

/** squeue's state of each live task of this sweep's arrays, by "ARRAYJOB_TASK". */
function liveTasks(sweep: string): Map<string, string> {
  const q = slurm('squeue', ['-h', '-r', `--name=ctc-${sweep}`, '-o', '%i %T']);
  if (!q.ok) throw new UserError(`squeue failed: ${q.stderr.split('\n')[0] || 'no message'}`);
  return parseSqueue(q.stdout);
}

function readSubmissions(slurmDir: string): Submission[] {
  const file = path.join(slurmDir, SUBMISSIONS);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Submission);
}

/** The squeue state of each run id that is queued or running in one of the sweep's arrays. */
function activeRuns(sweep: string, slurmDir: string): Map<string, { state: string; task: string }> {
  const live = liveTasks(sweep);
  const active = new Map<string, { state: string; task: string }>();
  for (const s of readSubmissions(slurmDir))
    s.ids.forEach((id, i) => {
      const task = `${s.arrayJobId}_${i}`;
      const state = live.get(task);
      if (state) active.set(id, { state, task });
    });
  return active;
}

export function readTaskState(dir: string): TaskState | null {
  const file = path.join(dir, TASK_STATE);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as TaskState) : null;
}

export interface SlurmSubmitResult {
  submitted: number;
  active: number;
  done: number;
  arrays: string[];
  submitDir: string | null;
}

/** A sweep's or a profile's runs as Slurm tasks; the submissions are kept in `slurmDir`. */
export interface SlurmBatch {
  name: string;
  backend: string;
  tasks: SlurmTask[];
  slurmDir: string;
  /** The runs root as the user gave it, for the script's resubmit line. */
  runsRoot: string;
}

/** A sweep plan as a batch: one task per job, in `<runs root>/<sweep>/<id>/`. */
export function sweepBatch(plan: SweepPlan, runsRoot: string): SlurmBatch {
  const name = plan.spec.name;
  return {
    name,
    backend: plan.spec.backend,
    slurmDir: path.join(runsRoot, name, 'slurm'),
    runsRoot,
    tasks: plan.jobs.map((j) => ({
      id: j.id,
      label: j.label,
      dir: path.join(runsRoot, ...j.runDir.split('/')),
      source: { yaml: jobYaml(j.config) },
    })),
  };
}

/** Submits the batch's runs that are neither done nor queued or running, as sbatch arrays. */
export function submitSlurm(batch: SlurmBatch, opts: SlurmOptions, checkpointSeconds?: number): SlurmSubmitResult {
  const { name: sweep, slurmDir } = batch;
  const active = activeRuns(sweep, slurmDir);
  const isDone = new Set(batch.tasks.filter((t) => runState(t.dir) === 'done').map((t) => t.id));
  const todo = batch.tasks.filter((t) => !isDone.has(t.id) && !active.has(t.id));
  if (todo.length === 0) return { submitted: 0, active: active.size, done: isDone.size, arrays: [], submitDir: null };

  const submitDir = path.join(slurmDir, new Date().toISOString().replace(/[:.]/g, '-'));
  fs.mkdirSync(submitDir, { recursive: true });
  const list: TaskList = { sweep, backend: batch.backend, checkpointSeconds, tasks: todo };
  writeFileAtomic(path.join(submitDir, 'tasks.json'), `${JSON.stringify(list, null, 2)}\n`);
  writeFileAtomic(path.join(submitDir, 'dirs.txt'), `${list.tasks.map((t) => t.dir).join('\n')}\n`);
  const script = path.join(submitDir, 'job.sh');
  writeFileAtomic(
    script,
    jobScript(opts, {
      sweep,
      node: process.execPath,
      ctcBin: CTC_BIN,
      ctcVersion: `${versions().ctc} (commit ${gitCommit()})`,
      workDir: process.cwd(),
      runsRoot: batch.runsRoot,
      submitDir,
    }),
  );
  fs.chmodSync(script, 0o755);

  const config = slurm('scontrol', ['show', 'config']);
  const arrays: string[] = [];
  for (const [offset, size] of splitArrays(todo.length, maxArraySize(config.stdout))) {
    const r = slurm('sbatch', [
      '--parsable',
      `--array=${arraySpec(size, opts.throttle)}`,
      ...opts.sbatchArgs,
      script,
      String(offset),
    ]);
    const id = r.ok ? parseJobId(r.stdout) : null;
    if (id === null) {
      if (arrays.length === 0) fs.rmSync(submitDir, { recursive: true, force: true }); // nothing submitted from it
      const why = r.stderr.split('\n').find((l) => /error/i.test(l)) ?? (r.stderr.split('\n')[0] || r.stdout.trim());
      const before = arrays.length ? ` (arrays ${arrays.join(', ')} were submitted before it)` : '';
      throw new UserError(`sbatch refused the array of ${size} task(s)${before}: ${why || 'no message'}`);
    }
    arrays.push(id);
    const record: Submission = {
      arrayJobId: id,
      size,
      ids: todo.slice(offset, offset + size).map((t) => t.id),
      submitDir,
      at: new Date().toISOString(),
    };
    fs.appendFileSync(path.join(slurmDir, SUBMISSIONS), `${JSON.stringify(record)}\n`);
  }
  return { submitted: todo.length, active: active.size, done: isDone.size, arrays, submitDir };
}

/** One status row per run: done from its folder, queued or running from squeue, else its task state. */
export function slurmStatus(batch: SlurmBatch): JobStatusRow[] {
  const active = activeRuns(batch.name, batch.slurmDir);
  return batch.tasks.map((t) => {
    const task = readTaskState(t.dir);
    const live = active.get(t.id);
    const run = runState(t.dir);
    const state: JobStatusRow['state'] =
      run === 'done'
        ? 'done'
        : live?.state === 'RUNNING' || live?.state === 'COMPLETING'
          ? 'running'
          : live
            ? 'queued'
            : task?.state === 'failed' || task?.state === 'stopped'
              ? 'failed'
              : 'not submitted';
    const progress = readProgress(t.dir);
    return {
      id: t.id,
      runDir: path.relative(path.dirname(batch.slurmDir), t.dir),
      label: t.label,
      state,
      queueState: live?.state ?? task?.state ?? 'none',
      attempts: task ? task.restartCount + 1 : 0,
      progress: progress ? { ...progress, percent: Math.floor((100 * progress.iteration) / progress.total) } : null,
      worker: live?.task ?? task?.job ?? null,
      testAccuracy: run === 'done' ? readAccuracy(t.dir) : null,
      failedReason: state === 'failed' ? (task?.detail ?? task?.state ?? null) : null,
    };
  });
}

/** The host name a task records (the node it ran on). */
export const hostName = (): string => process.env.SLURMD_NODENAME ?? os.hostname();
