import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatWall, toCsv, toMarkdown } from '../../src/report/table-format.js';
import { accuracyRows, findRegressions, type RunRecord } from '../../src/report/tables.js';

const run = (loss: string, seed: number, acc: number): RunRecord => ({
  dir: `runs/${loss}/${seed}`,
  dataset: { name: 'mnist', trainSize: 60000, testSize: 10000 },
  model: { name: 'lenetspp' },
  loss: { name: loss },
  seed,
  testAccuracy: acc,
  epochs: 1,
  iterations: 468,
  batchSize: 128,
  backend: { name: 'wasm' },
});

test('rows group seeds, compute mean ± sample std and the delta to the paper', () => {
  const rows = accuracyRows([run('contrastive-center', 1, 99.0), run('softmax', 1, 98.0), run('softmax', 2, 99.0)]);
  assert.deepEqual(
    rows.map((r) => r.loss),
    ['softmax', 'contrastive-center'],
  );
  const soft = rows[0];
  assert.equal(soft.n, 2);
  assert.equal(soft.mean, 98.5);
  assert.ok(Math.abs((soft.std as number) - Math.SQRT1_2) < 1e-12);
  assert.equal(soft.paper, 98.8);
  assert.ok(Math.abs((soft.deltaToPaper as number) + 0.3) < 1e-9);
  assert.equal(rows[1].std, null);
  const md = toMarkdown({ generatedAt: 'now', commit: 'abc', rows });
  // 95% CI: t(0.975, 1) = 12.706, s / sqrt(2) = 0.5 -> ± 6.35
  assert.match(
    md,
    /\| mnist \| lenetspp \| softmax \| 468 it x 128 on 60000 \| 98\.8 \| 98\.50 ± 0\.71 \| 2 \| 92\.15 – 104\.85 \| yes \| -0\.30 \| — \|/,
  );
  assert.match(
    md,
    /\| contrastive-center \| 468 it x 128 on 60000 \| 99\.17 \| 99\.00 \| 1 \| — \| — \| -0\.17 \| \+1\.00 \| — \| too few seeds \|/,
  );
  assert.equal(toCsv({ generatedAt: 'now', commit: 'abc', rows }).trim().split('\n').length, 3);
  assert.deepEqual(
    rows.map((r) => r.paperInCi),
    [true, null],
  );
});

test("the paper's figure inside or outside the 95% CI of the mean", () => {
  // Three seeds 98.0, 98.1, 98.2: mean 98.1, CI ± 0.248 (t(0.975, 2) = 4.303, s / sqrt(3) = 0.0577).
  const rows = accuracyRows([run('softmax', 1, 98.0), run('softmax', 2, 98.1), run('softmax', 3, 98.2)]);
  assert.equal(rows[0].paperInCi, false); // the paper's 98.8 is above 98.35
  const csv = toCsv({ generatedAt: 'now', commit: 'abc', rows }).trim().split('\n');
  assert.match(csv[0], /,ci95,paper_in_ci,min,/);
  assert.match(csv[1], /,false,98,98\.2,/);
  const near = accuracyRows([run('softmax', 1, 98.6), run('softmax', 2, 98.8), run('softmax', 3, 99.0)]);
  assert.equal(near[0].paperInCi, true);
});

test('regressions: beyond tolerance or missing rows', () => {
  const base = accuracyRows([run('softmax', 1, 98.0), run('center', 1, 98.5)]);
  assert.deepEqual(findRegressions(base, accuracyRows([run('softmax', 1, 97.6), run('center', 1, 99)]), 0.5), []);
  const r = findRegressions(base, accuracyRows([run('softmax', 1, 97.4)]), 0.5);
  assert.deepEqual(
    r.map((x) => [x.key, x.current]),
    [
      ['mnist/lenetspp/softmax [468 it x 128 on 60000]', 97.4],
      ['mnist/lenetspp/center [468 it x 128 on 60000]', null],
    ],
  );
});

test('paired comparison with softmax uses the seeds both rows have, and budgets never mix', () => {
  const other = { ...run('softmax', 1, 50), iterations: 10 };
  const rows = accuracyRows([
    run('softmax', 1, 98.0),
    run('softmax', 2, 98.2),
    run('softmax', 3, 98.1),
    run('center', 1, 98.3),
    run('center', 2, 98.6),
    run('center', 3, 98.5),
    run('center', 4, 90),
    other,
  ]);
  assert.equal(rows.length, 3);
  const center = rows.find((r) => r.loss === 'center' && r.budget.startsWith('468')) as (typeof rows)[number];
  assert.equal(center.n, 4);
  assert.equal(center.vsSoftmax?.n, 3);
  // diffs 0.3, 0.4, 0.4: mean 0.3667, s = 0.0577, t = 11.0, p = 0.0082
  assert.ok(Math.abs((center.vsSoftmax?.meanDiff as number) - 0.366667) < 1e-5);
  assert.ok(Math.abs((center.vsSoftmax?.p as number) - 0.00816) < 1e-4);
  assert.equal(center.vsSoftmax?.verdict, 'better');
});

test("rows beyond center loss pair with their cell's one center-loss row; with two center rows, none", () => {
  const ctc = (seed: number, acc: number, lambda = 1) => ({
    ...run('contrastive-center', seed, acc),
    loss: { name: 'contrastive-center', lambda },
  });
  const centerAt = (seed: number, acc: number, lambda: number) => ({
    ...run('center', seed, acc),
    loss: { name: 'center', lambda },
  });
  const base = [run('softmax', 1, 98.0), run('softmax', 2, 98.0), centerAt(1, 99.0, 0.03), centerAt(2, 99.2, 0.03)];
  const rows = accuracyRows([...base, ctc(1, 98.8, 10), ctc(2, 98.9, 10), ctc(3, 99.9, 10)]);
  const row = rows.find((r) => r.loss.startsWith('contrastive-center')) as (typeof rows)[number];
  // seeds 1 and 2 only: diffs -0.2, -0.3
  assert.equal(row.vsCenter?.n, 2);
  assert.ok(Math.abs((row.vsCenter?.meanDiff as number) + 0.25) < 1e-9);
  assert.ok(row.vsCenter?.p !== null && (row.vsCenter?.p as number) > 0.05);
  assert.equal(rows.find((r) => r.loss === 'softmax')?.vsCenter, null);
  assert.equal(rows.find((r) => r.loss.startsWith('center'))?.vsCenter, null);
  const md = toMarkdown({ generatedAt: 'now', commit: 'abc', rows });
  assert.match(md, /## Against center loss/);
  assert.match(
    md,
    /\| contrastive-center \[lambda=10\] \| 468 it x 128 on 60000 \| center \[lambda=0\.03\] \| -0\.25 \| 2 \|/,
  );
  assert.match(
    toCsv({ generatedAt: 'now', commit: 'abc', rows }).split('\n')[0],
    /,vs_center,vs_center_p,vs_center_verdict$/,
  );

  const ambiguous = accuracyRows([...base, centerAt(1, 98.5, 0.1), ctc(1, 98.8, 10)]);
  assert.equal(ambiguous.find((r) => r.loss.startsWith('contrastive-center'))?.vsCenter, null);
  assert.doesNotMatch(toMarkdown({ generatedAt: 'now', commit: 'abc', rows: ambiguous }), /## Against center loss/);
});

test('loss settings that differ from the defaults label the row and keep it apart', () => {
  const sum = {
    ...run('contrastive-center', 1, 95),
    loss: { name: 'contrastive-center', lambda: 1, reduction: 'sum', centerUpdate: 'normalized' },
  };
  const rows = accuracyRows([run('softmax', 1, 98), run('contrastive-center', 1, 97), sum]);
  assert.deepEqual(
    rows.map((r) => r.loss),
    ['softmax', 'contrastive-center', 'contrastive-center [reduction=sum]'],
  );
  assert.equal(rows[2].paper, 99.17);
  assert.equal(rows[2].vsSoftmax?.meanDiff, -3);
});

test('a second table shows the feature metrics averaged over the seeds that have them', () => {
  const scores = (ratio: number) => ({ intraInterRatio: ratio, fisherRatio: 4, daviesBouldin: 1.5, ncmAccuracy: 90 });
  const rows = accuracyRows([
    { ...run('softmax', 1, 98), featureMetrics: { raw: scores(0.2), normalized: scores(0.1) } },
    { ...run('softmax', 2, 98), featureMetrics: { raw: scores(0.4), normalized: scores(0.3) } },
    run('center', 1, 98),
  ]);
  assert.equal(rows[0].features?.n, 2);
  assert.ok(Math.abs((rows[0].features?.raw.intraInterRatio as number) - 0.3) < 1e-12);
  assert.equal(rows[1].features, null);
  const md = toMarkdown({ generatedAt: 'now', commit: 'abc', rows });
  assert.match(md, /## Feature compactness and separation/);
  assert.match(
    md,
    /\| mnist \| lenetspp \| softmax \| 468 it x 128 on 60000 \| 2 \| 0\.300 \(0\.200\) \| 4\.00 \(4\.00\) \| 1\.50 \(1\.50\) \| 90\.00 \(90\.00\) \|/,
  );
});

test('alpha and the center rule label a row when they differ from the defaults of their rule', () => {
  const ctc = (loss: Record<string, unknown>) => ({
    ...run('contrastive-center', 1, 97),
    loss: { name: 'contrastive-center', ...loss },
  });
  const labels = accuracyRows([
    ctc({ centerUpdate: 'normalized', alpha: 0.5 }),
    ctc({ centerUpdate: 'normalized', alpha: 1 }),
    ctc({ centerUpdate: 'sgd', alpha: 32 }),
    ctc({ centerUpdate: 'sgd', alpha: 0.5 }),
    { ...run('center', 1, 97), loss: { name: 'center', alpha: 0.1 } },
  ]).map((r) => r.loss);
  assert.deepEqual(labels.sort(), [
    'center [alpha=0.1]',
    'contrastive-center',
    'contrastive-center [alpha=1]',
    'contrastive-center [centerUpdate=sgd, alpha=0.5]',
    'contrastive-center [centerUpdate=sgd]',
  ]);
});

test('rows with validation accuracy get a table ranked by it, with the center lag', () => {
  const withVal = (loss: Record<string, unknown>, seed: number, val: number, test: number, lag?: number) => ({
    ...run(String(loss.name), seed, test),
    loss: loss as RunRecord['loss'],
    validationAccuracy: val,
    ...(lag === undefined ? {} : { centerMetrics: { centerLag: lag, centerNorm: 1 } }),
  });
  const rows = accuracyRows([
    withVal({ name: 'softmax' }, 1, 97, 99),
    withVal({ name: 'contrastive-center', lambda: 3 }, 1, 98.5, 98, 0.2),
    withVal({ name: 'contrastive-center', lambda: 3 }, 2, 98.7, 98, 0.4),
    withVal({ name: 'center' }, 1, 98, 97, 0.1),
  ]);
  const md = toMarkdown({ generatedAt: 'now', commit: 'abc', rows });
  const ranked = md
    .split('## Ranked by validation accuracy')[1]
    .split('\n')
    .filter((l) => /^\| \d/.test(l));
  assert.deepEqual(
    ranked.map((l) => l.split(' | ')[3]),
    ['contrastive-center [lambda=3]', 'center', 'softmax'],
  );
  assert.match(ranked[0], /\| 98\.60 ± 0\.14 \| 2 \| 98\.00 ± 0\.00 \| 0\.300 \|$/);
  assert.match(ranked[2], /\| — \|$/);
});

test('the backend column names a webgpu run with its adapter', () => {
  const gpu = {
    ...run('softmax', 1, 98),
    backend: {
      name: 'webgpu',
      adapter: { vendor: 'nvidia', architecture: 'ada', device: 'NVIDIA L4', software: false },
    },
  };
  const lavapipe = {
    ...run('softmax', 2, 98),
    backend: {
      name: 'webgpu',
      adapter: { vendor: 'mesa', architecture: 'software', device: 'llvmpipe', software: true },
    },
  };
  assert.deepEqual(accuracyRows([gpu, lavapipe, run('softmax', 3, 98)])[0].backends, [
    'wasm',
    'webgpu (mesa software llvmpipe, software)',
    'webgpu (nvidia ada NVIDIA L4)',
  ]);
});

test('each row lists its runs with wall time, machine, backend threads and commit; a Runs section shows them', () => {
  const timed = (seed: number, acc: number, wallSeconds?: number): RunRecord => ({
    ...run('softmax', seed, acc),
    wallSeconds,
    machine: { cpu: 'AMD EPYC', cores: 2 },
    commit: '6688343aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    backend: { name: 'wasm+onednn', detail: 'wasm (SIMD, 1 thread); convolutions in oneDNN 2.6.3 (1 thread)' },
  });
  const [row] = accuracyRows([timed(2, 98.5), timed(1, 98.0, 18_300.4)]);
  assert.deepEqual(
    row.runs.map((r) => [r.seed, r.testAccuracy, r.wallSeconds, r.machine]),
    [
      [1, 98.0, 18_300.4, 'AMD EPYC, 2 cores'],
      [2, 98.5, null, 'AMD EPYC, 2 cores'],
    ],
  );
  const md = toMarkdown({ generatedAt: 'now', commit: 'abc', rows: [row] });
  assert.match(
    md,
    /\| softmax \| 468 it x 128 on 60000 \| 1 \| 98\.00 \| 5 h 05 min \| AMD EPYC, 2 cores \| wasm \(SIMD, 1 thread\); convolutions in oneDNN 2\.6\.3 \(1 thread\) \| 6688343 \|/,
  );
  assert.match(md, /\| 2 \| 98\.50 \| — \|/);
  assert.deepEqual([formatWall(50), formatWall(2460), formatWall(3600)], ['50 s', '41 min', '1 h 00 min']);
});
