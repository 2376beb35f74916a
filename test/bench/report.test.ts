// The bench report's pure parts: medians, ratios against PyTorch and the targets, and tables.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LossBench, StepBench } from '../../src/bench/measure.js';
import {
  formatLossTable,
  formatReport,
  formatStepTable,
  lossRows,
  peakLine,
  peakSummary,
  roundRows,
  stepRows,
  peakTargets,
  stepTargets,
  type BenchReport,
} from '../../src/bench/report.js';
import { median } from '../../src/bench/stats.js';
import { torchEnv, type TorchOutcome, type TorchResult } from '../../src/bench/torch.js';

const step = (net: string, ms: number): StepBench => ({
  net,
  config: `${net}.yaml`,
  batch: 128,
  parameters: 1000,
  gmacPerStep: 11,
  msPerStep: ms,
  imagesPerSecond: 128_000 / ms,
  times: [ms],
  peakRssMiB: 300,
  peakTensors: 40,
  peakTensorMiB: 12,
  tensorGrowth: 0,
  wasmHeapMiB: 256,
});
const peak = (gmacPerSecond: number) => ({ gmacPerSecond, method: 'test conv' });
const torchNet = (ms: number) => ({
  msPerStep: ms,
  imagesPerSecond: 128_000 / ms,
  memoryFormat: 'channels_last',
  byFormat: { channels_last: ms },
  times: [ms],
});
const torch: TorchOutcome = {
  ran: true,
  result: {
    torch: '1.13.0a0',
    python: '3.11.2',
    threads: 2,
    blas: 'generic',
    blasLibrary: ['/usr/lib/libopenblas.so'],
    mkldnn: true,
    nets: { lenets: torchNet(100), resnet20: torchNet(300) },
    loss: [{ batch: 128, dim: 512, classes: 100_000, msMatrix: 800, msClosedForm: 90 }],
  },
};

test('median of odd and even counts; an empty list throws', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /empty/);
});

test('step rows: ratio ctc / PyTorch against each network target', () => {
  const rows = stepRows([step('lenets', 110), step('resnet20', 1500), step('lenetspp', 900)], torch);
  assert.deepEqual(
    rows.map((r) => [r.net, r.ratio, r.target, r.met]),
    [
      ['lenets', 1.1, 1.2, true],
      ['resnet20', 5, 4.5, false],
      ['lenetspp', null, 4.5, null], // no PyTorch number: no verdict
    ],
  );
  const table = formatStepTable(rows);
  assert.match(
    table,
    /\| lenets \| 110\.0 \| 1164 \| 11\.00 \| 100 \| — \| 100\.0 \(channels_last\) \| 1\.10 \| ≤ 1\.2: yes \|/,
  );
  assert.match(
    table,
    /\| resnet20 \| 1500\.0 \| 85 \| 11\.00 \| 7 \| — \| 300\.0 \(channels_last\) \| 5\.00 \| ≤ 4\.5: no \|/,
  );
  assert.match(table, /\| lenetspp \| 900\.0 \| 142 \| 11\.00 \| 12 \| — \| — \| — \| ≤ 4\.5: n\/a \|/);
});

test('with the native accelerator LeNets++ and ResNet-20 are held to 0.75x of PyTorch and LeNets to 1x', () => {
  const rows = stepRows([step('resnet20', 270), step('lenetspp', 400)], torch, stepTargets('wasm+onednn'));
  assert.deepEqual(
    rows.map((r) => [r.ratio, r.target, r.met]),
    [
      [0.9, 0.75, false],
      [null, 0.75, null],
    ],
  );
  assert.equal(stepTargets('wasm+onednn').lenets, 1);
  assert.equal(stepTargets('wasm').resnet20, 4.5);
  assert.deepEqual(peakTargets('wasm'), {}, 'no peak target without the accelerator');
});

test('rounds: medians of each side, the ratio the median of the rounds own ratios, a round without PyTorch left out', () => {
  const withTorch = (ms: number): TorchOutcome => ({
    ran: true,
    result: { ...(torch as { ran: true; result: TorchResult }).result, nets: { resnet20: torchNet(ms) } },
  });
  const rounds = [
    { steps: [step('resnet20', 200)], torch: withTorch(250), peak: peak(100) }, // 0.8
    { steps: [step('resnet20', 300)], torch: withTorch(250), peak: peak(110) }, // 1.2; the best peak
    { steps: [step('resnet20', 210)], torch: withTorch(300), peak: peak(50) }, // 0.7; a peak measured low
    { steps: [step('resnet20', 100)], torch: { ran: false, reason: 'x' } as TorchOutcome }, // no peak measured
  ];
  const [row] = roundRows(rounds, stepTargets('wasm+onednn'), peakTargets('wasm+onednn'));
  assert.deepEqual(row.roundRatios, [0.8, 1.2, 0.7]);
  assert.equal(row.ratio, 0.8);
  assert.equal(row.ctcMs, 205); // median of 200, 300, 210, 100
  assert.equal(row.torchMs, 250);
  assert.equal(row.met, false, '0.8 against 0.75');
  assert.equal(row.gmacPerSecond, 11 / 0.205);
  assert.equal(row.peakFraction, 11 / 0.205 / 110, 'the median step against the best peak');
  assert.deepEqual([row.peakTarget, row.peakMet], [0.8, false]);
  assert.match(
    formatStepTable([row]),
    /\| resnet20 \| 205\.0 \| 624 \| 11\.00 \| 54 \| 49% \| 250\.0 \(channels_last\) \| 0\.80 \| 0\.80, 1\.20, 0\.70 \| ≤ 0\.75: no; ≥ 80% of peak: no \|/,
  );
  const fast = roundRows([{ ...rounds[0], peak: peak(60) }], stepTargets('wasm+onednn'), peakTargets('wasm+onednn'));
  assert.deepEqual([fast[0].peakMet, fast[0].met], [true, false], '11 GMAC in 0.2 s is 55 GMAC/s, 92% of 60');
  const summary = peakSummary(rounds);
  assert.deepEqual(summary, { gmacPerSecond: 110, method: 'test conv', perRound: [100, 110, 50] });
  assert.match(peakLine(summary), /attainable rate, 110 GMAC\/s \(per round 100, 110, 50\).*: test conv\.$/);
  assert.equal(peakSummary(rounds.slice(3)), null);
  assert.match(peakLine(null), /not measured/);
  assert.doesNotMatch(
    formatStepTable(stepRows([step('lenets', 110)], torch)),
    /per round/,
    'one round: no such column',
  );
});

test('loss rows compare with the distance-matrix PyTorch loss; only the 100,000-class case has a target', () => {
  const loss: LossBench[] = [
    { batch: 128, dim: 512, classes: 100_000, ms: 200 },
    { batch: 128, dim: 2, classes: 10, ms: 1 },
  ];
  const rows = lossRows(loss, torch);
  assert.deepEqual(
    rows.map((r) => [r.ratio, r.target, r.met]),
    [
      [0.25, 1, true],
      [null, null, null],
    ],
  );
  assert.match(formatLossTable(rows), /\| 128, 512, 100,000 \| 200\.00 \| 800\.00 \| 90\.00 \| 0\.25 \| < 1: yes \|/);
});

/** A whole report of one LeNets step against the given PyTorch outcome. */
const reportWith = (t: TorchOutcome): BenchReport => ({
  provenance: {
    date: '2025-01-01T00:00:00.000Z',
    commit: 'abc',
    command: 'ctc bench',
    machine: { cpu: 'CPU', cores: 2, memoryGiB: 8, platform: 'linux x64' },
    versions: { node: 'v20', '@tensorflow/tfjs-core': '4.22.0' },
    backend: 'wasm (SIMD, 2 threads)',
  },
  settings: { batch: 128, steps: 10, warmup: 3 },
  steps: stepRows([step('lenets', 110)], t),
  peak: null,
  loss: [],
  ctc: { steps: [step('lenets', 110)], loss: [] },
  torch: t,
});

test('without PyTorch the report says why it was skipped', () => {
  const skipped: TorchOutcome = { ran: false, reason: '/usr/bin/python3 cannot import torch' };
  const report = reportWith(skipped);
  const md = formatReport(report);
  assert.match(md, /PyTorch skipped: \/usr\/bin\/python3 cannot import torch\./);
  assert.match(md, /Machine: CPU, 2 cores, 8 GiB, linux x64\./);
  assert.match(md, /Peak memory: lenets 300 MiB RSS \(wasm heap 256 MiB\), 12 MiB in 40 tensors between steps\./);
  assert.match(md, /\| lenets \| 110\.0 \| 1164 \| 11\.00 \| 100 \| — \| — \| — \| ≤ 1\.2: n\/a \|/);
});

test('the report warns when PyTorch ran on the reference BLAS, and only then', () => {
  const reference: TorchOutcome = {
    ran: true,
    result: {
      ...(torch as { ran: true; result: TorchResult }).result,
      blasLibrary: ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0'],
    },
  };
  assert.match(formatReport(reportWith(reference)), /Warning: PyTorch ran on the reference BLAS/);
  assert.doesNotMatch(formatReport(reportWith(torch)), /reference BLAS/);
});

test('PyTorch gets the threaded OpenBLAS first on its library path when it is installed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-openblas-'));
  assert.equal(torchEnv({ LD_LIBRARY_PATH: '/x' }, dir).LD_LIBRARY_PATH, '/x', 'no libblas.so.3 there: unchanged');
  fs.writeFileSync(path.join(dir, 'libblas.so.3'), '');
  assert.equal(torchEnv({ LD_LIBRARY_PATH: '/x' }, dir).LD_LIBRARY_PATH, `${dir}:/x`);
  assert.equal(torchEnv({}, dir).LD_LIBRARY_PATH, dir);
  fs.rmSync(dir, { recursive: true, force: true });
});
