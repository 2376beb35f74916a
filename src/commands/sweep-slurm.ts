// `ctc sweep submit|status NAME --slurm`: the sbatch options from flags over a config file's
// defaults, then submit-and-detach (src/sweep/slurm.ts) or the status table from squeue and the
// runs root.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import YAML from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { formatStatus, statusTotals } from '../sweep/format.js';
import { slurmStatus, submitSlurm, sweepBatch, type SlurmBatch } from '../sweep/slurm.js';
import { DEFAULT_MAX_REQUEUES, DEFAULT_SIGNAL, type SlurmOptions } from '../sweep/slurm-script.js';
import type { SweepPlan } from '../sweep/expand.js';
import { collect, integerFlag, positiveNumberFlag } from './flags.js';

export interface SlurmFlags {
  runsRoot: string;
  slurmConfig?: string;
  partition?: string;
  time?: string;
  cpus?: string;
  mem?: string;
  account?: string;
  throttle?: string;
  signal?: string;
  maxRequeues?: string;
  sbatchArg: string[];
  checkpointSeconds?: string;
}

const fileSchema = z
  .object({
    partition: z.string().min(1),
    time: z.string().min(1),
    cpus: z.number().int().positive(),
    mem: z.string().min(1),
    account: z.string().min(1),
    throttle: z.number().int().positive(),
    signal: z.string().min(1),
    maxRequeues: z.number().int().nonnegative(),
    sbatchArgs: z.array(z.string()),
  })
  .partial()
  .strict();

/** The defaults file: --slurm-config, else $CTC_SLURM_CONFIG, else ~/.config/ctc/slurm.yaml when it exists. */
function readDefaults(explicit?: string): z.infer<typeof fileSchema> {
  const file = explicit ?? process.env.CTC_SLURM_CONFIG ?? path.join(os.homedir(), '.config', 'ctc', 'slurm.yaml');
  if (!fs.existsSync(file)) {
    if (explicit ?? process.env.CTC_SLURM_CONFIG) throw new UserError(`${file}: no such Slurm config file`);
    return {};
  }
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new UserError(`${file}: not YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`${file}: ${issue.path.join('.') || 'keys'}: ${issue.message}`);
  }
  return parsed.data;
}

export function slurmOptions(flags: SlurmFlags): SlurmOptions {
  const d = readDefaults(flags.slurmConfig);
  const int = (name: string, v: string | undefined, min: number) =>
    v === undefined ? undefined : integerFlag(name, v, min);
  const signal = flags.signal ?? d.signal ?? DEFAULT_SIGNAL;
  if (!/^(B:)?(R:)?[A-Z0-9]+(@\d+)?$/.test(signal))
    throw new UserError(
      `--signal: expected [B:]SIGNAL[@SECONDS] as sbatch takes it (e.g. ${DEFAULT_SIGNAL}), got '${signal}'`,
    );
  return {
    partition: flags.partition ?? d.partition,
    time: flags.time ?? d.time,
    cpus: int('--cpus', flags.cpus, 1) ?? d.cpus,
    mem: flags.mem ?? d.mem,
    account: flags.account ?? d.account,
    throttle: int('--throttle', flags.throttle, 1) ?? d.throttle,
    signal,
    maxRequeues: int('--max-requeues', flags.maxRequeues, 0) ?? d.maxRequeues ?? DEFAULT_MAX_REQUEUES,
    sbatchArgs: [...(d.sbatchArgs ?? []), ...flags.sbatchArg],
  };
}

/** Submits a batch (a sweep's or a profile's runs) and says what happened and what to run next. */
export function submitBatch(
  batch: SlurmBatch,
  flags: SlurmFlags,
  next: { what: string; status: string; tables: string },
): number {
  const opts = slurmOptions(flags);
  const checkpointSeconds = positiveNumberFlag('--checkpoint-seconds', flags.checkpointSeconds);
  const r = submitSlurm(batch, opts, checkpointSeconds);
  process.stdout.write(
    `${next.what}: ${r.submitted} run(s) submitted${r.arrays.length ? ` as array job(s) ${r.arrays.join(', ')}` : ''}, ` +
      `${r.active} already queued or running, ${r.done} done\n` +
      (r.submitDir ? `  job script: ${path.join(r.submitDir, 'job.sh')}\n` : '') +
      `  status: ${next.status}; tables: ${next.tables}\n`,
  );
  return 0;
}

/** The status table (or JSON) of a batch submitted with --slurm. */
export function batchStatus(batch: SlurmBatch, json?: boolean, what = 'sweep'): number {
  const rows = slurmStatus(batch);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ sweep: batch.name, queue: 'slurm', totals: statusTotals(rows), jobs: rows }, null, 2)}\n`,
    );
    return 0;
  }
  process.stdout.write(formatStatus(batch.name, 'slurm', rows, what));
  return 0;
}

/** The sbatch options of `ctc sweep submit --slurm` and `ctc reproduce --slurm`. */
export function addSlurmOptions(command: Command): Command {
  return command
    .option('--partition <name>', '--slurm: sbatch --partition')
    .option(
      '--time <limit>',
      '--slurm: sbatch --time per task, e.g. 4:00:00 (a task past it checkpoints and requeues itself)',
    )
    .option('--cpus <n>', '--slurm: sbatch --cpus-per-task')
    .option('--mem <size>', '--slurm: sbatch --mem, e.g. 8G')
    .option('--account <name>', '--slurm: sbatch --account')
    .option('--throttle <n>', '--slurm: at most n tasks of the array at a time (--array=0-N%n)')
    .option('--signal <spec>', `--slurm: the signal before the time limit (default ${DEFAULT_SIGNAL})`)
    .option(
      '--max-requeues <n>',
      `--slurm: requeues after time-limit signals before a task gives up (default ${DEFAULT_MAX_REQUEUES})`,
    )
    .option(
      '--sbatch-arg <arg>',
      '--slurm: an extra sbatch argument, e.g. --sbatch-arg=--qos=long (repeatable)',
      collect,
      [],
    )
    .option(
      '--slurm-config <file>',
      '--slurm: YAML defaults for these options (default $CTC_SLURM_CONFIG or ~/.config/ctc/slurm.yaml)',
    )
    .option('--checkpoint-seconds <s>', "--slurm: seconds between mid-epoch checkpoints (ctc train's default: 60)");
}

export function slurmSubmitCommand(plan: SweepPlan, flags: SlurmFlags): number {
  const name = plan.spec.name;
  return submitBatch(sweepBatch(plan, path.resolve(flags.runsRoot)), flags, {
    what: `sweep ${name}`,
    status: `ctc sweep status ${name} --slurm --runs-root ${flags.runsRoot}`,
    tables: `ctc eval --runs ${path.join(flags.runsRoot, name)}`,
  });
}

export function slurmStatusCommand(plan: SweepPlan, flags: { runsRoot: string; json?: boolean }): number {
  return batchStatus(sweepBatch(plan, path.resolve(flags.runsRoot)), flags.json);
}
