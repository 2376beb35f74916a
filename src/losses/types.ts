// The contract between a loss and the rest of ctc. A loss file exports a LossSpec: its settings
// (the config keys under `loss`, each with its default, rule and help text) and a factory. The
// factory's loss owns its centers, computes its terms inside the optimizer's gradient closure,
// and updates its own centers after the network step. Also the center initialisation that the
// center-based losses share.

import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';

export type Reduction = 'mean' | 'sum';

/** What every loss needs besides its settings: the centers are [numClasses, featureDim], drawn from seed. */
export type LossDims = {
  numClasses: number;
  featureDim: number;
  seed: number;
};

export type NumberRule = '> 0' | '>= 0';

/** A default that depends on a choice setting of the same loss, e.g. alpha on centerUpdate. */
export interface ChoiceDependent {
  on: string;
  values: Readonly<Record<string, number>>;
}

interface SettingBase {
  /** One line for the config reference (`ctc train --help`, docs/experiments.md). */
  help: string;
  /** The setting has no effect under these values of another setting (it is then left out of table labels). */
  unusedWith?: Readonly<Record<string, readonly string[]>>;
}

/** A finite number, > 0 or >= 0. */
export interface NumberSetting extends SettingBase {
  rule: NumberRule;
  default: number | ChoiceDependent;
}

/** One of a fixed list of strings. */
export interface ChoiceSetting<C extends string = string> extends SettingBase {
  rule: readonly C[];
  default: C;
}

export type LossSetting = NumberSetting | ChoiceSetting;
export type LossSettings = Readonly<Record<string, LossSetting>>;

/** The resolved value type of each setting: a choice's strings, else number. */
export type SettingValues<S extends LossSettings> = {
  -readonly [K in keyof S]: S[K] extends ChoiceSetting<infer C> ? C : number;
};

export interface LossSpec<S extends LossSettings = LossSettings> {
  /** Settings in the order the loss reports them (`hyper`, the run's resolved config). */
  settings: S;
  /** The settings a table label names when they differ from their defaults, in label order (default: all, in order). */
  label?: readonly string[];
  /** Builds the loss from checked settings (createLoss checks them; src/losses/settings.ts). */
  create(dims: LossDims, settings: SettingValues<S>): TrainingLoss;
}

/** A spec with its settings' types kept, so `create` sees them typed and `label` names only settings. */
export function defineLoss<const S extends LossSettings>(
  spec: LossSpec<S> & { label?: readonly (keyof S & string)[] },
): LossSpec<S> {
  return spec;
}

export interface LossTerms {
  total: tf.Scalar;
  softmax: tf.Scalar;
  aux: tf.Scalar | null;
}

export interface TrainingLoss {
  /** 'softmax' | 'center' | 'contrastive-center' */
  readonly name: string;
  /** Resolved settings (lambda, alpha, delta, reduction, centerUpdate: those the loss has) for logging. */
  readonly hyper: Record<string, number | string>;
  /** [k, d] or null. */
  readonly centers: tf.Variable | null;
  /** Variables the network optimizer must train too (centers when centerUpdate = 'autodiff'), else []. */
  trainableVariables(): tf.Variable[];
  /** Told the 0-based iteration before each training step, by losses whose weight follows a schedule. */
  setIteration?(iteration: number): void;
  /** Loss terms for a batch; called inside the optimizer's gradient closure (pure tensor math, no tidy needed by caller). */
  compute(features: tf.Tensor2D, logits: tf.Tensor2D, labels: tf.Tensor1D): LossTerms;
  /** After the network's update: the loss's own center update, from the batch features (already detached). No-op for softmax / autodiff mode. Must not leak tensors. */
  updateCenters(features: tf.Tensor2D, labels: tf.Tensor1D): void;
  dispose(): void;
}

/**
 * Centers [numClasses, featureDim], uniform in +-sqrt(3/d): each coordinate has variance 1/d,
 * so E||c_j||^2 = 1 whatever d (the project's choice, docs/paper.md). Drawn from the run seed
 * (tf.randomUniform is seeded in JS, the same on every backend) so a run is repeatable.
 */
export function initCenters(dims: LossDims, trainable: boolean): tf.Variable {
  const limit = Math.sqrt(3 / dims.featureDim);
  const seed = new Rng(dims.seed).seed();
  const init = tf.randomUniform([dims.numClasses, dims.featureDim], -limit, limit, 'float32', seed);
  const centers = tf.variable(init, trainable);
  init.dispose();
  return centers;
}
