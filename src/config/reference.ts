// The config reference, generated from the one place each key is defined: the schema's keys with
// their descriptions and defaults (schema.ts), each model's options (src/models) and each loss's
// settings (src/losses), and the registries' names. `ctc train --help` prints it; `npm run docs`
// writes it into docs/experiments.md between the markers below, and a test fails when that copy is stale.

import { z } from 'zod';
import { DATASETS } from '../data/index.js';
import { defaultOf, LOSSES, settingOwner } from '../losses/index.js';
import { isChoice } from '../losses/settings.js';
import type { LossSetting } from '../losses/types.js';
import { MODELS } from '../models/index.js';
import { configSchema } from './schema.js';

export const REFERENCE_MARKERS = ['<!-- config-reference:start -->', '<!-- config-reference:end -->'] as const;

interface Entry {
  key: string;
  help: string;
  /** Already formatted, e.g. `128` or `center 0.01, contrastive-center 1`. */
  defaults?: string;
}

const KEY_WIDTH = 22;
const LINE_WIDTH = 100;

/** The reference as text lines: `  key.path    help (default ...)`, wrapped under the help column. */
export function configReference(): string {
  return entries().map(formatEntry).join('\n');
}

/** Every config key the reference lists, e.g. `train.lr`, `loss.alpha` (tests compare it with the schema). */
export function referenceKeys(): string[] {
  return entries().map((e) => e.key);
}

/** A page (docs/experiments.md) with its reference section replaced by the current one. */
export function withReference(page: string): string {
  const [start, end] = REFERENCE_MARKERS;
  const a = page.indexOf(start);
  const b = page.indexOf(end);
  if (a < 0 || b < a) throw new Error(`config reference: the markers ${start} ... ${end} are missing`);
  return `${page.slice(0, a + start.length)}\n\`\`\`text\n${configReference()}\n\`\`\`\n${page.slice(b)}`;
}

function entries(): Entry[] {
  const out: Entry[] = [];
  for (const [key, field] of Object.entries(configSchema.shape)) {
    if (key === 'model') out.push(...modelEntries());
    else if (key === 'loss') out.push(...lossEntries());
    else out.push(...schemaEntries(key, field));
  }
  return out;
}

/** A schema field's entries: one for a leaf, its keys' for an object (e.g. dataset.augment.pad). */
function schemaEntries(key: string, field: z.ZodTypeAny): Entry[] {
  let inner = field;
  let description = field.description;
  let fallback: unknown;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault || inner instanceof z.ZodEffects) {
    if (inner instanceof z.ZodDefault) fallback ??= inner._def.defaultValue();
    inner = inner instanceof z.ZodEffects ? inner._def.schema : inner._def.innerType;
    description ??= inner.description;
  }
  if (inner instanceof z.ZodObject && description === undefined) {
    return Object.entries(inner.shape as z.ZodRawShape).flatMap(([k, f]) => schemaEntries(`${key}.${k}`, f));
  }
  if (key === 'dataset.name') description = names('dataset', Object.keys(DATASETS));
  if (description === undefined) throw new Error(`config key ${key} has no description (src/config/schema.ts)`);
  return [{ key, help: description, defaults: fallback === undefined ? undefined : formatValue(fallback) }];
}

function modelEntries(): Entry[] {
  const options = new Map<string, { help: string; defaults: string[] }>();
  for (const [name, spec] of Object.entries(MODELS)) {
    for (const [option, value] of Object.entries(spec.defaults as Record<string, unknown>)) {
      const entry = options.get(option) ?? { help: (spec.help as Record<string, string>)[option], defaults: [] };
      entry.defaults.push(`${name} ${formatValue(value)}`);
      options.set(option, entry);
    }
  }
  return [
    { key: 'model.name', help: names('network', Object.keys(MODELS)) },
    ...[...options].map(([option, e]) => ({ key: `model.${option}`, help: e.help, defaults: e.defaults.join(', ') })),
  ];
}

function lossEntries(): Entry[] {
  const settings = new Map<string, { help: string; defaults: [string, string][] }>();
  for (const [name, spec] of Object.entries(LOSSES)) {
    for (const [key, setting] of Object.entries(spec.settings)) {
      const entry = settings.get(key) ?? { help: setting.help, defaults: [] };
      entry.defaults.push([name, settingDefault(setting)]);
      settings.set(key, entry);
    }
  }
  const choices = (key: string) => {
    const setting = settingOwner(key);
    return isChoice(setting) ? `${setting.rule.join(' | ')}: ` : '';
  };
  return [
    { key: 'loss.name', help: names('loss', Object.keys(LOSSES)) },
    ...[...settings].map(([key, e]) => ({
      key: `loss.${key}`,
      help: `${choices(key)}${e.help}`,
      defaults: sameOrEach(e.defaults),
    })),
  ];
}

/** A setting's default; one that depends on a choice names the choices that differ, e.g. `0.5 (centerUpdate sgd: 32)`. */
function settingDefault(setting: LossSetting): string {
  if (typeof setting.default !== 'object') return String(setting.default);
  const { on, values } = setting.default;
  const first = defaultOf(setting, { [on]: Object.keys(values)[0] });
  const others = Object.entries(values).filter(([, v]) => v !== first);
  return others.length
    ? `${first} (${others.map(([choice, v]) => `${on} ${choice}: ${v}`).join(', ')})`
    : String(first);
}

/** `mean` when every loss that has the setting defaults to it, else `center 0.01, contrastive-center 1`. */
function sameOrEach(defaults: [string, string][]): string {
  const values = new Set(defaults.map(([, v]) => v));
  return defaults.length > 1 && values.size === 1
    ? defaults[0][1]
    : defaults.map(([name, v]) => `${name} ${v}`).join(', ');
}

const names = (what: string, known: string[]) => `the ${what}: ${known.join(' | ')}`;

function formatValue(value: unknown): string {
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).map(([k, v]) => `${k}: ${formatValue(v)}`);
    return Array.isArray(value) ? `[${value.map(formatValue).join(', ')}]` : `{${fields.join(', ')}}`;
  }
  return String(value);
}

function formatEntry(e: Entry): string {
  const text = e.defaults === undefined ? e.help : `${e.help} (default ${e.defaults})`;
  const indent = ' '.repeat(2 + KEY_WIDTH);
  const lines: string[] = [];
  let line = `  ${e.key.padEnd(KEY_WIDTH - 1)} `;
  for (const word of text.split(' ')) {
    if (line.length + word.length > LINE_WIDTH && line.trim() !== e.key) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}
