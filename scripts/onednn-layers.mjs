// Where the oneDNN kernels of a training step go, per primitive and shape, with each
// convolution's achieved GMAC/s: reads the ONEDNN_VERBOSE=1 log of a `ctc bench` run and keeps the
// last --keep steps of --steps (warm-up steps include JIT compilation and first touches).
//
//   ONEDNN_VERBOSE=1 npx ctc bench --nets resnet20 --steps 3 --warmup 2 --no-torch --no-loss --peak-runs 0 > v.log 2>&1
//   node scripts/onednn-layers.mjs v.log --steps 5 --keep 3

import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { steps: { type: 'string', default: '5' }, keep: { type: 'string', default: '3' } },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  console.error('usage: node scripts/onednn-layers.mjs LOG [--steps 5] [--keep 3]');
  process.exit(2);
}
const steps = Number(values.steps);
const keep = Number(values.keep);
const lines = fs
  .readFileSync(positionals[0], 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('onednn_verbose,exec,'));
if (lines.length === 0 || lines.length % steps !== 0) {
  console.error(`${positionals[0]}: ${lines.length} exec lines, not a multiple of --steps ${steps}`);
  process.exit(1);
}
const perStep = lines.length / steps;
const rows = new Map();
let total = 0;
for (const line of lines.slice(-perStep * keep)) {
  const f = line.split(',');
  const [primitive, kind, problem, ms] = [f[3], f[5], f[f.length - 2], Number(f[f.length - 1])];
  const key = `${primitive} ${kind} ${problem}`;
  const row = rows.get(key) ?? { primitive, kind, problem, calls: 0, ms: 0 };
  row.calls += 1 / keep;
  row.ms += ms / keep;
  rows.set(key, row);
  total += ms / keep;
}

/** Multiply-accumulates of one call of a convolution problem such as mb128_ic16oc16_ih32oh32kh3..._iw32ow32kw3... */
function convMacs(problem) {
  const g = (name) => Number(new RegExp(`${name}(\\d+)`).exec(problem)?.[1]);
  return g('mb') * g('oc') * g('oh') * g('ow') * g('kh') * g('kw') * g('ic');
}

console.log('| primitive | kind | problem | calls/step | ms/call | ms/step | GMAC/s |');
console.log('|---|---|---|---:|---:|---:|---:|');
for (const r of [...rows.values()].sort((a, b) => b.ms - a.ms)) {
  const rate = r.primitive === 'convolution' ? ((convMacs(r.problem) * r.calls) / (r.ms * 1e6)).toFixed(0) : '';
  console.log(
    `| ${r.primitive} | ${r.kind} | ${r.problem} | ${r.calls.toFixed(0)} | ${(r.ms / r.calls).toFixed(2)} | ${r.ms.toFixed(2)} | ${rate} |`,
  );
}
console.log(`\noneDNN total: ${total.toFixed(1)} ms per step in ${perStep} calls.`);
