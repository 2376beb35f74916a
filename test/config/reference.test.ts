// The config reference is generated from the schema, the networks' options and the losses'
// settings; `ctc train --help` prints it and docs/experiments.md carries a copy. These tests fail
// when a key is left out or that copy is stale (run `npm run docs`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { configReference, referenceKeys, withReference } from '../../src/config/reference.js';
import { configSchema } from '../../src/config/schema.js';
import { LOSSES } from '../../src/losses/index.js';
import { MODELS } from '../../src/models/index.js';
import { ctc, ROOT } from '../cli/helpers.js';

test("docs/experiments.md's config reference is the generated one (npm run docs rewrites it)", () => {
  const page = fs.readFileSync(path.join(ROOT, 'docs', 'experiments.md'), 'utf8');
  assert.equal(withReference(page), page, 'the config reference in docs/experiments.md is stale: run npm run docs');
});

test('ctc train --help prints the generated reference', () => {
  const r = ctc(['train', '--help'], ROOT);
  assert.equal(r.code, 0);
  assert.ok(r.stdout.includes(configReference()), 'the help text differs from configReference()');
});

test("the reference lists every loss setting, every network option and every schema section's keys", () => {
  const keys = referenceKeys();
  for (const spec of Object.values(LOSSES))
    for (const key of Object.keys(spec.settings)) assert.ok(keys.includes(`loss.${key}`), `loss.${key}`);
  for (const spec of Object.values(MODELS))
    for (const key of Object.keys(spec.defaults)) assert.ok(keys.includes(`model.${key}`), `model.${key}`);
  for (const key of [
    'train.lr',
    'train.schedule',
    'train.onNan',
    'eval.frames',
    'dataset.classes',
    'dataset.augment.pad',
    'seed',
    'name',
  ]) {
    assert.ok(keys.includes(key), key);
  }
  for (const section of Object.keys(configSchema.shape)) {
    assert.ok(
      keys.some((k) => k === section || k.startsWith(`${section}.`)),
      section,
    );
  }
  assert.equal(new Set(keys).size, keys.length, 'no key twice');
});

test('a reference line names the defaults of each loss that has the setting', () => {
  const text = configReference().replace(/\s+/g, ' ');
  assert.match(text, /loss\.lambda [^(]*\(default center 0\.01, contrastive-center 1\)/);
  assert.match(text, /loss\.alpha [^]*centerUpdate sgd: 32/);
  assert.match(text, /train\.batchSize +images per step \(default 128\)/);
});
