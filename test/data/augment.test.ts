import assert from 'node:assert/strict';
import { test } from 'node:test';
import { augmentBatch, pixelMean, subtractMean } from '../../src/data/augment.js';
import { Rng } from '../../src/util/rng.js';

const H = 32;
const W = 32;
const C = 3;
const PIXELS = H * W * C;

/** n images whose value at (y, x, k) is 1 + y * 1000 + x * 10 + k (never 0, so padding shows). */
function batch(n: number): Float32Array {
  const x = new Float32Array(n * PIXELS);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < H; y++)
      for (let c = 0; c < W; c++)
        for (let k = 0; k < C; k++) {
          x[b * PIXELS + (y * W + c) * C + k] = 1 + y * 1000 + c * 10 + k;
        }
  return x;
}

/** Recovers (dy, dx, flipped) from an augmented image of `batch`; checks every pixel on the way. */
function inspect(out: Float32Array, b: number): { dy: number; dx: number; flip: boolean } {
  const at = (y: number, x: number, k: number) => out[b * PIXELS + (y * W + x) * C + k];
  // the centre pixel always comes from the image (|offset| <= 4 < 16)
  const v = at(16, 16, 0) - 1;
  const sy = Math.floor(v / 1000);
  const sx = Math.round((v % 1000) / 10);
  const dy = sy - 16;
  const flip = at(16, 17, 0) < at(16, 16, 0);
  const dx = flip ? sx - (W - 1 - 16) : sx - 16;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let k = 0; k < C; k++) {
        const srcY = y + dy;
        const srcX = (flip ? W - 1 - x : x) + dx;
        const inside = srcY >= 0 && srcY < H && srcX >= 0 && srcX < W;
        const want = inside ? 1 + srcY * 1000 + srcX * 10 + k : 0;
        assert.equal(at(y, x, k), want, `image ${b} (${y}, ${x}, ${k}) with dy ${dy} dx ${dx} flip ${flip}`);
      }
  return { dy, dx, flip };
}

test('augmentBatch: offsets cover -4..4, flips reverse columns, padding is zeros', () => {
  const n = 400;
  const out = augmentBatch(batch(n), n, [H, W, C], new Rng(7), { pad: 4, flip: true });
  const dys = new Set<number>();
  const dxs = new Set<number>();
  let flips = 0;
  for (let b = 0; b < n; b++) {
    const { dy, dx, flip } = inspect(out, b);
    dys.add(dy);
    dxs.add(dx);
    if (flip) flips++;
  }
  const range = [-4, -3, -2, -1, 0, 1, 2, 3, 4];
  assert.deepEqual(
    [...dys].sort((a, b) => a - b),
    range,
  );
  assert.deepEqual(
    [...dxs].sort((a, b) => a - b),
    range,
  );
  assert.ok(flips > 150 && flips < 250, `${flips} flips of ${n}`);
});

test('augmentBatch with pad 0 and no flip is the identity; flip alone mirrors each row', () => {
  const x = batch(3);
  assert.deepEqual(augmentBatch(x, 3, [H, W, C], new Rng(1), { pad: 0, flip: false }), x);
  const y = batch(20);
  const mirrored = augmentBatch(y, 20, [H, W, C], new Rng(2), { pad: 0, flip: true });
  let flips = 0;
  for (let b = 0; b < 20; b++) {
    const { dy, dx, flip } = inspect(mirrored, b);
    assert.deepEqual([dy, dx], [0, 0]);
    if (flip) flips++;
  }
  assert.ok(flips > 0 && flips < 20);
});

test('the same Rng state gives the same batch; the Rng advances', () => {
  const x = batch(16);
  const rng = new Rng(42);
  const state = rng.getState();
  const a = augmentBatch(x, 16, [H, W, C], rng);
  const b = augmentBatch(x, 16, [H, W, C], rng);
  rng.setState(state);
  const again = augmentBatch(x, 16, [H, W, C], rng);
  assert.deepEqual(again, a);
  assert.notDeepEqual(b, a);
  assert.throws(() => augmentBatch(x, 15, [H, W, C], rng), RangeError);
});

test('augmentBatch is cheap: 128 CIFAR images well under 5 ms', () => {
  const x = batch(128);
  const out = new Float32Array(x.length);
  const rng = new Rng(3);
  for (let i = 0; i < 20; i++) augmentBatch(x, 128, [H, W, C], rng, { pad: 4, flip: true }, out); // warm up
  // the best of 5 rounds, so a busy machine does not fail it
  let ms = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (let i = 0; i < 10; i++) augmentBatch(x, 128, [H, W, C], rng, { pad: 4, flip: true }, out);
    ms = Math.min(ms, (performance.now() - start) / 10);
  }
  console.log(`# augmentBatch: ${ms.toFixed(2)} ms per 128 images`);
  assert.ok(ms < 5, `${ms} ms`);
});

test('pixelMean averages each pixel over the split on the 0..255 scale; subtractMean removes it', () => {
  const images = new Uint8Array([0, 10, 255, 4, 20, 255, 8, 30, 0]); // 3 images of 3 "pixels"
  const mean = pixelMean({ images, labels: new Uint8Array(3), count: 3 }, [1, 3, 1]);
  assert.deepEqual([...mean], [4, 20, 170]);
  const x = Float32Array.from(images, (p) => p / 255);
  subtractMean(x, mean, 1 / 255);
  assert.ok(Math.abs(x[0] - -4 / 255) < 1e-6 && Math.abs(x[5] - 85 / 255) < 1e-6);
  let total = 0;
  for (const v of x) total += v;
  assert.ok(Math.abs(total) < 1e-5);
  assert.throws(() => pixelMean({ images, labels: new Uint8Array(2), count: 2 }, [1, 3, 1]), RangeError);
});
