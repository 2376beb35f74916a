// The `ctc bench` result as data and as a Markdown table: ctc's training step beside PyTorch's
// on the same machine, their ratio against the issue's targets, and the contrastive-center loss
// micro-benchmark. Pure functions: the bench command does the measuring and the writing.

import type { LossBench, StepBench } from './measure.js';
import type { Peak } from './peak.js';
import { describeCheck, type SelfCheck } from '../backend/self-check.js';
import { median } from './stats.js';
import { onReferenceBlas, type TorchOutcome } from './torch.js';

/** Targets for ctc / PyTorch, ms per training step (fwd + bwd + update, batch 128, 2 cores). */
export const STEP_TARGETS: Record<string, number> = { lenets: 1.2, lenetspp: 4.5, resnet20: 4.5 };
/** With the native accelerator (backend wasm+onednn): 0.75x PyTorch for the convolutional nets, level for LeNets. */
export const NATIVE_STEP_TARGETS: Record<string, number> = { lenets: 1.0, lenetspp: 0.75, resnet20: 0.75 };
/** With the native accelerator, the fraction of the measured peak a step should reach. */
export const NATIVE_PEAK_TARGETS: Record<string, number> = { lenetspp: 0.85, resnet20: 0.8 };

export function stepTargets(backend: string): Record<string, number> {
  return backend.startsWith('wasm+onednn') ? NATIVE_STEP_TARGETS : STEP_TARGETS;
}

export function peakTargets(backend: string): Record<string, number> {
  return backend.startsWith('wasm+onednn') ? NATIVE_PEAK_TARGETS : {};
}
/** The loss micro-benchmark case that must beat PyTorch (ratio < 1). */
export const LOSS_TARGET_CASE = { batch: 128, dim: 512, classes: 100_000 };

export interface BenchProvenance {
  date: string;
  commit: string;
  command: string;
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string };
  versions: Record<string, string>;
  backend: string;
}

export interface StepRow {
  net: string;
  ctcMs: number;
  ctcImagesPerSecond: number;
  /** Multiply-accumulates of one step (1e9), and ctc's rate at its median step time. */
  gmacPerStep: number;
  gmacPerSecond: number;
  /** gmacPerSecond / the report's peak (the best round's); null without a peak. */
  peakFraction: number | null;
  torchMs: number | null;
  torchFormat: string | null;
  /** The median of the rounds' ratios (the rounds' own ratio with one round). */
  ratio: number | null;
  /** ctc / PyTorch in each round, where PyTorch ran. */
  roundRatios: number[];
  target: number | null;
  met: boolean | null;
  /** The fraction of the peak aimed at (null: none), and whether peakFraction reaches it. */
  peakTarget: number | null;
  peakMet: boolean | null;
}

/** One round of a bench: ctc's steps, then PyTorch's, measured back to back. */
export interface BenchRound {
  steps: StepBench[];
  torch: TorchOutcome;
  /** The machine's attainable rate measured just before this round's steps (absent when skipped). */
  peak?: Peak;
}

/** The report's peak: the best of the rounds' measurements (the attainable rate), each round's, and how. */
export interface PeakSummary extends Peak {
  perRound: number[];
}

export interface LossRow {
  batch: number;
  dim: number;
  classes: number;
  ctcMs: number;
  torchMatrixMs: number | null;
  torchClosedFormMs: number | null;
  /** ctc / PyTorch's direct (distance-matrix) implementation. */
  ratio: number | null;
  target: number | null;
  met: boolean | null;
}

export interface BenchReport {
  provenance: BenchProvenance;
  settings: { batch: number; steps: number; warmup: number; rounds?: number };
  steps: StepRow[];
  /** The attainable multiply-accumulate rate the rows' peakFraction is against (null: not measured). */
  peak: PeakSummary | null;
  /** Every round's ms per step, ctc and PyTorch (null where it did not run), per network. */
  rounds?: { net: string; ctcMs: number; torchMs: number | null }[][];
  loss: LossRow[];
  ctc: { steps: StepBench[]; loss: LossBench[] };
  torch: TorchOutcome;
  /** `--check`: the networks' loss and gradients against the cpu backend. */
  check?: SelfCheck;
}

export function stepRows(
  steps: StepBench[],
  torch: TorchOutcome,
  targets: Record<string, number> = STEP_TARGETS,
): StepRow[] {
  return roundRows([{ steps, torch }], targets);
}

/**
 * The best of the rounds' peaks, or null when no round measured one. A peak measured low (the
 * machine's speed drifts) would flatter every fraction; the best one is what the machine attains.
 */
export function peakSummary(rounds: BenchRound[]): PeakSummary | null {
  const peaks = rounds.flatMap((r) => (r.peak ? [r.peak] : []));
  if (peaks.length === 0) return null;
  const perRound = peaks.map((p) => p.gmacPerSecond);
  const best = peaks[perRound.indexOf(Math.max(...perRound))];
  return { gmacPerSecond: best.gmacPerSecond, method: best.method, perRound };
}

/** The PyTorch outcome of the last round where it ran, else the first round's (why it did not). */
export function lastTorch(rounds: BenchRound[]): TorchOutcome {
  return [...rounds].reverse().find((r) => r.torch.ran)?.torch ?? rounds[0].torch;
}

/**
 * Step rows over rounds of ctc then PyTorch: each side's median over the rounds, and the median
 * of the per-round ratios. This machine's speed drifts by tens of percent within minutes (other
 * tenants); a ratio taken within one round compares the two under the same conditions.
 */
export function roundRows(
  rounds: BenchRound[],
  targets: Record<string, number> = STEP_TARGETS,
  peakGoals: Record<string, number> = {},
): StepRow[] {
  const torch = lastTorch(rounds);
  const peak = peakSummary(rounds);
  return rounds[0].steps.map((first) => {
    const ctcMs = rounds.map((r) => r.steps.find((s) => s.net === first.net)!.msPerStep);
    const torchMs = rounds.map((r) => (r.torch.ran ? r.torch.result.nets[first.net]?.msPerStep : undefined));
    const roundRatios = ctcMs.flatMap((ms, i) => (torchMs[i] === undefined ? [] : [ms / torchMs[i]!]));
    const measured = torchMs.filter((ms): ms is number => ms !== undefined);
    const ratio = roundRatios.length > 0 ? median(roundRatios) : null;
    const target = targets[first.net] ?? null;
    const peakTarget = peakGoals[first.net] ?? null;
    const ms = median(ctcMs);
    const peakFraction = peak === null ? null : first.gmacPerStep / (ms / 1000) / peak.gmacPerSecond;
    return {
      net: first.net,
      ctcMs: ms,
      ctcImagesPerSecond: (first.batch * 1000) / ms,
      gmacPerStep: first.gmacPerStep,
      gmacPerSecond: first.gmacPerStep / (ms / 1000),
      peakFraction,
      torchMs: measured.length > 0 ? median(measured) : null,
      torchFormat: torch.ran ? (torch.result.nets[first.net]?.memoryFormat ?? null) : null,
      ratio,
      roundRatios,
      target,
      met: ratio !== null && target !== null ? ratio <= target : null,
      peakTarget,
      peakMet: peakFraction !== null && peakTarget !== null ? peakFraction >= peakTarget : null,
    };
  });
}

export function lossRows(loss: LossBench[], torch: TorchOutcome): LossRow[] {
  return loss.map((l) => {
    const ref = torch.ran
      ? torch.result.loss.find((t) => t.batch === l.batch && t.dim === l.dim && t.classes === l.classes)
      : undefined;
    const ratio = ref ? l.ms / ref.msMatrix : null;
    const isTarget =
      l.batch === LOSS_TARGET_CASE.batch && l.dim === LOSS_TARGET_CASE.dim && l.classes === LOSS_TARGET_CASE.classes;
    return {
      batch: l.batch,
      dim: l.dim,
      classes: l.classes,
      ctcMs: l.ms,
      torchMatrixMs: ref?.msMatrix ?? null,
      torchClosedFormMs: ref?.msClosedForm ?? null,
      ratio,
      target: isTarget ? 1 : null,
      met: isTarget && ratio !== null ? ratio < 1 : null,
    };
  });
}

const fmt = (v: number | null, digits = 1): string => (v === null ? '—' : v.toFixed(digits));
const verdict = (met: boolean | null, target: number | null, op: string): string =>
  target === null ? '' : `${op} ${target}: ${met === null ? 'n/a' : met ? 'yes' : 'no'}`;

/** The side-by-side table printed by `ctc bench` and written to bench.md. */
export function formatStepTable(rows: StepRow[]): string {
  const perRound = rows.some((r) => r.roundRatios.length > 1);
  const lines = [
    `| network | ctc ms/step | ctc images/s | GMAC/step | GMAC/s | of peak | PyTorch ms/step | ctc / PyTorch |${perRound ? ' ratio per round |' : ''} target met |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|${perRound ? '---|' : ''}---|`,
  ];
  for (const r of rows) {
    const torch = r.torchMs === null ? '—' : `${fmt(r.torchMs)} (${r.torchFormat})`;
    const rounds = perRound ? ` ${r.roundRatios.map((x) => x.toFixed(2)).join(', ') || '—'} |` : '';
    const ofPeak =
      r.peakTarget === null
        ? ''
        : `; ${verdict(r.peakMet, Math.round(r.peakTarget * 100), '≥').replace(':', '% of peak:')}`;
    lines.push(
      `| ${r.net} | ${fmt(r.ctcMs)} | ${fmt(r.ctcImagesPerSecond, 0)} | ${fmt(r.gmacPerStep, 2)} | ${fmt(r.gmacPerSecond, 0)} | ${r.peakFraction === null ? '—' : `${(r.peakFraction * 100).toFixed(0)}%`} | ${torch} | ${fmt(r.ratio, 2)} |${rounds} ${verdict(r.met, r.target, '≤')}${ofPeak} |`,
    );
  }
  return lines.join('\n');
}

export function formatLossTable(rows: LossRow[]): string {
  const lines = [
    '| batch, dim, classes | ctc ms | PyTorch ms (distance matrix) | PyTorch ms (closed form) | ctc / PyTorch | target met |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.batch}, ${r.dim}, ${r.classes.toLocaleString('en-US')} | ${fmt(r.ctcMs, 2)} | ${fmt(r.torchMatrixMs, 2)} | ${fmt(r.torchClosedFormMs, 2)} | ${fmt(r.ratio, 2)} | ${verdict(r.met, r.target, '<')} |`,
    );
  }
  return lines.join('\n');
}

/** How the table's "of peak" column was measured. */
export function peakLine(peak: PeakSummary | null): string {
  if (peak === null) return 'Peak: not measured (--peak-runs 0).';
  const rounds = peak.perRound.length > 1 ? ` (per round ${peak.perRound.map((g) => g.toFixed(0)).join(', ')})` : '';
  return `GMAC/step: multiply-accumulates of the convolutions and dense layers (forward, weight gradient, input gradient where needed; src/bench/macs.ts). Of peak: GMAC/s against this machine's attainable rate, ${peak.gmacPerSecond.toFixed(0)} GMAC/s${rounds}, the best of the measurements before each round of this run: ${peak.method}.`;
}

export function formatReport(report: BenchReport): string {
  const p = report.provenance;
  const torch = report.torch;
  const torchLine = torch.ran
    ? `PyTorch ${torch.result.torch} (Python ${torch.result.python}, ${torch.result.threads} threads, BLAS ${torch.result.blasLibrary.join(', ') || torch.result.blas}, oneDNN ${torch.result.mkldnn ? 'on' : 'off'})`
    : `PyTorch skipped: ${torch.reason}`;
  const memory = report.ctc.steps
    .map(
      (s) =>
        `${s.net} ${s.peakRssMiB.toFixed(0)} MiB RSS${s.wasmHeapMiB ? ` (wasm heap ${s.wasmHeapMiB.toFixed(0)} MiB)` : ''}${s.gpuMiB ? `, GPU ${s.gpuMiB.toFixed(0)} MiB` : ''}, ${s.peakTensorMiB.toFixed(0)} MiB in ${s.peakTensors} tensors between steps`,
    )
    .join('; ');
  return [
    '# ctc bench: training step time, ctc (TensorFlow.js) beside PyTorch',
    '',
    `${p.date}, commit ${p.commit}, \`${p.command}\``,
    '',
    `Machine: ${p.machine.cpu}, ${p.machine.cores} cores, ${p.machine.memoryGiB} GiB, ${p.machine.platform}.`,
    `ctc: ${p.backend}; Node ${p.versions.node}, tfjs ${p.versions['@tensorflow/tfjs-core']}. ${torchLine}.`,
    ...(torch.ran && onReferenceBlas(torch.result)
      ? [
          '',
          '**Warning: PyTorch ran on the reference BLAS, which flatters ctc; install libopenblas0-pthread (ctc bench then puts it first) and measure again.**',
        ]
      : []),
    '',
    `Median ms per training step (forward, backward, SGD update, center update; softmax + contrastive-center loss), batch ${report.settings.batch}, ${report.settings.steps} timed step(s) after ${report.settings.warmup} warm-up step(s).`,
    ...((report.settings.rounds ?? 1) > 1
      ? [
          `${report.settings.rounds} rounds, each ctc's steps then PyTorch's: ms are medians over the rounds, ctc / PyTorch the median of the rounds' ratios.`,
        ]
      : []),
    '',
    formatStepTable(report.steps),
    '',
    peakLine(report.peak),
    '',
    ...(report.check ? [`Gradient check: ${describeCheck(report.check)}.`, ''] : []),
    `Peak memory: ${memory}.`,
    '',
    'Contrastive-center loss, forward + backward (gradients for features and centers), median ms:',
    '',
    formatLossTable(report.loss),
    '',
  ].join('\n');
}
