// Turns a zod issue into the one-line message a user reads: the key path, what was expected,
// the value received, and a did-you-mean for misspelled keys and names.

import { z } from 'zod';
import { didYouMean } from '../util/did-you-mean.js';

function valueAt(data: unknown, keyPath: (string | number)[]): unknown {
  let node = data;
  for (const k of keyPath)
    node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[k] : undefined;
  return node;
}

function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault) s = s._def.innerType;
    else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
    else if (s instanceof z.ZodEffects) s = s.innerType();
    else return s;
  }
}

/** The keys an object schema accepts at `keyPath` (for did-you-mean), following discriminated unions by the data. */
export function knownKeysAt(schema: z.ZodTypeAny, keyPath: (string | number)[], data: unknown): string[] {
  let s = unwrap(schema);
  const walk = [...keyPath];
  for (let i = 0; i <= walk.length; i++) {
    if (s instanceof z.ZodDiscriminatedUnion) {
      const tag = valueAt(data, [...walk.slice(0, i), s.discriminator]);
      const option = s.optionsMap.get(tag as z.Primitive);
      if (!option) return [];
      s = option;
    }
    if (i === walk.length) break;
    if (!(s instanceof z.ZodObject)) return [];
    const next = s.shape[walk[i] as string] as z.ZodTypeAny | undefined;
    if (!next) return [];
    s = unwrap(next);
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

export function describeIssue(issue: z.ZodIssue, data: unknown, knownKeys: string[]): string {
  const key = issue.path.join('.') || '(top level)';
  const received = valueAt(data, issue.path);
  const shown = typeof received === 'number' ? String(received) : JSON.stringify(received);
  switch (issue.code) {
    case z.ZodIssueCode.unrecognized_keys: {
      const bad = issue.keys[0];
      const hint = didYouMean(bad, knownKeys);
      const where = issue.path.length ? `${issue.path.join('.')}.${bad}` : bad;
      return `${where}: unknown key${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${knownKeys.join(', ')}`;
    }
    case z.ZodIssueCode.invalid_type:
      return issue.received === 'undefined'
        ? `${key}: required ${issue.expected} is missing`
        : `${key}: expected ${issue.expected === 'integer' ? 'an integer' : `a ${issue.expected}`}, got ${shown}`;
    case z.ZodIssueCode.invalid_union_discriminator:
    case z.ZodIssueCode.invalid_enum_value: {
      const options = issue.options.map(String);
      const hint = typeof received === 'string' ? didYouMean(received, options) : undefined;
      return `${key}: unknown value ${shown}${hint ? ` (did you mean '${hint}'?)` : ''}; expected one of ${options.join(', ')}`;
    }
    default:
      return `${key}: ${issue.message.toLowerCase()}, got ${shown}`;
  }
}
