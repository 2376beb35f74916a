// The training watchdog: it warns once when the contrastive-center term sits at its chance value
// or the centers do not follow the features, stays quiet when both move, and a real run with
// a center rate too small to matter prints the warning, logs it and records it in the summary.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { newWatchdogState, Watchdog } from '../../src/train/watchdog.js';
import { ctc, tempDir } from '../cli/helpers.js';

const RUN = { lossName: 'contrastive-center', hasCenters: true, numClasses: 10, auxScale: 1, totalIterations: 1000 };

/** Two classes of 2-D features at (+-20, 0); centers at `c0` and `c1`. */
function batch(c0: number, c1: number) {
  return {
    features: Float32Array.from([20, 0, 21, 0, -20, 0, -21, 0]),
    labels: [0, 0, 1, 1],
    centers: Float32Array.from([c0, 0, c1, 0, ...new Array(16).fill(0)]),
  };
}

test('watchdog: an aux term at its chance value and centers that stay put are both reported, once', () => {
  const dog = new Watchdog(RUN, newWatchdogState());
  const chance = 0.5 / 9;
  assert.equal(dog.checkAt, 300);
  let found: string[] = [];
  for (let it = 1; it <= 400; it++) {
    found.push(...dog.observe(it, chance * 1.01, dog.wantsFeatures(it) ? batch(0.5, -0.5) : undefined));
  }
  assert.equal(found.length, 2, found.join('\n'));
  assert.match(found[0], /still at its chance value after 300 iterations/);
  assert.match(found[1], /centers are not following the features/);
  assert.deepEqual(dog.state.warnings, found);
  found = dog.observe(401, chance, batch(0, 0));
  assert.deepEqual(found, [], 'warns once per run');
});

test('watchdog: quiet when the term falls and the centers reach their class means', () => {
  const dog = new Watchdog(RUN, newWatchdogState());
  const found: string[] = [];
  for (let it = 1; it <= 300; it++) {
    const centers = it === 1 ? batch(0.5, -0.5) : batch(20, -20);
    found.push(...dog.observe(it, 0.5 / 9 / (1 + it / 30), dog.wantsFeatures(it) ? centers : undefined));
  }
  assert.deepEqual(found, []);
  assert.equal(dog.state.done, true);
});

test('watchdog: no check for runs without centers or shorter than 100 iterations; sum reduction scales the chance value', () => {
  assert.equal(new Watchdog({ ...RUN, hasCenters: false }, newWatchdogState()).checkAt, 0);
  assert.equal(new Watchdog({ ...RUN, totalIterations: 99 }, newWatchdogState()).checkAt, 0);
  assert.equal(new Watchdog({ ...RUN, totalIterations: 150 }, newWatchdogState()).checkAt, 150);
  assert.equal(new Watchdog({ ...RUN, lossName: 'center' }, newWatchdogState()).chance(), null);
  assert.ok(
    Math.abs((new Watchdog({ ...RUN, auxScale: 32 }, newWatchdogState()).chance() as number) - (32 * 0.5) / 9) < 1e-12,
  );
});

test('a run whose centers cannot move warns on stderr, in the log and in the summary', () => {
  const dir = tempDir('ctc-watchdog-');
  const out = path.join(dir, 'run');
  const r = ctc(
    [
      'train',
      '--config',
      'mnist-lenets-contrastive-center.yaml',
      '--backend',
      'wasm',
      '--out',
      out,
      '--set',
      'dataset.trainLimit=3200',
      '--set',
      'dataset.testLimit=500',
      '--set',
      'train.iterations=100',
      '--set',
      'train.batchSize=32',
      '--set',
      'loss.centerUpdate=sgd',
      '--set',
      'loss.alpha=1e-9',
    ],
    dir,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: the contrastive-center term is still at its chance value after 100 iterations/);
  assert.match(r.stdout, /warning: the centers are not following the features/);
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.warnings.length, 2);
  assert.ok(summary.centerMetrics.centerLag > 0.9, `lag ${summary.centerMetrics.centerLag}`);
  assert.match(fs.readFileSync(path.join(out, 'log.ndjson'), 'utf8'), /"event":"watchdog"/);
});
