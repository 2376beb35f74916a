// The CI accuracy regression: run the `ci` reproduction profile into a temporary folder and
// compare its table with the committed baseline (results/ci/baseline.json) at the profile's
// tolerance. A drop beyond it fails here, with the regressed rows in the message.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ctc, ROOT, tempDir } from '../cli/helpers.js';
import { loadProfile } from '../../src/reproduce/profile.js';

test('ci profile: accuracy within tolerance of results/ci/baseline.json', () => {
  const baseline = path.join(ROOT, 'results', 'ci', 'baseline.json');
  assert.ok(fs.existsSync(baseline), `${baseline} is missing: make it with ctc reproduce --profile ci, then ctc compare --update`);
  const tolerance = loadProfile('ci').tolerance as number;
  const dir = tempDir('ctc-ci-');
  const run = ctc(['reproduce', '--profile', 'ci', '--jobs', '2', '--runs-root', 'runs', '--out', 'results', '--quiet'], dir);
  assert.equal(run.code, 0, run.stderr);
  const again = ctc(['reproduce', '--profile', 'ci', '--runs-root', 'runs', '--out', 'results'], dir);
  assert.equal((again.stderr.match(/already done/g) ?? []).length, 4, 'a second reproduce skips the complete runs');
  const cmp = ctc(['compare', '--baseline', baseline, '--current', path.join(dir, 'results', 'accuracy.json'), '--tolerance', String(tolerance)], dir);
  assert.equal(cmp.code, 0, `accuracy regressed beyond ${tolerance} points:\n${cmp.stdout}${cmp.stderr}`);
  const provenance = JSON.parse(fs.readFileSync(path.join(dir, 'results', 'accuracy.json'), 'utf8')).provenance;
  assert.equal(provenance.profile, 'ci');
  assert.ok(fs.existsSync(path.join(dir, 'results', 'commands.txt')));
});
