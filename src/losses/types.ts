// The contract between a loss and the training loop: a loss owns its hyperparameters and its
// centers, computes its terms inside the optimizer's gradient closure, and updates its own
// centers after the network step. Also the option checks and center initialisation that the
// center-based losses share.

import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import { Rng } from '../util/rng.js';

export type Reduction = 'mean' | 'sum';

export interface LossOptions {
  numClasses: number;
  featureDim: number;
  seed: number;
  lambda?: number;
  alpha?: number;
  delta?: number;
  reduction?: Reduction;
  /** contrastive-center: its center rule (contrastive-center.ts). */
  centerUpdate?: 'normalized' | 'sgd' | 'autodiff';
}

export interface LossTerms {
  total: tf.Scalar;
  softmax: tf.Scalar;
  aux: tf.Scalar | null;
}

export interface TrainingLoss {
  /** 'softmax' | 'center' | 'contrastive-center' */
  readonly name: string;
  /** Resolved hyperparameters (lambda, alpha, delta, reduction, centerUpdate) for logging. */
  readonly hyper: Record<string, number | string>;
  /** [k, d] or null. */
  readonly centers: tf.Variable | null;
  /** Variables the network optimizer must train too (centers when centerUpdate = 'autodiff'), else []. */
  trainableVariables(): tf.Variable[];
  /** Loss terms for a batch; called inside the optimizer's gradient closure (pure tensor math, no tidy needed by caller). */
  compute(features: tf.Tensor2D, logits: tf.Tensor2D, labels: tf.Tensor1D): LossTerms;
  /** After the network's update: the loss's own center update, from the batch features (already detached). No-op for softmax / autodiff mode. Must not leak tensors. */
  updateCenters(features: tf.Tensor2D, labels: tf.Tensor1D): void;
  dispose(): void;
}

export type LossFactory = (opts: LossOptions) => TrainingLoss;

// Option checks every loss applies; they throw UserError naming the config key, because
// hyperparameters come straight from a user's config.

/** A number option resolved against its default: finite, and > 0 or >= 0. */
export function checkNumber(key: string, value: number | undefined, fallback: number, rule: '> 0' | '>= 0'): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new UserError(`loss.${key} must be a finite number, got ${String(v)}`);
  }
  if (rule === '> 0' ? !(v > 0) : !(v >= 0)) throw new UserError(`loss.${key} must be ${rule}, got ${v}`);
  return v;
}

/** One of a fixed set of strings, or the default (the first). */
export function checkChoice<T extends string>(key: string, value: T | undefined, choices: readonly T[]): T {
  const v = value ?? choices[0];
  if (!choices.includes(v)) {
    throw new UserError(`loss.${key} must be one of ${choices.join(', ')}, got '${String(v)}'`);
  }
  return v;
}

/** numClasses and featureDim: positive integers, as the centers are [numClasses, featureDim]. */
export function checkDims(opts: LossOptions): void {
  for (const key of ['numClasses', 'featureDim'] as const) {
    const v = opts[key];
    if (!Number.isInteger(v) || v < 1) throw new UserError(`loss.${key} must be a positive integer, got ${String(v)}`);
  }
  if (!Number.isFinite(opts.seed)) throw new UserError(`loss.seed must be a finite number, got ${String(opts.seed)}`);
}

/**
 * Centers [numClasses, featureDim], uniform in +-sqrt(3/d): each coordinate has variance 1/d,
 * so E||c_j||^2 = 1 whatever d (the project's choice, docs/paper.md). Drawn from the run seed
 * (tf.randomUniform is seeded in JS, the same on every backend) so a run is repeatable.
 */
export function initCenters(opts: LossOptions, trainable: boolean): tf.Variable {
  const limit = Math.sqrt(3 / opts.featureDim);
  const seed = new Rng(opts.seed).seed();
  const init = tf.randomUniform([opts.numClasses, opts.featureDim], -limit, limit, 'float32', seed);
  const centers = tf.variable(init, trainable);
  init.dispose();
  return centers;
}
