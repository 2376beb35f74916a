// Where a training step's time goes, kernel by kernel: a few steps of ctc's own training step
// (built as benchTrainStep builds it) run inside tf.profile, and the wall time of every kernel
// call is summed by kernel name. On wasm (and wasm+onednn) a kernel's time is the wall time of
// its synchronous call, so the rows plus "outside kernels" (JavaScript: the tape, gradients
// bookkeeping, tensor creation) add up to the measured step.

import * as tf from '@tensorflow/tfjs';
import { benchSetup, benchStep } from './measure.js';

export interface KernelRow {
  kernel: string;
  /** Calls per step. */
  calls: number;
  /** Wall ms per step. */
  ms: number;
}

export interface StepProfile {
  net: string;
  batch: number;
  steps: number;
  /** Wall ms per profiled step (profiling adds a little bookkeeping). */
  msPerStep: number;
  /** Kernel rows, slowest first. */
  kernels: KernelRow[];
  /** msPerStep minus the kernels' sum: time spent outside kernel calls. */
  outsideMs: number;
}

export async function profileTrainStep(
  net: string,
  opts: { batch: number; steps: number; warmup: number },
): Promise<StepProfile> {
  const setup = benchSetup(net, opts.batch);
  const checking = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
  try {
    for (let i = 0; i < opts.warmup; i++) await benchStep(setup, i);
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
    const start = performance.now();
    const info = await tf.profile(async () => {
      for (let i = 0; i < opts.steps; i++) await benchStep(setup, opts.warmup + i);
    });
    const msPerStep = (performance.now() - start) / opts.steps;
    const byName = new Map<string, KernelRow>();
    const backend = tf.getBackend();
    // Op scopes (customGrad, tf.fused ops) are recorded too, around the kernels they run: leave
    // them out, their kernels are counted themselves.
    for (const k of info.kernels.filter((k) => tf.getKernel(k.name, backend) !== undefined)) {
      const row = byName.get(k.name) ?? { kernel: k.name, calls: 0, ms: 0 };
      row.calls += 1 / opts.steps;
      row.ms += (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0) / opts.steps;
      byName.set(k.name, row);
    }
    tf.dispose(info.result as tf.TensorContainer);
    const kernels = [...byName.values()].sort((a, b) => b.ms - a.ms);
    const kernelMs = kernels.reduce((sum, r) => sum + r.ms, 0);
    return { net, batch: opts.batch, steps: opts.steps, msPerStep, kernels, outsideMs: msPerStep - kernelMs };
  } finally {
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', checking);
    setup.exp.dispose();
  }
}

/** A Markdown table of one profile: kernels over `minShare` of the step, the rest in one row. */
export function formatProfile(p: StepProfile, minShare = 0.005): string {
  const share = (ms: number) => `${((100 * ms) / p.msPerStep).toFixed(1)}%`;
  const shown = p.kernels.filter((r) => r.ms >= minShare * p.msPerStep);
  const rest = p.kernels.slice(shown.length);
  const lines = [
    `${p.net}, batch ${p.batch}: ${p.msPerStep.toFixed(1)} ms per profiled step (mean of ${p.steps})`,
    '',
    '| kernel | calls/step | ms/step | share |',
    '|---|---:|---:|---:|',
    ...shown.map((r) => `| ${r.kernel} | ${r.calls.toFixed(0)} | ${r.ms.toFixed(2)} | ${share(r.ms)} |`),
  ];
  if (rest.length > 0) {
    const ms = rest.reduce((sum, r) => sum + r.ms, 0);
    const calls = rest.reduce((sum, r) => sum + r.calls, 0);
    lines.push(`| ${rest.length} other kernels | ${calls.toFixed(0)} | ${ms.toFixed(2)} | ${share(ms)} |`);
  }
  lines.push(`| outside kernels (JavaScript) | | ${p.outsideMs.toFixed(2)} | ${share(p.outsideMs)} |`);
  return lines.join('\n');
}
