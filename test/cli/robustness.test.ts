// Losing nothing: kill -9 at a random moment then --resume (with the newest checkpoint damaged
// on purpose) ends with exactly the metrics of an uninterrupted run; a full disk gives one line
// and leaves no partial results.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CTC, ctc, ctcAsync, isCleanError, tempDir } from './helpers.js';

const RUN = [
  'train',
  '--config',
  'mnist-lenets-contrastive-center.yaml',
  '--set',
  'dataset.trainLimit=640',
  '--set',
  'dataset.testLimit=500',
  '--set',
  'train.batchSize=64',
  '--set',
  'train.epochs=3',
  '--backend',
  'wasm',
  '--checkpoint-seconds',
  '0.2',
];

function checkpointIteration(dir: string): number {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'checkpoints', 'last', 'checkpoint.json'), 'utf8')).iteration;
  } catch {
    return -1;
  }
}

test('kill -9 mid-epoch, damaged newest checkpoint, --resume: same final metrics as an uninterrupted run', async () => {
  const dir = tempDir();
  const full = ctc([...RUN, '--out', 'full'], dir);
  assert.equal(full.code, 0, full.stderr);

  const { child, done } = ctcAsync([...RUN, '--out', 'cut'], dir);
  const cut = path.join(dir, 'cut');
  while (checkpointIteration(cut) < 13) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  assert.equal((await done).code, null);
  assert.ok(!fs.existsSync(path.join(cut, 'summary.json')));
  // A torn write: the newest checkpoint's tensors are cut short. The previous one must be used.
  const bin = path.join(cut, 'checkpoints', 'last', 'tensors.bin');
  fs.truncateSync(bin, Math.floor(fs.statSync(bin).size / 2));

  const resumed = ctc([...RUN, '--out', 'cut', '--resume'], dir);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(
    resumed.stderr,
    /checksum mismatch.*resuming from the previous checkpoint|damaged; resuming from the previous checkpoint/,
  );
  const a = JSON.parse(fs.readFileSync(path.join(dir, 'full', 'summary.json'), 'utf8'));
  const b = JSON.parse(fs.readFileSync(path.join(cut, 'summary.json'), 'utf8'));
  assert.equal(b.testAccuracy, a.testAccuracy);
  assert.deepEqual(b.lossTerms, a.lossTerms);
  assert.deepEqual(
    b.history.map((h: { loss: number; testAccuracy: number }) => [h.loss, h.testAccuracy]),
    a.history.map((h: { loss: number; testAccuracy: number }) => [h.loss, h.testAccuracy]),
  );
  const metrics = fs
    .readFileSync(path.join(cut, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const epochs = metrics.filter((m) => m.type === 'epoch').map((m) => m.epoch);
  assert.deepEqual(epochs, [1, 2, 3], 'no duplicated metric lines after the resume');
});

test('a full disk: one line, exit 5, no partial checkpoint or summary', (t) => {
  const dir = tempDir();
  const disk = path.join(dir, 'disk');
  fs.mkdirSync(disk);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk], { stdio: 'ignore' });
  } catch {
    t.skip('cannot mount a small tmpfs here (needs root)');
    return;
  }
  try {
    const r = ctc([...RUN, '--out', path.join(disk, 'run')], dir);
    assert.ok(isCleanError(r), r.stderr);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /disk full|no space left/);
    const left = fs.readdirSync(path.join(disk, 'run', 'checkpoints'));
    assert.deepEqual(left, [], `left in checkpoints/: ${left.join(', ')}`);
    assert.ok(!fs.existsSync(path.join(disk, 'run', 'summary.json')));
  } finally {
    execFileSync('umount', [disk]);
  }
});

test('a diverging run stops at the first non-finite step naming it; onNan: lower-lr skips it and finishes', () => {
  const dir = tempDir();
  const diverge = [
    'train',
    '--config',
    'mnist-lenets-softmax.yaml',
    '--set',
    'dataset.trainLimit=640',
    '--set',
    'dataset.testLimit=100',
    '--set',
    'train.batchSize=64',
    '--set',
    'train.epochs=3',
    '--set',
    'train.lr=10',
    '--set',
    'train.momentum=0.99',
    '--backend',
    'wasm',
  ];
  const stop = ctc([...diverge, '--out', 'stop'], dir);
  assert.ok(isCleanError(stop), stop.stderr);
  assert.equal(stop.code, 4);
  assert.match(stop.stderr, /iteration \d+: loss term '(softmax|total)' is NaN; stopped/);
  assert.ok(!fs.existsSync(path.join(dir, 'stop', 'summary.json')));

  const lower = ctc([...diverge, '--set', 'train.onNan=lower-lr', '--out', 'lower'], dir);
  assert.equal(lower.code, 0, lower.stderr);
  assert.match(lower.stderr, /back to the checkpoint at iteration \d+ with the learning rate x0\.5/);
  const nan = fs
    .readFileSync(path.join(dir, 'lower', 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"nan"'));
  assert.ok(nan.length >= 1);
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'lower', 'summary.json'), 'utf8'));
  assert.ok(Number.isFinite(summary.testAccuracy));
});

test('a reader that closes the pipe early (ctc data verify | head -1) ends ctc quietly, exit 0', async () => {
  const child = spawn(process.execPath, [CTC, 'data', 'verify'], { env: { ...process.env, CI: 'true' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(stderr.includes('EPIPE'), false, stderr);
  assert.equal(code, 0, stderr);
});
