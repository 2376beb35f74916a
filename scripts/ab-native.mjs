// A/B of the native accelerator inside one process, step by step: builds of the addon and/or
// CTC_FAST_PATHS settings take turns on the same model and batches (the order alternating each
// round), and each variant's median step and its median ratio to the first variant's step of the
// same round are printed. This machine's speed drifts by tens of percent within minutes; steps
// taken side by side see the same drift, separate `ctc bench` runs do not.
//
//   node scripts/ab-native.mjs [--nets lenetspp,resnet20] [--rounds 15] NAME=ADDON[:FAST_PATHS] ...
//
// ADDON is a built ctc_onednn.node (`this` = native/onednn/build/Release/ctc_onednn.node);
// FAST_PATHS is what CTC_FAST_PATHS is set to for that variant (default: all on). Examples:
//   node scripts/ab-native.mjs off=this:0 on=this                      # the fast paths, off and on
//   node scripts/ab-native.mjs before=/tmp/old.node:0 after=this       # an older build (copy its .node first)
// Needs `npm run build` (it imports dist/). Every variant must accept this checkout's arguments:
// an older build predates arguments that were added since, so compare it with the routes that
// need them off.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { initBackend } = await import(path.join(root, 'dist/src/backend/index.js'));
const { useNativeConvolutions } = await import(path.join(root, 'dist/src/backend/native/onednn.js'));
const { benchSetup, benchStep } = await import(path.join(root, 'dist/src/bench/measure.js'));
const { median } = await import(path.join(root, 'dist/src/bench/stats.js'));

const { values, positionals } = parseArgs({
  options: { nets: { type: 'string', default: 'lenetspp,resnet20' }, rounds: { type: 'string', default: '15' } },
  allowPositionals: true,
});
if (positionals.length === 0) {
  console.error('usage: node scripts/ab-native.mjs [--nets a,b] [--rounds n] NAME=ADDON[:FAST_PATHS] ...');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const variants = positionals.map((spec) => {
  const [name, rest = ''] = spec.split('=');
  const [file, fast = '1'] = rest.split(':');
  const addonPath =
    file === 'this' ? path.join(root, 'native/onednn/build/Release/ctc_onednn.node') : path.resolve(file);
  return { name, fast, addon: require(addonPath) };
});

await initBackend('wasm+onednn', {});
const threads = variants[0].addon.info().threads;
const use = (v) => {
  useNativeConvolutions(v.addon, threads);
  process.env.CTC_FAST_PATHS = v.fast;
};
console.log(`variants: ${variants.map((v) => `${v.name} (CTC_FAST_PATHS=${v.fast})`).join(', ')}; ${threads} threads`);
for (const net of values.nets.split(',')) {
  const setup = benchSetup(net, 128);
  let step = 0;
  for (const v of variants) {
    use(v);
    for (let i = 0; i < 2; i++) await benchStep(setup, step++); // warm-up: plans, heap
  }
  const times = variants.map(() => []);
  for (let r = 0; r < Number(values.rounds); r++) {
    const order = r % 2 === 0 ? variants.map((_, i) => i) : variants.map((_, i) => variants.length - 1 - i);
    for (const i of order) {
      use(variants[i]);
      times[i].push(await benchStep(setup, step++));
    }
  }
  const cells = variants.map((v, i) => {
    const ratio = median(times[i].map((t, r) => t / times[0][r]));
    return `${v.name} ${median(times[i]).toFixed(1)} ms (x${ratio.toFixed(3)})`;
  });
  console.log(`${net}, batch 128, ${values.rounds} rounds: ${cells.join(', ')}`);
  setup.exp.dispose();
}
