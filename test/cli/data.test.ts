// `ctc data` end to end with CTC_DATA_DIR in a temporary folder: help, list, a full-size
// import of a synthetic 60,000-image archive, verify (and a corrupted batch), one-line
// errors, and fetch from a local HTTP server.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { buildProgram } from '../../src/cli.js';
import { CIFAR10_CLASSES } from '../../src/data/formats/cifar.js';
import { makeCifarBatch, makePng, makeTarGz, pixels, type TarEntry } from '../data/image-fixtures.js';
import { ctc, ctcAsync, isCleanError, tempDir, type Result } from './helpers.js';

/** Like isCleanError, but progress lines (reading ..., a download bar) may come before the error. */
function endsInCleanError(r: Result): boolean {
  const lines = r.stderr.trim().split('\n');
  return (
    r.code !== 0 &&
    lines.at(-1)?.startsWith('ctc: ') === true &&
    !/\n\s+at /.test(r.stderr) &&
    lines.filter((l) => l.startsWith('ctc: ')).length === 1
  );
}

function withDataDir(): string {
  const dir = tempDir('ctc-data-cli-');
  process.env.CTC_DATA_DIR = path.join(dir, 'data');
  return dir;
}

test('every data command has help with examples', async () => {
  // In-process (commander's output captured) rather than five slow CLI starts.
  const program = buildProgram();
  const data = program.commands.find((c) => c.name() === 'data');
  assert.ok(data);
  for (const sub of [[], ['list'], ['verify'], ['import'], ['fetch']]) {
    let text = '';
    for (const cmd of [program, data, ...data.commands]) {
      cmd.exitOverride().configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
    }
    await assert.rejects(program.parseAsync(['data', ...sub, '--help'], { from: 'user' }), {
      code: 'commander.helpDisplayed',
    });
    assert.match(text, /Examples?:\n {2}(CTC_DATA_DIR=\S+ )?ctc data/, `ctc data ${sub.join(' ')} --help:\n${text}`);
  }
});

test('list shows the data directory and a missing cifar10 with how to get it', () => {
  const dir = withDataDir();
  const r = ctc(['data', 'list'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^data directory: ${process.env.CTC_DATA_DIR} \\(\\$CTC_DATA_DIR\\)`));
  assert.match(r.stdout, /^mnist +present +4 files/m);
  assert.match(
    r.stdout,
    /^cifar10 +missing .*cifar10\/cifar-10-batches-bin\n +run "ctc data import cifar10 --from <dir or \.tar\.gz>" or "ctc data fetch cifar10"/m,
  );
});

test('import a full-size image archive, then list and verify it; a corrupted batch fails verify', () => {
  const dir = withDataDir();
  // One lossless 32x32 PNG per class (red = class index), reused for all 6,000 images of a class.
  const pngs = CIFAR10_CLASSES.map((_, c) =>
    makePng(
      32,
      32,
      3,
      pixels(32, 32, 3, (y, x, k) => [c, x, y][k]),
    ),
  );
  const entries: TarEntry[] = [];
  CIFAR10_CLASSES.forEach((name, c) => {
    for (let i = 0; i < 5000; i++)
      entries.push({ path: `cifar/train/${name}/${String(i).padStart(4, '0')}.png`, bytes: pngs[c] });
    for (let i = 0; i < 1000; i++)
      entries.push({ path: `cifar/test/${name}/${String(i).padStart(4, '0')}.png`, bytes: pngs[c] });
  });
  fs.writeFileSync(path.join(dir, 'cifar.tar.gz'), makeTarGz(entries));

  const imp = ctc(['data', 'import', 'cifar10', '--from', 'cifar.tar.gz'], dir);
  assert.equal(imp.code, 0, imp.stderr);
  const target = path.join(process.env.CTC_DATA_DIR ?? '', 'cifar10', 'cifar-10-batches-bin');
  assert.match(imp.stdout, new RegExp(`^${target} \\(png-copy, sha256 of source [0-9a-f]{64}\\)`));
  assert.match(imp.stderr, /^decoding images: 50% \(30000\/60000\)$/m);
  assert.match(imp.stderr, /imported 50000 training and 10000 test images into .* \(png-copy\) in [\d.]+ s/);

  const list = ctc(['data', 'list'], dir);
  assert.match(list.stdout, /^cifar10 +present +7 files, 175\.8 MiB +png-copy /m);

  const verify = ctc(['data', 'verify', 'cifar10'], dir);
  assert.equal(verify.code, 0, verify.stderr);
  assert.match(verify.stdout, /^cifar10: ok: 50000 train \+ 10000 test images, 32x32x3, 10 classes, copy png-copy/);
  assert.match(verify.stdout, /^ {2}sha256 [0-9a-f]{64} {2}test_batch\.bin \(30730000 bytes\)$/m);
  assert.match(verify.stdout, /^ {2}train per class: airplane 5000, automobile 5000, .*truck 5000$/m);

  const again = ctc(['data', 'import', 'cifar10', '--from', 'cifar.tar.gz'], dir);
  assert.ok(isCleanError(again), again.stderr);
  assert.match(again.stderr, /cifar-10-batches-bin already exists; pass --force to replace it/);

  fs.truncateSync(path.join(target, 'data_batch_3.bin'), 30729999);
  const broken = ctc(['data', 'verify', 'cifar10'], dir);
  assert.equal(broken.code, 1);
  assert.match(
    broken.stdout,
    /^cifar10: FAILED: .*data_batch_3\.bin: truncated: 30729999 bytes is not 10000 records of 3073 bytes$/m,
  );
  assert.equal(broken.stderr, 'ctc: 1 dataset(s) failed verification\n');
  fs.rmSync(dir, { recursive: true, force: true }); // 240 MB; kept when an assertion fails, for a look
});

test('import and verify errors are one line', () => {
  const dir = withDataDir();
  fs.writeFileSync(path.join(dir, 'evil.tar.gz'), makeTarGz([{ path: '../evil', bytes: new Uint8Array([1]) }]));
  const cases: [string[], RegExp][] = [
    [
      ['data', 'import', 'cifar10', '--from', 'evil.tar.gz'],
      /evil\.tar\.gz: entry "\.\.\/evil" climbs out of the archive/,
    ],
    [['data', 'import', 'cifar10', '--from', 'nowhere'], /nowhere: no such folder or archive/],
    [
      ['data', 'import', 'cifar100', '--from', 'x'],
      /only cifar10 can be imported, got "cifar100" \(did you mean "cifar10"\?\)/,
    ],
    [['data', 'verify', 'cifar'], /unknown dataset "cifar" \(did you mean "cifar10"\?\)/],
    [['data', 'verify', 'imagefolder'], /dataset\.path is required for imagefolder/],
  ];
  for (const [args, pattern] of cases) {
    const r = ctc(args, dir);
    if (args[1] === 'verify' && args[2] === 'imagefolder') {
      assert.equal(r.code, 1);
      assert.match(r.stdout, pattern);
      continue;
    }
    assert.ok(endsInCleanError(r), `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  assert.ok(!fs.existsSync(path.join(dir, '..', 'evil')));
  assert.ok(!fs.existsSync(path.join(process.env.CTC_DATA_DIR ?? '', 'cifar10', 'cifar-10-batches-bin')));
});

test('fetch from a local server with --url/--md5 and with CTC_CIFAR10_URL', async () => {
  const dir = withDataDir();
  const archive = makeTarGz([
    { path: 'cifar-10-batches-bin/', type: 'dir' },
    ...['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch'].map((n) => ({
      path: `cifar-10-batches-bin/${n}.bin`,
      bytes: makeCifarBatch([1, 2, 3]),
    })),
  ]);
  const md5 = createHash('md5').update(archive).digest('hex');
  const server = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-length': archive.length }).end(archive),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cifar-10-binary.tar.gz`;
  try {
    const r = await ctcAsync(['data', 'fetch', 'cifar10', '--url', url, '--md5', md5], dir).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cifar10\/cifar-10-batches-bin \(official\)$/m);
    assert.match(r.stderr, /^md5 [0-9a-f]{32} ok; unpacking$/m);
    const target = path.join(process.env.CTC_DATA_DIR ?? '', 'cifar10', 'cifar-10-batches-bin');
    assert.equal(fs.statSync(path.join(target, 'test_batch.bin')).size, 3 * 3073);

    const wrong = await ctcAsync(['data', 'fetch', 'cifar10', '--url', url, '--force'], dir).done;
    assert.ok(endsInCleanError(wrong), wrong.stderr);
    assert.match(
      wrong.stderr,
      /downloaded file has md5 [0-9a-f]{32}, expected c32a1d4ab5d03f1284b67883e8d87530; deleted it, nothing installed/,
    );

    process.env.CTC_CIFAR10_URL = url;
    const viaEnv = await ctcAsync(['data', 'fetch', 'cifar10', '--md5', md5, '--force', '--quiet'], dir).done;
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(viaEnv.stderr, '');
  } finally {
    delete process.env.CTC_CIFAR10_URL;
    server.close();
  }
});
