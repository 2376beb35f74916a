// Sweep files: validation with one-line errors naming the file and key, the expansion of axes,
// include and exclude, and run ids that depend on the resolved config only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { UserError } from '../../src/errors.js';
import { expandSweep, runId, stableStringify } from '../../src/sweep/expand.js';
import { jobYaml } from '../../src/run/jobs.js';
import { listSweeps, loadSweep } from '../../src/sweep/spec.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-sweep-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const plan = (text: string, name = 's.yaml') => expandSweep(loadSweep(write(name, text)));
const BASE = 'config: mnist-lenets-softmax.yaml\nset: {dataset.trainLimit: 256, train.epochs: 2}\n';

test('the shipped sweeps load and expand', () => {
  const tuning = [
    'ablation-lenetspp',
    'tune-lenets-center',
    'tune-lenets-ctc',
    'tune-lenets-ctc-sgd',
    'tune-lenetspp-center',
    'tune-lenetspp-ctc',
    'tune-resnet20',
    'tune-resnet20-ctc',
  ];
  assert.deepEqual(listSweeps().sort(), ['lambda', 'tiny', ...tuning].sort());
  for (const name of tuning) {
    const jobs = expandSweep(loadSweep(name)).jobs;
    assert.ok(
      jobs.length > 0 && jobs.every((j) => j.config.dataset.validation !== undefined),
      `${name}: every job holds out a validation split`,
    );
  }
  const tiny = expandSweep(loadSweep('tiny'));
  assert.equal(tiny.spec.backend, 'wasm');
  assert.deepEqual(
    tiny.jobs.map((j) => j.label),
    ['loss.name=softmax seed=1', 'loss.name=center seed=1'],
  );
  assert.ok(tiny.jobs.every((j) => /^tiny\/[0-9a-f]{12}$/.test(j.runDir) && j.runDir.endsWith(j.id)));
  assert.equal(tiny.jobs[1].config.loss.name, 'center');
  assert.equal(tiny.jobs[1].config.train.epochs, 2);
  assert.equal(tiny.jobs[1].config.train.iterations, undefined, 'train.epochs in set replaces the base iterations');
  const lambda = expandSweep(loadSweep('lambda'));
  assert.equal(lambda.jobs.length, 4 * 3 + 3);
  assert.deepEqual([...new Set(lambda.jobs.map((j) => j.config.seed))], [1, 2, 3]);
  assert.equal(lambda.jobs.filter((j) => j.config.loss.name === 'softmax').length, 3);
});

test('axes multiply, exclude removes, include adds, and equal configs run once', () => {
  const p = plan(
    `${BASE}axes:\n  loss.name: [softmax, center]\n  seed: [1, 2, 3]\nexclude:\n  - {loss.name: center, seed: 3}\ninclude:\n  - {loss.name: contrastive-center, loss.lambda: 0.5}\n  - {seed: 2}\n`,
  );
  assert.equal(p.jobs.length, 6 - 1 + 1, 'the {seed: 2} include equals the softmax seed-2 job of the product');
  assert.equal(p.duplicates.length, 1);
  assert.match(p.duplicates[0], /^seed=2 = loss.name=softmax seed=2$/);
  assert.ok(!p.jobs.some((j) => j.config.loss.name === 'center' && j.config.seed === 3));
  const extra = p.jobs.at(-1)!;
  assert.equal(extra.config.loss.lambda, 0.5);
  assert.equal(extra.config.seed, 1, 'an include keeps the base value of the axes it omits');
  assert.equal(extra.config.name, 's', 'runs are named after the sweep');
});

test('run ids: deterministic, independent of key order, and a function of the resolved config', () => {
  const a = plan(`${BASE}axes: {seed: [1, 2], loss.name: [softmax]}\n`, 'a.yaml');
  const b = plan(
    `name: a\nset: {train.epochs: 2, dataset.trainLimit: 256}\naxes: {seed: [1, 2], loss.name: [softmax]}\nconfig: mnist-lenets-softmax.yaml\n`,
    'b.yaml',
  );
  assert.deepEqual(
    a.jobs.map((j) => j.id),
    b.jobs.map((j) => j.id),
  );
  assert.notEqual(a.jobs[0].id, a.jobs[1].id, 'the seed is part of the config');
  const c = plan(
    `name: a\nconfig: mnist-lenets-softmax.yaml\nset: {dataset.trainLimit: 256, train.epochs: 2, train.lr: 0.01}\naxes: {seed: [1, 2], loss.name: [softmax]}\n`,
    'c.yaml',
  );
  assert.deepEqual(
    c.jobs.map((j) => j.id),
    a.jobs.map((j) => j.id),
    'spelling out a value the config already has changes nothing',
  );
  for (const job of a.jobs) {
    // What a worker trains from (the job's YAML) resolves to the same config, hence the same id.
    const again = parseConfig(jobYaml(job.config), 'job.yaml').config;
    assert.deepEqual(again, job.config);
    assert.equal(runId(again), job.id);
  }
  assert.equal(stableStringify({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
});

test('sweep file errors are one line naming the file and the key', () => {
  const fails = (text: string, pattern: RegExp) => {
    const file = write('bad.yaml', text);
    assert.throws(
      () => expandSweep(loadSweep(file)),
      (err: unknown) => {
        assert.ok(err instanceof UserError, String(err));
        assert.ok(!err.message.includes('\n'), err.message);
        assert.ok(err.message.startsWith(file), err.message);
        assert.match(err.message, pattern);
        return true;
      },
    );
  };
  fails(`${BASE}axess: {seed: [1]}\n`, /axess: unknown key \(did you mean 'axes'\?\)/);
  fails(`${BASE}axes: {seed: []}\n`, /axes\.seed: expected a non-empty list/);
  fails(`${BASE}axes: {seed: [1, 1]}\n`, /axes\.seed: value 1 appears twice/);
  fails(`${BASE}axes: {loss..name: [a]}\n`, /axes\.loss\.\.name: expected a config key path/);
  fails(`${BASE}axes: {seed: [1]}\nexclude: [{sed: 1}]\n`, /exclude\.0\.sed: not an axis \(did you mean 'seed'\?\)/);
  fails(`${BASE}backend: gpu\n`, /backend: /);
  fails(`config: no-such.yaml\n`, /config: no such file 'no-such.yaml'/);
  fails(`${BASE}axes: {seed: [1]}\nexclude: [{seed: 1}]\n`, /exclude leaves no job/);
  // Every job's config is validated before anything runs, and the failing job is named.
  fails(
    `${BASE}axes: {loss.name: [softmax, centre]}\n`,
    /job 2 \(loss\.name=centre\): --set loss\.name=centre: loss\.name: unknown loss 'centre' \(did you mean 'center'\?\)/,
  );
  fails(`${BASE}axes: {train.lr: [0.1, -1]}\n`, /job 2 \(train\.lr=-1\): --set train\.lr=-1: train\.lr/);
  assert.throws(() => loadSweep('tiyn'), /no such sweep file 'tiyn' \(did you mean 'tiny'\?\)/);
});
