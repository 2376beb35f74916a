// Per-epoch feature frames (the training-loop hook) and the GIF made from them: the binary
// format round-trips, corrupt files are named errors, d > 2 is projected, the GIF is a GIF.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isUserError } from '../../src/errors.js';
import {
  decodeFrame,
  encodeFrame,
  makeFrame,
  readFeatureFrames,
  writeFeatureFrame,
} from '../../src/report/plot-frames.js';
import { animateFrames } from '../../src/report/plot-gif.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-frames-'));

function features(n: number, d: number, scale: number): { x: Float32Array; y: Uint8Array; c: Float32Array } {
  const y = Uint8Array.from({ length: n }, (_, i) => i % 3);
  const x = Float32Array.from(
    { length: n * d },
    (_, k) => scale * (y[Math.floor(k / d)] + ((k * 7919) % 13) / 26) * (k % d === 0 ? 1 : 0.5),
  );
  const c = Float32Array.from({ length: 3 * d }, (_, k) => scale * Math.floor(k / d));
  return { x, y, c };
}

test('a frame round-trips through its binary format', () => {
  const { x, y, c } = features(7, 2, 1);
  const frame = makeFrame(3, x, y, c, { testAccuracy: 97.5 });
  const back = decodeFrame(encodeFrame(frame), 'f.bin');
  assert.equal(back.epoch, 3);
  assert.equal(back.dim, 2);
  assert.equal(back.testAccuracy, 97.5);
  assert.deepEqual([...back.labels], [...y]);
  assert.deepEqual([...back.points], [...x]);
  assert.deepEqual([...back.centers], [...c]);
  assert.equal(decodeFrame(encodeFrame({ ...frame, testAccuracy: null }), 'f.bin').testAccuracy, null);
});

test('the hook keeps a fixed subset of at most maxPoints and projects d > 2 to 2-D', () => {
  const dir = tmp();
  const { x, y, c } = features(50, 6, 1);
  writeFeatureFrame(dir, 2, x, y, c, { maxPoints: 20 });
  writeFeatureFrame(dir, 1, x, y, null, { maxPoints: 20 });
  const frames = readFeatureFrames(dir);
  assert.deepEqual(
    frames.map((f) => f.epoch),
    [1, 2],
  );
  assert.equal(frames[1].labels.length, 20);
  assert.equal(frames[1].points.length, 40);
  assert.equal(frames[1].centers.length, 6);
  assert.equal(frames[1].dim, 6);
  assert.equal(frames[0].centers.length, 0);
  assert.deepEqual([...frames[0].labels], [...frames[1].labels], 'same points every epoch');
  assert.ok(fs.existsSync(path.join(dir, 'frames', 'epoch-0002.bin')));
});

test('missing, foreign and truncated frames are user errors naming the file', () => {
  const dir = tmp();
  assert.throws(
    () => readFeatureFrames(dir),
    (e) => isUserError(e) && /no feature frames/.test(e.message),
  );
  const { x, y, c } = features(5, 2, 1);
  const file = writeFeatureFrame(dir, 1, x, y, c);
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 3));
  assert.throws(
    () => readFeatureFrames(dir),
    (e) => isUserError(e) && e.message.includes(file) && /truncated/.test(e.message),
  );
  fs.writeFileSync(file, 'not a frame, just some text');
  assert.throws(
    () => readFeatureFrames(dir),
    (e) => isUserError(e) && /not a ctc feature frame/.test(e.message),
  );
});

test('frames become a looping GIF with one image per epoch', async () => {
  const frames = [1, 2, 3].map((e) => {
    const { x, y, c } = features(30, 2, e);
    return makeFrame(e, x, y, c, { testAccuracy: 90 + e });
  });
  const gif = await animateFrames(frames, { classNames: ['a', 'b', 'c'], label: 'center' });
  assert.equal(Buffer.from(gif.subarray(0, 6)).toString('latin1'), 'GIF89a');
  assert.equal(gif[gif.length - 1], 0x3b, 'GIF trailer');
  let images = 0;
  for (let i = 0; i < gif.length - 9; i++) if (gif[i] === 0x21 && gif[i + 1] === 0xf9 && gif[i + 2] === 0x04) images++; // graphic control blocks
  assert.equal(images, 3);
  const width = gif[6] | (gif[7] << 8);
  assert.ok(width > 360, `width ${width}`);
});
