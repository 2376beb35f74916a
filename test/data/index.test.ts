import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { DATASETS, loadDataset } from '../../src/data/index.js';
import { didYouMean, levenshtein } from '../../src/util/did-you-mean.js';

test('levenshtein counts edits', () => {
  assert.equal(levenshtein('', 'abc'), 3);
  assert.equal(levenshtein('mnist', 'mnist'), 0);
  assert.equal(levenshtein('mnsit', 'mnist'), 2);
  assert.equal(levenshtein('kitten', 'sitting'), 3);
});

test('didYouMean suggests close names only', () => {
  assert.equal(didYouMean('mnsit', ['mnist', 'fashion-mnist']), 'mnist');
  assert.equal(didYouMean('Fashion_MNIST', ['mnist', 'fashion-mnist']), 'fashion-mnist');
  assert.equal(didYouMean('cifar10', ['mnist', 'fashion-mnist']), undefined);
  assert.equal(didYouMean('x', []), undefined);
});

test('the registry knows mnist and fashion-mnist', () => {
  assert.deepEqual(Object.keys(DATASETS).sort(), ['cifar10', 'fashion-mnist', 'imagefolder', 'mnist']);
});

test('loadDataset loads by name and rejects unknown names with a hint', async () => {
  const ds = await loadDataset('mnist', { trainLimit: 10, testLimit: 10 });
  assert.equal(ds.name, 'mnist');
  assert.equal(ds.train.count, 10);
  await assert.rejects(
    loadDataset('mnsit'),
    (err: unknown) =>
      err instanceof UserError &&
      err.message ===
        'unknown dataset "mnsit" (did you mean "mnist"?); known: mnist, fashion-mnist, cifar10, imagefolder',
  );
  await assert.rejects(
    loadDataset('toString'),
    (err: unknown) => err instanceof UserError && !/did you mean/.test(err.message),
  );
});
