// Sweep files (YAML): a base config, fixed `set:` overrides (the budget), axes whose cartesian
// product gives the jobs, and explicit `include` / `exclude` lists of partial assignments.
// This file reads and validates the file; expand.ts turns it into jobs.

import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { BACKEND_CHOICES, type BackendChoice } from '../backend/index.js';
import { CONFIGS_DIR, resolveConfigPath } from '../config/load.js';
import { UserError } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';

export const SWEEPS_DIR = path.join(CONFIGS_DIR, 'sweeps');

/** A config key path as `--set` takes it: `loss.lambda`, `seed`. */
const keyPath = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/, 'expected a config key path like loss.lambda');
const value = z.unknown().refine((v) => v !== undefined && v !== null, 'expected a value (null is not a config value)');
const assignment = z
  .record(keyPath, value)
  .refine((a) => Object.keys(a).length > 0, 'expected at least one key: value');

const sweepSchema = z
  .object({
    /** Folder of the runs (`<runs root>/<name>/<id>/`) and name of the tables; default: the file name. */
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9._-]*$/, 'a letter, then letters, digits, ".", "_" and "-" only')
      .optional(),
    description: z.string().optional(),
    /** The base config: a path (relative to the sweep file or the working folder) or a bare name in configs/. */
    config: z.string().min(1),
    backend: z.enum(BACKEND_CHOICES as [BackendChoice, ...BackendChoice[]]).default('auto'),
    /** Overrides for every job (`key.path: value`), applied before the axes. */
    set: z.record(keyPath, value).default({}),
    /** `key.path: [values]`: one job per combination of values. */
    axes: z.record(keyPath, z.array(value).min(1, 'expected a non-empty list of values')).default({}),
    /** Extra jobs: each entry sets its keys over the base config and `set` (axes it omits stay at the base). */
    include: z.array(assignment).default([]),
    /** Combinations of the axes to leave out: every key of an entry must match. */
    exclude: z.array(assignment).default([]),
  })
  .strict();

export type SweepSpec = Omit<z.infer<typeof sweepSchema>, 'name'> & {
  name: string;
  /** The sweep file (absolute). */
  file: string;
  /** The base config file (absolute). */
  configFile: string;
};

export function listSweeps(): string[] {
  return fs.existsSync(SWEEPS_DIR)
    ? fs
        .readdirSync(SWEEPS_DIR)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => f.slice(0, -5))
    : [];
}

/** A path to a sweep file, or a bare name in the project's configs/sweeps/. */
export function resolveSweepPath(arg: string): string {
  if (fs.existsSync(arg) && fs.statSync(arg).isFile()) return path.resolve(arg);
  const bare = path.join(SWEEPS_DIR, arg.endsWith('.yaml') ? arg : `${arg}.yaml`);
  if (!arg.includes('/') && fs.existsSync(bare)) return bare;
  const hint = didYouMean(path.basename(arg).replace(/\.yaml$/, ''), listSweeps());
  throw new UserError(
    `no such sweep file '${arg}'${hint ? ` (did you mean '${hint}'?)` : ''}; bare names are looked up in ${SWEEPS_DIR}`,
  );
}

export function loadSweep(arg: string): SweepSpec {
  const file = resolveSweepPath(arg);
  let data: unknown;
  try {
    data = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new UserError(`${file}: expected a mapping (config, axes, ...) at the top level`);
  const parsed = sweepSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.join('.') || '(top level)';
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      const hint = didYouMean(issue.keys[0], Object.keys(sweepSchema.shape));
      throw new UserError(
        `${file}: ${issue.keys[0]}: unknown key${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${Object.keys(sweepSchema.shape).join(', ')}`,
      );
    }
    throw new UserError(`${file}: ${where}: ${issue.message}`);
  }
  const spec = parsed.data;
  checkAxes(file, spec.axes, spec.exclude);
  return {
    ...spec,
    name: spec.name ?? path.basename(file).replace(/\.ya?ml$/, ''),
    file,
    configFile: resolveBase(file, spec.config),
  };
}

function checkAxes(file: string, axes: Record<string, unknown[]>, exclude: Record<string, unknown>[]): void {
  for (const [key, values] of Object.entries(axes)) {
    const seen = new Set<string>();
    for (const v of values) {
      const text = JSON.stringify(v);
      if (seen.has(text)) throw new UserError(`${file}: axes.${key}: value ${text} appears twice`);
      seen.add(text);
    }
  }
  exclude.forEach((entry, i) => {
    for (const key of Object.keys(entry)) {
      if (!(key in axes)) {
        const hint = didYouMean(key, Object.keys(axes));
        throw new UserError(
          `${file}: exclude.${i}.${key}: not an axis${hint ? ` (did you mean '${hint}'?)` : ''}; axes: ${Object.keys(axes).join(', ') || 'none'}`,
        );
      }
    }
  });
}

/** The base config: beside the sweep file first, then as `--config` finds it (working folder, configs/). */
function resolveBase(file: string, config: string): string {
  const beside = path.resolve(path.dirname(file), config);
  if (!path.isAbsolute(config) && fs.existsSync(beside) && fs.statSync(beside).isFile()) return beside;
  try {
    return resolveConfigPath(config);
  } catch (err) {
    throw new UserError(`${file}: config: ${(err as Error).message.replace(/^--config: /, '')}`);
  }
}
