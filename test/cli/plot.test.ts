// `ctc plot` end to end on a tiny LeNets++ run trained in a temporary folder: the feature plot
// and its metrics in summary.json, training curves, the animation from frames, and one-line
// errors for what a user gets wrong.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { plotCommand, type PlotFlags } from '../../src/commands/plot.js';
import { isUserError } from '../../src/errors.js';
import { writeFeatureFrame } from '../../src/report/plot-frames.js';
import { ctc, isCleanError, tempDir } from './helpers.js';

const PNG = '89504e470d0a1a0a';
const TINY = [
  '--set',
  'dataset.trainLimit=256',
  '--set',
  'dataset.testLimit=200',
  '--set',
  'train.batchSize=64',
  '--set',
  'train.epochs=1',
  '--backend',
  'wasm',
];

test('plot a tiny run: features with metrics, curves, animation, and clean errors', async () => {
  const dir = tempDir();
  const run = path.join(dir, 'run');
  const train = ctc(['train', '--config', 'mnist-lenetspp-softmax.yaml', ...TINY, '--quiet', '--out', 'run'], dir);
  assert.equal(train.code, 0, train.stderr);

  const plot = ctc(['plot', '--run', 'run', '--backend', 'wasm'], dir);
  assert.equal(plot.code, 0, plot.stderr);
  assert.match(plot.stdout, /^softmax: test \d+\.\d\d%, intra [\d.e+-]+, inter min .*NCM \d+\.\d\d%/);
  assert.match(plot.stdout, /wrote .*features\.png, .*features\.svg \(\d+\.\d s\)/);
  assert.equal(fs.readFileSync(path.join(run, 'features.png')).subarray(0, 8).toString('hex'), PNG);
  assert.match(fs.readFileSync(path.join(run, 'features.svg'), 'utf8'), /softmax: test accuracy \d+\.\d\d%/);
  const summary = JSON.parse(fs.readFileSync(path.join(run, 'summary.json'), 'utf8'));
  assert.equal(summary.featureMetrics.count, 200);
  assert.equal(summary.featureMetrics.dim, 2);
  assert.equal(summary.featureMetrics.checkpoint, 'last');
  assert.equal(summary.featureMetrics.testAccuracy, summary.testAccuracy);
  assert.ok(summary.featureMetrics.raw.ncmAccuracy >= 0 && summary.featureMetrics.normalized.intraMean > 0);
  assert.ok(summary.history.length === 1, 'the rest of summary.json is kept');

  const curves = ctc(['plot', '--curves', '--run', 'run', '--out', 'curves.svg'], dir);
  assert.equal(curves.code, 0, curves.stderr);
  assert.match(fs.readFileSync(path.join(dir, 'curves.svg'), 'utf8'), /Training curves: softmax/);

  // Errors are checked in-process (each CLI start loads TensorFlow.js); one through the CLI.
  const flags: PlotFlags = { checkpoint: 'last', maxPoints: '5000', backend: 'wasm' };
  const fails = async (f: Partial<PlotFlags>, message: RegExp) =>
    assert.rejects(plotCommand({ ...flags, ...f }), (e) => isUserError(e) && message.test(e.message));
  await fails({ run: path.join(dir, 'nope') }, /nope: no such run directory/);
  await fails({ run: dir }, /not a run directory \(no config\.resolved\.yaml\)/);
  await fails({ runs: [run, run] }, /several runs needs --out/);
  await fails({ run, out: 'x.jpg' }, /--out x\.jpg: expected a \.png or \.svg file/);
  await fails({ run, checkpoint: 'first' }, /--checkpoint: expected 'last' or 'best'/);
  await fails({ run, animate: true }, /frames: no feature frames/);
  const bare = path.join(dir, 'bare');
  fs.mkdirSync(bare);
  fs.copyFileSync(path.join(run, 'config.resolved.yaml'), path.join(bare, 'config.resolved.yaml'));
  await fails({ run: bare, curves: true }, /bare\/metrics\.jsonl: no such file/);
  const missing = ctc(['plot', '--curves', '--run', 'bare'], dir);
  assert.ok(isCleanError(missing), missing.stderr);

  for (const epoch of [1, 2]) {
    const features = Float32Array.from({ length: 400 }, (_, i) => epoch * Math.sin(i));
    writeFeatureFrame(
      run,
      epoch,
      features,
      Uint8Array.from({ length: 200 }, (_, i) => i % 10),
      null,
      { testAccuracy: 50 + epoch },
    );
  }
  const gif = ctc(['plot', '--run', 'run', '--animate'], dir);
  assert.equal(gif.code, 0, gif.stderr);
  assert.match(gif.stdout, /features\.gif: 2 frame\(s\)/);
  assert.equal(fs.readFileSync(path.join(run, 'features.gif')).subarray(0, 6).toString(), 'GIF89a');
});
