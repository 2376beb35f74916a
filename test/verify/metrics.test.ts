// Verification pairs and scores against brute-force definitions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.js';
import { Rng } from '../../src/util/rng.js';
import {
  accuracyAt,
  bestThreshold,
  cosine,
  foldAccuracies,
  rocAuc,
  rocCurve,
  tarAtFar,
  type Scored,
} from '../../src/verify/metrics.js';
import { heldOutPairs, parsePairs } from '../../src/verify/pairs.js';

test('an LFW pairs file parses into folds of matched then mismatched pairs; bad lines name the file and line', () => {
  const text = '2\t1\nAnn\t1\t2\nBob\t1\tCy\t3\nDee\t2\t4\nEd\t1\tFay\t1\n';
  const p = parsePairs(text, 'pairs.txt');
  assert.equal(p.folds.length, 2);
  assert.deepEqual(p.folds[0][0], { a: { name: 'Ann', index: 1 }, b: { name: 'Ann', index: 2 }, same: true, line: 2 });
  assert.deepEqual(p.folds[1][1], { a: { name: 'Ed', index: 1 }, b: { name: 'Fay', index: 1 }, same: false, line: 5 });
  assert.equal(parsePairs('1\nAnn\t1\t2\nBob\t1\tCy\t3\n', 'one.txt').folds.length, 1, 'a single count is one fold');
  const fails = (t: string, re: RegExp) =>
    assert.throws(
      () => parsePairs(t, 'p.txt'),
      (e: unknown) => e instanceof UserError && re.test(e.message),
    );
  fails('x\n', /p\.txt:1: expected 'FOLDS<TAB>N'/);
  fails('1\t1\nAnn\t1\t2\n', /need 3 lines, found 2/);
  fails('1\t1\nAnn\t1\nBob\t1\tCy\t3\n', /p\.txt:2: a matched pair is/);
  fails('1\t1\nAnn\t1\t2\nBob\t1\tCy\n', /p\.txt:3: a mismatched pair is/);
  fails('1\t1\nAnn\t0\t2\nBob\t1\tCy\t3\n', /p\.txt:2: image number must be a positive integer, got '0'/);
  fails('1\t1\n..\t1\t2\nBob\t1\tCy\t3\n', /not a plain name/);
});

test('held-out pairs are drawn from the given classes only, distinct, balanced and the same for a seed', () => {
  const labels = Uint8Array.from({ length: 300 }, (_, i) => i % 10);
  const folds = heldOutPairs(labels, [7, 8, 9], 3, 20, 5);
  assert.deepEqual(heldOutPairs(labels, [7, 8, 9], 3, 20, 5), folds);
  const keys = new Set<string>();
  for (const fold of folds) {
    assert.equal(fold.filter((p) => p.same).length, 20);
    for (const p of fold) {
      assert.ok([7, 8, 9].includes(labels[p.a]) && [7, 8, 9].includes(labels[p.b]));
      assert.equal(labels[p.a] === labels[p.b], p.same);
      assert.notEqual(p.a, p.b);
      keys.add([p.a, p.b].sort().join());
    }
  }
  assert.equal(keys.size, 120, 'no pair repeats');
  assert.throws(() => heldOutPairs(labels, [7], 1, 2, 1), /need two classes/);
});

function randomPairs(n: number, seed: number, ties = false): Scored[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const same = rng.next() < 0.5;
    const raw = rng.next() + (same ? 0.3 : 0);
    return { score: ties ? Math.round(raw * 5) / 5 : raw, same };
  });
}

test('the chosen threshold is the best possible on its pairs, and folds choose it on the others', () => {
  for (const seed of [1, 2, 3]) {
    const pairs = randomPairs(60, seed, seed === 3);
    const t = bestThreshold(pairs);
    const bruteBest = Math.max(...[...pairs.map((p) => p.score), -Infinity, Infinity].map((c) => accuracyAt(pairs, c)));
    assert.equal(accuracyAt(pairs, t), bruteBest);
  }
  const folds = [randomPairs(40, 4), randomPairs(40, 5), randomPairs(40, 6)];
  const result = foldAccuracies(folds);
  assert.equal(result[0].threshold, bestThreshold([...folds[1], ...folds[2]]));
  assert.equal(result[0].accuracy, accuracyAt(folds[0], result[0].threshold));
});

test('ROC AUC is the share of (matched, mismatched) pairs ordered right, ties half; TAR at FAR counts accepted matches', () => {
  for (const ties of [false, true]) {
    const pairs = randomPairs(80, 7, ties);
    const pos = pairs.filter((p) => p.same);
    const neg = pairs.filter((p) => !p.same);
    let wins = 0;
    for (const p of pos) for (const n of neg) wins += p.score > n.score ? 1 : p.score === n.score ? 0.5 : 0;
    assert.ok(Math.abs(rocAuc(pairs) - wins / (pos.length * neg.length)) < 1e-12);
  }
  const pairs: Scored[] = [
    ...Array.from({ length: 100 }, (_, i) => ({ score: i / 100, same: false })),
    ...Array.from({ length: 10 }, (_, i) => ({ score: 0.955 + i / 1000, same: true })),
    { score: 0.5, same: true },
  ];
  // FAR 1e-2: one negative of 100 may pass, so the cut is the second highest negative (0.98).
  assert.equal(tarAtFar(pairs, 1e-2), (100 * 0) / 11);
  assert.equal(tarAtFar(pairs, 5e-2), (100 * 10) / 11, 'five negatives may pass: cut at 0.94');
  assert.equal(tarAtFar(pairs, 1e-3), null, 'too few mismatched pairs to measure 1e-3');
  const curve = rocCurve(pairs);
  assert.deepEqual(curve[0], { far: 0, tar: 0 });
  assert.deepEqual(curve.at(-1), { far: 1, tar: 1 });
});

test('cosine similarity of feature rows', () => {
  const f = Float32Array.from([1, 0, 0, 2, 3, 3, 0, 0]);
  assert.equal(cosine(f, 2, 0, 1), 0);
  assert.ok(Math.abs(cosine(f, 2, 1, 2) - Math.SQRT1_2) < 1e-7);
  assert.equal(cosine(f, 2, 0, 3), 0, 'a zero row');
});
