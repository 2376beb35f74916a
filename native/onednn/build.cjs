// Builds the addon with node-gyp when oneDNN's headers are installed (Debian/Ubuntu:
// `apt-get install libdnnl-dev`); otherwise, or when the build fails, says why and exits 0 so
// that installing ctc still succeeds (ctc then runs on plain wasm). CTC_ONEDNN=0 skips it.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const HEADER_DIRS = ['/usr/include', '/usr/local/include', ...(process.env.CPATH ?? '').split(':').filter(Boolean)];
const say = (line) => process.stderr.write(`ctc-onednn: ${line}\n`);

function hasOneDnn() {
  return HEADER_DIRS.some((dir) => fs.existsSync(path.join(dir, 'oneapi', 'dnnl', 'dnnl.hpp')));
}

/** node-gyp as npm runs it (npm sets npm_config_node_gyp), else npm's own copy next to this node. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  return candidates.find((file) => file && fs.existsSync(file));
}

/** Node's own headers next to its binary (distribution packages and official tarballs), so no download is needed. */
function nodeDir() {
  const dir = path.resolve(path.dirname(process.execPath), '..');
  const version = path.join(dir, 'include', 'node', 'node_version.h');
  if (!fs.existsSync(version)) return undefined;
  const text = fs.readFileSync(version, 'utf8');
  const part = (name) => (text.match(new RegExp(`#define NODE_${name}_VERSION (\\d+)`)) ?? [])[1];
  return `v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}` === process.version ? dir : undefined;
}

function main() {
  if (process.env.CTC_ONEDNN === '0') return say('skipped (CTC_ONEDNN=0)');
  if (!hasOneDnn())
    return say(
      'oneDNN headers not found, not built; ctc runs on plain wasm (to enable: apt-get install libdnnl-dev, then npm rebuild ctc-onednn)',
    );
  const gyp = nodeGyp();
  if (gyp === undefined) return say('node-gyp not found, not built; ctc runs on plain wasm');
  const dir = nodeDir();
  const args = [gyp, 'rebuild', ...(dir ? [`--nodedir=${dir}`] : [])];
  const result = spawnSync(process.execPath, args, { cwd: __dirname, encoding: 'utf8' });
  if (result.status === 0) return say('built build/Release/ctc_onednn.node');
  const log = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  say(`build failed, ctc runs on plain wasm. node-gyp said:\n${log}`);
}

main();
