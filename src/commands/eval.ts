// `ctc eval --run DIR`: reload a run's checkpoint and measure its test accuracy.
// `ctc eval [--runs DIR] [--out DIR]`: gather every summary.json and write the accuracy tables
// (accuracy.md, .csv, .json) beside the paper's figures.

import fs from 'node:fs';
import type { BackendChoice } from '../backend/index.js';
import { centerMetrics, describeCenterMetrics } from '../eval/center-metrics.js';
import { evaluateRun } from '../eval/run.js';
import { UserError } from '../errors.js';
import { writeTables } from '../report/write-tables.js';
import { runPaths } from '../run/directory.js';
import { writeFileAtomic } from '../util/atomic.js';

export async function evalRunCommand(flags: { run: string; checkpoint: string; backend: string }): Promise<number> {
  if (flags.checkpoint !== 'last' && flags.checkpoint !== 'best') {
    throw new UserError(`--checkpoint: expected 'last' or 'best', got '${flags.checkpoint}'`);
  }
  const ev = await evaluateRun(flags.run, {
    checkpoint: flags.checkpoint,
    backend: flags.backend as BackendChoice,
    keepFeatures: true,
  });
  const { result } = ev;
  const centers =
    ev.centers && result.features
      ? centerMetrics(result.features, ev.dataset.test.labels, ev.centers, ev.dataset.numClasses)
      : null;
  process.stdout.write(
    `${ev.dir}: test accuracy ${result.accuracy.toFixed(2)}% (${result.correct}/${result.count}), checkpoint ${flags.checkpoint} at iteration ${ev.iteration}, ${ev.backend.name}\n` +
      (centers ? `  ${describeCenterMetrics(centers)}\n` : ''),
  );
  const summaryFile = runPaths(ev.dir).summary;
  if (fs.existsSync(summaryFile)) {
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as Record<string, unknown> & {
      evaluations?: unknown[];
    };
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

/** Without --out the tables go beside the runs (runs/ is not committed): results/ changes only when asked. */
export function evalTablesCommand(flags: { runs: string[]; out?: string }): number {
  writeTables(flags.runs, flags.out ?? flags.runs[0]);
  return 0;
}
