// Reproduction profiles (configs/profiles/*.yaml): which paper configs to run, with which
// overrides (the budget), on which seeds and backend. Profiles are data; this file only reads,
// validates and expands them into a list of runs.

import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { BACKEND_CHOICES, type BackendChoice } from '../backend/index.js';
import { CONFIGS_DIR } from '../config/load.js';
import { UserError } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';

export const PROFILES_DIR = path.join(CONFIGS_DIR, 'profiles');

const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** An override's value: a scalar, or a list of them (e.g. dataset.classes). */
const setValue = z.union([scalar, z.array(scalar)]);

const profileSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    backend: z.enum(BACKEND_CHOICES as [BackendChoice, ...BackendChoice[]]).default('auto'),
    seeds: z.array(z.number().int().min(0)).min(1),
    /** Allowed drop (percentage points) when this profile's table is compared with its baseline. */
    tolerance: z.number().min(0).optional(),
    groups: z
      .array(
        z
          .object({
            configs: z.array(z.string()).min(1),
            /** `--set` overrides for every run of the group: the budget. */
            set: z.record(setValue).default({}),
            /** Suffix of the run folders (`<config>-<tag>/seed-N`), needed when a config appears in two groups. */
            tag: z
              .string()
              .regex(/^[A-Za-z0-9._-]+$/)
              .optional(),
            /** Skip the group (with this reason) when its dataset is missing, instead of failing. */
            optional: z.string().optional(),
            /** After training, `ctc verify --heldout` on each run (it must train on dataset.classes): its rows join the tables. */
            verify: z.literal('heldout').optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export type Profile = z.infer<typeof profileSchema> & { file: string };

export interface PlannedRun {
  config: string; // bare name in configs/
  folder: string; // run folder name: the config name, plus the group's tag
  seed: number;
  sets: string[]; // key=value, seed included
  group: number;
}

export function listProfiles(): string[] {
  return fs.existsSync(PROFILES_DIR)
    ? fs
        .readdirSync(PROFILES_DIR)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => f.slice(0, -5))
    : [];
}

/** "  name  description" per shipped profile, from the profiles themselves (for --help). */
export function describeProfiles(): string {
  const names = listProfiles();
  const width = Math.max(0, ...names.map((n) => n.length));
  return names
    .map((name) => {
      let description: string;
      try {
        description = loadProfile(name).description;
      } catch (err) {
        description = `(unreadable: ${err instanceof Error ? err.message : String(err)})`;
      }
      return `  ${name.padEnd(width)}  ${description}`;
    })
    .join('\n');
}

export function loadProfile(nameOrPath: string): Profile {
  const file = fs.existsSync(nameOrPath)
    ? nameOrPath
    : path.join(PROFILES_DIR, `${nameOrPath.replace(/\.yaml$/, '')}.yaml`);
  if (!fs.existsSync(file)) {
    const hint = didYouMean(nameOrPath, listProfiles());
    throw new UserError(
      `--profile: unknown profile '${nameOrPath}'${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${listProfiles().join(', ')}`,
    );
  }
  let data: unknown;
  try {
    data = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = profileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const folders = new Set<string>();
  for (const g of parsed.data.groups) {
    for (const c of g.configs) {
      const folder = `${c.replace(/\.yaml$/, '')}${g.tag ? `-${g.tag}` : ''}`;
      if (folders.has(folder))
        throw new UserError(`${file}: config '${c}' appears in two groups with the same folder; give one group a tag`);
      folders.add(folder);
      if (!fs.existsSync(path.join(CONFIGS_DIR, c.endsWith('.yaml') ? c : `${c}.yaml`)))
        throw new UserError(`${file}: config '${c}' is not in ${CONFIGS_DIR}`);
    }
  }
  return { ...parsed.data, file };
}

/** Every (config, seed) of the profile, seeds overridden by `seeds` when given. */
export function planRuns(profile: Profile, seeds?: number[]): PlannedRun[] {
  const out: PlannedRun[] = [];
  profile.groups.forEach((g, group) => {
    for (const config of g.configs) {
      for (const seed of seeds ?? profile.seeds) {
        const sets = [
          ...Object.entries(g.set).map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(', ')}]` : v}`),
          `seed=${seed}`,
        ];
        const name = config.replace(/\.yaml$/, '');
        out.push({ config: `${name}.yaml`, folder: g.tag ? `${name}-${g.tag}` : name, seed, sets, group });
      }
    }
  });
  return out;
}
