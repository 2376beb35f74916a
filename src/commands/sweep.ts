// `ctc sweep plan|run|submit|status` and `ctc worker`: grids of runs from a sweep file, on a local
// pool of child processes (run) or on BullMQ workers across machines (submit, worker, status).
// The distributed code is imported on demand, so other commands never load BullMQ.

import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { expandSweep, type SweepPlan } from '../sweep/expand.js';
import { runState } from '../run/summary.js';
import { formatPlan, formatStatus, statusTotals } from '../sweep/format.js';
import { describeOutcome, runLocal } from '../sweep/local.js';
import { listSweeps, loadSweep } from '../sweep/spec.js';
import { gitCommit, machine, PACKAGE_ROOT, versions } from '../util/provenance.js';
import { writeTables } from '../report/write-tables.js';
import { UserError } from '../errors.js';
import { integerFlag, positiveNumberFlag } from './flags.js';
import { addSlurmOptions, slurmStatusCommand, slurmSubmitCommand, type SlurmFlags } from './sweep-slurm.js';
import { workerCommand } from './worker.js';

const DEFAULT_QUEUE = 'ctc-sweeps'; // also in src/sweep/queue.ts, which this file loads only on demand
const redisOption = () => new Option('--redis <url>', 'Redis server, redis://host:port').env('CTC_REDIS');

/** --redis or --slurm, exactly one. */
function needQueue(flags: { redis?: string; slurm?: boolean }): void {
  if (flags.slurm && flags.redis && !process.env.CTC_REDIS)
    throw new UserError('--slurm and --redis: choose one (Slurm arrays or BullMQ workers)');
  if (!flags.slurm && !flags.redis)
    throw new UserError("--redis <url> (or $CTC_REDIS) or --slurm is required: where the sweep's jobs go");
}
const queueOption = () => new Option('--queue <name>', 'BullMQ queue name').default(DEFAULT_QUEUE);

export function planSweep(file: string): SweepPlan {
  return expandSweep(loadSweep(file));
}

export function planCommand(file: string, flags: { runsRoot: string; json?: boolean }): number {
  const plan = planSweep(file);
  const { spec, jobs } = plan;
  const root = path.resolve(flags.runsRoot);
  const state = (runDir: string) => runState(path.join(root, ...runDir.split('/')));
  if (flags.json) {
    const out = jobs.map((j) => ({
      id: j.id,
      runDir: j.runDir,
      label: j.label,
      assignment: j.assignment,
      sets: j.sets,
      state: state(j.runDir),
    }));
    process.stdout.write(
      `${JSON.stringify({ name: spec.name, file: spec.file, config: spec.configFile, backend: spec.backend, jobs: out }, null, 2)}\n`,
    );
    return 0;
  }
  process.stdout.write(
    formatPlan(
      plan,
      jobs.map((j) => state(j.runDir)),
      { base: shortPath(spec.configFile), runs: path.join(flags.runsRoot, spec.name) },
    ),
  );
  return 0;
}

/** A path as the user would type it: relative below the working folder, configs/... for the project's own. */
function shortPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  if (!rel.startsWith('..')) return rel;
  const own = path.relative(PACKAGE_ROOT, file);
  return own.startsWith('..') ? file : own;
}

interface RunFlags {
  jobs: string;
  runsRoot: string;
  out?: string;
  checkpointSeconds?: string;
  quiet?: boolean;
}

export async function runCommand(file: string, flags: RunFlags): Promise<number> {
  const plan = planSweep(file);
  const { spec } = plan;
  const jobs = integerFlag('--jobs', flags.jobs);
  const runsRoot = path.resolve(flags.runsRoot);
  const out = path.resolve(flags.out ?? path.join('results', spec.name));
  const say = (line: string) => flags.quiet || process.stderr.write(`${line}\n`);
  say(
    `sweep ${spec.name}: ${plan.jobs.length} job(s), ${jobs} at a time, backend ${spec.backend}; runs in ${path.join(runsRoot, spec.name)}`,
  );
  const run = await runLocal(plan, {
    jobs,
    runsRoot,
    checkpointSeconds: positiveNumberFlag('--checkpoint-seconds', flags.checkpointSeconds),
    quiet: flags.quiet,
  });
  const count = (...s: string[]) => run.results.filter((r) => s.includes(r.outcome.status)).length;
  const complete = count('done', 'already done');
  if (complete > 0) {
    const provenance = {
      sweep: spec.name,
      profile: `sweep ${spec.name}`, // the tables' header names the profile field
      description: spec.description,
      sweepFile: path.relative(PACKAGE_ROOT, spec.file),
      baseConfig: path.relative(PACKAGE_ROOT, spec.configFile),
      command: `ctc ${process.argv.slice(2).join(' ')}`,
      commit: gitCommit(),
      backend: spec.backend,
      set: spec.set,
      axes: spec.axes,
      wallSeconds: Math.round(run.wallSeconds),
      runs: run.results.map((r) => ({
        id: r.job.id,
        job: r.job.label,
        dir: path.relative(out, r.dir),
        status: r.outcome.status,
        detail: describeOutcome(r.outcome),
      })),
      machine: machine(),
      versions: versions(),
      finishedAt: new Date().toISOString(),
    };
    fs.mkdirSync(out, { recursive: true });
    writeTables([path.join(runsRoot, spec.name)], out, provenance, flags.quiet);
  }
  const failed = run.results.filter((r) => r.outcome.status === 'failed');
  for (const f of failed)
    process.stderr.write(
      `failed: ${f.job.id} (${f.job.label}): ${describeOutcome(f.outcome).replace(/^FAILED: /, '')}\n  ${f.dir}\n`,
    );
  const notRun = plan.jobs.length - run.results.length;
  say(
    `sweep ${spec.name}: ${complete} complete, ${failed.length} failed, ${count('interrupted', 'skipped') + notRun} not finished in ${Math.round(run.wallSeconds)} s` +
      `${complete > 0 ? ` -> ${out}` : ''}`,
  );
  if (run.stoppedBy) return run.stoppedBy === 'SIGINT' ? 130 : 143;
  return failed.length > 0 ? 1 : 0;
}

export async function submitCommand(
  file: string,
  flags: {
    redis: string;
    queue: string;
    attempts: string;
    backoffSeconds: string;
    retryFailed?: boolean;
    slurm?: boolean;
  } & SlurmFlags,
): Promise<number> {
  needQueue(flags);
  const plan = planSweep(file);
  if (flags.slurm) return slurmSubmitCommand(plan, flags);
  const attempts = integerFlag('--attempts', flags.attempts);
  const backoffSeconds = positiveNumberFlag('--backoff-seconds', flags.backoffSeconds as string);
  const { openQueue, submitSweep } = await import('../sweep/queue.js');
  const queue = await openQueue(flags);
  try {
    const r = await submitSweep(queue, plan, { attempts, backoffSeconds, retryFailed: Boolean(flags.retryFailed) });
    process.stdout.write(
      `sweep ${plan.spec.name}: ${r.added} job(s) added, ${r.present} already in queue ${flags.queue}${r.retried ? `, ${r.retried} failed job(s) re-queued` : ''}\n` +
        `  workers: ctc worker --redis ${flags.redis} --runs-root <shared runs root>; tables: ctc eval --runs <shared runs root>/${plan.spec.name}\n`,
    );
  } finally {
    await queue.close();
  }
  return 0;
}

export async function statusCommand(
  file: string,
  flags: { redis: string; queue: string; json?: boolean; slurm?: boolean; runsRoot: string },
): Promise<number> {
  needQueue(flags);
  const plan = planSweep(file);
  if (flags.slurm) return slurmStatusCommand(plan, flags);
  const { openQueue, sweepStatus } = await import('../sweep/queue.js');
  const queue = await openQueue(flags);
  try {
    const rows = await sweepStatus(queue, plan);
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ sweep: plan.spec.name, queue: flags.queue, totals: statusTotals(rows), jobs: rows }, null, 2)}\n`,
      );
      return 0;
    }
    process.stdout.write(formatStatus(plan.spec.name, flags.queue, rows));
  } finally {
    await queue.close();
  }
  return 0;
}

export function registerSweepCommands(program: Command): void {
  const sweep = program
    .command('sweep')
    .description(
      'grids of runs from a sweep file: a local pool (run), queued for ctc workers or as Slurm arrays (submit, status)',
    )
    .addHelpText('after', SWEEP_HELP);
  const action =
    <A extends unknown[]>(fn: (...a: A) => number | Promise<number>) =>
    async (...a: A) => {
      process.exitCode = await fn(...a);
    };
  sweep
    .command('plan <file>')
    .description('list the jobs of a sweep with their run ids (a hash of each resolved config)')
    .option('--runs-root <dir>', "root of run directories (to show each job's state)", 'runs')
    .option('--json', 'machine-readable')
    .action(action(planCommand));
  sweep
    .command('run <file>')
    .description('run the sweep here, N child ctc train at a time, then write its tables')
    .option('-j, --jobs <n>', 'runs at a time (child processes)', '1')
    .option('--runs-root <dir>', 'runs go to <runs-root>/<sweep name>/<id>/', 'runs')
    .option('-o, --out <dir>', 'where the tables go (default results/<sweep name>)')
    .option('--checkpoint-seconds <s>', "seconds between mid-epoch checkpoints (ctc train's default: 60)")
    .option('-q, --quiet', 'no progress lines')
    .action(action(runCommand));
  const submit = sweep
    .command('submit <file>')
    .description(
      "queue the sweep's jobs on Redis for ctc workers, or as Slurm job arrays (--slurm); a second submit adds nothing",
    )
    .addOption(redisOption())
    .addOption(queueOption())
    .option('--attempts <n>', 'tries per job before it counts as failed', '3')
    .option('--backoff-seconds <s>', 'wait before the first retry; doubles each retry', '30')
    .option('--retry-failed', 'put jobs that failed all their attempts back in the queue')
    .option('--slurm', 'submit sbatch job arrays instead (one task per run) and return')
    .option('--runs-root <dir>', '--slurm: root of run directories, on storage the compute nodes share', 'runs');
  addSlurmOptions(submit).action(action(submitCommand));
  sweep
    .command('status <file>')
    .description('queued / running / done / failed per job of a submitted sweep, and totals')
    .addOption(redisOption())
    .addOption(queueOption())
    .option('--slurm', 'a sweep submitted with --slurm: from squeue and the runs root')
    .option('--runs-root <dir>', '--slurm: root of run directories', 'runs')
    .option('--json', 'machine-readable')
    .action(action(statusCommand));

  program
    .command('worker')
    .description('take sweep jobs from Redis and run them (any number of machines; resumes after crashes)')
    .addOption(redisOption())
    .addOption(queueOption())
    .option('--concurrency <n>', 'jobs at a time on this machine', '1')
    .option('--runs-root <dir>', 'root every worker can write (a shared path); jobs go to <root>/<sweep>/<id>/', 'runs')
    .option('--checkpoint-seconds <s>', "seconds between mid-epoch checkpoints (ctc train's default: 60)")
    .option('--lock-duration-ms <ms>', "job lock lifetime: a dead worker's job is handed on after about this", '30000')
    .option('--stalled-interval-ms <ms>', 'how often to look for jobs of dead workers', '30000')
    .addHelpText(
      'after',
      '\nExample:\n  ctc worker --redis redis://queue-host:6379 --runs-root /shared/runs --concurrency 2\n\nSIGINT/SIGTERM: take no more jobs, checkpoint the running ones and put them back in the queue.',
    )
    .action(action(workerCommand));
}

const SWEEP_HELP = `
Sweep file (YAML; unknown keys are errors):
  name        runs go to <runs-root>/<name>/<id>/    default: the file name
  config      base config: a path or a bare name in configs/ (like --config)
  backend     auto | cuda | tensorflow | wasm | cpu  default auto
  set         {key.path: value}: overrides for every job (the budget)
  axes        {key.path: [values]}: one job per combination
  include     [{key.path: value, ...}]: extra jobs over the base config and set
  exclude     [{axis: value, ...}]: combinations of the axes to leave out

Examples (sweep files: ${listSweeps().join(', ') || 'none'} in configs/sweeps/, or a path):
  ctc sweep plan tiny
  ctc sweep run lambda --jobs 2                 # then: results/lambda/accuracy.md
  ctc sweep submit lambda --redis redis://queue-host:6379
  ctc worker --redis redis://queue-host:6379 --runs-root /shared/runs   # on each machine
  ctc sweep status lambda --redis redis://queue-host:6379
  ctc eval --runs /shared/runs/lambda --out results/lambda
  ctc sweep submit lambda --slurm --runs-root /shared/runs --partition cpu --time 2:00:00 --cpus 4
  ctc sweep status lambda --slurm --runs-root /shared/runs
Local pool, BullMQ and Slurm side by side: docs/sweeps-and-clusters.md`;
