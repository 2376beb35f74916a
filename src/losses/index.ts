// The loss registry: a config's `loss.name` maps to a spec here (its settings and factory). A
// new loss is one file and one line in REGISTRY.

import { UserError } from '../errors.js';
import { unknownName } from '../util/did-you-mean.js';
import { center } from './center.js';
import { contrastiveCenter } from './contrastive-center.js';
import { checkDims, isChoice, labelOf, resolveSettings } from './settings.js';
import { softmax } from './softmax.js';
import type { LossDims, LossSetting, LossSettings, LossSpec, SettingValues, TrainingLoss } from './types.js';

const REGISTRY = { softmax, center, 'contrastive-center': contrastiveCenter };

export const LOSSES: Readonly<Record<string, LossSpec>> = REGISTRY;

type ValuesOf<S> = S extends LossSettings ? SettingValues<S> : never;
type SettingsUnion = ValuesOf<(typeof REGISTRY)[keyof typeof REGISTRY]['settings']>;
/** Turns the union of the losses' settings into one object type with all of them. */
type Merged<U> = (U extends unknown ? (u: U) => void : never) extends (m: infer M) => void ? M : never;

/** What createLoss takes: the dimensions, and any loss's settings (those the named loss lacks are ignored). */
export type LossOptions = LossDims & Partial<Merged<SettingsUnion>>;
export type LossFactory = (options: LossOptions) => TrainingLoss;

/** The settings any loss has, in registry order. */
export const LOSS_SETTING_KEYS: readonly string[] = [
  ...new Set(Object.values(LOSSES).flatMap((spec) => Object.keys(spec.settings))),
];

/** The first loss's spec of a setting that several losses share (they share its rule). */
export function settingOwner(key: string): LossSetting {
  const spec = Object.values(LOSSES).find((s) => Object.hasOwn(s.settings, key));
  if (!spec) throw new Error(`no loss has the setting ${key}`);
  return spec.settings[key];
}

/** Settings whose values are names (choices): `--set loss.reduction=sum` keeps them strings. */
export const STRING_SETTINGS: readonly string[] = LOSS_SETTING_KEYS.filter((key) => isChoice(settingOwner(key)));

/** The spec of a loss by name; an unknown name is a UserError listing the known ones. */
export function getLossSpec(name: string): LossSpec {
  if (!Object.hasOwn(LOSSES, name)) throw new UserError(`loss.name: ${unknownName('loss', name, Object.keys(LOSSES))}`);
  return LOSSES[name];
}

/** Builds a loss by name, its settings checked and resolved over the spec's defaults. */
export function createLoss(name: string, options: LossOptions): TrainingLoss {
  const spec = getLossSpec(name);
  checkDims(options);
  const { numClasses, featureDim, seed } = options;
  return spec.create({ numClasses, featureDim, seed }, resolveSettings(spec, options));
}

/** A table's name for a run's loss: the name plus its settings that differ from their defaults. */
export function lossLabel(loss: { name: string; [setting: string]: unknown }): string {
  return Object.hasOwn(LOSSES, loss.name) ? labelOf(loss.name, LOSSES[loss.name], loss) : loss.name;
}

export { center, wenCenterStep } from './center.js';
export { CENTER_UPDATES, contrastiveCenter, normalizedCenterStep, type CenterUpdate } from './contrastive-center.js';
export { softmax } from './softmax.js';
export { checkSetting, checkSettings, defaultOf, resolveSettings, type SettingProblem } from './settings.js';
export {
  blockedSum0,
  centerLoss,
  checkLossInputs,
  contrastiveCenterLoss,
  gatherRows,
  softmaxCrossEntropy,
  sumSquaredDistances,
  type CenterLossOptions,
} from './functions.js';
export type { LossDims, LossSetting, LossSpec, LossTerms, Reduction, SettingValues, TrainingLoss } from './types.js';
