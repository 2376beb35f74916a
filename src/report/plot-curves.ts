// Training curves from one or several runs' metrics.jsonl: the loss terms (total, softmax,
// auxiliary) against the iteration, and the test accuracy at each epoch end; where the step lines
// carry them (src/train/diagnose.ts), a second row with the features' mean norm and the ratio of
// the auxiliary term's feature gradient to softmax's. Parsing and the spec are pure;
// readMetricsLog is the only I/O.

import fs from 'node:fs';
import { UserError } from '../errors.js';
import { asSpec } from './plot-specs.js';
import type { Rendered } from './plot-render.js';
import type { TopLevelSpec } from 'vega-lite';

export interface StepLine {
  iteration: number;
  loss: number;
  softmax: number;
  aux: number | null;
  /** Mean feature norm of the step's batch (step lines of runs from ctc train since issue 30). */
  featureNorm?: number | null;
  /** ||lambda dL_aux/dX|| / ||dL_softmax/dX|| (runs with an auxiliary term). */
  auxGradRatio?: number | null;
}

export interface EpochLine extends StepLine {
  epoch: number;
  testAccuracy: number | null;
}

export interface MetricsLog {
  steps: StepLine[];
  epochs: EpochLine[];
}

export interface CurveRun {
  label: string;
  log: MetricsLog;
}

/**
 * Parses metrics.jsonl. A truncated last line (the run was killed mid-write) is skipped; a bad
 * line anywhere else is an error naming the file and line.
 */
export function parseMetricsLog(text: string, file: string): MetricsLog {
  const lines = text.split('\n');
  const log: MetricsLog = { steps: [], epochs: [] };
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      if (i === lines.length - 1) return;
      throw new UserError(`${file}:${i + 1}: not valid JSON`);
    }
    const num = (k: string) => (typeof rec[k] === 'number' ? (rec[k] as number) : null);
    const iteration = num('iteration');
    const loss = num('loss');
    const softmax = num('softmax');
    if (iteration === null || loss === null || softmax === null) {
      if (rec.type === 'step' || rec.type === 'epoch')
        throw new UserError(`${file}:${i + 1}: ${rec.type} line without iteration, loss or softmax`);
      return; // other record types are not curves
    }
    const base = { iteration, loss, softmax, aux: num('aux') };
    if (rec.type === 'step')
      log.steps.push({ ...base, featureNorm: num('featureNorm'), auxGradRatio: num('auxGradRatio') });
    else if (rec.type === 'epoch')
      log.epochs.push({ ...base, epoch: num('epoch') ?? log.epochs.length + 1, testAccuracy: num('testAccuracy') });
  });
  return log;
}

export function readMetricsLog(file: string): MetricsLog {
  if (!fs.existsSync(file))
    throw new UserError(`${file}: no such file; is this a run directory trained with ctc train?`);
  const log = parseMetricsLog(fs.readFileSync(file, 'utf8'), file);
  if (log.steps.length === 0 && log.epochs.length === 0)
    throw new UserError(`${file}: no step or epoch lines yet; nothing to plot`);
  return log;
}

type Rows = Record<string, unknown>[];

/**
 * Long-format rows for Vega-Lite. Loss terms come from the step lines (finer), else from epochs;
 * the feature norm and gradient ratio from the step lines that have them.
 */
export function curveRows(runs: CurveRun[]): { loss: Rows; accuracy: Rows; featureNorm: Rows; gradRatio: Rows } {
  const loss: Rows = [];
  const accuracy: Rows = [];
  const featureNorm: Rows = [];
  const gradRatio: Rows = [];
  for (const { label, log } of runs) {
    const lines = log.steps.length > 0 ? log.steps : log.epochs;
    // A term of zero or less cannot go on the log axis; softmax runs log aux as 0 or null.
    const hasAux = lines.some((l) => l.aux !== null && l.aux > 0);
    for (const l of lines) {
      const terms: [string, number | null][] = [
        ['total', l.loss],
        ['softmax', l.softmax],
        ...(hasAux ? [['aux', l.aux] as [string, number | null]] : []),
      ];
      for (const [term, value] of terms)
        if (value !== null && value > 0) loss.push({ run: label, term, iteration: l.iteration, value });
    }
    for (const e of log.epochs)
      if (e.testAccuracy !== null)
        accuracy.push({ run: label, epoch: e.epoch, iteration: e.iteration, testAccuracy: e.testAccuracy });
    for (const l of log.steps) {
      // Both go on log axes: a zero (no gradient yet) or a missing value is left out.
      if (l.featureNorm != null && l.featureNorm > 0)
        featureNorm.push({ run: label, iteration: l.iteration, value: l.featureNorm });
      if (l.auxGradRatio != null && l.auxGradRatio > 0)
        gradRatio.push({ run: label, iteration: l.iteration, value: l.auxGradRatio });
    }
  }
  return { loss, accuracy, featureNorm, gradRatio };
}

export function curvesSpec(runs: CurveRun[]): TopLevelSpec {
  if (runs.length === 0) throw new Error('curvesSpec: no runs');
  const { loss, accuracy, featureNorm, gradRatio } = curveRows(runs);
  // One run: colour tells the loss terms apart; several: colour is the run, dashes the term.
  const several = runs.length > 1;
  // Run labels name the loss and its settings (and the folder where two share them): room for them in full.
  const legend = { labelLimit: 800 };
  const color = {
    field: several ? 'run' : 'term',
    type: 'nominal',
    title: several ? 'run' : 'loss term',
    sort: null,
    legend,
  };
  const x = { field: 'iteration', type: 'quantitative', title: 'iteration' };
  const title = { text: several ? 'Training curves' : `Training curves: ${runs[0].label}`, fontSize: 15 };
  const byRun = { ...color, field: 'run', title: 'run', legend: several ? legend : null };
  // A shared iteration axis lines each epoch's accuracy up with the losses beside it.
  const resolve = { scale: { x: 'shared', color: several ? 'shared' : 'independent' } };
  const curves = {
    hconcat: [
      {
        title: 'loss terms (training batches, log scale)',
        width: 420,
        height: 300,
        data: { values: loss },
        mark: { type: 'line', strokeWidth: 1.5, clip: true },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'loss', scale: { type: 'log' } },
          color,
          strokeDash: { field: 'term', type: 'nominal', title: 'loss term', sort: null },
          detail: { field: 'run' },
        },
      },
      {
        title: 'test accuracy at each epoch end',
        width: 420,
        height: 300,
        data: { values: accuracy },
        mark: { type: 'line', point: true, strokeWidth: 1.5 },
        encoding: {
          x,
          y: { field: 'testAccuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } },
          color: byRun,
        },
      },
    ],
    spacing: 40,
    resolve,
  };
  const diagnostics = [
    { rows: featureNorm, title: 'mean feature norm ||x|| (training batches, log scale)', y: 'feature norm' },
    {
      rows: gradRatio,
      title: "auxiliary term's feature gradient / softmax's (log scale)",
      y: '||λ dL_aux/dX|| / ||dL_softmax/dX||',
    },
  ]
    .filter((d) => d.rows.length > 0)
    .map((d) => ({
      title: d.title,
      width: 420,
      height: 240,
      data: { values: d.rows },
      mark: { type: 'line', strokeWidth: 1.5, clip: true },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: d.y, scale: { type: 'log' } },
        color: byRun,
      },
    }));
  if (diagnostics.length === 0) return asSpec({ title, ...curves });
  return asSpec({ title, vconcat: [curves, { hconcat: diagnostics, spacing: 40, resolve }], spacing: 30, resolve });
}

export async function trainingCurves(runs: CurveRun[]): Promise<Rendered> {
  const { renderChart } = await import('./plot-render.js'); // Vega loads only when drawing
  return renderChart(curvesSpec(runs));
}
