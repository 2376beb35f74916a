// Verification pairs: LFW's pairs file format, and pairs drawn from the held-out classes of a
// test set. LFW's file: a first line `FOLDS<TAB>N` (or just `N`: one fold), then per fold N
// matched lines `NAME<TAB>i<TAB>j` and N mismatched lines `NAME1<TAB>i<TAB>NAME2<TAB>j`; image i
// of NAME is `NAME/NAME_000i.jpg` (or .png) under the images folder.

import fs from 'node:fs';
import { UserError } from '../errors.js';
import { Rng } from '../util/rng.js';

/** One image of an identity, as the pairs file names it. */
export interface ImageRef {
  name: string;
  index: number;
}

export interface NamedPair {
  a: ImageRef;
  b: ImageRef;
  same: boolean;
  /** 1-based line in the pairs file. */
  line: number;
}

export interface PairsFile {
  file: string;
  folds: NamedPair[][];
}

export function readPairsFile(file: string): PairsFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`--pairs ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parsePairs(text, file);
}

export function parsePairs(text: string, file: string): PairsFile {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const header = (lines[0] ?? '').trim().split(/\s+/);
  const counts = header.map(Number);
  if (header.length < 1 || header.length > 2 || counts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new UserError(`${file}:1: expected 'FOLDS<TAB>N' or 'N' (positive integers), got '${lines[0] ?? ''}'`);
  }
  const [folds, perFold] = counts.length === 2 ? counts : [1, counts[0]];
  const expected = 1 + folds * 2 * perFold;
  if (lines.length !== expected) {
    throw new UserError(
      `${file}: ${folds} fold(s) of ${perFold} matched and ${perFold} mismatched pairs need ${expected} lines, found ${lines.length}`,
    );
  }
  const out: NamedPair[][] = [];
  let n = 1;
  for (let f = 0; f < folds; f++) {
    const fold: NamedPair[] = [];
    for (let i = 0; i < 2 * perFold; i++) {
      const line = ++n;
      const same = i < perFold;
      const fields = lines[line - 1].trim().split(/\s+/);
      const where = `${file}:${line}`;
      if (same) {
        if (fields.length !== 3)
          throw new UserError(`${where}: a matched pair is 'NAME<TAB>i<TAB>j', got '${lines[line - 1]}'`);
        fold.push({ a: ref(fields[0], fields[1], where), b: ref(fields[0], fields[2], where), same, line });
      } else {
        if (fields.length !== 4)
          throw new UserError(`${where}: a mismatched pair is 'NAME1<TAB>i<TAB>NAME2<TAB>j', got '${lines[line - 1]}'`);
        fold.push({ a: ref(fields[0], fields[1], where), b: ref(fields[2], fields[3], where), same, line });
      }
    }
    out.push(fold);
  }
  return { file, folds: out };
}

function ref(name: string, index: string, where: string): ImageRef {
  const i = Number(index);
  if (!Number.isInteger(i) || i < 1)
    throw new UserError(`${where}: image number must be a positive integer, got '${index}'`);
  if (name.includes('/') || name.includes('\\') || name === '..' || name === '.')
    throw new UserError(`${where}: '${name}' is not a plain name`);
  return { name, index: i };
}

/** A pair of rows of a feature matrix. */
export interface IndexPair {
  a: number;
  b: number;
  same: boolean;
}

/**
 * `folds` folds of `perFold` matched and `perFold` mismatched pairs of test samples whose label is
 * in `classes`, drawn from `seed` alone (the same pairs every time). No sample is paired with
 * itself and no pair repeats.
 */
export function heldOutPairs(
  labels: ArrayLike<number>,
  classes: number[],
  folds: number,
  perFold: number,
  seed: number,
): IndexPair[][] {
  const byClass = new Map<number, number[]>(classes.map((c) => [c, []]));
  for (let i = 0; i < labels.length; i++) byClass.get(labels[i])?.push(i);
  const usable = classes.filter((c) => (byClass.get(c) as number[]).length >= 2);
  if (usable.length < 2)
    throw new UserError(`held-out classes ${classes.join(', ')}: need two classes with two test samples each`);
  const rng = new Rng(seed);
  const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];
  const seen = new Set<string>();
  const draw = (same: boolean): IndexPair => {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 10000)
        throw new UserError(
          `held-out classes ${classes.join(', ')}: too few test samples for ${folds} x ${perFold} distinct pairs`,
        );
      const ca = pick(usable);
      const cb = same ? ca : pick(usable.filter((c) => c !== ca));
      const a = pick(byClass.get(ca) as number[]);
      const b = pick(byClass.get(cb) as number[]);
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      if (a === b || seen.has(key)) continue;
      seen.add(key);
      return { a, b, same };
    }
  };
  return Array.from({ length: folds }, () => [
    ...Array.from({ length: perFold }, () => draw(true)),
    ...Array.from({ length: perFold }, () => draw(false)),
  ]);
}
