// `fetchCifar10` against a local HTTP server (127.0.0.1, random port) serving a small archive
// in the official layout: plain download, resume after a cut connection, resume of a .part
// left by an earlier run, servers that ignore Range, and failures that must install nothing.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { BATCHES_DIR, CIFAR10_CLASSES, TEST_BATCH, TRAIN_BATCHES, loadCifar10 } from '../../src/data/formats/cifar.js';
import { PART_FILE, fetchCifar10 } from '../../src/data/acquire/cifar-fetch.js';
import type { TaskProgress } from '../../src/data/acquire/progress.js';
import { tempDir } from './helpers.js';
import { makeCifarBatch, makeTarGz, type TarEntry } from './image-fixtures.js';

const userError = (pattern: RegExp) => (err: unknown) => err instanceof UserError && pattern.test(err.message);
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** The official layout with 2 records per batch (the loader is told so). */
function officialEntries(): TarEntry[] {
  return [
    { path: `${BATCHES_DIR}/`, type: 'dir' },
    ...[...TRAIN_BATCHES, TEST_BATCH].map((name, b) => ({
      path: `${BATCHES_DIR}/${name}`,
      bytes: makeCifarBatch([b, 9 - b]),
    })),
    { path: `${BATCHES_DIR}/batches.meta.txt`, bytes: new TextEncoder().encode(`${CIFAR10_CLASSES.join('\n')}\n`) },
    { path: `${BATCHES_DIR}/readme.html`, bytes: new TextEncoder().encode('<p>CIFAR-10</p>') },
  ];
}
const ARCHIVE = makeTarGz(officialEntries());

interface Behaviour {
  body: Buffer;
  /** Cut the connection half-way through the first N responses. */
  cuts: number;
  ignoreRange: boolean;
  status?: number;
}
let behaviour: Behaviour = { body: ARCHIVE, cuts: 0, ignoreRange: false };
const ranges: (string | undefined)[] = [];
let server: http.Server;
let base = '';

before(async () => {
  server = http.createServer((req, res) => {
    ranges.push(req.headers.range);
    const { body } = behaviour;
    if (behaviour.status) {
      res.writeHead(behaviour.status).end('no');
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m && !behaviour.ignoreRange ? Number(m[1]) : 0;
    if (start >= body.length && m && !behaviour.ignoreRange) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    const headers: http.OutgoingHttpHeaders = { 'content-length': body.length - start, 'accept-ranges': 'bytes' };
    if (start > 0) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    if (behaviour.cuts > 0) {
      behaviour.cuts--;
      res.write(body.subarray(start, start + Math.floor((body.length - start) / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

function quietProgress(): TaskProgress & { notes: string[] } {
  const notes: string[] = [];
  return { notes, start() {}, update() {}, stop() {}, note: (l) => notes.push(l) };
}

function setup(b: Partial<Behaviour> = {}) {
  behaviour = { body: ARCHIVE, cuts: 0, ignoreRange: false, ...b };
  ranges.length = 0;
  const home = tempDir();
  const progress = quietProgress();
  const opts = { url: `${base}/cifar-10-binary.tar.gz`, md5: md5(behaviour.body), home, progress, retries: 2 };
  return {
    home,
    progress,
    opts,
    installed: () => fs.existsSync(path.join(home, BATCHES_DIR)),
    part: path.join(home, PART_FILE),
  };
}

test('fetch downloads, checks the md5, unpacks and installs the official layout', async () => {
  const { home, opts, part } = setup();
  const r = await fetchCifar10(opts);
  assert.equal(r.target, path.join(home, BATCHES_DIR));
  assert.deepEqual(ranges, [undefined]);
  assert.ok(!fs.existsSync(part));
  assert.deepEqual(fs.readdirSync(home), [BATCHES_DIR]);
  const ds = loadCifar10({ path: home }, 2);
  assert.equal(ds.identity.copy, 'official');
  assert.deepEqual([...ds.train.labels], [0, 9, 1, 8, 2, 7, 3, 6, 4, 5]);
  assert.ok(fs.existsSync(path.join(home, BATCHES_DIR, 'readme.html')));
});

test('a connection cut half-way is resumed with a Range request in the same run', async () => {
  const { opts, progress, installed } = setup({ cuts: 1 });
  await fetchCifar10(opts);
  assert.equal(ranges.length, 2);
  assert.equal(ranges[0], undefined);
  assert.equal(ranges[1], `bytes=${Math.floor(ARCHIVE.length / 2)}-`);
  assert.ok(
    progress.notes.some((n) => /^connection lost .*; resuming at \d+ bytes$/.test(n)),
    progress.notes.join('\n'),
  );
  assert.ok(installed());
});

test('a .part left by an earlier run is resumed; a server ignoring Range restarts it', async () => {
  const first = setup();
  fs.writeFileSync(first.part, ARCHIVE.subarray(0, 1000));
  await fetchCifar10(first.opts);
  assert.deepEqual(ranges, ['bytes=1000-']);
  assert.ok(first.installed());

  const second = setup({ ignoreRange: true });
  fs.writeFileSync(second.part, 'garbage that must not stay in front of the archive');
  await fetchCifar10(second.opts);
  assert.ok(second.installed());

  const whole = setup();
  fs.writeFileSync(whole.part, ARCHIVE);
  await fetchCifar10(whole.opts);
  assert.deepEqual(ranges, [`bytes=${ARCHIVE.length}-`]); // answered 416: already complete
  assert.ok(whole.installed());
});

test('a wrong md5 deletes the download and installs nothing', async () => {
  const { home, opts, installed, part } = setup();
  await assert.rejects(
    fetchCifar10({ ...opts, md5: '0'.repeat(32) }),
    userError(new RegExp(`downloaded file has md5 ${md5(ARCHIVE)}, expected 0{32}; deleted it, nothing installed$`)),
  );
  assert.ok(!installed());
  assert.ok(!fs.existsSync(part));
  assert.deepEqual(fs.readdirSync(home), []);
  await assert.rejects(fetchCifar10({ ...opts, md5: 'xyz' }), userError(/--md5: expected 32 hex digits/));
});

test('an interrupted download that runs out of retries keeps the .part for next time', async () => {
  const { opts, installed, part } = setup({ cuts: 10 });
  await assert.rejects(
    fetchCifar10({ ...opts, retries: 1 }),
    userError(/interrupted .* at \d+ bytes; run the same command again to resume$/),
  );
  assert.ok(!installed());
  const size = fs.statSync(part).size;
  assert.ok(size > 0 && size < ARCHIVE.length);
  behaviour.cuts = 0;
  await fetchCifar10(opts);
  assert.ok(installed());
});

test('HTTP errors, hostile or wrong archives install nothing', async () => {
  const missing = setup({ status: 404 });
  await assert.rejects(fetchCifar10(missing.opts), userError(/cifar-10-binary\.tar\.gz: HTTP 404/));
  assert.ok(!missing.installed());

  const evil = setup({ body: makeTarGz([...officialEntries(), { path: '../evil', bytes: new Uint8Array([1]) }]) });
  await assert.rejects(fetchCifar10(evil.opts), userError(/entry "\.\.\/evil" climbs out of the archive/));
  assert.ok(!evil.installed() && !fs.existsSync(evil.part));
  assert.ok(!fs.existsSync(path.join(evil.home, '..', 'evil')));

  const empty = setup({ body: makeTarGz([{ path: 'hello.txt', bytes: new Uint8Array([104, 105]) }]) });
  await assert.rejects(
    fetchCifar10(empty.opts),
    userError(/the archive holds no cifar-10-batches-bin\/ with data_batch_1\.bin/),
  );
  assert.deepEqual(fs.readdirSync(empty.home), []);

  const bad = setup();
  await assert.rejects(
    fetchCifar10({ ...bad.opts, url: 'ftp://example.org/x' }),
    userError(/only http:\/\/ and https:\/\/ URLs/),
  );
});
