// Training curves from metrics.jsonl: parsing (truncated last line, bad lines), the rows that
// reach the chart, and a rendered chart with its titles.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUserError } from '../../src/errors.js';
import { curveRows, curvesSpec, parseMetricsLog, trainingCurves } from '../../src/report/plot-curves.js';

const LOG = [
  { type: 'step', iteration: 20, lr: 0.01, loss: 2.5, softmax: 2.0, aux: 0.5, imagesPerSecond: 100 },
  { type: 'step', iteration: 40, lr: 0.01, loss: 1.5, softmax: 1.2, aux: 0.3, imagesPerSecond: 100 },
  {
    type: 'epoch',
    epoch: 1,
    iteration: 40,
    lr: 0.01,
    loss: 2.0,
    softmax: 1.6,
    aux: 0.4,
    testAccuracy: 91.5,
    seconds: 3,
  },
]
  .map((l) => JSON.stringify(l))
  .join('\n');

test('parses step and epoch lines; a truncated last line is skipped', () => {
  const log = parseMetricsLog(`${LOG}\n{"type":"step","itera`, 'm.jsonl');
  assert.equal(log.steps.length, 2);
  assert.deepEqual(log.epochs, [{ iteration: 40, loss: 2.0, softmax: 1.6, aux: 0.4, epoch: 1, testAccuracy: 91.5 }]);
});

test('a bad line in the middle is a user error naming the file and line', () => {
  assert.throws(
    () => parseMetricsLog(`${LOG}\nnot json\n${LOG}`, 'runs/x/metrics.jsonl'),
    (e) => isUserError(e) && e.message === 'runs/x/metrics.jsonl:4: not valid JSON',
  );
  assert.throws(() => parseMetricsLog('{"type":"step","iteration":1}\n', 'm.jsonl'), /m.jsonl:1: step line without/);
});

test('rows: loss terms per step, accuracy per epoch; a zero auxiliary term (softmax) is left out', () => {
  const soft = parseMetricsLog(LOG.replaceAll(/"aux":[\d.]+/g, '"aux":0'), 'm');
  const rows = curveRows([
    { label: 'center', log: parseMetricsLog(LOG, 'm') },
    { label: 'softmax', log: soft },
  ]);
  assert.equal(rows.loss.filter((r) => r.run === 'center').length, 6); // 2 steps x 3 terms
  assert.deepEqual([...new Set(rows.loss.filter((r) => r.run === 'softmax').map((r) => r.term))], ['total', 'softmax']);
  assert.deepEqual(rows.accuracy, [
    { run: 'center', epoch: 1, iteration: 40, testAccuracy: 91.5 },
    { run: 'softmax', epoch: 1, iteration: 40, testAccuracy: 91.5 },
  ]);
});

test('renders one run, and several, with their titles', async () => {
  const log = parseMetricsLog(LOG, 'm');
  const one = await trainingCurves([{ label: 'center', log }]);
  assert.ok(one.svg.includes('Training curves: center') && one.svg.includes('test accuracy at each epoch end'));
  assert.equal(one.png[1], 0x50); // "P" of the PNG signature
  const two = await trainingCurves([
    { label: 'center', log },
    { label: 'softmax', log },
  ]);
  assert.ok(two.svg.includes('>softmax</text>') && two.svg.includes('>center</text>'));
});

test('several runs: the legend has room for a loss label with its settings and folder', () => {
  const label = 'contrastive-center [lambda=10, centerUpdate=sgd, alpha=128] (seed-3)';
  const log = parseMetricsLog(LOG, 'metrics.jsonl');
  const spec = JSON.stringify(
    curvesSpec([
      { label, log },
      { label: 'softmax', log },
    ]),
  );
  const limits = [...spec.matchAll(/"labelLimit":(\d+)/g)].map((m) => Number(m[1]));
  // ~8.5 px a character at the legend's font size, measured (Vega's default limit, 160 px, cut it)
  assert.ok(limits.length > 0 && limits.every((l) => l >= 9 * label.length), `label limits ${limits}`);
});

test('step lines with the feature diagnostics add a row: feature norm and gradient ratio, zeros left out', async () => {
  const diagnosed = LOG.replace(
    '"imagesPerSecond":100}',
    '"imagesPerSecond":100,"featureNorm":3.5,"auxGradRatio":0.02}',
  ).replace('"imagesPerSecond":100}', '"imagesPerSecond":100,"featureNorm":7,"auxGradRatio":0}');
  const log = parseMetricsLog(diagnosed, 'm');
  assert.deepEqual(
    log.steps.map((s) => [s.featureNorm, s.auxGradRatio]),
    [
      [3.5, 0.02],
      [7, 0],
    ],
  );
  const rows = curveRows([{ label: 'ctc', log }]);
  assert.deepEqual(rows.featureNorm, [
    { run: 'ctc', iteration: 20, value: 3.5 },
    { run: 'ctc', iteration: 40, value: 7 },
  ]);
  assert.deepEqual(rows.gradRatio, [{ run: 'ctc', iteration: 20, value: 0.02 }]);
  const plain = curvesSpec([{ label: 'ctc', log: parseMetricsLog(LOG, 'm') }]) as object;
  assert.ok('hconcat' in plain && !('vconcat' in plain));
  const rendered = await trainingCurves([{ label: 'ctc', log }]);
  assert.ok(rendered.svg.includes('mean feature norm') && rendered.svg.includes("auxiliary term's feature gradient"));
});
