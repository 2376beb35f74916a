// Verification rows beside the accuracy rows: grouped like them (the kept classes in the dataset
// label), paired against softmax on the same seeds, read from verification.json beside each run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toMarkdown } from '../../src/report/table-format.js';
import { accuracyRows, datasetLabel, verificationRowsOf, type RunRecord } from '../../src/report/tables.js';
import { writeTables } from '../../src/report/write-tables.js';
import { UserError } from '../../src/errors.js';

const CLASSES = [0, 1, 2, 3, 4, 5, 6];

const run = (loss: string, seed: number, verified: number | null): RunRecord => ({
  dir: `runs/${loss}/seed-${seed}`,
  dataset: { name: 'mnist', trainSize: 41935, testSize: 7000, classes: CLASSES },
  model: { name: 'lenetspp' },
  loss: { name: loss },
  seed,
  testAccuracy: 99,
  epochs: 1,
  iterations: 300,
  batchSize: 64,
  backend: { name: 'wasm' },
  ...(verified === null
    ? {}
    : {
        verification: {
          mode: 'held-out classes 7, 8, 9 of the mnist test set, seed 1',
          similarity: 'cosine',
          folds: 10,
          pairs: 6000,
          accuracy: { mean: verified },
          auc: verified / 100,
        },
      }),
});

test('verification rows: grouped per loss, mean over seeds, paired against softmax on the same seeds', () => {
  const runs = [
    run('softmax', 1, 90),
    run('softmax', 2, 91),
    run('softmax', 3, 92),
    run('center', 1, 93),
    run('center', 2, 94.5),
    run('center', 3, 95.5),
    run('contrastive-center', 1, null),
  ];
  const rows = verificationRowsOf(runs);
  assert.deepEqual(
    rows.map((r) => [r.loss, r.n]),
    [
      ['softmax', 3],
      ['center', 3],
    ],
  );
  assert.equal(rows[0].dataset, 'mnist [0-6]');
  assert.equal(rows[1].mean, 94.33333333333333);
  assert.equal(rows[1].pairs, 'held-out classes 7, 8, 9 of the mnist test set, seed 1 (cosine, 10 folds of 600)');
  const vs = rows[1].vsSoftmax;
  assert.ok(vs && Math.abs(vs.meanDiff - 3.3333333) < 1e-6 && vs.n === 3);
  assert.equal(vs.verdict, 'better'); // differences 3, 3.5, 3.5: p ~ 0.004
  const accuracy = accuracyRows(runs);
  assert.equal(accuracy[0].paper, null, 'no paper figure beside a run on 7 of the 10 classes');
  const md = toMarkdown({ generatedAt: 'now', commit: 'abc', rows: accuracy, verification: rows });
  assert.match(md, /## Verification/);
  assert.match(md, /98\.68 \(contrastive-center loss, faces, ~0\.49 M training images\)/);
  assert.match(
    md,
    /\| mnist \[0-6\] \| lenetspp \| center \| 300 it x 64 on 41935 \| held-out .* \| 94\.33 ± 1\.26 \| 3 \| .* \| \+3\.33 \| 0\.00\d \| better \|/,
  );
});

test('dataset labels name the kept classes', () => {
  assert.equal(datasetLabel({ dataset: { name: 'mnist', trainSize: 1, testSize: 1 } }), 'mnist');
  assert.equal(datasetLabel({ dataset: { name: 'mnist', trainSize: 1, testSize: 1, classes: [3, 1] } }), 'mnist [3,1]');
});

test('writeTables reads verification.json beside a run; a damaged one is one line naming it', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-vtable-'));
  try {
    const dir = path.join(root, 'a', 'seed-1');
    fs.mkdirSync(path.join(dir, 'verification'), { recursive: true });
    const { dir: _dir, verification, ...summary } = run('softmax', 1, 88);
    fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary));
    fs.writeFileSync(path.join(dir, 'verification', 'verification.json'), JSON.stringify(verification));
    const table = writeTables([root], path.join(root, 'out'), undefined, true);
    assert.equal(table.verification?.[0].mean, 88);
    assert.match(fs.readFileSync(path.join(root, 'out', 'accuracy.md'), 'utf8'), /## Verification/);
    fs.writeFileSync(path.join(dir, 'verification', 'verification.json'), '{"accuracy": ');
    assert.throws(
      () => writeTables([root], path.join(root, 'out'), undefined, true),
      (e: unknown) => e instanceof UserError && /verification\.json: not valid JSON$/.test(e.message),
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
