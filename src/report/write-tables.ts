// Gathers the run summaries under some roots and writes the accuracy tables
// (accuracy.{json,csv,md}) for `ctc eval`, `ctc reproduce` and `ctc sweep`.

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { runPaths } from '../run/directory.js';
import { findSummaries, readSummary } from '../run/summary.js';
import { writeFileAtomic } from '../util/atomic.js';
import { gitCommit } from '../util/provenance.js';
import { toCsv, toMarkdown } from './table-format.js';
import { accuracyRows, verificationRowsOf, type AccuracyTable, type RunRecord } from './tables.js';
import type { VerificationRecord } from './verification-table.js';

/** Gathers the summaries under `roots` and writes accuracy.{json,csv,md} into `out`. */
export function writeTables(
  roots: string[],
  out: string,
  provenance?: Record<string, unknown>,
  quiet = false,
): AccuracyTable {
  const files = roots.flatMap((r) => findSummaries(r));
  if (files.length === 0)
    throw new UserError(`no finished runs (summary.json) under ${roots.join(', ')}; train some with ctc train first`);
  const runs = files.map((f) => withVerification(readSummary(f) as unknown as RunRecord));
  const verification = verificationRowsOf(runs);
  const table: AccuracyTable = {
    generatedAt: new Date().toISOString(),
    commit: gitCommit(),
    rows: accuracyRows(runs),
    provenance,
    ...(verification.length ? { verification } : {}),
  };
  const dir = path.resolve(out);
  writeFileAtomic(path.join(dir, 'accuracy.json'), `${JSON.stringify(table, null, 2)}\n`);
  writeFileAtomic(path.join(dir, 'accuracy.csv'), toCsv(table));
  const md = toMarkdown(table);
  writeFileAtomic(path.join(dir, 'accuracy.md'), md);
  if (!quiet) process.stdout.write(`${md}\n${files.length} run(s) -> ${path.join(dir, 'accuracy.{md,csv,json}')}\n`);
  return table;
}

/** The run with `ctc verify`'s result beside it, when there is one; a damaged file is a UserError naming it. */
function withVerification(run: RunRecord): RunRecord {
  const file = runPaths(run.dir).verification;
  if (!fs.existsSync(file)) return run;
  let v: VerificationRecord;
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8')) as VerificationRecord;
  } catch {
    throw new UserError(`${file}: not valid JSON`);
  }
  if (typeof v?.accuracy?.mean !== 'number' || typeof v.auc !== 'number' || typeof v.mode !== 'string') {
    throw new UserError(`${file}: not a ctc verify result (accuracy, auc or mode missing)`);
  }
  return { ...run, verification: v };
}
