// Turns a Split into training batches: seeded epoch-wise shuffling whose state fits in a
// checkpoint, pixel scaling per network (paper.md, Networks), and in-order evaluation
// batches. Plain typed arrays only; the training loop makes the tensors.

import { UserError } from '../errors.js';
import { Rng, type RngState } from '../util/rng.js';
import type { Split } from './types.js';

/**
 * How uint8 pixels p become network inputs: 'div256' p / 256 (LeNets, Caffe's scale
 * 0.00390625), 'center128' (p - 127.5) / 128 (LeNets++), 'unit' p / 255.
 */
export type InputScaling = 'div256' | 'center128' | 'unit';
export const INPUT_SCALINGS: readonly InputScaling[] = ['div256', 'center128', 'unit'];

const SCALE_FNS: Record<InputScaling, (p: number) => number> = {
  div256: (p) => p / 256,
  center128: (p) => (p - 127.5) / 128,
  unit: (p) => p / 255,
};

/** The scaling of one (possibly fractional) pixel value, e.g. a per-pixel mean. */
export function scaleValue(p: number, scaling: InputScaling): number {
  return SCALE_FNS[scaling](p);
}

/** One float per byte value, so scaling a batch is a table lookup per pixel. */
const LOOKUP = new Map<InputScaling, Float32Array>();
function lookupTable(scaling: InputScaling): Float32Array {
  let table = LOOKUP.get(scaling);
  if (table === undefined) {
    const fn = SCALE_FNS[scaling];
    if (fn === undefined) {
      throw new UserError(`unknown input scaling "${scaling}"; known: ${INPUT_SCALINGS.join(', ')}`);
    }
    table = Float32Array.from({ length: 256 }, (_, p) => fn(p));
    LOOKUP.set(scaling, table);
  }
  return table;
}

export function scalePixels(src: Uint8Array, scaling: InputScaling, out?: Float32Array): Float32Array {
  const table = lookupTable(scaling);
  const dst = out ?? new Float32Array(src.length);
  if (dst.length !== src.length) {
    throw new RangeError(`scalePixels: out has ${dst.length} floats for ${src.length} bytes`);
  }
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]];
  return dst;
}

/** x: N*h*w*c scaled floats (NHWC); y: N labels. */
export function makeBatch(
  split: Split,
  indices: Int32Array,
  scaling: InputScaling,
  imageShape: [number, number, number],
): { x: Float32Array; y: Int32Array } {
  const pixels = imageShape[0] * imageShape[1] * imageShape[2];
  if (split.images.length !== split.count * pixels) {
    throw new RangeError(`makeBatch: split has ${split.images.length} bytes, not ${split.count} x ${pixels}`);
  }
  const table = lookupTable(scaling);
  const x = new Float32Array(indices.length * pixels);
  const y = new Int32Array(indices.length);
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b];
    if (!(i >= 0 && i < split.count)) {
      throw new RangeError(`makeBatch: index ${i} outside [0, ${split.count})`);
    }
    const src = split.images.subarray(i * pixels, (i + 1) * pixels);
    const offset = b * pixels;
    for (let p = 0; p < pixels; p++) x[offset + p] = table[src[p]];
    y[b] = split.labels[i];
  }
  return { x, y };
}

/** In-order batches of indices over a whole split; the last may be short. */
export function* evalBatches(split: Split, batchSize: number): Generator<Int32Array> {
  checkBatchSize(batchSize);
  for (let start = 0; start < split.count; start += batchSize) {
    const end = Math.min(start + batchSize, split.count);
    yield Int32Array.from({ length: end - start }, (_, k) => start + k);
  }
}

export interface BatchStreamOptions {
  batchSize: number;
  seed: number;
  shuffle: boolean;
  /** Skip a last short batch in each epoch, so every batch has batchSize rows (default true). */
  dropLast?: boolean;
}

/**
 * Where a stream stands. The permutation is not stored: each epoch shuffles 0..count-1 from
 * `epochRng`, the Rng state at that epoch's start, so restoring rebuilds it exactly.
 */
export interface BatchStreamState {
  epoch: number;
  position: number;
  epochRng: RngState;
  count: number;
  batchSize: number;
}

export class BatchStream {
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  private readonly shuffle: boolean;
  private readonly dropLast: boolean;
  private readonly rng: Rng;
  private order: Int32Array;
  private epoch = 0;
  private position = 0;
  private epochRng: RngState;

  constructor(
    private readonly split: Split,
    opts: BatchStreamOptions,
  ) {
    checkBatchSize(opts.batchSize);
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle;
    this.dropLast = opts.dropLast ?? true;
    this.batchesPerEpoch = this.dropLast
      ? Math.floor(split.count / this.batchSize)
      : Math.ceil(split.count / this.batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new UserError(
        `batch size ${this.batchSize} is larger than the ${split.count} examples, so an epoch has no full batch`,
      );
    }
    this.rng = new Rng(opts.seed);
    this.order = new Int32Array(split.count);
    this.epochRng = this.rng.getState();
    this.startEpoch();
  }

  /** The next batch; after the last batch of an epoch, a fresh permutation starts. */
  nextBatch(): { indices: Int32Array; epoch: number; step: number } {
    const minRows = this.dropLast ? this.batchSize : 1;
    if (this.position + minRows > this.split.count) {
      this.epoch++;
      this.position = 0;
      this.epochRng = this.rng.getState();
      this.startEpoch();
    }
    const end = Math.min(this.position + this.batchSize, this.split.count);
    const indices = this.order.slice(this.position, end);
    const step = this.position / this.batchSize; // within the epoch
    this.position = end;
    return { indices, epoch: this.epoch, step };
  }

  getState(): BatchStreamState {
    return {
      epoch: this.epoch,
      position: this.position,
      epochRng: [...this.epochRng],
      count: this.split.count,
      batchSize: this.batchSize,
    };
  }

  setState(state: BatchStreamState): void {
    if (state.count !== this.split.count || state.batchSize !== this.batchSize) {
      throw new UserError(
        `cannot resume batches: saved for ${state.count} examples in batches of ${state.batchSize}, ` +
          `now ${this.split.count} in batches of ${this.batchSize}`,
      );
    }
    this.epoch = state.epoch;
    this.position = state.position;
    this.epochRng = [...state.epochRng];
    this.rng.setState(this.epochRng);
    this.startEpoch();
  }

  /** Builds this epoch's order from the current Rng state (which it advances). */
  private startEpoch(): void {
    for (let i = 0; i < this.order.length; i++) this.order[i] = i;
    if (this.shuffle) this.rng.shuffle(this.order);
  }
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new UserError(`batch size must be a positive integer, got ${batchSize}`);
  }
}
