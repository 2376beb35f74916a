// Turns dataset indices into network inputs: the model's pixel scaling, then (when configured)
// the training set's per-pixel mean subtracted, then (training only) the seeded pad-and-crop and
// flip augmentation. The augmentation Rng state goes into checkpoints for exact resumes.

import type { Config } from '../config/schema.js';
import { augmentBatch, pixelMean, subtractMean } from '../data/augment.js';
import { makeBatch, scaleValue, type InputScaling } from '../data/batches.js';
import type { Dataset, Split } from '../data/types.js';
import { Rng, type RngState } from '../util/rng.js';

export class Preprocessor {
  private readonly mean: Float32Array | null;
  private readonly rng: Rng;

  constructor(
    private readonly dataset: Dataset,
    private readonly scaling: InputScaling,
    private readonly options: Config['dataset'],
    seed: number,
  ) {
    this.mean = options.subtractMean
      ? pixelMean(dataset.train, dataset.imageShape).map((m) => scaleValue(m, scaling))
      : null;
    this.rng = new Rng(seed);
  }

  /** A training batch: scaled, centred, augmented. */
  train(indices: Int32Array): { x: Float32Array; y: Int32Array } {
    const batch = this.inputs(this.dataset.train, indices);
    const aug = this.options.augment;
    if (aug && (aug.pad > 0 || aug.flip)) {
      batch.x = augmentBatch(batch.x, indices.length, this.dataset.imageShape, this.rng, aug);
    }
    return batch;
  }

  /** Evaluation inputs: scaled and centred, never augmented. */
  inputs(split: Split, indices: Int32Array): { x: Float32Array; y: Int32Array } {
    const batch = makeBatch(split, indices, this.scaling, this.dataset.imageShape);
    if (this.mean) subtractMean(batch.x, this.mean);
    return batch;
  }

  getState(): RngState {
    return this.rng.getState();
  }

  setState(state: RngState): void {
    this.rng.setState(state);
  }
}
