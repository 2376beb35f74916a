import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracyRows, findRegressions, toCsv, toMarkdown, type RunRecord } from '../../src/report/tables.js';

const run = (loss: string, seed: number, acc: number): RunRecord => ({
  dir: `runs/${loss}/${seed}`,
  dataset: { name: 'mnist', trainSize: 60000, testSize: 10000 },
  model: { name: 'lenetspp' },
  loss: { name: loss },
  seed,
  testAccuracy: acc,
  epochs: 1,
  iterations: 468,
  backend: { name: 'wasm' },
});

test('rows group seeds, compute mean ± sample std and the delta to the paper', () => {
  const rows = accuracyRows([run('contrastive-center', 1, 99.0), run('softmax', 1, 98.0), run('softmax', 2, 99.0)]);
  assert.deepEqual(rows.map((r) => r.loss), ['softmax', 'contrastive-center']);
  const soft = rows[0];
  assert.equal(soft.n, 2);
  assert.equal(soft.mean, 98.5);
  assert.ok(Math.abs((soft.std as number) - Math.SQRT1_2) < 1e-12);
  assert.equal(soft.paper, 98.8);
  assert.ok(Math.abs((soft.deltaToPaper as number) + 0.3) < 1e-9);
  assert.equal(rows[1].std, null);
  const md = toMarkdown({ generatedAt: 'now', commit: 'abc', rows });
  assert.match(md, /\| mnist \| lenetspp \| softmax \| 98\.8 \| 98\.50 ± 0\.71 \| 2 \| -0\.30 \|/);
  assert.match(md, /\| contrastive-center \| 99\.17 \| 99\.00 \| 1 \| -0\.17 \|/);
  assert.equal(toCsv({ generatedAt: 'now', commit: 'abc', rows }).trim().split('\n').length, 3);
});

test('regressions: beyond tolerance or missing rows', () => {
  const base = accuracyRows([run('softmax', 1, 98.0), run('center', 1, 98.5)]);
  assert.deepEqual(findRegressions(base, accuracyRows([run('softmax', 1, 97.6), run('center', 1, 99)]), 0.5), []);
  const r = findRegressions(base, accuracyRows([run('softmax', 1, 97.4)]), 0.5);
  assert.deepEqual(r.map((x) => [x.key, x.current]), [
    ['mnist/lenetspp/softmax', 97.4],
    ['mnist/lenetspp/center', null],
  ]);
});
