// Runs the committed bad-input corpus (test/corpus/cases.yaml) through the built CLI: every case
// gets one clear line, a non-zero exit, no stack trace, and leaves no results behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ctc, ROOT, tempDir } from '../cli/helpers.js';

interface Case {
  name: string;
  args: string[];
  expect: string;
  code?: number;
  lines?: number;
}

const CORPUS = path.join(ROOT, 'test', 'corpus');
const cases = YAML.parse(fs.readFileSync(path.join(CORPUS, 'cases.yaml'), 'utf8')) as Case[];

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? e.path, e.name));
}

test(`bad-input corpus: ${cases.length} cases, each one clear line and a non-zero exit`, () => {
  const corpusBefore = filesUnder(CORPUS).length;
  const failures: string[] = [];
  for (const c of cases) {
    try {
      check(c);
    } catch (err) {
      failures.push(`${c.name}: ${(err as Error).message.split('\n').slice(0, 6).join(' | ')}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.equal(filesUnder(CORPUS).length, corpusBefore, 'nothing written into the corpus');
});

function check(c: Case): void {
  {
    const dir = tempDir('ctc-corpus-');
    const out = path.join(dir, 'run');
    const args = c.args.map((a) => a.replaceAll('{corpus}', CORPUS).replaceAll('{out}', out));
    // Imports go to a data directory inside the temporary folder, which must stay empty.
    const r = ctc(args, dir, { CTC_DATA_DIR: path.join(dir, 'data') });
    const lines = r.stderr.trim().split('\n');
    assert.notEqual(r.code, 0, `${c.name}: exit code`);
    if (c.code !== undefined) assert.equal(r.code, c.code, c.name);
    assert.equal(lines.length, c.lines ?? 1, `${c.name}: stderr was\n${r.stderr}`);
    assert.match(lines[lines.length - 1] + (lines.length > 1 ? `\n${lines[0]}` : ""), new RegExp(c.expect), c.name);
    assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, `${c.name}: stack trace`);
    // Nothing in the working folder, and no results in a run directory.
    const left = filesUnder(dir).map((f) => path.relative(dir, f));
    assert.ok(
      left.every((f) => f.startsWith('run/') && !/summary\.json|accuracy\.|tensors\.bin/.test(f)),
      `${c.name}: left ${left.join(', ')}`,
    );
  }
}
