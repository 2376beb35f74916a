// Times ctc's own training step (src/train/step.ts) on the current backend: for one network, the
// model, contrastive-center loss and Sgd are built from the project's config for that network
// exactly as `ctc train` builds them (same seeds, options, momentum and weight decay); each step
// gets a fresh batch of random pixels scaled as the network expects, as the loop makes its batch
// tensors. Also the contrastive-center loss forward+backward on its own.

import * as tf from '@tensorflow/tfjs';
import { gpuMemory } from '../backend/webgpu.js';
import { loadConfig } from '../config/load.js';
import { makeBatch } from '../data/batches.js';
import type { Split } from '../data/types.js';
import { contrastiveCenterLoss } from '../losses/functions.js';
import { buildExperiment } from '../train/experiment.js';
import { learningRate } from '../train/schedule.js';
import { trainStep } from '../train/step.js';
import { Rng } from '../util/rng.js';
import { gmacPerStep } from './macs.js';
import { median } from './stats.js';

/** The project config each benchmarked network is trained with (softmax + contrastive-center). */
export const BENCH_CONFIGS: Record<string, string> = {
  lenets: 'mnist-lenets-contrastive-center.yaml',
  lenetspp: 'mnist-lenetspp-contrastive-center.yaml',
  resnet20: 'cifar10-resnet20-contrastive-center.yaml',
};

/** Image shape and classes of each dataset a benchmark config names (no data is loaded). */
const DATASET_SHAPES: Record<string, { imageShape: [number, number, number]; numClasses: number }> = {
  mnist: { imageShape: [28, 28, 1], numClasses: 10 },
  'fashion-mnist': { imageShape: [28, 28, 1], numClasses: 10 },
  cifar10: { imageShape: [32, 32, 3], numClasses: 10 },
};

export interface StepBenchOptions {
  batch: number;
  steps: number;
  warmup: number;
}

export interface StepBench {
  net: string;
  config: string;
  batch: number;
  parameters: number;
  /** Multiply-accumulates of one step, 1e9 (src/bench/macs.ts: convolutions and dense layers). */
  gmacPerStep: number;
  msPerStep: number;
  imagesPerSecond: number;
  /** Every timed step, ms (after warm-up). */
  times: number[];
  /** Highest process resident set size seen during the steps, MiB. */
  peakRssMiB: number;
  /** Highest tf.memory() seen between steps: live tensors and their bytes (MiB). */
  peakTensors: number;
  peakTensorMiB: number;
  /** wasm only: the size of the wasm heap after the steps (it never shrinks, so this is its high-water mark), MiB. */
  wasmHeapMiB: number | null;
  /** webgpu only: GPU buffers allocated (tfjs's pool included) at the peak, MiB. */
  gpuMiB?: number | null;
  /** Tensors left after the last step minus before the first: 0 when nothing leaks. */
  tensorGrowth: number;
}

const MIB = 2 ** 20;

/** Bytes of the wasm backend's heap (0 on other backends). */
function wasmHeapBytes(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return tf.getBackend() === 'wasm' ? (backend.wasm?.HEAPU8?.buffer.byteLength ?? 0) : 0;
}

/** A split of random pixels: what makeBatch needs to produce a batch the way the loop does. */
function randomSplit(size: number, imageShape: [number, number, number], numClasses: number, seed: number): Split {
  const rng = new Rng(seed);
  const pixels = imageShape.reduce((a, b) => a * b, 1);
  const images = Uint8Array.from({ length: size * pixels }, () => rng.nextUint32() & 255);
  const labels = Uint8Array.from({ length: size }, (_, i) => i % numClasses);
  return { images, labels, count: size };
}

export type BenchSetup = ReturnType<typeof benchSetup>;

/** A benchmarked network's experiment (model, loss, Sgd), built from its config, and two batches of random pixels. */
export function benchSetup(net: string, batch: number) {
  const configName = BENCH_CONFIGS[net];
  const { config: cfg } = loadConfig(configName);
  const shape = DATASET_SHAPES[cfg.dataset.name];
  if (shape === undefined) throw new Error(`bench: no image shape known for dataset '${cfg.dataset.name}'`);
  const exp = buildExperiment(cfg, shape);
  const split = randomSplit(batch * 2, shape.imageShape, shape.numClasses, cfg.seed);
  return { net, batch, configName, cfg, shape, exp, split };
}

/** Training step i (0-based) on the setup's batch i % 2, as the loop makes it; returns its wall ms. */
export async function benchStep(setup: BenchSetup, i: number): Promise<number> {
  const { net, batch, cfg, shape, exp, split } = setup;
  const indices = Int32Array.from({ length: batch }, (_, j) => (i % 2) * batch + j);
  const b = makeBatch(split, indices, exp.spec.inputScaling, shape.imageShape);
  const x = tf.tensor(b.x, [batch, ...shape.imageShape]);
  const y = tf.tensor1d(b.y, 'int32');
  const lr = learningRate(cfg.train.schedule, cfg.train.lr, i);
  const start = performance.now();
  const step = await trainStep(exp.model, exp.loss, exp.sgd, x, y, lr).finally(() => tf.dispose([x, y]));
  const ms = performance.now() - start;
  if (!step.ok) throw new Error(`bench ${net}: step ${i + 1} failed: ${step.what}`);
  return ms;
}

export async function benchTrainStep(net: string, opts: StepBenchOptions): Promise<StepBench> {
  const setup = benchSetup(net, opts.batch);
  const { configName, exp } = setup;
  const times: number[] = [];
  let peakRss = 0;
  let peakTensors = 0;
  let peakBytes = 0;
  let peakGpu = 0;
  const tensorsBefore = tf.memory().numTensors;
  try {
    for (let i = 0; i < opts.warmup + opts.steps; i++) {
      const ms = await benchStep(setup, i);
      if (i >= opts.warmup) times.push(ms);
      const mem = tf.memory();
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      peakTensors = Math.max(peakTensors, mem.numTensors);
      peakBytes = Math.max(peakBytes, mem.numBytes);
      peakGpu = Math.max(peakGpu, gpuMemory()?.allocated ?? 0);
    }
    const msPerStep = median(times);
    return {
      net,
      config: configName,
      batch: opts.batch,
      parameters: exp.model.countParams(),
      gmacPerStep: gmacPerStep(exp.model, opts.batch),
      msPerStep,
      imagesPerSecond: (opts.batch * 1000) / msPerStep,
      times,
      peakRssMiB: peakRss / MIB,
      peakTensors,
      peakTensorMiB: peakBytes / MIB,
      tensorGrowth: tf.memory().numTensors - tensorsBefore,
      wasmHeapMiB: wasmHeapBytes() / MIB || null,
      gpuMiB: peakGpu / MIB || null,
    };
  } finally {
    exp.dispose();
  }
}

/** (batch m, feature dimension d, classes k) of the loss micro-benchmark. */
export const LOSS_CASES: readonly [number, number, number][] = [
  [128, 2, 10],
  [128, 512, 10],
  [128, 512, 100_000],
];

export interface LossBench {
  batch: number;
  dim: number;
  classes: number;
  ms: number;
}

/**
 * Contrastive-center loss forward + backward (gradients for the features and the centers, as the
 * PyTorch reference's backward() gives), median ms after one warm-up run.
 */
export async function benchLoss(m: number, d: number, k: number, runs: number): Promise<LossBench> {
  const limit = Math.sqrt(3 / d);
  const features = tf.randomNormal([m, d], 0, 1, 'float32', 2) as tf.Tensor2D;
  const centers = tf.randomUniform([k, d], -limit, limit, 'float32', 3) as tf.Tensor2D;
  const labels = tf.tensor1d(
    Int32Array.from({ length: m }, (_, i) => (i * 7919) % k),
    'int32',
  );
  const lossGrads = tf.grads((f, c) => contrastiveCenterLoss(f as tf.Tensor2D, labels, c as tf.Tensor2D));
  const times: number[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      const start = performance.now();
      const grads = lossGrads([features, centers]);
      const probe = tf.slice(grads[1], [0, 0], [1, 1]);
      await probe.data(); // one read, as a training step makes
      const ms = performance.now() - start;
      tf.dispose([...grads, probe]);
      if (i > 0) times.push(ms);
    }
  } finally {
    tf.dispose([features, centers, labels]);
  }
  return { batch: m, dim: d, classes: k, ms: median(times) };
}
