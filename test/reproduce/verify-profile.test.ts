// A profile group with `verify: heldout`: ctc reproduce trains, verifies each run on pairs of the
// held-out classes, and puts the verification rows into the tables; a second reproduce verifies
// nothing again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ctc, tempDir } from '../cli/helpers.js';

test('reproduce with verify: heldout writes verification rows beside the accuracy rows', () => {
  const dir = tempDir('ctc-verify-profile-');
  fs.writeFileSync(
    path.join(dir, 'tiny.yaml'),
    `name: tiny
description: softmax and center on MNIST classes 0-6 for a few steps, verified on 7-9
backend: wasm
seeds: [1]
groups:
  - configs: [mnist-lenets-softmax, mnist-lenets-center]
    set: {dataset.classes: [0, 1, 2, 3, 4, 5, 6], dataset.trainLimit: 500, dataset.testLimit: 2000, train.iterations: 5, train.batchSize: 32}
    tag: heldout
    verify: heldout
`,
  );
  const args = ['reproduce', '--profile', 'tiny.yaml', '--runs-root', 'runs', '--out', 'results'];
  const r = ctc(args, dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((r.stderr.match(/verify --heldout .*: done/g) ?? []).length, 2, r.stderr);
  const v = JSON.parse(
    fs.readFileSync(path.join(dir, 'runs/mnist-lenets-center-heldout/seed-1/verification/verification.json'), 'utf8'),
  );
  assert.deepEqual(v.heldOutClasses, [7, 8, 9]);
  const table = JSON.parse(fs.readFileSync(path.join(dir, 'results/accuracy.json'), 'utf8'));
  assert.deepEqual(
    table.verification.map((row: { loss: string }) => row.loss.split(' ')[0]),
    ['softmax', 'center'],
  );
  assert.equal(table.rows[0].dataset, 'mnist [0-6]');
  assert.match(
    fs.readFileSync(path.join(dir, 'results/accuracy.md'), 'utf8'),
    /## Verification[^]*\| mnist \[0-6\] \| lenets \| center \[lambda=0\.003, alpha=0\.1\] \|/,
  );
  const again = ctc(args, dir);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /verify --heldout/, 'runs already verified are not verified again');
});
