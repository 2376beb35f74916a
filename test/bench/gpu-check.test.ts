// The GPU check's pack (scripts/gpu-check/pack.sh): one archive under 64 MiB with node, ctc in one
// file and Dawn's binary, whose ctc runs from the unpacked folder with nothing else installed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from '../cli/helpers.js';

test('gpu-check pack: under 64 MiB, and its ctc runs from the unpacked folder', () => {
  const dir = tempDir('ctc-gpu-pack-');
  const archive = path.join(dir, 'gpu-check.tar.xz');
  const pack = spawnSync('bash', [path.join(ROOT, 'scripts/gpu-check/pack.sh'), archive], { encoding: 'utf8' });
  assert.equal(pack.status, 0, pack.stderr);
  assert.ok(fs.statSync(archive).size <= 64 * 2 ** 20, `${fs.statSync(archive).size} bytes`);
  const unpack = spawnSync('tar', ['-C', dir, '-xf', archive], { encoding: 'utf8' });
  assert.equal(unpack.status, 0, unpack.stderr);
  const root = path.join(dir, 'gpu-check');
  for (const f of [
    'run.sh',
    'bin/node',
    'ctc.mjs',
    'scripts/torch_reference.py',
    'node_modules/webgpu/dist/linux-x64/dawn.node',
  ]) {
    assert.ok(fs.existsSync(path.join(root, f)), f);
  }
  const help = spawnSync(path.join(root, 'bin/node'), [path.join(root, 'ctc.mjs'), 'bench', '--help'], {
    encoding: 'utf8',
    cwd: dir,
    env: { PATH: '/usr/bin:/bin' },
  });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /--backend <name>.*webgpu/s);
  fs.rmSync(dir, { recursive: true, force: true });
});
