// A loss's settings, checked and resolved against its spec in one place: createLoss uses it for
// library users, config loading for the position of a bad key, and the tables for the label of
// a row. A problem names the config key (`loss.alpha must be > 0, got 0`), because settings come
// straight from a user's config. Also the settings several losses share.

import { UserError } from '../errors.js';
import type { ChoiceSetting, LossDims, LossSetting, LossSettings, LossSpec, SettingValues } from './types.js';

/** The weight of the auxiliary term, L = L_s + lambda * L_aux. */
export const lambdaSetting = (fallback: number) =>
  ({ rule: '>= 0', default: fallback, help: 'weight of the auxiliary term: L = L_s + lambda * L_aux' }) as const;

/** The step size of a center rule (c <- c - alpha delta_c). */
export const ALPHA_HELP = 'center rate: the step size of the center rule, c <- c - alpha * delta_c';

export const REDUCTION_SETTING = {
  rule: ['mean', 'sum'],
  default: 'mean',
  help: "the auxiliary term over the batch, for the loss value and the feature gradient: mean divides the paper's sum by the batch size (the center rules always see the whole batch)",
} as const;

/** What the functions here read of a spec. */
type SettingsOwner = Pick<LossSpec, 'settings' | 'label'>;

export interface SettingProblem {
  key: string;
  message: string;
}

export const isChoice = (s: LossSetting): s is ChoiceSetting => Array.isArray(s.rule);

/** The settings in the order they resolve in: a default that depends on another setting comes after it. */
function resolutionOrder(spec: SettingsOwner): [string, LossSetting][] {
  const entries = Object.entries(spec.settings);
  const dependent = ([, s]: [string, LossSetting]) => typeof s.default === 'object';
  return [...entries.filter((e) => !dependent(e)), ...entries.filter(dependent)];
}

/** Settings resolved over their defaults, or the first problem (settings that others depend on are checked first). */
export function checkSettings(
  spec: SettingsOwner,
  values: Readonly<Record<string, unknown>>,
): { settings: Record<string, number | string>; problem: SettingProblem | null } {
  const resolved: Record<string, number | string> = {};
  for (const [key, setting] of resolutionOrder(spec)) {
    const value = values[key] ?? defaultOf(setting, resolved);
    const message = checkSetting(setting, value);
    if (message) return { settings: {}, problem: { key, message } };
    resolved[key] = value as number | string;
  }
  return { settings: Object.fromEntries(Object.keys(spec.settings).map((key) => [key, resolved[key]])), problem: null };
}

/** The spec's settings resolved over their defaults; a bad value is a UserError naming the key. */
export function resolveSettings<S extends LossSettings>(
  spec: LossSpec<S>,
  values: Readonly<Record<string, unknown>>,
): SettingValues<S> {
  const { settings, problem } = checkSettings(spec, values);
  if (problem) throw new UserError(`loss.${problem.key} ${problem.message}`);
  return settings as SettingValues<S>;
}

/** A setting's default, given the settings already resolved (a default may depend on a choice). */
export function defaultOf(setting: LossSetting, resolved: Readonly<Record<string, unknown>>): number | string {
  if (typeof setting.default !== 'object') return setting.default;
  return setting.default.values[String(resolved[setting.default.on])];
}

/** The problem with one setting's value, e.g. `must be > 0, got 0` (callers name the key), or null. */
export function checkSetting(setting: LossSetting, value: unknown): string | null {
  if (isChoice(setting))
    return setting.rule.includes(value as string)
      ? null
      : `must be one of ${setting.rule.join(', ')}, got '${String(value)}'`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a finite number, got ${String(value)}`;
  return (setting.rule === '> 0' ? value > 0 : value >= 0) ? null : `must be ${setting.rule}, got ${value}`;
}

/**
 * The loss name plus the settings that differ from their defaults, e.g.
 * `contrastive-center [lambda=0.3, alpha=0.1]`. Reads a run's recorded settings, so it does not
 * check them; a setting unused under the others (alpha with autodiff centers) is left out.
 */
export function labelOf(name: string, spec: SettingsOwner, loss: Readonly<Record<string, unknown>>): string {
  const resolved: Record<string, unknown> = {};
  for (const [key, setting] of resolutionOrder(spec)) resolved[key] = loss[key] ?? defaultOf(setting, resolved);
  const unused = (setting: LossSetting) =>
    Object.entries(setting.unusedWith ?? {}).some(([other, values]) => values.includes(String(resolved[other])));
  const notes = (spec.label ?? Object.keys(spec.settings))
    .map((key): [string, LossSetting] => [key, spec.settings[key]])
    .filter(
      ([key, setting]) => loss[key] !== undefined && loss[key] !== defaultOf(setting, resolved) && !unused(setting),
    )
    .map(([key]) => `${key}=${String(loss[key])}`);
  return notes.length ? `${name} [${notes.join(', ')}]` : name;
}

/** numClasses and featureDim: positive integers, as the centers are [numClasses, featureDim]. */
export function checkDims(dims: LossDims): void {
  for (const key of ['numClasses', 'featureDim'] as const) {
    const v = dims[key];
    if (!Number.isInteger(v) || v < 1) throw new UserError(`loss.${key} must be a positive integer, got ${String(v)}`);
  }
  if (!Number.isFinite(dims.seed)) throw new UserError(`loss.seed must be a finite number, got ${String(dims.seed)}`);
}
