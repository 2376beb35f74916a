// `ctc reproduce --profile <ci|cpu|paper>`: runs the profile's grid of paper configs as child
// `ctc train` processes (N at a time, through the job runner of src/run/jobs.ts), skipping runs
// already complete and resuming interrupted ones, then writes the accuracy tables with the
// provenance of the whole reproduction.

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { integerFlag, seedListFlag } from './flags.js';
import { writeTables } from '../report/write-tables.js';
import { loadProfile, planRuns, type PlannedRun, type Profile } from '../reproduce/profile.js';
import { runPaths } from '../run/directory.js';
import { runPool, trainArgs, type PoolJob, type PoolOutcome } from '../run/jobs.js';
import { runState } from '../run/summary.js';
import { failureLine, startChild } from '../util/ctc-child.js';
import { writeFileAtomic } from '../util/atomic.js';
import { gitCommit, machine, PACKAGE_ROOT, versions } from '../util/provenance.js';
import type { SlurmBatch } from '../sweep/slurm.js';
import { batchStatus, submitBatch, type SlurmFlags } from './sweep-slurm.js';

export interface ReproduceFlags extends Partial<SlurmFlags> {
  slurm?: boolean;
  status?: boolean;
  profile: string;
  seeds?: string;
  jobs: string;
  runsRoot?: string;
  out?: string;
  only?: string;
  quiet?: boolean;
}

type Status = PoolOutcome['status'];

/** The seeds of --seeds (a comma-separated list), or undefined for the profile's own. */
export const parseSeeds = (text: string | undefined) => seedListFlag('--seeds', text);

export async function reproduceCommand(flags: ReproduceFlags): Promise<number> {
  const profile = loadProfile(flags.profile);
  const jobs = integerFlag('--jobs', flags.jobs);
  const seeds = seedListFlag('--seeds', flags.seeds);
  const runsRoot = path.resolve(flags.runsRoot ?? path.join('runs', profile.name));
  const out = path.resolve(flags.out ?? path.join('results', profile.name));
  const only = flags.only?.split(',').map((s) => s.trim());
  const plan = planRuns(profile, seeds).filter((r) => !only || only.some((o) => r.folder.includes(o)));
  if (plan.length === 0) throw new UserError(`--only ${flags.only}: no run of profile ${profile.name} matches`);
  if (flags.slurm || flags.status) return reproduceOnSlurm(profile, plan, runsRoot, flags);
  const say = (line: string) => flags.quiet || process.stderr.write(`${line}\n`);
  say(
    `profile ${profile.name}: ${plan.length} run(s), ${jobs} at a time, backend ${profile.backend}; runs in ${runsRoot}`,
  );

  const options = { backend: profile.backend, sideBySide: jobs };
  const poolJobs: (PoolJob & { run: PlannedRun })[] = plan.map((run) => ({
    run,
    dir: path.join(runsRoot, run.folder, `seed-${run.seed}`),
    source: { config: run.config, sets: run.sets },
  }));
  // A group marked optional (e.g. CIFAR-10 when its data is absent) is skipped whole after its first failure.
  const skippedGroups = new Map<number, string>();
  const statuses: { dir: string; status: Status; detail: string; seconds: number }[] = [];
  const pool = await runPool(poolJobs, options, {
    skip: (j) => skippedGroups.get(j.run.group),
    finished: (j, outcome) => {
      let status: Status = outcome.status;
      let detail = describe(outcome);
      const optional = profile.groups[j.run.group].optional;
      if (outcome.status === 'failed' && optional) {
        skippedGroups.set(j.run.group, `${optional}: ${outcome.detail}`);
        fs.rmSync(j.dir, { recursive: true, force: true });
        [status, detail] = ['skipped', skippedGroups.get(j.run.group) as string];
      }
      statuses.push({ dir: j.dir, status, detail, seconds: 'seconds' in outcome ? outcome.seconds : 0 });
      say(
        `[${statuses.length}/${plan.length}] ${path.relative(process.cwd(), j.dir) || '.'}: ${status}${detail ? ` (${detail})` : ''}`,
      );
    },
    signal: (signal, n) =>
      say(
        `${signal}: starting no more runs; the ${n} running run(s) save a checkpoint and stop (ctc reproduce again resumes them)`,
      ),
  });

  if (!pool.stoppedBy) await verifyHeldOut(poolJobs, profile, statuses, say);
  const complete = statuses.filter((r) => r.status === 'done' || r.status === 'already done');
  if (complete.length > 0) {
    const commands = poolJobs.map((j) => trainArgs(j.dir, j.source, options).join(' '));
    const provenance = {
      profile: profile.name,
      description: profile.description,
      profileFile: path.relative(PACKAGE_ROOT, profile.file),
      command: `ctc ${process.argv.slice(2).join(' ')}`,
      commit: gitCommit(),
      backend: profile.backend,
      seeds: seeds ?? profile.seeds,
      budgets: profile.groups.map((g) => ({ configs: g.configs, set: g.set })),
      wallSeconds: Math.round(pool.wallSeconds),
      runs: statuses.map((r) => ({
        dir: path.relative(out, r.dir),
        status: r.status,
        detail: r.detail,
        seconds: Math.round(r.seconds),
      })),
      machine: machine(),
      versions: versions(),
      finishedAt: new Date().toISOString(),
    };
    fs.mkdirSync(out, { recursive: true });
    writeFileAtomic(path.join(out, 'commands.txt'), `${commands.map((c) => `ctc ${c}`).join('\n')}\n`);
    writeTables([runsRoot], out, provenance, flags.quiet);
  }
  const failed = statuses.filter((r) => r.status === 'failed');
  for (const f of failed) process.stderr.write(`failed: ${f.dir}: ${f.detail}\n`);
  const left = plan.length - complete.length - failed.length;
  say(
    `profile ${profile.name}: ${complete.length} complete, ${failed.length} failed, ${left} skipped or not run in ${Math.round(pool.wallSeconds)} s -> ${out}`,
  );
  if (pool.stoppedBy) return pool.stoppedBy === 'SIGINT' ? 130 : 143;
  return failed.length > 0 ? 1 : 0;
}

/**
 * `ctc verify --heldout` on each finished run of the groups that ask for it and have no
 * verification yet (its default --out, beside the run, where the tables read it). A failed
 * verification marks its run failed.
 */
async function verifyHeldOut(
  jobs: (PoolJob & { run: PlannedRun })[],
  profile: Profile,
  statuses: { dir: string; status: Status; detail: string }[],
  say: (line: string) => void,
) {
  const wanted = jobs.filter((j) => profile.groups[j.run.group].verify === 'heldout' && runState(j.dir) === 'done');
  for (const j of wanted.filter((w) => !fs.existsSync(runPaths(w.dir).verification))) {
    const { done } = startChild(['verify', '--run', j.dir, '--heldout', '--backend', profile.backend]);
    const r = await done;
    const line = `verify --heldout ${path.relative(process.cwd(), j.dir) || '.'}`;
    if (r.code === 0) say(`${line}: done`);
    else {
      const status = statuses.find((s) => s.dir === j.dir);
      if (status) Object.assign(status, { status: 'failed', detail: `ctc verify: ${failureLine(r)}` });
      say(`${line}: failed (${failureLine(r)})`);
    }
  }
}

function describe(outcome: PoolOutcome): string {
  switch (outcome.status) {
    case 'done':
      return `${outcome.accuracy.toFixed(2)}%, ${Math.round(outcome.seconds)} s${outcome.resumed ? ', resumed' : ''}`;
    case 'interrupted':
      return `after ${Math.round(outcome.seconds)} s; resumes from its last checkpoint`;
    case 'failed':
    case 'skipped':
      return outcome.detail;
    default:
      return '';
  }
}

/** `--slurm`: the profile's runs as one Slurm array (submitted, then this returns); `--slurm --status`: their state. */
function reproduceOnSlurm(profile: Profile, plan: PlannedRun[], runsRoot: string, flags: ReproduceFlags): number {
  if (!flags.slurm) throw new UserError('--status goes with --slurm (the state of a profile submitted to Slurm)');
  const batch: SlurmBatch = {
    name: profile.name,
    backend: profile.backend,
    slurmDir: path.join(runsRoot, 'slurm'),
    runsRoot,
    tasks: plan.map((run) => ({
      id: `${run.folder}/seed-${run.seed}`,
      label: `${run.folder} seed ${run.seed}`,
      dir: path.join(runsRoot, run.folder, `seed-${run.seed}`),
      source: { config: run.config, sets: run.sets },
    })),
  };
  if (flags.status) return batchStatus(batch, false, 'profile');
  const out = flags.out ?? path.join('results', profile.name);
  return submitBatch(
    batch,
    { ...flags, runsRoot, sbatchArg: flags.sbatchArg ?? [] },
    {
      what: `profile ${profile.name}`,
      status: `ctc reproduce --profile ${flags.profile} --slurm --status${flags.runsRoot ? ` --runs-root ${flags.runsRoot}` : ''}`,
      tables: `ctc eval --runs ${runsRoot} --out ${out}`,
    },
  );
}
