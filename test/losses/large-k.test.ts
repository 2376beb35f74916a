// Many classes: the O((m + k) d) contrastive-center formula against a direct [m, k] distance
// matrix, the blocked sums' float32 accuracy, and (logged, not asserted) the time of one
// forward + backward at the paper's scale, m = 128, d = 512, k = 100,000.

import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockedSum0, contrastiveCenterLoss } from '../../src/losses/index.js';
import { Rng } from '../../src/util/rng.js';
import { assertRelClose, contrastiveCenterOracle, randomPoints, read0d, read2d, useBackend } from './oracle.js';

/** L_ctc ('mean') through the full [m, k] matrix of squared distances: the obvious way. */
function directContrastiveCenter(x: tf.Tensor2D, y: tf.Tensor1D, c: tf.Tensor2D, delta: number): tf.Scalar {
  const dist = tf.sum(tf.square(tf.sub(tf.expandDims(x, 1), tf.expandDims(c, 0))), 2); // [m, k]
  const own = tf.cast(tf.oneHot(y, c.shape[0]), 'float32'); // [m, k]
  const a = tf.sum(tf.mul(dist, own), 1); // [m]
  const b = tf.add(tf.sum(tf.mul(dist, tf.sub(1, own)), 1), delta); // [m]
  return tf.mean(tf.mul(0.5, tf.div(a, b))) as tf.Scalar;
}

function valueAndGrads(fn: (x: tf.Tensor2D, c: tf.Tensor2D) => tf.Scalar, x: tf.Tensor2D, c: tf.Tensor2D) {
  const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => fn(a as tf.Tensor2D, b as tf.Tensor2D))([
    x,
    c,
  ]);
  return { loss: read0d(value), dx: read2d(grads[0]), dc: read2d(grads[1]) };
}

// k = 1000 splits into whole blocks; k = 1009 (prime) leaves remainder rows.
for (const k of [1000, 1009]) {
  test(`k = ${k}, d = 16: blocked formula equals the direct [m, k] computation`, async () => {
    await useBackend('cpu');
    const rng = new Rng(k);
    const m = 8;
    const x = tf.tensor2d(randomPoints(rng, m, 16)) as tf.Tensor2D;
    const c = tf.tensor2d(randomPoints(rng, k, 16)) as tf.Tensor2D;
    const y = tf.tensor1d(
      Array.from({ length: m }, () => rng.int(k)),
      'int32',
    );
    const blocked = valueAndGrads((a, b) => contrastiveCenterLoss(a, y, b), x, c);
    const direct = valueAndGrads((a, b) => directContrastiveCenter(a, y, b, 1), x, c);
    assert.ok(
      Math.abs(blocked.loss - direct.loss) <= 1e-4 * Math.abs(direct.loss),
      `${blocked.loss} vs ${direct.loss}`,
    );
    assertRelClose(blocked.dx, direct.dx, 1e-4, 'dx');
    assertRelClose(blocked.dc, direct.dc, 1e-4, 'dc');
    tf.dispose([x, c, y]);
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`a large shared offset (all-positive features) keeps float32 accuracy (${backend})`, async (t) => {
    const skip = await useBackend(backend);
    if (skip) return t.skip(skip);
    // Points in [30, 32)^8: offset / spread ~50, where the unshifted expansion was 2e-4 off.
    const rng = new Rng(3);
    const [xs, cs] = [randomPoints(rng, 16, 8, 30, 32), randomPoints(rng, 20_000, 8, 30, 32)];
    const ys = Array.from({ length: 16 }, () => rng.int(20_000));
    const expected = contrastiveCenterOracle(xs, ys, cs, 1) / 16;
    const got = read0d(
      tf.tidy(() => contrastiveCenterLoss(tf.tensor2d(xs), tf.tensor1d(ys, 'int32'), tf.tensor2d(cs))),
    );
    assert.ok(Math.abs(got - expected) <= 1e-5 * expected, `${got} vs float64 ${expected}`);
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`blocked sums stay exact over 1e6 float32 values (${backend})`, async (t) => {
    const skip = await useBackend(backend);
    if (skip) return t.skip(skip);
    // Sequential float32 accumulation of 1e6 x 0.1 drifts by ~1% once the running sum is large.
    const values = tf.fill([1_000_000], 0.1) as tf.Tensor1D;
    const exact = 1_000_000 * Math.fround(0.1);
    const got = read0d(blockedSum0(values));
    assert.ok(Math.abs(got - exact) <= 1e-5 * exact, `blocked ${got} vs ${exact}`);
    const rows = tf.fill([250_000, 4], 0.1) as tf.Tensor2D;
    for (const v of await blockedSum0(rows).data()) assert.ok(Math.abs(v - exact / 4) <= 1e-5 * exact, `column ${v}`);
    tf.dispose([values, rows]);
  });
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`timing: forward + backward at m = 128, d = 512, k = 100,000 (${backend}, logged only)`, async (t) => {
    const skip = await useBackend(backend);
    if (skip) return t.skip(skip);
    const [m, d, k] = [128, 512, 100_000];
    const x = tf.randomNormal([m, d], 0, 1, 'float32', 1) as tf.Tensor2D;
    const c = tf.randomNormal([k, d], 0, 1, 'float32', 2) as tf.Tensor2D;
    const y = tf.randomUniform([m], 0, k, 'int32', 3) as tf.Tensor1D;
    // Gradients w.r.t. features and centers (centers trained by autodiff, or the SGD center
    // step plus the network step), and w.r.t. the features alone (the network step when the
    // centers are constant).
    const both = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
      contrastiveCenterLoss(a as tf.Tensor2D, y, b as tf.Tensor2D),
    );
    const featuresOnly = tf.valueAndGrads((a: tf.Tensor) =>
      contrastiveCenterLoss(a as tf.Tensor2D, y, c, { constantCenters: true }),
    );
    for (const [label, step] of [
      ['features+centers', () => both([x, c])],
      ['features only', () => featuresOnly([x])],
    ] as const) {
      const times: number[] = [];
      for (let run = 0; run < (backend === 'cpu' ? 2 : 3); run++) {
        const start = performance.now();
        const { value, grads } = step();
        // cpu and wasm run kernels eagerly, so the gradients exist here; reading them back (a
        // 200 MB copy out of wasm memory) is not part of a training step.
        const loss = (await value.data())[0];
        times.push(performance.now() - start);
        assert.ok(Number.isFinite(loss));
        tf.dispose([value, ...grads]);
      }
      const msg = `${backend}: forward+backward (${label}) ms per run, first with warm-up: ${times.map((v) => v.toFixed(0)).join(', ')}`;
      t.diagnostic(msg);
      console.log(msg);
    }
    tf.dispose([x, c, y]);
  });
}
