// `ctc eval --run DIR`: reload a run's checkpoint and measure its test accuracy.
// `ctc eval [--runs DIR]`: gather every summary.json and write the accuracy tables
// (results/accuracy.md, .csv, .json) beside the paper's figures.

import fs from 'node:fs';
import path from 'node:path';
import { initBackend, type BackendChoice } from '../backend/index.js';
import { parseConfig } from '../config/load.js';
import { loadDataset } from '../data/index.js';
import { evaluate } from '../eval/accuracy.js';
import { UserError } from '../errors.js';
import { buildModel, getModelSpec } from '../models/index.js';
import { accuracyRows, toCsv, toMarkdown, type AccuracyTable, type RunRecord } from '../report/tables.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { runPaths } from '../train/run-dir.js';
import { writeFileAtomic } from '../util/atomic.js';
import { gitCommit } from '../util/provenance.js';
import { Rng } from '../util/rng.js';

export async function evalRunCommand(flags: { run: string; checkpoint: string; backend: string }): Promise<number> {
  if (!['last', 'best'].includes(flags.checkpoint)) throw new UserError(`--checkpoint: expected 'last' or 'best', got '${flags.checkpoint}'`);
  const paths = runPaths(path.resolve(flags.run));
  if (!fs.existsSync(paths.resolvedConfig)) throw new UserError(`--run ${flags.run}: not a run directory (no config.resolved.yaml)`);
  const { config } = parseConfig(fs.readFileSync(paths.resolvedConfig, 'utf8'), paths.resolvedConfig);
  const backend = await initBackend(flags.backend as BackendChoice);
  const dataset = await loadDataset(config.dataset.name, config.dataset);
  const spec = getModelSpec(config.model.name);
  const { name, ...options } = config.model;
  const model = buildModel(name, { inputShape: dataset.imageShape, numClasses: dataset.numClasses, seed: new Rng(config.seed).seed() }, options);
  const { meta, tensors } = loadCheckpoint(flags.checkpoint === 'best' ? paths.best : paths.last);
  model.weights.forEach((w, i) => {
    const t = tensors.get(`model/${i}`);
    if (!t) throw new UserError(`${paths.dir}: checkpoint does not match the model (tensor model/${i} missing)`);
    w.write(t);
  });
  for (const t of tensors.values()) t.dispose();
  const result = await evaluate(model, dataset.test, spec.inputScaling, dataset.imageShape, { batchSize: config.eval.batchSize });
  model.dispose();
  process.stdout.write(
    `${paths.dir}: test accuracy ${result.accuracy.toFixed(2)}% (${result.correct}/${result.count}), checkpoint ${flags.checkpoint} at iteration ${meta.iteration}, ${backend.name}\n`,
  );
  if (fs.existsSync(paths.summary)) {
    const summary = JSON.parse(fs.readFileSync(paths.summary, 'utf8')) as Record<string, unknown> & { evaluations?: unknown[] };
    summary.evaluations = [
      ...(summary.evaluations ?? []),
      { checkpoint: flags.checkpoint, iteration: meta.iteration, testAccuracy: result.accuracy, correct: result.correct, count: result.count, backend: backend.name, at: new Date().toISOString() },
    ];
    writeFileAtomic(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
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

export function evalTablesCommand(flags: { runs: string[]; out: string }): number {
  const files = flags.runs.flatMap((r) => findSummaries(r));
  if (files.length === 0) throw new UserError(`no finished runs (summary.json) under ${flags.runs.join(', ')}; train some with ctc train first`);
  const table: AccuracyTable = { generatedAt: new Date().toISOString(), commit: gitCommit(), rows: accuracyRows(files.map(readRunRecord)) };
  const out = path.resolve(flags.out);
  writeFileAtomic(path.join(out, 'accuracy.json'), `${JSON.stringify(table, null, 2)}\n`);
  writeFileAtomic(path.join(out, 'accuracy.csv'), toCsv(table));
  const md = toMarkdown(table);
  writeFileAtomic(path.join(out, 'accuracy.md'), md);
  process.stdout.write(`${md}\n${files.length} run(s) -> ${path.join(out, 'accuracy.{md,csv,json}')}\n`);
  return 0;
}
