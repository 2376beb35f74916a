// Shared by the backend tests: deterministic inputs (the same values on every backend) and the
// error measure their comparisons with the cpu backend use (both from src/backend/self-check.ts,
// which ctc's own self-check of a GPU uses too).

import assert from 'node:assert/strict';
import { relativeError as relative, seededValues } from '../../src/backend/self-check.js';

export { seededValues as values };

/** max |a - b| / max |b|: the tolerance measure for results compared with the cpu backend. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  return relative(a, b);
}
