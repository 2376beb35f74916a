// Reads a YAML experiment, applies `--set key.path=value` overrides, validates everything
// strictly (schema, registry names, model options) and returns a frozen config. Every error is a
// UserError of one line: `file:line:col: key.path: problem (did you mean ...)`.

import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../util/package-root.js';
import YAML, { isMap, isScalar, LineCounter, type Document } from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { didYouMeanHint, unknownName } from '../util/did-you-mean.js';
import { configSchema, type Config } from './schema.js';
import { describeIssue, knownKeysAt } from './issues.js';
import { MODELS } from '../models/index.js';
import {
  checkSetting,
  checkSettings,
  LOSS_SETTING_KEYS,
  LOSSES,
  settingOwner,
  STRING_SETTINGS,
} from '../losses/index.js';
import { DATASETS } from '../data/index.js';

/** The project's configs/ folder (next to package.json), so bare names work from any directory. */
export const CONFIGS_DIR = path.join(PACKAGE_ROOT, 'configs');

export interface LoadedConfig {
  config: Config;
  file: string;
}

/** A path to an existing file, or a bare name (with or without .yaml) in the project's configs/. */
export function resolveConfigPath(arg: string): string {
  if (fs.existsSync(arg) && fs.statSync(arg).isFile()) return path.resolve(arg);
  const candidates = [arg, `${arg}.yaml`, `${arg}.yml`].map((n) => path.join(CONFIGS_DIR, n));
  const found = candidates.find((c) => fs.existsSync(c));
  if (found && !arg.includes('/')) return found;
  const names = fs.existsSync(CONFIGS_DIR) ? fs.readdirSync(CONFIGS_DIR).filter((n) => n.endsWith('.yaml')) : [];
  const hint = didYouMeanHint(path.basename(arg), names);
  throw new UserError(`--config: no such file '${arg}'${hint}; bare names are looked up in ${CONFIGS_DIR}`);
}

interface Override {
  keyPath: string[];
  raw: string;
  text: string;
}

/** Parses `key.path=value`; the value is YAML (numbers, booleans, lists), or a string where the schema wants one. */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`--set ${text}: expected key.path=value`);
  const keyPath = text.slice(0, eq).trim().split('.');
  if (keyPath.some((k) => k === '')) throw new UserError(`--set ${text}: empty key in '${text.slice(0, eq)}'`);
  return { keyPath, raw: text.slice(eq + 1), text };
}

export function loadConfig(arg: string, sets: string[] = []): LoadedConfig {
  const file = resolveConfigPath(arg);
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseConfig(source, file, sets);
}

export function parseConfig(source: string, file: string, sets: string[] = []): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new UserError(`${where(e.pos[0])}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UserError(`${file}: expected a mapping of config keys at the top level`);
  }

  const overridden = new Map<string, string>();
  for (const text of sets) {
    const o = parseOverride(text);
    applyOverride(data as Record<string, unknown>, o);
    overridden.set(o.keyPath.join('.'), o.text);
  }

  const locate = (keyPath: (string | number)[], atKey = false): string => {
    for (let n = keyPath.length; n > 0; n--) {
      const set = overridden.get(keyPath.slice(0, n).join('.'));
      if (set) return `--set ${set}`;
    }
    return locateInDoc(doc, keyPath, atKey, where) ?? file;
  };

  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : '';
    const atKey = issue.code === z.ZodIssueCode.unrecognized_keys;
    const keyPath = atKey ? [...issue.path, (issue as z.ZodUnrecognizedKeysIssue).keys[0]] : issue.path;
    throw new UserError(
      `${locate(keyPath, atKey)}: ${describeIssue(issue, data, knownKeysAt(configSchema, issue.path, data))}${more}`,
    );
  }
  const config = parsed.data;
  checkName(config.dataset.name, Object.keys(DATASETS), ['dataset', 'name'], locate);
  checkName(config.loss.name, Object.keys(LOSSES), ['loss', 'name'], locate);
  checkName(config.model.name, Object.keys(MODELS), ['model', 'name'], locate);
  checkModelOptions(config, locate);
  checkLossSettings(config, locate);
  if (config.train.epochs === undefined && config.train.iterations === undefined) {
    throw new UserError(`${locate(['train'])}: train: set either train.epochs or train.iterations`);
  }
  if (config.train.epochs !== undefined && config.train.iterations !== undefined) {
    throw new UserError(`${locate(['train', 'iterations'])}: train: set train.epochs or train.iterations, not both`);
  }
  return { config: deepFreeze(config), file };
}

function applyOverride(data: Record<string, unknown>, o: Override): void {
  let node = data;
  for (const key of o.keyPath.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new UserError(`--set ${o.text}: '${key}' is not a group of keys`);
    }
    node = node[key] as Record<string, unknown>;
  }
  const last = o.keyPath[o.keyPath.length - 1];
  let value: unknown;
  try {
    value = YAML.parse(o.raw);
  } catch {
    value = o.raw;
  }
  // Names and paths stay strings even when they look like numbers ("name=1e3").
  const wantsString = ['name', 'path', ...STRING_SETTINGS].includes(last);
  node[last] = wantsString && value !== null && typeof value !== 'object' ? o.raw : value;
  // epochs and iterations are alternatives: setting one from the command line replaces the other.
  if (o.keyPath.length === 2 && o.keyPath[0] === 'train') {
    if (last === 'epochs') delete node.iterations;
    if (last === 'iterations') delete node.epochs;
  }
}

function locateInDoc(
  doc: Document,
  keyPath: (string | number)[],
  atKey: boolean,
  where: (o: number) => string,
): string | undefined {
  for (let n = keyPath.length; n > 0; n--) {
    const parentPath = keyPath.slice(0, n - 1);
    const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === keyPath[n - 1]);
      const node = (atKey && n === keyPath.length ? pair?.key : pair?.value) as
        { range?: [number, number, number] } | undefined;
      if (node?.range) return where(node.range[0]);
      if (pair && isScalar(pair.key) && pair.key.range) return where(pair.key.range[0]);
    }
    const node = doc.getIn(keyPath.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return where(node.range[0]);
  }
  return undefined;
}

function checkName(value: string, known: string[], keyPath: string[], locate: (p: string[]) => string): void {
  if (known.includes(value)) return;
  throw new UserError(`${locate(keyPath)}: ${keyPath.join('.')}: ${unknownName(keyPath[0], value, known)}`);
}

/**
 * The loss's settings by its spec. A setting of another loss is accepted (a sweep may switch
 * loss.name over a base config) and checked by the loss that has it; any other key is an error.
 */
function checkLossSettings(config: Config, locate: (p: string[], atKey?: boolean) => string): void {
  const { name, ...values } = config.loss;
  const spec = LOSSES[name];
  for (const [key, value] of Object.entries(values)) {
    if (key in spec.settings) continue;
    if (!LOSS_SETTING_KEYS.includes(key)) {
      const own = Object.keys(spec.settings);
      const hint = didYouMeanHint(key, LOSS_SETTING_KEYS);
      throw new UserError(
        `${locate(['loss', key], true)}: loss.${key}: unknown key${hint}; the settings of ${name}: ${own.join(', ') || 'none'}`,
      );
    }
    const problem = checkSetting(settingOwner(key), value);
    if (problem) throw new UserError(`${locate(['loss', key])}: loss.${key}: ${problem}`);
  }
  const { problem } = checkSettings(spec, values);
  if (problem) throw new UserError(`${locate(['loss', problem.key])}: loss.${problem.key}: ${problem.message}`);
}

function checkModelOptions(config: Config, locate: (p: string[], atKey?: boolean) => string): void {
  const spec = MODELS[config.model.name];
  const known = Object.keys(spec.defaults);
  for (const [key, value] of Object.entries(config.model)) {
    if (key === 'name') continue;
    if (!known.includes(key)) {
      const hint = didYouMeanHint(key, known);
      throw new UserError(
        `${locate(['model', key], true)}: model.${key}: unknown option for ${config.model.name}${hint}; known: ${known.join(', ') || 'none'}`,
      );
    }
    const expected = typeof (spec.defaults as Record<string, unknown>)[key];
    if (typeof value !== expected) {
      throw new UserError(
        `${locate(['model', key])}: model.${key}: expected a ${expected}, got ${JSON.stringify(value)}`,
      );
    }
  }
  const problem = spec.validate({ ...spec.defaults, ...config.model });
  if (problem) throw new UserError(`${locate(['model'])}: ${problem}`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
