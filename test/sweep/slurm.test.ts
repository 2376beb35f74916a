// The Slurm path end to end on a real one-node Slurm (scripts/slurm-local-up.sh; Debian's
// slurmctld, slurmd, slurm-client and munge, as root): a sweep submitted as an array completes and
// gives the tables of `ctc sweep run`, a second submit adds nothing; a task sent the time-limit
// signal requeues itself, resumes and ends with the numbers of an uninterrupted run; a task that
// keeps reaching its time limit is requeued at most --max-requeues times; sbatch's refusals are one
// clear error. Skipped, saying why, where Slurm cannot be brought up.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ctc, ctcAsync, isCleanError, ROOT, tempDir } from '../cli/helpers.js';

const UP = path.join(ROOT, 'scripts', 'slurm-local-up.sh');
const DOWN = path.join(ROOT, 'scripts', 'slurm-local-down.sh');

function slurmMissing(): string | false {
  if (
    // Installed, not configured: sbatch --version itself fails until a slurm.conf exists.
    spawnSync('sh', ['-c', 'command -v sbatch && (command -v slurmctld || test -x /usr/sbin/slurmctld)']).status !== 0
  )
    return 'Slurm is not installed (Debian: apt-get install slurmctld slurmd slurm-client munge); skipping the Slurm tests';
  if (process.getuid?.() !== 0) return 'the local Slurm needs root; skipping the Slurm tests';
  return false;
}

let skip: string | false = slurmMissing();
let startedHere = false;
before(() => {
  if (skip) return;
  const wasUp = spawnSync('sinfo', ['-h'], { encoding: 'utf8' }).status === 0;
  const up = spawnSync('bash', [UP], { encoding: 'utf8' });
  if (up.status !== 0) skip = `the local Slurm did not come up: ${up.stderr.trim().split('\n').pop()}`;
  startedHere = !wasUp && up.status === 0;
});
after(() => {
  if (startedHere) spawnSync('bash', [DOWN]);
});

const sweepFile = (dir: string, name: string, epochs: number, seeds = '[1]', losses = '[softmax]') => {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `name: ${name}
config: mnist-lenets-softmax.yaml
backend: wasm
set: {dataset.trainLimit: 256, dataset.testLimit: 200, train.batchSize: 64, train.epochs: ${epochs}}
axes:
  loss.name: ${losses}
  seed: ${seeds}
`,
  );
  return file;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `ctc sweep status --slurm --json` until no run is queued or running. */
async function settle(
  dir: string,
  file: string,
  seconds: number,
): Promise<{ state: string; failedReason: string | null }[]> {
  for (let i = 0; i < seconds; i++) {
    const r = ctc(['sweep', 'status', file, '--slurm', '--runs-root', 'runs', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const { jobs } = JSON.parse(r.stdout) as { jobs: { state: string; failedReason: string | null }[] };
    if (jobs.every((j) => j.state !== 'queued' && j.state !== 'running')) return jobs;
    await sleep(1000);
  }
  throw new Error(`sweep ${file} not settled after ${seconds} s`);
}

/** The one run folder of a sweep under `runsRoot`, or undefined before the task made it. */
const findRun = (dir: string, sweep: string, runsRoot = 'runs'): string | undefined => {
  const root = path.join(dir, runsRoot, sweep);
  const id = fs.existsSync(root) ? fs.readdirSync(root).find((f) => /^[0-9a-f]{12}$/.test(f)) : undefined;
  return id === undefined ? undefined : path.join(root, id);
};
const runFolder = (dir: string, sweep: string, runsRoot = 'runs'): string => {
  const run = findRun(dir, sweep, runsRoot);
  assert.ok(run, `no run folder in ${runsRoot}/${sweep}`);
  return run;
};
const summaryOf = (run: string) => JSON.parse(fs.readFileSync(path.join(run, 'summary.json'), 'utf8'));

test(
  'a sweep submitted as a Slurm array completes, a second submit adds nothing, and its tables equal sweep run',
  { skip: skip || undefined, timeout: 240_000 },
  async (t) => {
    if (skip) return t.skip(skip);
    const dir = tempDir();
    const file = sweepFile(dir, 'arr', 2, '[1]', '[softmax, center]');
    const first = ctc(['sweep', 'submit', file, '--slurm', '--runs-root', 'runs', '--throttle', '2'], dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /2 run\(s\) submitted as array job\(s\) \d+, 0 already queued or running, 0 done/);
    const again = ctc(['sweep', 'submit', file, '--slurm', '--runs-root', 'runs'], dir);
    assert.match(again.stdout, /0 run\(s\) submitted, 2 already queued or running, 0 done/);
    // the same sweep here, with the local pool, at the same time
    const local = ctcAsync(['sweep', 'run', file, '--runs-root', 'local', '--out', 'local-tables', '--quiet'], dir);
    const jobs = await settle(dir, file, 180);
    assert.deepEqual(
      jobs.map((j) => j.state),
      ['done', 'done'],
    );
    assert.equal((await local.done).code, 0);
    const third = ctc(['sweep', 'submit', file, '--slurm', '--runs-root', 'runs'], dir);
    assert.match(third.stdout, /0 run\(s\) submitted, 0 already queued or running, 2 done/);
    const evalRun = ctc(['eval', '--runs', 'runs/arr', '--out', 'slurm-tables'], dir);
    assert.equal(evalRun.code, 0, evalRun.stderr);
    const rows = (f: string) =>
      (
        JSON.parse(fs.readFileSync(path.join(dir, f, 'accuracy.json'), 'utf8')).rows as {
          loss: string;
          mean: number;
          n: number;
        }[]
      ).map((r) => [r.loss, r.mean, r.n]);
    assert.deepEqual(rows('slurm-tables'), rows('local-tables'));
    const status = ctc(['sweep', 'status', file, '--slurm', '--runs-root', 'runs'], dir);
    assert.match(status.stdout, /totals: 2 job\(s\): 0 queued, 0 running, 2 done, 0 failed, 0 not submitted/);
    for (const run of fs.readdirSync(path.join(dir, 'runs', 'arr')).filter((f) => /^[0-9a-f]{12}$/.test(f)))
      assert.ok(
        fs.readdirSync(path.join(dir, 'runs', 'arr', run)).some((f) => /^slurm-\d+_\d\.log$/.test(f)),
        'per-task log in the run folder',
      );
  },
);

test(
  'a task sent the time-limit signal checkpoints, requeues itself, resumes and ends with the numbers of an uninterrupted run',
  { skip: skip || undefined, timeout: 240_000 },
  async (t) => {
    if (skip) return t.skip(skip);
    const dir = tempDir();
    const file = sweepFile(dir, 'rq', 24);
    const submit = ctc(['sweep', 'submit', file, '--slurm', '--runs-root', 'runs', '--checkpoint-seconds', '1'], dir);
    assert.equal(submit.code, 0, submit.stderr);
    const arrayJob = /array job\(s\) (\d+)/.exec(submit.stdout)?.[1];
    const local = ctcAsync(['sweep', 'run', file, '--runs-root', 'local', '--out', 'local-tables', '--quiet'], dir);
    // Wait for a checkpoint, then send what sbatch sends before the time limit.
    let run: string | undefined;
    for (let i = 0; i < 480; i++) {
      run = findRun(dir, 'rq');
      if (run && fs.existsSync(path.join(run, 'checkpoints', 'last'))) break;
      await sleep(250);
    }
    assert.ok(run, 'the task made its run folder');
    const signal = spawnSync('scancel', ['--signal=USR2', '--batch', `${arrayJob}_0`], { encoding: 'utf8' });
    assert.equal(signal.status, 0, signal.stderr);
    const jobs = await settle(dir, file, 180);
    assert.deepEqual(
      jobs.map((j) => j.state),
      ['done'],
    );
    assert.equal((await local.done).code, 0);
    const slurm = summaryOf(run);
    const plain = summaryOf(runFolder(dir, 'rq', 'local'));
    assert.equal(slurm.slurm.restartCount, 1, 'ran twice');
    assert.equal(slurm.testAccuracy, plain.testAccuracy);
    const strip = (h: { seconds?: number }[]) => h.map(({ seconds: _s, ...rest }) => rest);
    assert.deepEqual(strip(slurm.history), strip(plain.history), 'the same numbers at every epoch');
    const log = fs.readdirSync(run).filter((f) => f.startsWith('slurm-'));
    assert.equal(log.filter((f) => f.endsWith('.log')).length, 1, 'one log, appended by the requeued task');
    const text = fs.readFileSync(path.join(run, log.find((f) => f.endsWith('.log')) as string), 'utf8');
    assert.match(text, /requeued \d+_0 \(1 of at most 3\)/);
    assert.match(text, /restart 1/);
  },
);

test(
  'a task that keeps reaching its time limit is requeued at most --max-requeues times',
  { skip: skip || undefined, timeout: 300_000 },
  async (t) => {
    if (skip) return t.skip(skip);
    const dir = tempDir();
    const file = sweepFile(dir, 'limit', 5000);
    const args = ['--time', '1', '--signal', 'B:USR2@45', '--max-requeues', '1', '--checkpoint-seconds', '1'];
    const submit = ctc(['sweep', 'submit', file, '--slurm', '--runs-root', 'runs', ...args], dir);
    assert.equal(submit.code, 0, submit.stderr);
    const jobs = await settle(dir, file, 280);
    assert.equal(jobs[0].state, 'failed');
    assert.match(jobs[0].failedReason ?? '', /time limit: not requeued again \(1 requeue\(s\), --max-requeues 1\)/);
    const state = JSON.parse(fs.readFileSync(path.join(runFolder(dir, 'limit'), 'slurm-task.json'), 'utf8'));
    assert.equal(state.requeues, 1);
    assert.equal(state.restartCount, 1);
  },
);

test(
  'an unknown partition or an sbatch refusal is one clear error, and nothing is left submitted',
  { skip: skip || undefined },
  (t) => {
    if (skip) return t.skip(skip);
    const dir = tempDir();
    const file = sweepFile(dir, 'bad', 1);
    const bad = ctc(
      ['sweep', 'submit', file, '--slurm', '--runs-root', 'runs', '--partition', 'no-such-partition'],
      dir,
    );
    assert.ok(isCleanError(bad), bad.stderr);
    assert.match(
      bad.stderr,
      /^ctc: sbatch refused the array of 1 task\(s\): .*invalid partition specified: no-such-partition/,
    );
    const refused = ctc(
      ['sweep', 'submit', file, '--slurm', '--runs-root', 'runs', '--sbatch-arg=--no-such-option'],
      dir,
    );
    assert.ok(isCleanError(refused), refused.stderr);
    assert.ok(!fs.existsSync(path.join(dir, 'runs', 'bad', 'slurm', 'submissions.jsonl')), 'no submission recorded');
  },
);

test(
  'ctc reproduce --slurm submits a profile as one array, a second submit adds nothing, --status lists its runs',
  { skip: skip || undefined },
  (t) => {
    if (skip) return t.skip(skip);
    const dir = tempDir();
    const args = [
      'reproduce',
      '--profile',
      'ci',
      '--seeds',
      '1',
      '--slurm',
      '--runs-root',
      'runs',
      '--partition',
      'debug',
    ];
    const first = ctc(args, dir);
    assert.equal(first.code, 0, first.stderr);
    const [, runs, arrayJob] = /profile ci: (\d+) run\(s\) submitted as array job\(s\) (\d+)/.exec(first.stdout) ?? [];
    try {
      assert.ok(arrayJob && Number(runs) >= 3, first.stdout);
      const again = ctc(args, dir).stdout;
      assert.ok(again.includes(`profile ci: 0 run(s) submitted, ${runs} already queued or running`), again);
      const status = ctc([...args, '--status'], dir);
      assert.match(status.stdout, /^profile ci on Slurm:/);
      for (const config of ['mnist-lenets-softmax', 'mnist-lenets-center', 'mnist-lenets-contrastive-center'])
        assert.match(status.stdout, new RegExp(`${config}/seed-1 +(queued|running) `));
      const script = fs.readFileSync(
        path.join(
          dir,
          'runs',
          'slurm',
          fs.readdirSync(path.join(dir, 'runs', 'slurm')).find((f) => f !== 'submissions.jsonl') as string,
          'job.sh',
        ),
        'utf8',
      );
      assert.match(script, /^#SBATCH --partition=debug$/m);
    } finally {
      if (arrayJob) spawnSync('scancel', [arrayJob]);
    }
  },
);
