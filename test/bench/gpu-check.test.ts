// The GPU check's pack (scripts/gpu-check/pack.sh): one archive under 64 MiB with node, ctc in one
// file, Dawn's binary, the Vulkan loader and MNIST, whose ctc runs from the unpacked folder with
// nothing else installed; and its run.sh, scaled down, finds an adapter (here the software one,
// lavapipe), says which and its self-check, and leaves in gpu-check-results/ (at most 8 files)
// the gradient check, the bench beside PyTorch's attempt and a short training run beside the CPU
// reference.

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
    // xz's fastest level: quicker, and a larger archive than the default level's, so a bound on it holds for both.
    const pack = spawnSync('bash', [path.join(ROOT, 'scripts/gpu-check/pack.sh'), archive], {
      encoding: 'utf8',
      env: { ...process.env, XZ_OPT: '-1 -T0' },
    });
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
      'data/mnist/train-images-idx3-ubyte.gz',
      'reference/summary.json',
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
      env: {
        PATH: '/usr/bin:/bin',
        HOME: dir,
        NETS: 'lenets',
        BATCH: '2',
        STEPS: '1',
        TRAIN_ITERATIONS: '2',
        TRAIN_SETS: 'dataset.trainLimit=64 dataset.testLimit=50 train.batchSize=8',
        XDG_RUNTIME_DIR: dir,
      },
    });
    const results = path.join(work, 'gpu-check-results');
    if (/gpu-check: no WebGPU adapter/.test(run.stdout)) {
      t.diagnostic(
        `no WebGPU adapter here (scripts/install-software-gpu.sh gives one): ${run.stdout.trim().split('\n').pop()}`,
      );
    } else {
      assert.match(run.stdout, /^gpu-check: adapter \(ICD: [^)]+\): webgpu \(Dawn on /m, run.stdout);
      assert.match(run.stdout, /^gpu-check: self-check: passed: \d+ values of lenets against cpu/m);
      const bench = JSON.parse(fs.readFileSync(path.join(results, 'bench.json'), 'utf8'));
      assert.equal(bench.steps[0].net, 'lenets');
      assert.ok(bench.peak.gmacPerSecond > 0, 'the peak measured on webgpu too');
      assert.equal(bench.check.pass, true, JSON.stringify(bench.check));
      assert.deepEqual(bench.check.nets, ['lenets']);
      assert.ok(fs.existsSync(path.join(results, 'side-by-side.md')));
      // The training check: a real run on the adapter, from the MNIST in the archive.
      const train = JSON.parse(fs.readFileSync(path.join(results, 'train-summary.json'), 'utf8'));
      assert.equal(train.backend.name, 'webgpu');
      assert.equal(train.iterations, 2);
      assert.ok(train.lossTerms.loss > 0 && train.lossTerms.aux > 0, JSON.stringify(train.lossTerms));
      assert.equal(train.name, 'mnist-lenetspp-contrastive-center');
      assert.match(train.dataset.source, /gpu-check\/data\/mnist/);
      const table = fs.readFileSync(path.join(results, 'training.md'), 'utf8');
      assert.match(table, /^\| this machine \| webgpu \(Dawn on .* \| 2 \| \d+\.\d\d% \|/m);
      assert.match(table, /^\| reference \| wasm .* \| 2000 \| \d+\.\d\d% \|/m);
      assert.match(run.stdout, /^gpu-check: done in \d+ s/m);
      // No kernel the adapter refused (Dawn prints a validation error and the values read as zeros),
      // and the run's feature plot was drawn (its font is in the archive).
      assert.doesNotMatch(run.stdout, /^validation:|could not draw/m);
      const files = fs.readdirSync(results);
      assert.ok(files.length <= 8, files.join(' '));
    }
    assert.equal(
      fs.readFileSync(path.join(results, 'run.log'), 'utf8').trim(),
      run.stdout.trim(),
      'the whole output in run.log',
    );
    fs.rmSync(dir, { recursive: true, force: true });
  },
);
