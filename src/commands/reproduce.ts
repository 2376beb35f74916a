// `ctc reproduce --profile <ci|cpu|paper>`: runs the profile's grid of paper configs as child
// `ctc train` processes (N at a time), skipping runs already complete and resuming interrupted
// ones, then writes the accuracy tables with the provenance of the whole reproduction.

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { loadProfile, planRuns, type PlannedRun, type Profile } from '../reproduce/profile.js';
import { writeFileAtomic } from '../util/atomic.js';
import { runChild, threadShareEnv } from '../util/ctc-child.js';
import { gitCommit, machine, PACKAGE_ROOT, versions } from '../util/provenance.js';
import { writeTables } from './eval.js';

export interface ReproduceFlags {
  profile: string;
  seeds?: string;
  jobs: string;
  runsRoot?: string;
  out?: string;
  only?: string;
  quiet?: boolean;
}

type RunStatus = { run: PlannedRun; dir: string; status: 'done' | 'skipped' | 'failed' | 'already done'; detail: string; seconds: number };

export function parseSeeds(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) throw new UserError(`--seeds: expected a comma-separated list of integers, got '${text}'`);
  return seeds.map(Number);
}

export async function reproduceCommand(flags: ReproduceFlags): Promise<number> {
  const profile = loadProfile(flags.profile);
  const jobs = Number(flags.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`--jobs: expected a positive integer, got '${flags.jobs}'`);
  const seeds = parseSeeds(flags.seeds);
  const runsRoot = path.resolve(flags.runsRoot ?? path.join('runs', profile.name));
  const out = path.resolve(flags.out ?? path.join('results', profile.name));
  const only = flags.only?.split(',').map((s) => s.trim());
  const plan = planRuns(profile, seeds).filter((r) => !only || only.some((o) => r.folder.includes(o)));
  if (plan.length === 0) throw new UserError(`--only ${flags.only}: no run of profile ${profile.name} matches`);
  const say = (line: string) => flags.quiet || process.stderr.write(`${line}\n`);
  say(`profile ${profile.name}: ${plan.length} run(s), ${jobs} at a time, backend ${profile.backend}; runs in ${runsRoot}`);

  const started = Date.now();
  const skippedGroups = new Map<number, string>();
  const results: RunStatus[] = [];
  let next = 0;
  const worker = async () => {
    while (next < plan.length) {
      const run = plan[next++];
      const result = await execute(run, profile, runsRoot, skippedGroups, jobs);
      results.push(result);
      say(`[${results.length}/${plan.length}] ${path.relative(process.cwd(), result.dir) || '.'}: ${result.status}${result.detail ? ` (${result.detail})` : ''}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, plan.length) }, worker));
  const wallSeconds = (Date.now() - started) / 1000;

  const complete = results.filter((r) => r.status === 'done' || r.status === 'already done');
  if (complete.length > 0) {
    const commands = plan.map((r) => trainArgs(r, profile, runDir(runsRoot, r)).join(' '));
    const provenance = {
      profile: profile.name,
      description: profile.description,
      profileFile: path.relative(PACKAGE_ROOT, profile.file),
      command: `ctc ${process.argv.slice(2).join(' ')}`,
      commit: gitCommit(),
      backend: profile.backend,
      seeds: seeds ?? profile.seeds,
      budgets: profile.groups.map((g) => ({ configs: g.configs, set: g.set })),
      wallSeconds: Math.round(wallSeconds),
      runs: results.map((r) => ({ dir: path.relative(out, r.dir), status: r.status, detail: r.detail, seconds: Math.round(r.seconds) })),
      machine: machine(),
      versions: versions(),
      finishedAt: new Date().toISOString(),
    };
    fs.mkdirSync(out, { recursive: true });
    writeFileAtomic(path.join(out, 'commands.txt'), `${commands.map((c) => `ctc ${c}`).join('\n')}\n`);
    writeTables([runsRoot], out, provenance, flags.quiet);
  }
  const failed = results.filter((r) => r.status === 'failed');
  for (const f of failed) process.stderr.write(`failed: ${f.dir}: ${f.detail}\n`);
  say(`profile ${profile.name}: ${complete.length} complete, ${failed.length} failed, ${results.length - complete.length - failed.length} skipped in ${Math.round(wallSeconds)} s -> ${out}`);
  return failed.length > 0 ? 1 : 0;
}

function runDir(root: string, run: PlannedRun): string {
  return path.join(root, run.folder, `seed-${run.seed}`);
}

function trainArgs(run: PlannedRun, profile: Profile, dir: string): string[] {
  return ['train', '--config', run.config, ...run.sets.flatMap((s) => ['--set', s]), '--out', dir, '--backend', profile.backend, '--quiet'];
}

async function execute(run: PlannedRun, profile: Profile, root: string, skippedGroups: Map<number, string>, jobs: number): Promise<RunStatus> {
  const dir = runDir(root, run);
  const t0 = Date.now();
  const status = (s: RunStatus['status'], detail = ''): RunStatus => ({ run, dir, status: s, detail, seconds: (Date.now() - t0) / 1000 });
  if (fs.existsSync(path.join(dir, 'summary.json'))) return status('already done');
  const skip = skippedGroups.get(run.group);
  if (skip) return status('skipped', skip);
  const args = trainArgs(run, profile, dir);
  if (fs.existsSync(path.join(dir, 'config.resolved.yaml'))) args.push('--resume');
  const { code, stderr } = await runChild(args, { env: threadShareEnv(jobs) });
  if (code === 0) {
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { testAccuracy: number };
    return status('done', `${summary.testAccuracy.toFixed(2)}%, ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  const line = stderr.trim().split('\n').pop() ?? `exit ${code}`;
  const optional = profile.groups[run.group].optional;
  if (optional) {
    skippedGroups.set(run.group, `${optional}: ${line.replace(/^ctc: /, '')}`);
    fs.rmSync(dir, { recursive: true, force: true });
    return status('skipped', skippedGroups.get(run.group) as string);
  }
  return status('failed', line.replace(/^ctc: /, ''));
}
