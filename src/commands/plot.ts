// `ctc plot`: feature scatter plots of one run (--run) or of several side by side (--runs), with
// compactness metrics stored in each run's summary.json; training curves (--curves); and the
// training animation from per-epoch feature frames (--animate).

import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '../backend/index.js';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { loadDataset } from '../data/index.js';
import { UserError } from '../errors.js';
import { integerFlag } from './flags.js';
import { featureMetrics, type FeatureMetricsResult } from '../eval/feature-metrics.js';
import { evaluateRun } from '../eval/run.js';
import { readMetricsLog, trainingCurves } from '../report/plot-curves.js';
import { readFeatureFrames } from '../report/plot-frames.js';
import type { ScatterInput } from '../report/plot.js';
import { fmt } from '../report/plot-specs.js';
import type { Rendered } from '../report/plot-render.js';
import { lossLabel } from '../losses/index.js';
import { runPaths } from '../run/directory.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface PlotFlags {
  run?: string;
  runs?: string[];
  curves?: boolean;
  animate?: boolean;
  checkpoint: string;
  out?: string;
  maxPoints: string;
  title?: string;
  backend: string;
}

export function registerPlotCommand(program: Command): void {
  program
    .command('plot')
    .description('plot test features (one run, or several side by side), training curves, or the training animation')
    .option('-r, --run <dir>', 'one run directory')
    .option('--runs <dirs...>', 'several run directories, one panel (rows of five) or curve each')
    .option(
      '--curves',
      'training curves from metrics.jsonl: loss terms, test accuracy, and the feature norm and aux/softmax gradient ratio where logged',
    )
    .option('--animate', 'with --run: features.gif from the per-epoch frames in <run>/frames/')
    .option('--checkpoint <which>', 'features from checkpoint last | best', 'last')
    .option('-o, --out <file>', 'output .png or .svg (.gif with --animate); default: into the run directory')
    .option('--max-points <n>', 'most test points drawn per panel (a fixed random subset)', '5000')
    .option('--title <text>', 'figure title for --runs')
    .addOption(
      new Option('-b, --backend <name>', 'compute backend for the features')
        .choices([...BACKEND_CHOICES])
        .default('auto'),
    )
    .addHelpText(
      'after',
      `
Examples:
  ctc plot --run runs/mnist-lenetspp/seed-1             # -> <run>/features.png, features.svg
  ctc plot --run runs/x --checkpoint best --out x.svg
  ctc plot --runs runs/softmax runs/center runs/contrastive-center --out figure.png
  ctc plot --curves --run runs/x                        # -> <run>/curves.png, curves.svg
  ctc plot --curves --runs runs/a runs/b --out curves.png
  ctc plot --run runs/x --animate                       # -> <run>/features.gif

Feature plots also store the compactness metrics in each run's summary.json (featureMetrics).
Panels of a --runs figure each keep their own scale, with equal units on both axes; features
with more than 2 dimensions are shown as their 2-D PCA projection.`,
    )
    .action(async (flags: PlotFlags) => {
      process.exitCode = await plotCommand(flags);
    });
}

export async function plotCommand(flags: PlotFlags): Promise<number> {
  if (flags.run && flags.runs?.length) throw new UserError('give --run DIR or --runs DIR..., not both');
  const dirs = flags.run ? [flags.run] : (flags.runs ?? []);
  if (dirs.length === 0) throw new UserError('nothing to plot: give --run DIR or --runs DIR...');
  if (flags.checkpoint !== 'last' && flags.checkpoint !== 'best')
    throw new UserError(`--checkpoint: expected 'last' or 'best', got '${flags.checkpoint}'`);
  const maxPoints = integerFlag('--max-points', flags.maxPoints);
  const configs = dirs.map(readRunConfig);
  const labels = runLabels(dirs, configs);
  const started = performance.now();

  if (flags.animate) {
    if (dirs.length !== 1 || flags.curves) throw new UserError('--animate takes one --run DIR (and no --curves)');
    const [out] = outputFiles(flags.out, dirs[0], 'features', ['.gif']);
    const frames = readFeatureFrames(dirs[0]);
    const { classNames } = await loadDataset(configs[0].dataset.name, configs[0].dataset);
    const { animateFrames } = await import('../report/plot-gif.js'); // Vega loads only when plotting
    writeFileAtomic(out, await animateFrames(frames, { classNames, label: labels[0] }));
    report(`${out}: ${frames.length} frame(s)`, started);
    return 0;
  }

  if (flags.curves) {
    const runs = dirs.map((d, i) => ({ label: labels[i], log: readMetricsLog(runPaths(d).metrics) }));
    writeOutputs(
      await trainingCurves(runs),
      outputFiles(flags.out, dirs.length === 1 ? dirs[0] : undefined, 'curves', ['.png', '.svg']),
      started,
    );
    return 0;
  }

  const outs = outputFiles(flags.out, dirs.length === 1 ? dirs[0] : undefined, 'features', ['.png', '.svg']);
  const inputs: ScatterInput[] = [];
  for (const [i, dir] of dirs.entries()) {
    const ev = await evaluateRun(dir, {
      checkpoint: flags.checkpoint,
      backend: flags.backend as BackendChoice,
      keepFeatures: true,
    });
    const features = ev.result.features as Float32Array;
    const metrics = featureMetrics(features, ev.dataset.test.labels, ev.dataset.numClasses);
    storeMetrics(ev.dir, {
      checkpoint: flags.checkpoint,
      iteration: ev.iteration,
      testAccuracy: ev.result.accuracy,
      metrics,
    });
    process.stdout.write(
      `${labels[i]}: test ${ev.result.accuracy.toFixed(2)}%, ${describeMetrics(metrics)} (${ev.dir}, iteration ${ev.iteration})\n`,
    );
    inputs.push({
      features,
      labels: ev.dataset.test.labels,
      centers: ev.centers,
      classNames: ev.dataset.classNames,
      label: labels[i],
      testAccuracy: ev.result.accuracy,
      metrics,
      maxPoints,
    });
  }
  const { featureFigure, featureScatter } = await import('../report/plot.js');
  const renderStart = performance.now();
  const figureTitle = flags.title ?? `${configs[0].dataset.name} test features, ${configs[0].model.name}`;
  const rendered = inputs.length === 1 ? await featureScatter(inputs[0]) : await featureFigure(inputs, figureTitle);
  writeOutputs(rendered, outs, renderStart);
  return 0;
}

function readRunConfig(dir: string): Config {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`${dir}: no such run directory`);
  const file = runPaths(dir).resolvedConfig;
  if (!fs.existsSync(file)) throw new UserError(`${dir}: not a run directory (no config.resolved.yaml)`);
  return parseConfig(fs.readFileSync(file, 'utf8'), file).config;
}

/**
 * The loss per run as the tables name it (non-default lambda, reduction, center update in
 * brackets); the folder name is added when two runs still share a label.
 */
function runLabels(dirs: string[], configs: Config[]): string[] {
  const losses = configs.map((c) => lossLabel(c.loss));
  return losses.map((l, i) =>
    losses.indexOf(l) !== losses.lastIndexOf(l) ? `${l} (${path.basename(path.resolve(dirs[i]))})` : l,
  );
}

/** --out as given (its extension picks the format), else `<run>/<stem>` with each default extension. */
function outputFiles(out: string | undefined, runDir: string | undefined, stem: string, exts: string[]): string[] {
  if (out) {
    if (!exts.includes(path.extname(out).toLowerCase()))
      throw new UserError(`--out ${out}: expected a ${exts.join(' or ')} file`);
    return [path.resolve(out)];
  }
  if (!runDir) throw new UserError(`a figure of several runs needs --out FILE${exts.join('|')}`);
  return exts.map((ext) => path.join(path.resolve(runDir), `${stem}${ext}`));
}

function writeOutputs(r: Rendered, files: string[], since: number): void {
  for (const f of files) writeFileAtomic(f, f.toLowerCase().endsWith('.svg') ? r.svg : r.png);
  report(files.join(', '), since);
}

function report(what: string, since: number): void {
  process.stdout.write(`wrote ${what} (${((performance.now() - since) / 1000).toFixed(1)} s)\n`);
}

function describeMetrics(m: FeatureMetricsResult): string {
  const r = m.raw;
  const n = m.normalized;
  const absent = m.absentClasses.length ? `; no test samples for class(es) ${m.absentClasses.join(', ')}` : '';
  return (
    `intra ${fmt(r.intraMean)}, inter min ${fmt(r.interMin)}, intra/inter ${fmt(r.intraInterRatio)}, Fisher ${fmt(r.fisherRatio)}, ` +
    `DB ${fmt(r.daviesBouldin)}, NCM ${r.ncmAccuracy.toFixed(2)}%; normalised: intra/inter ${fmt(n.intraInterRatio)}, ` +
    `Fisher ${fmt(n.fisherRatio)}, DB ${fmt(n.daviesBouldin)}, NCM ${n.ncmAccuracy.toFixed(2)}%${absent}`
  );
}

/** Adds featureMetrics to summary.json (atomically), when the run has finished and has one. */
function storeMetrics(
  dir: string,
  m: { checkpoint: string; iteration: number; testAccuracy: number; metrics: FeatureMetricsResult },
): void {
  const file = runPaths(dir).summary;
  if (!fs.existsSync(file)) return;
  let summary: Record<string, unknown>;
  try {
    summary = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new UserError(`${file}: not valid JSON`);
  }
  summary.featureMetrics = {
    checkpoint: m.checkpoint,
    iteration: m.iteration,
    testAccuracy: m.testAccuracy,
    ...m.metrics,
    at: new Date().toISOString(),
  };
  writeFileAtomic(file, `${JSON.stringify(summary, null, 2)}\n`);
}
