// The machine's attainable multiply-accumulate rate, measured on the engine ctc trains with: a
// large 3x3 'same' convolution forward (the best-tuned, most compute-bound kernel there is),
// through tf.conv2d on the current backend (on wasm+onednn that is the addon's oneDNN kernel, on
// webgpu the GPU's), best of several runs. The roofline's fractions are against this number.

import * as tf from '@tensorflow/tfjs';
import { withoutFastPath } from '../backend/native/fast-paths.js';

export interface Peak {
  gmacPerSecond: number;
  /** How it was measured, in words (shapes, runs, backend). */
  method: string;
}

const WARMUP_MS = 500;

/**
 * [batch, height, width, channels] of the input; the filter maps channels -> channels. The
 * fastest of seven shapes tried with 64-256 channels on a 2-core EPYC (182-217 GMAC/s there).
 */
const SHAPES: readonly [number, number, number, number][] = [
  [32, 16, 16, 256],
  [64, 8, 8, 256],
  [128, 8, 8, 128],
];

/**
 * The best GMAC/s of `runs` timed calls of a 3x3 convolution on `shape`, after warm-up calls for at
 * least WARMUP_MS: the first calls after a pause (or after PyTorch's process) ran at half speed.
 */
async function bestConvRate([n, h, w, c]: readonly [number, number, number, number], runs: number): Promise<number> {
  const macs = n * h * w * c * 9 * c;
  const x = tf.randomUniform([n, h, w, c], -1, 1, 'float32', 1) as tf.Tensor4D;
  const filter = tf.randomUniform([3, 3, c, c], -0.1, 0.1, 'float32', 2) as tf.Tensor4D;
  const call = async (): Promise<number> => {
    const start = performance.now();
    const y = tf.conv2d(x, filter, 1, 'same');
    const probe = tf.slice(y, [0, 0, 0, 0], [1, 1, 1, 1]);
    await probe.data(); // waits for asynchronous backends (webgpu, where a synchronous read fails in Node); free on wasm
    const ms = performance.now() - start;
    tf.dispose([y, probe]);
    return ms;
  };
  let best = Infinity;
  try {
    const warmUntil = performance.now() + WARMUP_MS;
    do await call();
    while (performance.now() < warmUntil);
    for (let i = 0; i < runs; i++) best = Math.min(best, await call());
  } finally {
    tf.dispose([x, filter]);
  }
  return macs / (best * 1e6);
}

/**
 * The attainable rate on the current backend: the best of the SHAPES' best runs, with the direct
 * algorithm. Winograd's (the addon's 'winograd' route) does fewer multiplies than the MACs counted
 * for a step, so with it a network's rate is an effective one and may pass the direct peak.
 */
export async function measurePeak(backendDetail: string, runs = 5): Promise<Peak> {
  const rates: number[] = [];
  for (const shape of SHAPES) rates.push(await withoutFastPath('winograd', () => bestConvRate(shape, runs)));
  const best = Math.max(...rates);
  const shapes = SHAPES.map(([n, h, w, c], i) => `[${n},${h},${w},${c}] ${rates[i].toFixed(0)}`).join(', ');
  return {
    gmacPerSecond: best,
    method: `3x3 'same' convolution forward (direct algorithm), channels -> channels, NHWC float32, best of ${runs} runs per shape after ${WARMUP_MS} ms of warm-up (GMAC/s: ${shapes}), through tf.conv2d on ${backendDetail}`,
  };
}
