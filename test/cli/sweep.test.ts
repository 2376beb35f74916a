// `ctc sweep` end to end in a temporary folder: plan ids that never change, the local pool with
// one job failing at run time (reported at the end, non-zero exit, the others complete), a second
// run skipping the complete jobs, a job whose run another process holds left to it, and one-line
// errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ctc, isCleanError, tempDir } from './helpers.js';

interface PlanJson {
  name: string;
  jobs: { id: string; runDir: string; label: string; state: string }[];
}

test('sweep plan: the same sweep always gives the same run ids', () => {
  const dir = tempDir();
  const plan = () => {
    const r = ctc(['sweep', 'plan', 'tiny', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as PlanJson;
  };
  const first = plan();
  assert.deepEqual(plan(), first);
  assert.equal(first.jobs.length, 2);
  assert.ok(first.jobs.every((j) => /^[0-9a-f]{12}$/.test(j.id) && j.runDir === `tiny/${j.id}` && j.state === 'new'));
  // The same sweep written differently (key order, another file, the same name) maps to the same runs.
  fs.writeFileSync(
    path.join(dir, 'other.yaml'),
    'axes: {seed: [1], loss.name: [softmax, center]}\nname: tiny\nbackend: wasm\nconfig: mnist-lenets-softmax.yaml\n' +
      'set: {train.epochs: 2, train.batchSize: 64, dataset.testLimit: 200, dataset.trainLimit: 256}\n',
  );
  const other = ctc(['sweep', 'plan', 'other.yaml', '--json'], dir);
  assert.equal(other.code, 0, other.stderr);
  assert.deepEqual(
    (JSON.parse(other.stdout) as PlanJson).jobs.map((j) => j.id).sort(),
    first.jobs.map((j) => j.id).sort(),
  );
  const text = ctc(['sweep', 'plan', 'tiny'], dir);
  assert.match(text.stdout, /^sweep tiny: 2 job\(s\) = 2 \(loss\.name\) x 1 \(seed\)/);
  for (const j of first.jobs) assert.match(text.stdout, new RegExp(`${j.id} +new +${j.label}`));
});

test('sweep run --jobs 2: a failing job is reported at the end, the others complete; a second run skips them', () => {
  const dir = tempDir();
  // train.batchSize 512 passes validation but fails at run time: 256 training images give no full batch.
  fs.writeFileSync(
    path.join(dir, 'local.yaml'),
    'name: local\nconfig: mnist-lenets-softmax.yaml\nbackend: wasm\n' +
      'set: {dataset.trainLimit: 256, dataset.testLimit: 200, train.batchSize: 64, train.epochs: 2}\n' +
      'axes: {loss.name: [softmax, center]}\ninclude:\n  - {train.batchSize: 512}\n',
  );
  const plan = JSON.parse(ctc(['sweep', 'plan', 'local.yaml', '--json'], dir).stdout) as PlanJson;
  const bad = plan.jobs.find((j) => j.label === 'train.batchSize=512') as PlanJson['jobs'][number];
  const good = plan.jobs.filter((j) => j !== bad);

  const run = ctc(['sweep', 'run', 'local.yaml', '--jobs', '2', '--runs-root', 'runs', '--out', 'results'], dir);
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stderr,
    new RegExp(`failed: ${bad.id} \\(train\\.batchSize=512\\): batch size 512 is larger than the 256 examples`),
  );
  assert.match(run.stderr, /sweep local: 2 complete, 1 failed, 0 not finished/);
  for (const j of good) {
    assert.match(run.stderr, new RegExp(`${j.id}  done \\d+\\.\\d\\d% in \\d+s  ${j.label}`));
    assert.ok(fs.existsSync(path.join(dir, 'runs', 'local', j.id, 'summary.json')));
    assert.ok(fs.existsSync(path.join(dir, 'runs', 'local', j.id, 'sweep-job.yaml')));
  }
  const table = JSON.parse(fs.readFileSync(path.join(dir, 'results', 'accuracy.json'), 'utf8'));
  assert.deepEqual(table.rows.map((r: { loss: string }) => r.loss).sort(), ['center', 'softmax']);
  assert.equal(table.provenance.sweep, 'local');
  assert.equal(table.provenance.runs.length, 3);

  const again = ctc(['sweep', 'run', 'local.yaml', '--jobs', '2', '--runs-root', 'runs', '--out', 'results'], dir);
  assert.equal(again.code, 1, 'the failing job fails again');
  assert.equal((again.stderr.match(/already done/g) ?? []).length, 2, again.stderr);
  const states = JSON.parse(
    ctc(['sweep', 'plan', 'local.yaml', '--json', '--runs-root', 'runs'], dir).stdout,
  ) as PlanJson;
  assert.deepEqual(
    states.jobs.map((j) => j.state),
    good.map(() => 'done').concat('new'),
  );

  // A run another live process holds (here: this test's own process) is left to it, not failed.
  fs.mkdirSync(path.join(dir, 'runs', 'local', bad.id), { recursive: true });
  fs.writeFileSync(path.join(dir, 'runs', 'local', bad.id, '.lock'), String(process.pid));
  const busy = ctc(['sweep', 'run', 'local.yaml', '--runs-root', 'runs', '--out', 'results'], dir);
  assert.equal(busy.code, 0, busy.stderr);
  assert.match(busy.stderr, new RegExp(`${bad.id}  skipped: running in process ${process.pid} \\(another sweep`));
  assert.match(busy.stderr, /sweep local: 2 complete, 0 failed, 1 not finished/);
  assert.ok(fs.existsSync(path.join(dir, 'runs', 'local', bad.id, '.lock')), 'the holder keeps its lock');
});

test('sweep errors are one line', () => {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, 'bad.yaml'),
    'config: mnist-lenets-softmax.yaml\naxes: {loss.name: [softmax, centre]}\n',
  );
  const bad = ctc(['sweep', 'run', 'bad.yaml'], dir);
  assert.ok(isCleanError(bad), bad.stderr);
  assert.match(
    bad.stderr,
    /bad\.yaml: job 2 \(loss\.name=centre\): .*unknown loss 'centre' \(did you mean 'center'\?\)/,
  );
  assert.ok(!fs.existsSync(path.join(dir, 'runs')), 'nothing ran');
  const missing = ctc(['sweep', 'plan', 'nope.yaml'], dir);
  assert.ok(isCleanError(missing), missing.stderr);
  const redis = ctc(['sweep', 'status', 'tiny', '--redis', 'redis://127.0.0.1:1'], dir);
  assert.ok(isCleanError(redis), redis.stderr);
  assert.match(redis.stderr, /--redis redis:\/\/127\.0\.0\.1:1: cannot connect \(.*ECONNREFUSED/);
  const url = ctc(['worker', '--redis', 'localhost:6379'], dir);
  assert.ok(isCleanError(url), url.stderr);
  assert.match(url.stderr, /--redis: expected redis:\/\/host:port/);
});
