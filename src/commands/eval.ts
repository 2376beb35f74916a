// `ctc eval --run DIR`: reload a run's checkpoint and measure its test accuracy.
// `ctc eval [--runs DIR]`: gather every summary.json and write the accuracy tables
// (results/accuracy.md, .csv, .json) beside the paper's figures.

import fs from 'node:fs';
import path from 'node:path';
import type { BackendChoice } from '../backend/index.js';
import { centerMetrics, describeCenterMetrics } from '../eval/center-metrics.js';
import { evaluateRun } from '../eval/run.js';
import { UserError } from '../errors.js';
import { accuracyRows, toCsv, toMarkdown, type AccuracyTable, type RunRecord } from '../report/tables.js';
import { runPaths } from '../train/run-dir.js';
import { writeFileAtomic } from '../util/atomic.js';
import { gitCommit } from '../util/provenance.js';

export async function evalRunCommand(flags: { run: string; checkpoint: string; backend: string }): Promise<number> {
  if (flags.checkpoint !== 'last' && flags.checkpoint !== 'best') {
    throw new UserError(`--checkpoint: expected 'last' or 'best', got '${flags.checkpoint}'`);
  }
  const ev = await evaluateRun(flags.run, { checkpoint: flags.checkpoint, backend: flags.backend as BackendChoice, keepFeatures: true });
  const { result } = ev;
  const centers = ev.centers && result.features ? centerMetrics(result.features, ev.dataset.test.labels, ev.centers, ev.dataset.numClasses) : null;
  process.stdout.write(
    `${ev.dir}: test accuracy ${result.accuracy.toFixed(2)}% (${result.correct}/${result.count}), checkpoint ${flags.checkpoint} at iteration ${ev.iteration}, ${ev.backend.name}\n` +
      (centers ? `  ${describeCenterMetrics(centers)}\n` : ''),
  );
  const summaryFile = runPaths(ev.dir).summary;
  if (fs.existsSync(summaryFile)) {
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as Record<string, unknown> & { evaluations?: unknown[] };
    summary.evaluations = [
      ...(summary.evaluations ?? []),
      {
        checkpoint: flags.checkpoint,
        iteration: ev.iteration,
        testAccuracy: result.accuracy,
        correct: result.correct,
        count: result.count,
        ...(centers ? { centerMetrics: centers } : {}),
        backend: ev.backend.name,
        at: new Date().toISOString(),
      },
    ];
    writeFileAtomic(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
  }
  return 0;
}

/** Every summary.json below `root` (depth-first, sorted for stable tables). */
export function findSummaries(root: string): string[] {
  if (!fs.existsSync(root)) throw new UserError(`--runs ${root}: no such directory`);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'checkpoints') walk(p);
      else if (entry.isFile() && entry.name === 'summary.json') out.push(p);
    }
  };
  walk(root);
  return out;
}

export function readRunRecord(file: string): RunRecord {
  let s: RunRecord;
  try {
    s = JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
  } catch {
    throw new UserError(`${file}: not valid JSON`);
  }
  if (typeof s?.testAccuracy !== 'number' || !s.dataset?.name || !s.model?.name || !s.loss?.name) {
    throw new UserError(`${file}: not a ctc run summary (testAccuracy, dataset, model or loss missing)`);
  }
  return { ...s, dir: path.dirname(file) };
}

/** Gathers the summaries under `roots` and writes accuracy.{json,csv,md} into `out`. */
export function writeTables(roots: string[], out: string, provenance?: Record<string, unknown>, quiet = false): AccuracyTable {
  const files = roots.flatMap((r) => findSummaries(r));
  if (files.length === 0) throw new UserError(`no finished runs (summary.json) under ${roots.join(', ')}; train some with ctc train first`);
  const table: AccuracyTable = { generatedAt: new Date().toISOString(), commit: gitCommit(), rows: accuracyRows(files.map(readRunRecord)), provenance };
  const dir = path.resolve(out);
  writeFileAtomic(path.join(dir, 'accuracy.json'), `${JSON.stringify(table, null, 2)}\n`);
  writeFileAtomic(path.join(dir, 'accuracy.csv'), toCsv(table));
  const md = toMarkdown(table);
  writeFileAtomic(path.join(dir, 'accuracy.md'), md);
  if (!quiet) process.stdout.write(`${md}\n${files.length} run(s) -> ${path.join(dir, 'accuracy.{md,csv,json}')}\n`);
  return table;
}

export function evalTablesCommand(flags: { runs: string[]; out: string }): number {
  writeTables(flags.runs, flags.out);
  return 0;
}
