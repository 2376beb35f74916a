import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { extractTarGz, readTarGz, safeEntryPath } from '../../src/data/acquire/tar-read.js';
import { tempDir } from './helpers.js';
import { makeTarGz, type TarEntry } from './image-fixtures.js';

const userError = (pattern: RegExp) => (err: unknown) => err instanceof UserError && pattern.test(err.message);
const bytes = (text: string) => new TextEncoder().encode(text);

function archive(entries: TarEntry[]): string {
  const file = path.join(tempDir(), 'a.tar.gz');
  fs.writeFileSync(file, makeTarGz(entries));
  return file;
}

test('safeEntryPath cleans relative paths and refuses escapes', () => {
  assert.equal(safeEntryPath('a', './x//y/./z.jpg'), 'x/y/z.jpg');
  assert.throws(
    () => safeEntryPath('a.tgz', 'x/../../evil'),
    userError(/^a\.tgz: entry "x\/\.\.\/\.\.\/evil" climbs out/),
  );
  assert.throws(() => safeEntryPath('a.tgz', '/etc/passwd'), userError(/absolute path/));
  assert.throws(() => safeEntryPath('a.tgz', 'C:/x'), userError(/absolute path/));
  assert.throws(() => safeEntryPath('a.tgz', '..\\evil'), userError(/climbs out/));
});

test('readTarGz yields files in order and skips folders', async () => {
  const file = archive([
    { path: 'top/', type: 'dir' },
    { path: 'top/train/cat/1.png', bytes: bytes('one') },
    { path: './top/test/cat/2.png', bytes: bytes('two'.repeat(300)) },
  ]);
  const seen: [string, string][] = [];
  await readTarGz(file, (rel, b) => seen.push([rel, b.toString()]));
  assert.deepEqual(seen, [
    ['top/train/cat/1.png', 'one'],
    ['top/test/cat/2.png', 'two'.repeat(300)],
  ]);
});

test('hostile entries are rejected with the archive and the entry named, and nothing escapes', async () => {
  const cases: [TarEntry[], RegExp][] = [
    [
      [
        { path: 'ok.txt', bytes: bytes('x') },
        { path: '../evil', bytes: bytes('x') },
      ],
      /a\.tar\.gz: entry "\.\.\/evil" climbs out of the archive/,
    ],
    [
      [{ path: '/tmp/ctc-abs-evil', bytes: bytes('x') }],
      /a\.tar\.gz: entry "\/tmp\/ctc-abs-evil" has an absolute path/,
    ],
    [
      [{ path: 'link', type: 'symlink', linkpath: '/etc' }],
      /a\.tar\.gz: entry "link" is a link; only plain files and folders/,
    ],
    [[{ path: 'hard', type: 'hardlink', linkpath: 'ok.txt' }], /entry "hard" is a link/],
  ];
  for (const [entries, pattern] of cases) {
    const file = archive(entries);
    const dest = path.join(path.dirname(file), 'out');
    await assert.rejects(extractTarGz(file, dest), userError(pattern));
    assert.ok(!fs.existsSync(path.join(path.dirname(file), 'evil')));
  }
  assert.ok(!fs.existsSync('/tmp/ctc-abs-evil'));
});

test('extractTarGz writes plain files under the destination', async () => {
  const file = archive([
    { path: 'd/x.bin', bytes: bytes('abc') },
    { path: 'y.txt', bytes: bytes('') },
  ]);
  const dest = path.join(path.dirname(file), 'out');
  assert.deepEqual(await extractTarGz(file, dest), ['d/x.bin', 'y.txt']);
  assert.equal(fs.readFileSync(path.join(dest, 'd/x.bin'), 'utf8'), 'abc');
  assert.equal(fs.statSync(path.join(dest, 'y.txt')).size, 0);
});

test('a missing or non-gzip archive is a one-line error', async () => {
  const dir = tempDir();
  await assert.rejects(
    readTarGz(path.join(dir, 'nope.tar.gz'), () => {}),
    userError(/nope\.tar\.gz: file not found$/),
  );
  const junk = path.join(dir, 'junk.tar.gz');
  fs.writeFileSync(junk, 'this is not an archive at all, just some words '.repeat(30));
  await assert.rejects(
    readTarGz(junk, () => {}),
    userError(/^.*junk\.tar\.gz: not a valid \.tar\.gz archive/),
  );
});
