// ctc verify end to end: a run trained on digits 0-6 verifies pairs of the digits 7-9 it never
// saw, from the test set (--heldout) and from an LFW-layout tree of PNG files of another size
// and channel count; bad pairs files and missing images are one line naming file and line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { loadDataset } from '../../src/data/index.js';
import { ctc, isCleanError, tempDir } from '../cli/helpers.js';

const TRAIN = [
  'train',
  '--config',
  'mnist-lenets-softmax.yaml',
  '--set',
  'dataset.trainLimit=2000',
  '--set',
  'dataset.testLimit=1000',
  '--set',
  'dataset.classes=[0, 1, 2, 3, 4, 5, 6]',
  '--set',
  'train.batchSize=64',
  '--set',
  'train.iterations=20',
  '--backend',
  'wasm',
  '--quiet',
];

/** Digits 7, 8, 9 from the test set as 40x40 RGB PNG files in LFW's layout, and a pairs file. */
async function lfwTree(dir: string): Promise<{ images: string; pairs: string }> {
  const mnist = await loadDataset('mnist', { testLimit: 300 });
  const images = path.join(dir, 'lfw');
  const names = ['seven', 'eight', 'nine'];
  const count = [0, 0, 0];
  for (let i = 0; i < mnist.test.count; i++) {
    const k = mnist.test.labels[i] - 7;
    if (k < 0 || count[k] >= 4) continue;
    count[k]++;
    const png = { width: 40, height: 40, data: new Uint8Array(40 * 40 * 4) };
    for (let y = 0; y < 40; y++) {
      for (let x = 0; x < 40; x++) {
        const v =
          mnist.test.images[
            i * 784 + Math.min(27, Math.floor((y * 28) / 40)) * 28 + Math.min(27, Math.floor((x * 28) / 40))
          ];
        png.data.set([v, v, v, 255], (y * 40 + x) * 4);
      }
    }
    fs.mkdirSync(path.join(images, names[k]), { recursive: true });
    fs.writeFileSync(
      path.join(images, names[k], `${names[k]}_${String(count[k]).padStart(4, '0')}.png`),
      PNG.sync.write(png),
    );
  }
  const pairs = path.join(dir, 'pairs.txt');
  const lines = [
    '2\t3',
    'seven\t1\t2',
    'eight\t1\t2',
    'nine\t1\t2',
    'seven\t1\teight\t1',
    'eight\t2\tnine\t1',
    'nine\t2\tseven\t2',
    'seven\t3\t4',
    'eight\t3\t4',
    'nine\t3\t4',
    'seven\t3\tnine\t3',
    'eight\t3\tseven\t4',
    'nine\t4\teight\t4',
  ];
  fs.writeFileSync(pairs, `${lines.join('\n')}\n`);
  return { images, pairs };
}

test('a run on digits 0-6 verifies held-out digits and an LFW-layout tree; bad input is one line', async () => {
  const dir = tempDir();
  const train = ctc([...TRAIN, '--out', 'runs/a'], dir);
  assert.equal(train.code, 0, train.stderr);
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'runs/a/summary.json'), 'utf8'));
  assert.deepEqual(summary.dataset.classes, [0, 1, 2, 3, 4, 5, 6]);
  assert.ok(summary.dataset.testSize < 1000 && summary.dataset.testSize > 600, 'the test set keeps only digits 0-6');

  const held = ctc(
    ['verify', '--run', 'runs/a', '--heldout', '--folds', '3', '--pairs-per-fold', '30', '--backend', 'wasm'],
    dir,
  );
  assert.equal(held.code, 0, held.stderr);
  assert.match(held.stdout, /verification accuracy \d+\.\d\d% ± \d+\.\d\d over 3 fold\(s\) of 60 pairs, AUC 0\.\d{4}/);
  const v = JSON.parse(fs.readFileSync(path.join(dir, 'runs/a/verification/verification.json'), 'utf8'));
  assert.deepEqual(v.heldOutClasses, [7, 8, 9]);
  assert.equal(v.foldAccuracies.length, 3);
  assert.ok(v.auc > 0.5, `features of unseen digits still separate them better than chance (AUC ${v.auc})`);
  assert.ok(fs.existsSync(path.join(dir, 'runs/a/verification/roc.png')));
  const again = ctc(
    [
      'verify',
      '--run',
      'runs/a',
      '--heldout',
      '--folds',
      '3',
      '--pairs-per-fold',
      '30',
      '--backend',
      'wasm',
      '--out',
      'v2',
    ],
    dir,
  );
  assert.equal(again.code, 0, again.stderr);
  assert.equal(
    JSON.parse(fs.readFileSync(path.join(dir, 'v2/verification.json'), 'utf8')).auc,
    v.auc,
    'the same pairs and scores again',
  );

  const { images, pairs } = await lfwTree(dir);
  const lfw = ctc(
    [
      'verify',
      '--run',
      'runs/a',
      '--pairs',
      pairs,
      '--images',
      images,
      '--similarity',
      'l2',
      '--backend',
      'wasm',
      '--out',
      'lfw',
    ],
    dir,
  );
  assert.equal(lfw.code, 0, lfw.stderr);
  assert.match(lfw.stdout, /over 2 fold\(s\) of 6 pairs/);
  assert.match(lfw.stdout, /images centre-cropped to a square, resized bilinearly.*to 28x28x1/);
  const lv = JSON.parse(fs.readFileSync(path.join(dir, 'lfw/verification.json'), 'utf8'));
  assert.equal(lv.images, 12);

  const bad = path.join(dir, 'bad.txt');
  fs.writeFileSync(bad, '1\t1\nseven\t1\t9\nseven\t1\teight\t1\n');
  const missing = ctc(['verify', '--run', 'runs/a', '--pairs', bad, '--images', images, '--backend', 'wasm'], dir);
  assert.ok(isCleanError(missing), missing.stderr);
  assert.match(missing.stderr, /bad\.txt:2: no image .*seven_0009\.\{jpg,png\}/);
  fs.writeFileSync(bad, '1\t1\nseven\t1\n');
  const malformed = ctc(['verify', '--run', 'runs/a', '--pairs', bad, '--images', images, '--backend', 'wasm'], dir);
  assert.ok(isCleanError(malformed), malformed.stderr);
  assert.match(malformed.stderr, /bad\.txt: 1 fold\(s\) of 1 matched and 1 mismatched pairs need 3 lines, found 2/);
  const neither = ctc(['verify', '--run', 'runs/a'], dir);
  assert.ok(
    isCleanError(neither) && /give --pairs FILE with --images DIR, or --heldout/.test(neither.stderr),
    neither.stderr,
  );

  const full = ctc(
    [
      'train',
      '--config',
      'mnist-lenets-softmax.yaml',
      '--set',
      'dataset.trainLimit=640',
      '--set',
      'dataset.testLimit=100',
      '--set',
      'train.iterations=2',
      '--backend',
      'wasm',
      '--quiet',
      '--out',
      'runs/full',
    ],
    dir,
  );
  assert.equal(full.code, 0, full.stderr);
  const noSubset = ctc(['verify', '--run', 'runs/full', '--heldout', '--backend', 'wasm'], dir);
  assert.ok(
    isCleanError(noSubset) && /--heldout needs a run trained on a subset of the classes/.test(noSubset.stderr),
    noSubset.stderr,
  );
  const badClass = ctc([...TRAIN, '--set', 'dataset.classes=[0, 12]', '--out', 'runs/b'], dir);
  assert.ok(
    isCleanError(badClass) && /dataset\.classes: 12 is not a class of mnist/.test(badClass.stderr),
    badClass.stderr,
  );
});
