// `ctc bench` end to end, as a user runs it, in a temporary folder (one short LeNets run).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadOneDnn } from '../../src/backend/native/onednn.js';
import { PACKAGE_ROOT } from '../../src/util/package-root.js';
import { ctc, isCleanError, tempDir } from '../cli/helpers.js';

const { addon, reason } = loadOneDnn();
const nativeSkip = addon === null ? `native accelerator absent: ${reason ?? 'unknown'}` : false;

test('ctc bench --steps 1 --warmup 0 --nets lenets --no-torch writes bench.json and bench.md', () => {
  const dir = tempDir();
  const run = ctc(
    [
      'bench',
      '--steps',
      '1',
      '--warmup',
      '0',
      '--nets',
      'lenets',
      '--no-torch',
      '--backend',
      'wasm',
      '--peak-runs',
      '1',
      '--out',
      'out',
    ],
    dir,
  );
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /\| lenets \| \d+\.\d \| \d+ \| 0\.84 \| \d+ \| \d+% \| — \| — \| ≤ 1\.2: n\/a \|/);
  assert.match(run.stderr, /^peak: \d+ GMAC\/s \(3x3 'same' convolution forward.*through tf\.conv2d on wasm/m);
  assert.match(run.stderr, /^backend: wasm \(SIMD, \d+ threads?\)$/m);
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'out/bench.json'), 'utf8'));
  assert.equal(report.settings.steps, 1);
  assert.equal(report.ctc.steps[0].net, 'lenets');
  assert.equal(report.ctc.steps[0].times.length, 1);
  assert.ok(report.ctc.steps[0].msPerStep > 0);
  assert.equal(
    report.steps[0].gmacPerStep,
    0.843648,
    'LeNets at batch 128 (test/bench/macs.test.ts counts it by hand)',
  );
  assert.ok(report.steps[0].gmacPerSecond > 0 && report.steps[0].peakFraction > 0);
  assert.ok(report.peak.gmacPerSecond > 0 && /wasm/.test(report.peak.method), JSON.stringify(report.peak));
  assert.equal(report.ctc.steps[0].tensorGrowth, 0, 'no tensor leaks across steps');
  assert.deepEqual(
    report.ctc.loss.map((l: { classes: number }) => l.classes),
    [10, 10, 100_000],
  );
  assert.deepEqual(report.torch, { ran: false, reason: 'not requested (--no-torch)' });
  for (const key of ['date', 'commit', 'command', 'machine', 'versions']) assert.ok(key in report.provenance, key);
  assert.match(report.provenance.command, /^ctc bench --steps 1/);
  const md = fs.readFileSync(path.join(dir, 'out/bench.md'), 'utf8');
  assert.match(md, /^# ctc bench/);
  assert.match(md, /PyTorch skipped: not requested/);
  assert.match(md, /Of peak: GMAC\/s against this machine's attainable rate, \d+ GMAC\/s/);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'out')).sort(), ['bench.json', 'bench.md'], 'no temporary files left');
});

test('ctc bench with an unknown network is a one-line error listing the known ones', () => {
  const run = ctc(['bench', '--nets', 'lenet', '--no-torch'], tempDir());
  assert.ok(isCleanError(run), run.stderr);
  assert.match(run.stderr, /--nets: unknown network 'lenet'; known: lenets, lenetspp, resnet20/);
});

test('ctc bench --profile writes the kernel table of a step: kernels only (no op scopes), adding up to the step', () => {
  const dir = tempDir();
  const run = ctc(
    ['bench', '--profile', '--steps', '2', '--warmup', '1', '--nets', 'lenets,lenets', '--batch', '16', '--out', 'out'],
    dir,
  );
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^lenets, batch 16: \d+\.\d ms per profiled step \(mean of 2\)$/m);
  assert.match(run.stdout, /^\| outside kernels \(JavaScript\) \| \| -?\d+\.\d\d \| -?\d+\.\d%/m);
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'out/profile.json'), 'utf8'));
  const [p] = report.profiles;
  const names: string[] = p.kernels.map((k: { kernel: string }) => k.kernel);
  for (const kernel of ['Conv2DBackpropFilter', 'MaxPoolGrad', 'CtcSgdMomentum'])
    assert.ok(names.includes(kernel), kernel);
  assert.ok(!names.some((n) => n.endsWith('__op') || n === 'unnamed scope'), `op scopes counted: ${names.join(', ')}`);
  const kernelMs = p.kernels.reduce((sum: number, k: { ms: number }) => sum + k.ms, 0);
  assert.ok(Math.abs(kernelMs + p.outsideMs - p.msPerStep) < 1e-6, 'rows + outside = step');
  assert.ok(p.outsideMs >= 0, `the kernels (${kernelMs} ms) cannot take longer than the step (${p.msPerStep} ms)`);
  const md = fs.readFileSync(path.join(dir, 'out/profile.md'), 'utf8');
  assert.match(md, /^# ctc bench --profile/);
  // Each network's table lists its kernels over 0.5% of the step, the second one too (which kernels
  // pass that line depends on the machine's load, so count rows rather than name them).
  const tables = md.split(/^lenets, batch 16: /m).slice(1);
  assert.equal(tables.length, 2, md);
  for (const table of tables) {
    const rows = table.split('\n').filter((l) => /^\| [A-Z_]\w* \| \d+ \|/.test(l));
    assert.ok(rows.length >= 3, `kernel rows listed: ${rows.length}\n${table}`);
  }
  assert.deepEqual(fs.readdirSync(path.join(dir, 'out')).sort(), ['profile.json', 'profile.md']);
});

test('ctc bench --rounds 2 measures twice and keeps both rounds; --rounds 0 is a one-line error', () => {
  const dir = tempDir();
  const run = ctc(
    [
      'bench',
      '--rounds',
      '2',
      '--steps',
      '1',
      '--warmup',
      '0',
      '--nets',
      'lenets',
      '--batch',
      '16',
      '--no-torch',
      '--no-loss',
      '--out',
      'out',
    ],
    dir,
  );
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /round 1 of 2[\s\S]*round 2 of 2/);
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'out/bench.json'), 'utf8'));
  assert.equal(report.settings.rounds, 2);
  assert.equal(report.rounds.length, 2);
  assert.deepEqual(
    report.rounds.map((r: { net: string; torchMs: null }[]) => [r[0].net, r[0].torchMs]),
    [
      ['lenets', null],
      ['lenets', null],
    ],
  );
  const bad = ctc(['bench', '--rounds', '0', '--no-torch'], tempDir());
  assert.ok(isCleanError(bad), bad.stderr);
  assert.match(bad.stderr, /--rounds/);
});

test(
  'scripts/ab-native.mjs alternates two variants step by step and prints each median and ratio',
  { skip: nativeSkip },
  () => {
    const run = spawnSync(
      process.execPath,
      [
        path.join(PACKAGE_ROOT, 'scripts', 'ab-native.mjs'),
        '--rounds',
        '2',
        '--nets',
        'lenets',
        'on=this',
        'off=this:0',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^variants: on \(CTC_FAST_PATHS=1\), off \(CTC_FAST_PATHS=0\); \d+ threads$/m);
    assert.match(
      run.stdout,
      /^lenets, batch 128, 2 rounds: on \d+\.\d ms \(x1\.000\), off \d+\.\d ms \(x\d\.\d{3}\)$/m,
    );
  },
);

test(
  'CTC_FAST_PATHS: a list keeps those routes on and the backend says so; an unknown name is a one-line error',
  { skip: nativeSkip },
  () => {
    const dir = tempDir();
    const args = [
      'bench',
      '--steps',
      '1',
      '--warmup',
      '0',
      '--nets',
      'lenets',
      '--batch',
      '8',
      '--no-torch',
      '--no-loss',
      '--out',
      'out',
    ];
    const some = ctc(args, dir, { CTC_FAST_PATHS: 'bn-relu' });
    assert.equal(some.code, 0, some.stderr);
    assert.match(some.stderr, /^backend: .*convolutions in oneDNN .*; fast paths: bn-relu \(CTC_FAST_PATHS\)$/m);
    const typo = ctc(args, dir, { CTC_FAST_PATHS: 'bn_relu' });
    assert.ok(isCleanError(typo), typo.stderr);
    assert.match(typo.stderr, /CTC_FAST_PATHS: unknown route 'bn_relu'; known: conv-input-grad, bn-relu/);
  },
);
