// The pure parts of the Slurm path: MaxArraySize, arrays, squeue's lines, sbatch's job id, the job
// script, and the sbatch options from flags over a config file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  arraySpec,
  jobScript,
  maxArraySize,
  parseJobId,
  parseSqueue,
  splitArrays,
  type SlurmOptions,
} from '../../src/sweep/slurm-script.js';
import { slurmOptions } from '../../src/commands/sweep-slurm.js';
import { slurmContext } from '../../src/util/provenance.js';
import { tempDir } from '../cli/helpers.js';

test('MaxArraySize comes from scontrol show config; a sweep larger than it is split into arrays', () => {
  assert.equal(maxArraySize('JobRequeue              = 1\nMaxArraySize            = 4\nMaxJobCount = 10000\n'), 4);
  assert.equal(maxArraySize(''), 1001, "Slurm's default");
  assert.deepEqual(splitArrays(10, 4), [
    [0, 4],
    [4, 4],
    [8, 2],
  ]);
  assert.deepEqual(splitArrays(3, 1001), [[0, 3]]);
  assert.equal(arraySpec(4, 2), '0-3%2');
  assert.equal(arraySpec(1), '0-0');
});

test("squeue's lines: one per task, and a pending array's range expanded", () => {
  const states = parseSqueue('12_0 RUNNING\n12_[1-3,5%2] PENDING\n13_0 COMPLETING\n\n');
  assert.deepEqual(Object.fromEntries(states), {
    '12_0': 'RUNNING',
    '12_1': 'PENDING',
    '12_2': 'PENDING',
    '12_3': 'PENDING',
    '12_5': 'PENDING',
    '13_0': 'COMPLETING',
  });
  assert.equal(parseJobId('4711\n'), '4711');
  assert.equal(parseJobId('4711;cluster2'), '4711');
  assert.equal(parseJobId('Submitted batch job 4711'), null);
});

const OPTS: SlurmOptions = {
  partition: 'cpu',
  time: '2:00:00',
  cpus: 4,
  mem: '8G',
  account: 'lab',
  signal: 'B:USR2@120',
  maxRequeues: 3,
  sbatchArgs: [],
};

test('the job script: sbatch options, explicit set-up, per-run logs appended, the task exec-ed for the signal', () => {
  const script = jobScript(OPTS, {
    sweep: 'lambda',
    node: '/opt/node/bin/node',
    ctcBin: '/opt/ctc/bin/ctc.js',
    ctcVersion: '0.1.0',
    workDir: "/home/o'neil",
    runsRoot: '/shared/runs',
    submitDir: '/shared/runs/lambda/slurm/x',
  });
  for (const line of [
    '#SBATCH --job-name=ctc-lambda',
    '#SBATCH --output=/shared/runs/lambda/slurm/x/array-%A_%a.out',
    '#SBATCH --open-mode=append',
    '#SBATCH --requeue',
    '#SBATCH --signal=B:USR2@120',
    '#SBATCH --cpus-per-task=4',
    '#SBATCH --partition=cpu',
    '#SBATCH --time=2:00:00',
    '#SBATCH --mem=8G',
    '#SBATCH --account=lab',
    "NODE='/opt/node/bin/node'",
    "cd '/home/o'\\''neil'",
    'exec >>"$RUN_DIR/slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.log" 2>&1',
    'exec "$NODE" "$CTC" slurm-task "$SUBMIT_DIR/tasks.json" "$TASK" --max-requeues 3',
  ])
    assert.ok(script.includes(line), line);
  // sbatch reads #SBATCH lines only before the first command
  const firstCommand = script.split('\n').findIndex((l) => l && !l.startsWith('#'));
  assert.ok(
    script
      .split('\n')
      .slice(firstCommand)
      .every((l) => !l.startsWith('#SBATCH')),
  );
});

test('sbatch options: flags over the config file over the defaults; a bad file or value is one clear error', () => {
  const dir = tempDir();
  const file = path.join(dir, 'slurm.yaml');
  fs.writeFileSync(file, 'partition: gpu\ncpus: 2\nsbatchArgs: ["--qos=long"]\n');
  const o = slurmOptions({ runsRoot: 'runs', slurmConfig: file, cpus: '8', sbatchArg: ['--exclusive'] });
  assert.equal(o.partition, 'gpu');
  assert.equal(o.cpus, 8);
  assert.equal(o.signal, 'B:USR2@120');
  assert.equal(o.maxRequeues, 3);
  assert.deepEqual(o.sbatchArgs, ['--qos=long', '--exclusive']);
  fs.writeFileSync(file, 'partiton: gpu\n');
  assert.throws(() => slurmOptions({ runsRoot: 'runs', slurmConfig: file, sbatchArg: [] }), /slurm\.yaml: .*partiton/);
  assert.throws(
    () => slurmOptions({ runsRoot: 'runs', slurmConfig: path.join(dir, 'none.yaml'), sbatchArg: [] }),
    /none\.yaml: no such Slurm config file/,
  );
  assert.throws(() => slurmOptions({ runsRoot: 'runs', signal: 'USR2 at 2', sbatchArg: [] }), /--signal/);
});

test("a run's Slurm context comes from Slurm's variables (none outside Slurm)", () => {
  assert.equal(slurmContext({}), undefined);
  assert.deepEqual(
    slurmContext({
      SLURM_JOB_ID: '17',
      SLURM_ARRAY_JOB_ID: '12',
      SLURM_ARRAY_TASK_ID: '5',
      SLURM_RESTART_COUNT: '2',
      SLURMD_NODENAME: 'n1',
    }),
    { jobId: '17', restartCount: 2, arrayJobId: '12', arrayTaskId: 5, node: 'n1' },
  );
});
