// The command-line number and list flags every command shares: each returns the parsed value or
// throws a one-line UserError naming the flag and what it got.

import { UserError } from '../errors.js';

/** An integer >= `min` (1 unless said). */
/** commander's accumulator for a repeatable option: each use appends its value. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function integerFlag(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new UserError(
      `${flag}: expected ${min === 1 ? 'a positive integer' : `an integer >= ${min}`}, got '${text}'`,
    );
  }
  return n;
}

/** A finite number > 0; undefined stays undefined (an optional flag left out). */
export function positiveNumberFlag(flag: string, text: string): number;
export function positiveNumberFlag(flag: string, text: string | undefined): number | undefined;
export function positiveNumberFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new UserError(`${flag}: expected a positive number, got '${text}'`);
  return n;
}

/** A finite number >= 0. */
export function nonNegativeFlag(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`${flag}: expected a number ≥ 0, got '${text}'`);
  return n;
}

/** A comma-separated list of non-negative integers (seeds), or undefined when the flag is absent. */
export function seedListFlag(flag: string, text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s)))
    throw new UserError(`${flag}: expected a comma-separated list of integers, got '${text}'`);
  return seeds.map(Number);
}
