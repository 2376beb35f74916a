// `ctc compare`: exit 0 when every row of the current table is within `tolerance` percentage
// points below the baseline (or better); else print the regressed rows and exit 3.

import fs from 'node:fs';
import { UserError } from '../errors.js';
import { nonNegativeFlag } from './flags.js';
import { writeFileAtomic } from '../util/atomic.js';
import { findRegressions, type AccuracyTable } from '../report/tables.js';

export function readTable(file: string, flag: string): AccuracyTable {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${flag} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let table: AccuracyTable;
  try {
    table = JSON.parse(text) as AccuracyTable;
  } catch {
    throw new UserError(`${flag} ${file}: not valid JSON`);
  }
  if (
    !table ||
    !Array.isArray(table.rows) ||
    table.rows.some((r) => typeof r?.mean !== 'number' || typeof r?.loss !== 'string')
  ) {
    throw new UserError(
      `${flag} ${file}: not an accuracy table (expected {"rows": [{dataset, network, loss, mean, ...}]}, as written by ctc eval)`,
    );
  }
  return table;
}

export function compareCommand(flags: {
  baseline: string;
  current: string;
  tolerance: string;
  update?: boolean;
}): number {
  if (flags.update) return updateBaseline(flags.baseline, flags.current);
  const tolerance = nonNegativeFlag('--tolerance', flags.tolerance);
  const baseline = readTable(flags.baseline, '--baseline');
  const current = readTable(flags.current, '--current');
  const regressions = findRegressions(baseline.rows, current.rows, tolerance);
  if (regressions.length === 0) {
    process.stdout.write(`ok: ${baseline.rows.length} row(s) within ${tolerance} points of ${flags.baseline}\n`);
    return 0;
  }
  process.stdout.write(`regressed (tolerance ${tolerance} points):\n`);
  for (const r of regressions) {
    const now = r.current === null ? 'missing' : `${r.current.toFixed(2)} (${(r.current - r.baseline).toFixed(2)})`;
    process.stdout.write(`  ${r.key}: baseline ${r.baseline.toFixed(2)}, current ${now}\n`);
  }
  return 3;
}

/** `--update`: the current table becomes the baseline (an explicit, reviewed step, never automatic). */
function updateBaseline(baselineFile: string, currentFile: string): number {
  const current = readTable(currentFile, '--current');
  const old = fs.existsSync(baselineFile) ? readTable(baselineFile, '--baseline') : null;
  writeFileAtomic(baselineFile, `${JSON.stringify(current, null, 2)}\n`);
  process.stdout.write(
    `baseline ${baselineFile} ${old ? 'replaced' : 'created'} from ${currentFile} (${current.rows.length} rows, commit ${current.commit})\n`,
  );
  return 0;
}
