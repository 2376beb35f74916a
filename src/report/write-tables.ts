// Gathers the run summaries under some roots and writes the accuracy tables
// (accuracy.{json,csv,md}) for `ctc eval`, `ctc reproduce` and `ctc sweep`.

import path from 'node:path';
import { UserError } from '../errors.js';
import { findSummaries, readSummary } from '../run/summary.js';
import { writeFileAtomic } from '../util/atomic.js';
import { gitCommit } from '../util/provenance.js';
import { accuracyRows, toCsv, toMarkdown, type AccuracyTable, type RunRecord } from './tables.js';

/** Gathers the summaries under `roots` and writes accuracy.{json,csv,md} into `out`. */
export function writeTables(roots: string[], out: string, provenance?: Record<string, unknown>, quiet = false): AccuracyTable {
  const files = roots.flatMap((r) => findSummaries(r));
  if (files.length === 0) throw new UserError(`no finished runs (summary.json) under ${roots.join(', ')}; train some with ctc train first`);
  const runs = files.map((f) => readSummary(f) as unknown as RunRecord);
  const table: AccuracyTable = { generatedAt: new Date().toISOString(), commit: gitCommit(), rows: accuracyRows(runs), provenance };
  const dir = path.resolve(out);
  writeFileAtomic(path.join(dir, 'accuracy.json'), `${JSON.stringify(table, null, 2)}\n`);
  writeFileAtomic(path.join(dir, 'accuracy.csv'), toCsv(table));
  const md = toMarkdown(table);
  writeFileAtomic(path.join(dir, 'accuracy.md'), md);
  if (!quiet) process.stdout.write(`${md}\n${files.length} run(s) -> ${path.join(dir, 'accuracy.{md,csv,json}')}\n`);
  return table;
}
