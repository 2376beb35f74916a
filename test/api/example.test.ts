// The library guide's example (docs/library.md) of a ctc loss in a user's own tfjs model
// (examples/own-model.ts) compiles with the project, imports the package by its name, and its loss
// changes training.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainOwnModel } from '../../examples/own-model.js';

test('the own-model example trains: the contrastive-center term falls and the centers reach their class means', async () => {
  const r = await trainOwnModel(200);
  assert.ok(r.lastAux < r.firstAux / 5, `aux ${r.firstAux} -> ${r.lastAux}`);
  assert.ok(
    r.centerToMean < 0.7 * r.centerToMeanAtStart,
    `center to class mean ${r.centerToMeanAtStart} -> ${r.centerToMean}`,
  );
});
