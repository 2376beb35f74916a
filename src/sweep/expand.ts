// Expands a sweep into jobs: the cartesian product of the axes minus `exclude`, plus `include`.
// Every job's config is validated here, before anything runs, and named by a short hash of the
// resolved config, so the same sweep always maps to the same run directories.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { UserError } from '../errors.js';
import type { SweepSpec } from './spec.js';

export interface SweepJob {
  /** sha256 of the resolved config (seed included), first 12 hex digits. */
  id: string;
  /** `<sweep name>/<id>`, relative to the runs root, with `/` on every platform (it travels in queue jobs). */
  runDir: string;
  /** The axis values of this job, or the keys of its include entry. */
  assignment: Record<string, unknown>;
  /** `key.path=value` overrides over the base config, in the order applied. */
  sets: string[];
  config: Config;
  /** The assignment as one line: `loss.name=center seed=1`. */
  label: string;
}

export interface SweepPlan {
  spec: SweepSpec;
  jobs: SweepJob[];
  /** Jobs dropped because another job has the same resolved config. */
  duplicates: string[];
}

export function expandSweep(spec: SweepSpec): SweepPlan {
  const assignments = [...product(spec.axes).filter((a) => !spec.exclude.some((e) => matches(a, e))), ...spec.include];
  if (assignments.length === 0) throw new UserError(`${spec.file}: exclude leaves no job to run`);
  const source = fs.readFileSync(spec.configFile, 'utf8');
  const jobs: SweepJob[] = [];
  const duplicates: string[] = [];
  assignments.forEach((assignment, i) => {
    const label = describe(assignment);
    const sets = [
      `name=${spec.name}`,
      ...Object.entries(spec.set).map(setText),
      ...Object.entries(assignment).map(setText),
    ];
    let config: Config;
    try {
      config = parseConfig(source, spec.configFile, sets).config;
    } catch (err) {
      if (err instanceof UserError)
        throw new UserError(`${spec.file}: job ${i + 1} (${label || 'base'}): ${err.message}`, err.exitCode);
      throw err;
    }
    const id = runId(config);
    const twin = jobs.find((j) => j.id === id);
    if (twin) {
      duplicates.push(`${label} = ${twin.label}`);
      return;
    }
    jobs.push({ id, runDir: `${spec.name}/${id}`, assignment, sets, config, label });
  });
  return { spec, jobs, duplicates };
}

/** The run id: a short hash of the config with its keys sorted, so key order never matters. */
export function runId(config: Config): string {
  return createHash('sha256').update(stableStringify(config)).digest('hex').slice(0, 12);
}

export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `key.path=value` as `--set` reads it: strings as they are, anything else as JSON (valid YAML). */
export function setText([key, value]: [string, unknown]): string {
  return `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
}

export function describe(assignment: Record<string, unknown>): string {
  return Object.entries(assignment).map(setText).join(' ');
}

function product(axes: Record<string, unknown[]>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(axes)) out = out.flatMap((a) => values.map((v) => ({ ...a, [key]: v })));
  return out;
}

function matches(assignment: Record<string, unknown>, entry: Record<string, unknown>): boolean {
  return Object.entries(entry).every(([k, v]) => stableStringify(assignment[k]) === stableStringify(v));
}
