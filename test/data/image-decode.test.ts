import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { decodeImages } from '../../src/data/formats/decode-pool.js';
import { decodeImage, imageFormat, jpegComponents } from '../../src/data/formats/image-decode.js';
import { greyJpeg8x8, makeJpeg, makePng, pixels } from './image-fixtures.js';

const userError = (pattern: RegExp) => (err: unknown) => err instanceof UserError && pattern.test(err.message);

test('PNG: grey gives 1 channel, RGB 3, and alpha is dropped', () => {
  const grey = pixels(5, 4, 1, (y, x) => 10 * y + x);
  const d1 = decodeImage(makePng(5, 4, 1, grey), 'g.png');
  assert.deepEqual([d1.width, d1.height, d1.channels], [5, 4, 1]);
  assert.deepEqual(d1.data, grey);
  const greyAlpha = pixels(5, 4, 2, (y, x, k) => (k === 0 ? 10 * y + x : 7));
  assert.deepEqual(decodeImage(makePng(5, 4, 2, greyAlpha), 'ga.png').data, grey);
  const rgb = pixels(3, 2, 3, (y, x, k) => 50 * k + 3 * y + x);
  const d3 = decodeImage(makePng(3, 2, 3, rgb), 'c.png');
  assert.deepEqual([d3.width, d3.height, d3.channels], [3, 2, 3]);
  assert.deepEqual(d3.data, rgb);
  const rgba = pixels(3, 2, 4, (y, x, k) => (k === 3 ? 0 : 50 * k + 3 * y + x));
  assert.deepEqual(decodeImage(makePng(3, 2, 4, rgba), 'a.png').data, rgb);
});

test('JPEG: colour gives 3 channels close to the source, a one-component JPEG 1 channel', () => {
  const rgb = pixels(16, 16, 3, (_y, _x, k) => [200, 100, 30][k]);
  const jpg = makeJpeg(16, 16, rgb);
  assert.equal(imageFormat(jpg), 'jpeg');
  assert.equal(jpegComponents(jpg), 3);
  const d = decodeImage(jpg, 'c.jpg');
  assert.deepEqual([d.width, d.height, d.channels], [16, 16, 3]);
  for (let i = 0; i < d.data.length; i++)
    assert.ok(Math.abs(d.data[i] - rgb[i]) <= 4, `byte ${i}: ${d.data[i]} vs ${rgb[i]}`);
  const grey = decodeImage(greyJpeg8x8(), 'g.jpg');
  assert.deepEqual([grey.width, grey.height, grey.channels], [8, 8, 1]);
  assert.ok(grey.data.every((v) => v === 144));
});

test('corrupt, truncated and unknown files are one-line errors naming the file', () => {
  const jpg = makeJpeg(
    8,
    8,
    pixels(8, 8, 3, (y, x) => 30 * y + x),
  );
  assert.throws(
    () => decodeImage(jpg.subarray(0, jpg.length - 20), 'train/cat/1.jpg'),
    userError(/^train\/cat\/1\.jpg: cannot decode JPEG: /),
  );
  const garbled = jpg.slice();
  garbled.fill(0x00, 30, 200);
  assert.throws(() => decodeImage(garbled, 'x.jpg'), userError(/^x\.jpg: cannot decode JPEG: [^\n]+$/));
  const png = makePng(
    4,
    4,
    3,
    pixels(4, 4, 3, () => 9),
  );
  assert.throws(() => decodeImage(png.subarray(0, 40), 'p.png'), userError(/^p\.png: cannot decode PNG: /));
  assert.throws(
    () => decodeImage(new TextEncoder().encode('hello'), 'notes.txt'),
    userError(/^notes\.txt: not a JPEG or PNG image/),
  );
});

test('decodeImages fills one buffer in order, on the main thread and in workers alike', async () => {
  const items = Array.from({ length: 9 }, (_, i) => ({
    file: `img${i}.png`,
    bytes: makePng(
      4,
      3,
      3,
      pixels(4, 3, 3, (y, x, k) => i * 20 + y * 4 + x + k),
    ),
  }));
  const inline = await decodeImages(items, { workers: 0 });
  const done: number[] = [];
  const pooled = await decodeImages(items, { workers: 2, onProgress: (n) => done.push(n) });
  assert.deepEqual(inline.shape, [3, 4, 3]);
  assert.deepEqual(pooled.shape, [3, 4, 3]);
  assert.deepEqual(pooled.images, inline.images);
  assert.equal(inline.images[5 * 36], 100);
  assert.equal(done.at(-1), 9);
});

test('decodeImages rejects a second size or channel count, naming both files', async () => {
  const items = [
    {
      file: 'a.png',
      bytes: makePng(
        4,
        4,
        3,
        pixels(4, 4, 3, () => 1),
      ),
    },
    {
      file: 'b.png',
      bytes: makePng(
        4,
        4,
        3,
        pixels(4, 4, 3, () => 2),
      ),
    },
    {
      file: 'odd.png',
      bytes: makePng(
        5,
        4,
        3,
        pixels(5, 4, 3, () => 3),
      ),
    },
  ];
  const odd = userError(
    /^odd\.png: 5x4 with 3 channel\(s\), but a\.png is 4x4 with 3; all images must have one size and channel count$/,
  );
  await assert.rejects(decodeImages(items, { workers: 0 }), odd);
  await assert.rejects(decodeImages(items, { workers: 2 }), odd);
  items[2] = {
    file: 'grey.png',
    bytes: makePng(
      4,
      4,
      1,
      pixels(4, 4, 1, () => 3),
    ),
  };
  await assert.rejects(
    decodeImages(items, { workers: 0 }),
    userError(/^grey\.png: 4x4 with 1 channel\(s\), but a\.png is 4x4 with 3/),
  );
  await assert.rejects(
    decodeImages([{ file: 'bad.jpg', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0]) }], { workers: 2 }),
    userError(/^bad\.jpg: cannot decode JPEG/),
  );
});
