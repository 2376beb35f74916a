// Helpers every loader shares: checking dataset.trainLimit/testLimit and keeping the first N
// examples of a split (as views, no copy), plus the sha256 record of a file read from disk.

import { createHash } from 'node:crypto';
import { UserError } from '../../errors.js';
import type { DatasetFile, Split } from '../types.js';

export function checkLimit(key: string, limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UserError(`dataset.${key} must be a positive integer, got ${limit}`);
  }
  return limit;
}

/** The first `limit` examples, as views (no copy); a limit above the size keeps all. */
export function limitSplit(split: Split, limit: number | undefined): Split {
  if (limit === undefined || limit >= split.count) return split;
  const pixels = split.images.length / split.count;
  return {
    images: split.images.subarray(0, limit * pixels),
    labels: split.labels.subarray(0, limit),
    count: limit,
  };
}

export function fileRecord(file: string, bytes: Uint8Array): DatasetFile {
  return { file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
}
