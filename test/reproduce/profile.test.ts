import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listProfiles, loadProfile, planRuns } from '../../src/reproduce/profile.js';
import { parseSeeds } from '../../src/commands/reproduce.js';

test('the shipped profiles load and expand into runs', () => {
  assert.deepEqual(listProfiles().sort(), ['ci', 'cpu', 'heldout', 'paper', 'paper-cifar', 'paper-mnist']);
  const ci = planRuns(loadProfile('ci'));
  assert.equal(ci.length, 4);
  assert.deepEqual(
    ci.map((r) => r.folder),
    [
      'mnist-lenets-softmax',
      'mnist-lenets-center',
      'mnist-lenets-contrastive-center',
      'mnist-lenets-contrastive-center-sum',
    ],
  );
  assert.deepEqual(ci[0].sets, ['dataset.trainLimit=10000', 'train.epochs=1', 'train.batchSize=32', 'seed=1']);
  const cpu = planRuns(loadProfile('cpu'), [4, 5]);
  assert.equal(cpu.length, 10 * 2); // nine paper cells and the contrastive-center "sum" variant
  assert.ok(cpu.every((r) => r.seed === 4 || r.seed === 5));
  const cifar = planRuns(loadProfile('paper-cifar'));
  assert.equal(cifar.length, 3 * 3, 'three losses x seeds 1-3');
  assert.deepEqual(cifar[0].sets, ['seed=1'], "the configs' own recipe: no budget override");
  const heldout = planRuns(loadProfile('heldout'));
  assert.equal(heldout.length, 2 * 3 * 3);
  assert.equal(heldout[0].folder, 'mnist-lenets-softmax-heldout');
  // A list value reaches --set as YAML, so dataset.classes parses as a list.
  assert.deepEqual(heldout[0].sets, ['dataset.classes=[0, 1, 2, 3, 4, 5, 6]', 'train.iterations=3000', 'seed=1']);
  assert.equal(loadProfile('heldout').groups[0].verify, 'heldout');
});

test('profile and seed errors are one clear line', () => {
  assert.throws(() => loadProfile('cpuu'), /unknown profile 'cpuu' \(did you mean 'cpu'\?\)/);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-prof-')), 'p.yaml');
  fs.writeFileSync(file, 'name: x\ndescription: y\nseeds: []\ngroups: [{configs: [mnist-lenets-softmax]}]\n');
  assert.throws(() => loadProfile(file), /p\.yaml: seeds: /);
  fs.writeFileSync(file, 'name: x\ndescription: y\nseeds: [1]\ngroups: [{configs: [nope]}]\n');
  assert.throws(() => loadProfile(file), /config 'nope' is not in/);
  assert.deepEqual(parseSeeds('1, 2,3'), [1, 2, 3]);
  assert.throws(() => parseSeeds('1,x'), /--seeds: expected a comma-separated list of integers/);
});
