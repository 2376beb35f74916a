// The pure loss functions against float64 loop oracles, finite differences and the paper's
// closed-form gradients, on hand-placed 2-D points; on cpu and on wasm.

import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { centerLoss, contrastiveCenterLoss } from '../../src/losses/index.js';
import { Rng } from '../../src/util/rng.js';
import {
  HAND,
  assertClose,
  centerLossOracle,
  contrastiveCenterOracle,
  contrastiveCenterPaperGrads,
  finiteDifferences,
  randomPoints,
  read0d,
  read2d,
  scale,
  useBackend,
  type Points,
} from './oracle.js';

type Fn = (x: tf.Tensor2D, y: tf.Tensor1D, c: tf.Tensor2D) => tf.Scalar;

/** Value and gradients (w.r.t. features and centers) of a tensor loss on plain arrays. */
function evaluate(fn: Fn, x: Points, y: number[], c: Points): { loss: number; dx: Points; dc: Points } {
  const labels = tf.tensor1d(y, 'int32');
  const [xs, cs] = [tf.tensor2d(x), tf.tensor2d(c)];
  const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
    fn(a as tf.Tensor2D, labels, b as tf.Tensor2D),
  )([xs, cs]);
  const out = { loss: read0d(value), dx: read2d(grads[0]), dc: read2d(grads[1]) };
  tf.dispose([labels, xs, cs]);
  return out;
}

const { features: X, labels: Y, centers: C } = HAND;
const M = X.length;

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`loss functions on ${backend}`, () => {
    let skip: string | null = null;
    before(async () => {
      skip = await useBackend(backend);
    });

    test('center loss: value and gradients match the loop oracle and finite differences', (t) => {
      if (skip) return t.skip(skip);
      const got = evaluate((x, y, c) => centerLoss(x, y, c, { reduction: 'sum' }), X, Y, C);
      assertClose(got.loss, centerLossOracle(X, Y, C), 1e-6, 'loss');
      // 'sum' by hand: 1/2 (2 + 1.25 + 2 + 0.5 + 1.25) = 3.5
      assertClose(got.loss, 3.5, 1e-6, 'hand value');
      assertClose(
        got.dx,
        finiteDifferences((x) => centerLossOracle(x, Y, C), X),
        1e-5,
        'dx',
      );
      assertClose(
        got.dc,
        finiteDifferences((c) => centerLossOracle(X, Y, c), C),
        1e-5,
        'dc',
      );
      assert.deepEqual(got.dc[3], [0, 0], 'an absent class gets no gradient');
    });

    for (const delta of [1, 0.25]) {
      test(`contrastive-center (delta ${delta}): value and gradients match oracle, differences, paper`, (t) => {
        if (skip) return t.skip(skip);
        const got = evaluate((x, y, c) => contrastiveCenterLoss(x, y, c, { delta, reduction: 'sum' }), X, Y, C);
        assertClose(got.loss, contrastiveCenterOracle(X, Y, C, delta), 1e-5, 'loss');
        const fdX = finiteDifferences((x) => contrastiveCenterOracle(x, Y, C, delta), X);
        const fdC = finiteDifferences((c) => contrastiveCenterOracle(X, Y, c, delta), C);
        const paper = contrastiveCenterPaperGrads(X, Y, C, delta);
        assertClose(paper.dx, fdX, 1e-6, 'paper dx vs differences');
        assertClose(paper.dc, fdC, 1e-6, 'paper dc vs differences');
        assertClose(got.dx, paper.dx, 1e-5, 'dx');
        assertClose(got.dc, paper.dc, 1e-5, 'dc');
        assert.ok(
          got.dc[3].some((v) => v !== 0),
          'an absent class is still pushed away',
        );
      });
    }

    test("reduction 'mean' is 'sum' / m, values and gradients", (t) => {
      if (skip) return t.skip(skip);
      for (const fn of [centerLoss, contrastiveCenterLoss]) {
        const sum = evaluate((x, y, c) => fn(x, y, c, { reduction: 'sum' }), X, Y, C);
        const mean = evaluate((x, y, c) => fn(x, y, c), X, Y, C);
        assertClose(mean.loss * M, sum.loss, 1e-6, `${fn.name} loss`);
        assertClose(scale(mean.dx, M), sum.dx, 1e-5, `${fn.name} dx`);
        assertClose(scale(mean.dc, M), sum.dc, 1e-5, `${fn.name} dc`);
      }
    });

    test('every feature on its own center gives loss 0', (t) => {
      if (skip) return t.skip(skip);
      const onCenter = Y.map((y) => [...C[y]]);
      for (const fn of [centerLoss, contrastiveCenterLoss]) {
        const got = evaluate((x, y, c) => fn(x, y, c), onCenter, Y, C);
        assert.equal(got.loss, 0, `${fn.name}`);
        assertClose(
          got.dx,
          onCenter.map(() => [0, 0]),
          1e-6,
          `${fn.name} dx`,
        );
      }
    });

    test('constantCenters: same value and feature gradient, and no center gradient to ask for', (t) => {
      if (skip) return t.skip(skip);
      for (const fn of [centerLoss, contrastiveCenterLoss]) {
        const full = evaluate((x, y, c) => fn(x, y, c), X, Y, C);
        const labels = tf.tensor1d(Y, 'int32');
        const [xs, cs] = [tf.tensor2d(X), tf.tensor2d(C)] as tf.Tensor2D[];
        const { value, grads } = tf.valueAndGrads((x: tf.Tensor) =>
          fn(x as tf.Tensor2D, labels, cs, { constantCenters: true }),
        )([xs]);
        assert.equal(read0d(value), full.loss, `${fn.name} value`);
        assert.deepEqual(read2d(grads[0]), full.dx, `${fn.name} dx`);
        assert.throws(
          () => tf.grad((c: tf.Tensor) => fn(xs, labels, c as tf.Tensor2D, { constantCenters: true }))(cs),
          /Cannot compute gradient/,
        );
        tf.dispose([labels, xs, cs]);
      }
    });

    test('gradients agree with float32 finite differences of the tensor code itself', (t) => {
      if (skip) return t.skip(skip);
      const rng = new Rng(11);
      const [x, c, y] = [randomPoints(rng, 6, 3), randomPoints(rng, 5, 3), [0, 4, 4, 2, 1, 0]];
      for (const fn of [centerLoss, contrastiveCenterLoss] as Fn[]) {
        const value = (xp: Points, cp: Points): number => evaluate(fn, xp, y, cp).loss;
        const got = evaluate(fn, x, y, c);
        assertClose(
          got.dx,
          finiteDifferences((xp) => value(xp, c), x, 1e-2),
          2e-3,
          `${fn.name} dx`,
        );
        assertClose(
          got.dc,
          finiteDifferences((cp) => value(x, cp), c, 1e-2),
          2e-3,
          `${fn.name} dc`,
        );
      }
    });
  });
}

test('shape and dtype errors name the problem', async () => {
  await useBackend('cpu');
  const x = tf.zeros([4, 2]) as tf.Tensor2D;
  const y = tf.tensor1d([0, 1, 2, 0], 'int32');
  for (const fn of [centerLoss, contrastiveCenterLoss]) {
    assert.throws(() => fn(x, y, tf.zeros([3, 5]) as tf.Tensor2D), /centers have dimension 5 but features have 2/);
    assert.throws(
      () => fn(x, tf.tensor1d([0, 1, 2], 'int32'), tf.zeros([3, 2]) as tf.Tensor2D),
      /labels has 3 entries/,
    );
    assert.throws(() => fn(x, tf.tensor1d([0, 1, 2, 0]), tf.zeros([3, 2]) as tf.Tensor2D), /labels must be int32/);
    assert.throws(
      () => fn(tf.zeros([4]) as unknown as tf.Tensor2D, y, tf.zeros([3, 2]) as tf.Tensor2D),
      /features must be \[m, d\]/,
    );
  }
  assert.throws(() => contrastiveCenterLoss(x, y, tf.zeros([3, 2]) as tf.Tensor2D, { delta: 0 }), /delta must be > 0/);
});
