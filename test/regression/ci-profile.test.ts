// The CI accuracy regression: run the `ci` reproduction profile into a temporary folder and
// compare its table with the committed baseline (results/ci/baseline.json) at the profile's
// tolerance. A drop beyond it fails here, with the regressed rows in the message. It also asserts
// that the contrastive-center term trains under the default settings: its per-sample value over
// the epoch at most half its chance value 1/2 * 1/(k-1), and the centers on their class means
// (center lag at most 0.5), so a loss that does nothing fails even when accuracy does not move.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ctc, ROOT, tempDir } from '../cli/helpers.js';
import { findSummaries } from '../../src/run/summary.js';
import { loadProfile } from '../../src/reproduce/profile.js';

interface RunSummary {
  loss: { name: string; reduction: string; centerUpdate: string };
  batchSize: number;
  lossTerms: { aux: number };
  centerMetrics?: { centerLag: number };
  warnings: string[];
}

test('ci profile: accuracy within tolerance of results/ci/baseline.json', () => {
  const baseline = path.join(ROOT, 'results', 'ci', 'baseline.json');
  assert.ok(
    fs.existsSync(baseline),
    `${baseline} is missing: make it with ctc reproduce --profile ci, then ctc compare --update`,
  );
  const tolerance = loadProfile('ci').tolerance as number;
  const dir = tempDir('ctc-ci-');
  const run = ctc(
    ['reproduce', '--profile', 'ci', '--jobs', '2', '--runs-root', 'runs', '--out', 'results', '--quiet'],
    dir,
  );
  assert.equal(run.code, 0, run.stderr);
  const again = ctc(['reproduce', '--profile', 'ci', '--runs-root', 'runs', '--out', 'results'], dir);
  assert.equal((again.stderr.match(/already done/g) ?? []).length, 4, 'a second reproduce skips the complete runs');
  const cmp = ctc(
    [
      'compare',
      '--baseline',
      baseline,
      '--current',
      path.join(dir, 'results', 'accuracy.json'),
      '--tolerance',
      String(tolerance),
    ],
    dir,
  );
  assert.equal(cmp.code, 0, `accuracy regressed beyond ${tolerance} points:\n${cmp.stdout}${cmp.stderr}`);
  const provenance = JSON.parse(fs.readFileSync(path.join(dir, 'results', 'accuracy.json'), 'utf8')).provenance;
  assert.equal(provenance.profile, 'ci');
  assert.ok(fs.existsSync(path.join(dir, 'results', 'commands.txt')));

  const summaries = findSummaries(path.join(dir, 'runs')).map(
    (f) => JSON.parse(fs.readFileSync(f, 'utf8')) as RunSummary,
  );
  const ctcRuns = summaries.filter((s) => s.loss.name === 'contrastive-center');
  assert.ok(
    ctcRuns.some((s) => s.loss.reduction === 'mean' && s.loss.centerUpdate === 'normalized'),
    'the profile has a default contrastive-center row',
  );
  const halfChance = 0.5 * (0.5 / (10 - 1));
  for (const s of ctcRuns) {
    const what = `contrastive-center (reduction ${s.loss.reduction}, centerUpdate ${s.loss.centerUpdate})`;
    const perSample = s.loss.reduction === 'sum' ? s.lossTerms.aux / s.batchSize : s.lossTerms.aux;
    assert.ok(
      perSample <= halfChance,
      `${what}: its term is ${perSample.toFixed(4)} per sample, above half its chance value ${halfChance.toFixed(4)}`,
    );
    assert.ok(
      (s.centerMetrics?.centerLag ?? Infinity) <= 0.5,
      `${what}: center lag ${s.centerMetrics?.centerLag} > 0.5, the centers did not reach their class means`,
    );
    assert.deepEqual(s.warnings, [], `${what}: the watchdog warned`);
  }
});
