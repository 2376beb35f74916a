// The ablation map of issue 30: one row per run of a sweep (configs/sweeps/ablation-lenetspp.yaml)
// with what the tables of `ctc eval` leave out: where a setting diverged, the features' scale and
// the aux / softmax feature-gradient ratio early, mid-way and at the end of training
// (metrics.jsonl, src/train/diagnose.ts), the smallest distance between class means and the
// final term. A setting run with several seeds also gets a row of its means in a second table.
// Writes map.md, map.csv and map.json into OUT.
//
// Usage: node scripts/ablation-map.mjs RUNS_DIR OUT_DIR   (RUNS_DIR: <runs root>/ablation-lenetspp)
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const [runsDir, outDir] = process.argv.slice(2);
if (!runsDir || !outDir) {
  console.error('usage: node scripts/ablation-map.mjs RUNS_DIR OUT_DIR');
  process.exit(2);
}
/** Iterations at which the diagnostics are reported: early, the first lr step, the end. */
const AT = [100, 1500, 3000];

const readJson = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null);
const lines = (file) =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

/**
 * The loss as the sweep set it: name and the settings given, in a fixed order; with the run's
 * resolved config, only the settings that loss has (the sweep's base λ and α are no softmax setting).
 */
function setting(loss, resolved) {
  const keys = ['lambda', 'centerUpdate', 'delta', 'reduction', 'warmup', 'normPenalty', 'alpha'];
  const has = (k) => resolved === null || resolved.loss?.[k] !== undefined;
  const given = keys.filter((k) => loss[k] !== undefined && has(k)).map((k) => `${k}=${loss[k]}`);
  return `${loss.name}${given.length ? ` [${given.join(', ')}]` : ''}`;
}

/** The run's config.resolved.yaml, or null where the run has none yet. */
function resolvedConfig(dir) {
  const file = path.join(dir, 'config.resolved.yaml');
  return fs.existsSync(file) ? YAML.parse(fs.readFileSync(file, 'utf8')) : null;
}

const rows = [];
for (const id of fs.readdirSync(runsDir).sort()) {
  const dir = path.join(runsDir, id);
  const jobFile = path.join(dir, 'sweep-job.yaml');
  if (!fs.existsSync(jobFile)) continue;
  const job = YAML.parse(fs.readFileSync(jobFile, 'utf8'));
  const summary = readJson(path.join(dir, 'summary.json'));
  const nan = lines(path.join(dir, 'log.ndjson')).find((l) => l.event === 'nan' && l.msg === 'stopped');
  const steps = lines(path.join(dir, 'metrics.jsonl')).filter((l) => l.type === 'step');
  const near = (it) =>
    steps.reduce((best, s) => (best && Math.abs(best.iteration - it) <= Math.abs(s.iteration - it) ? best : s), null);
  const diag = Object.fromEntries(
    AT.map((it) => {
      const s = near(it);
      return [
        it,
        s && Math.abs(s.iteration - it) <= 20
          ? { featureNorm: s.featureNorm ?? null, auxGradRatio: s.auxGradRatio ?? null }
          : null,
      ];
    }),
  );
  const raw = summary?.featureMetrics?.raw;
  rows.push({
    id,
    setting: setting(job.loss, resolvedConfig(dir)),
    seed: job.seed ?? null,
    state: summary ? 'complete' : nan ? `diverged at iteration ${nan.iteration} (${nan.what})` : 'not finished',
    validation: summary?.validationAccuracy ?? null,
    test: summary?.testAccuracy ?? null,
    intraInter: raw?.intraInterRatio ?? null,
    interMin: raw?.interMin ?? null,
    interMean: raw?.interMean ?? null,
    classMeanNorm: summary?.centerMetrics?.classMeanNorm ?? null,
    finalAux: summary?.lossTerms?.aux ?? null,
    centerLag: summary?.centerMetrics?.centerLag ?? null,
    diagnostics: diag,
    lastIteration: steps.at(-1)?.iteration ?? 0,
  });
}
const order = (r) => (r.validation === null ? -1 : r.validation);
rows.sort((a, b) => order(b) - order(a));

const f = (v, digits = 2) => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));
const g = (v) => (v === null || v === undefined ? '—' : Number(v).toPrecision(2));
const header = [
  'setting',
  'seed',
  'state',
  'validation %',
  'test %',
  'intra/inter',
  'min class-mean distance',
  'mean class-mean distance',
  'class-mean norm',
  'final term',
  'center lag',
  ...AT.flatMap((it) => [`‖x‖ at ${it}`, `aux/softmax grad at ${it}`]),
];
const cells = (r) => [
  r.setting,
  r.seed ?? '—',
  r.state === 'not finished' ? `not finished (iteration ${r.lastIteration})` : r.state,
  f(r.validation),
  f(r.test),
  f(r.intraInter, 3),
  f(r.interMin, 1),
  f(r.interMean, 1),
  f(r.classMeanNorm, 1),
  g(r.finalAux),
  f(r.centerLag, 3),
  ...AT.flatMap((it) => [f(r.diagnostics[it]?.featureNorm, 1), g(r.diagnostics[it]?.auxGradRatio)]),
];
/** Settings with two or more complete seeds: their means, best validation first. */
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const bySetting = new Map();
for (const r of rows.filter((r) => r.state === 'complete'))
  bySetting.set(r.setting, [...(bySetting.get(r.setting) ?? []), r]);
const seeded = [...bySetting]
  .filter(([, rs]) => rs.length > 1)
  .map(([name, rs]) => ({
    setting: name,
    seeds: rs.map((r) => r.seed).sort((a, b) => a - b),
    validation: mean(rs.map((r) => r.validation)),
    test: mean(rs.map((r) => r.test)),
    intraInter: mean(rs.map((r) => r.intraInter)),
  }))
  .sort((a, b) => b.validation - a.validation);
const md = [
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${cells(r).join(' | ')} |`),
  ...(seeded.length
    ? [
        '',
        'Settings with several seeds (complete runs), means:',
        '',
        '| setting | seeds | validation % | test % | intra/inter |',
        '|---|---|---|---|---|',
        ...seeded.map(
          (m) => `| ${m.setting} | ${m.seeds.join(', ')} | ${f(m.validation)} | ${f(m.test)} | ${f(m.intraInter, 3)} |`,
        ),
      ]
    : []),
].join('\n');
const csvCell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
const csv = [header, ...rows.map(cells)].map((r) => r.map(csvCell).join(',')).join('\n');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'map.md'), `${md}\n`);
fs.writeFileSync(path.join(outDir, 'map.csv'), `${csv}\n`);
fs.writeFileSync(
  path.join(outDir, 'map.json'),
  `${JSON.stringify({ generated: new Date().toISOString(), runs: runsDir, rows, seeded }, null, 2)}\n`,
);
console.log(md);
console.log(`${rows.length} run(s) -> ${path.join(outDir, 'map.{md,csv,json}')}`);
