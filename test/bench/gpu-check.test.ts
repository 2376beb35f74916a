// The GPU check's pack (scripts/gpu-check/pack.sh): one archive under 64 MiB with node, ctc in one
// file, Dawn's binary and the Vulkan loader, whose ctc runs from the unpacked folder with nothing
// else installed; and its run.sh, scaled down, finds an adapter (here the software one, lavapipe),
// says which, and leaves the bench beside PyTorch's attempt in gpu-check-results/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from '../cli/helpers.js';

const NO_LOADER = /libvulkan\.so\.1 /.test(spawnSync('ldconfig', ['-p'], { encoding: 'utf8' }).stdout ?? '')
  ? false
  : 'no Vulkan loader here (apt-get install libvulkan1): the pack carries it';

test(
  'gpu-check pack: under 64 MiB, its ctc runs from the unpacked folder, run.sh finds an adapter',
  { skip: NO_LOADER || undefined, timeout: 600_000 },
  (t) => {
    if (NO_LOADER) return t.skip(NO_LOADER);
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
      'lib/libvulkan.so.1',
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
    // The whole check, scaled down, from an empty folder with only /usr/bin and /bin on the PATH.
    const work = path.join(dir, 'work');
    fs.mkdirSync(work);
    const run = spawnSync('bash', [path.join(root, 'run.sh')], {
      encoding: 'utf8',
      cwd: work,
      env: { PATH: '/usr/bin:/bin', HOME: dir, NETS: 'lenets', BATCH: '2', STEPS: '1', XDG_RUNTIME_DIR: dir },
    });
    const results = path.join(work, 'gpu-check-results');
    if (/gpu-check: no WebGPU adapter/.test(run.stdout)) {
      t.diagnostic(
        `no WebGPU adapter here (scripts/install-software-gpu.sh gives one): ${run.stdout.trim().split('\n').pop()}`,
      );
    } else {
      assert.match(run.stdout, /^gpu-check: adapter \(ICD: [^)]+\): webgpu \(Dawn on /m, run.stdout);
      const bench = JSON.parse(fs.readFileSync(path.join(results, 'bench.json'), 'utf8'));
      assert.equal(bench.steps[0].net, 'lenets');
      assert.ok(bench.peak.gmacPerSecond > 0, 'the peak measured on webgpu too');
      assert.ok(fs.existsSync(path.join(results, 'side-by-side.md')));
    }
    assert.equal(
      fs.readFileSync(path.join(results, 'run.log'), 'utf8').trim(),
      run.stdout.trim(),
      'the whole output in run.log',
    );
    fs.rmSync(dir, { recursive: true, force: true });
  },
);
