// scripts/ablation-map.mjs on a hand-made sweep folder: a complete run, one that diverged and
// one still running each get their row, ranked by validation accuracy, with the diagnostics read
// at the step lines nearest 100, 1,500 and 3,000; a setting with two seeds gets its means.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from '../cli/helpers.js';

function run(
  dir: string,
  id: string,
  loss: Record<string, unknown>,
  files: Record<string, string>,
  seed?: number,
): void {
  const d = path.join(dir, id);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(
    path.join(d, 'sweep-job.yaml'),
    `name: ablation\n${seed === undefined ? '' : `seed: ${seed}\n`}loss:\n${Object.entries(loss)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n')}\n`,
  );
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(d, name), text);
}
const step = (iteration: number, featureNorm: number, auxGradRatio: number) =>
  JSON.stringify({ type: 'step', iteration, loss: 1, featureNorm, auxGradRatio });

test('ablation map: complete, diverged and unfinished runs, ranked by validation', () => {
  const dir = tempDir('ctc-ablation-');
  const runs = path.join(dir, 'runs');
  const summary = (validation: number) =>
    JSON.stringify({
      validationAccuracy: validation,
      testAccuracy: validation + 0.1,
      lossTerms: { aux: 0.004 },
      featureMetrics: { raw: { intraInterRatio: 0.18, interMin: 27.6, interMean: 75 } },
      centerMetrics: { centerLag: 0.08, classMeanNorm: 53 },
    });
  run(
    runs,
    'a',
    { name: 'contrastive-center', lambda: 1 },
    {
      'summary.json': summary(98.5),
      'metrics.jsonl': [step(100, 9, 0.012), step(1500, 40, 0.002), step(3000, 60, 0.001)].join('\n'),
    },
    1,
  );
  // The same setting with a second seed: its own row, and the two seeds' means in the second table.
  run(runs, 'e', { name: 'contrastive-center', lambda: 1 }, { 'summary.json': summary(98.3) }, 2);
  run(
    runs,
    'b',
    { name: 'softmax', lambda: 1, alpha: 0.25 }, // the sweep's base settings, which softmax does not have
    {
      'config.resolved.yaml': 'loss:\n  name: softmax\n',
      'summary.json': summary(98.9),
      'metrics.jsonl': [step(80, 8, 0), step(2980, 70, 0)].join('\n'),
    },
  );
  run(
    runs,
    'c',
    { name: 'contrastive-center', lambda: 100, warmup: 500 },
    {
      'log.ndjson': JSON.stringify({ event: 'nan', iteration: 51, what: "loss term 'aux' is NaN", msg: 'stopped' }),
      'metrics.jsonl': step(40, 3, 0.5),
    },
  );
  run(
    runs,
    'd',
    { name: 'contrastive-center', lambda: 3, centerUpdate: 'sgd' },
    { 'metrics.jsonl': step(1200, 20, 0.01) },
  );
  const out = path.join(dir, 'out');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/ablation-map.mjs'), runs, out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { rows } = JSON.parse(fs.readFileSync(path.join(out, 'map.json'), 'utf8'));
  const settings = rows.map((x: { setting: string }) => x.setting);
  assert.deepEqual(
    settings.slice(0, 3),
    ['softmax', 'contrastive-center [lambda=1]', 'contrastive-center [lambda=1]'],
    'ranked by validation',
  );
  assert.deepEqual(settings.slice(3).sort(), [
    'contrastive-center [lambda=100, warmup=500]',
    'contrastive-center [lambda=3, centerUpdate=sgd]',
  ]);
  const byId = Object.fromEntries(rows.map((x: { id: string }) => [x.id, x]));
  assert.equal(byId.a.diagnostics[1500].featureNorm, 40);
  assert.equal(byId.b.diagnostics[100].featureNorm, 8, 'the step line 20 iterations away counts');
  assert.equal(byId.b.diagnostics[1500], null, 'no step line near 1,500');
  assert.equal(byId.c.state, "diverged at iteration 51 (loss term 'aux' is NaN)");
  assert.equal(byId.d.state, 'not finished');
  const md = fs.readFileSync(path.join(out, 'map.md'), 'utf8');
  assert.match(md, /^\| contrastive-center \[lambda=3, centerUpdate=sgd\] \| — \| not finished \(iteration 1200\) \|/m);
  assert.match(
    md,
    /^\| softmax \| — \| complete \| 98\.90 \| 99\.00 \| 0\.180 \| 27\.6 \| 75\.0 \| 53\.0 \| 0\.0040 \| 0\.080 \|/m,
  );
  assert.match(md, /^\| contrastive-center \[lambda=1\] \| 2 \| complete \| 98\.30 \|/m);
  // seeds 1 and 2: validation (98.5 + 98.3) / 2, test 0.1 above each
  assert.match(md, /^\| contrastive-center \[lambda=1\] \| 1, 2 \| 98\.40 \| 98\.50 \| 0\.180 \|$/m);
  const { seeded } = JSON.parse(fs.readFileSync(path.join(out, 'map.json'), 'utf8'));
  assert.equal(seeded.length, 1, 'only settings with two or more complete seeds');
  assert.ok(fs.existsSync(path.join(out, 'map.csv')));
});
