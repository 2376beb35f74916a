// A run's dataset as its config defines it: loaded (with trainLimit/testLimit), then
// - `dataset.classes: [..]`: only those classes, renumbered 0..K-1 in the order given, for
//   open-set experiments (ctc verify --heldout pairs the test samples of the other classes);
// - `dataset.validation: N`: N training images held out by a permutation drawn from the run
//   seed, so a run and its re-evaluation hold out the same images, and hyperparameters can be
//   chosen without looking at the test set.

import type { Config } from '../config/schema.js';
import { UserError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { loadDataset } from './index.js';
import type { Dataset, Split } from './types.js';

/** Stream of the hold-out permutation: apart from the run's model/loss/data/augment seeds. */
const VALIDATION_STREAM = 0x76616c; // 'val'

/** The images of `split` at `indices`, copied, in that order. */
export function pickSplit(split: Split, indices: ArrayLike<number>): Split {
  const pixels = split.images.length / split.count;
  const images = new Uint8Array(indices.length * pixels);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    images.set(split.images.subarray(j * pixels, (j + 1) * pixels), i * pixels);
    labels[i] = split.labels[j];
  }
  return { images, labels, count: indices.length };
}

/** The dataset with `count` training images moved to `validation` (both keep the original order). */
export function holdOutValidation(dataset: Dataset, count: number, seed: number): Dataset {
  const n = dataset.train.count;
  if (!Number.isInteger(count) || count < 1)
    throw new UserError(`dataset.validation must be a positive integer, got ${count}`);
  if (count >= n) {
    throw new UserError(
      `dataset.validation: ${count} images would leave none to train on (the training set has ${n} images after trainLimit)`,
    );
  }
  const order = new Rng((seed ^ VALIDATION_STREAM) >>> 0).shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const held = order.subarray(0, count).sort();
  const kept = order.subarray(count).sort();
  return {
    ...dataset,
    train: pickSplit(dataset.train, kept),
    validation: pickSplit(dataset.train, held),
    identity: { ...dataset.identity, trainSize: n - count, validationSize: count },
  };
}

/** Only the samples of `classes`, relabelled 0..K-1 in that order. */
export function keepClasses(dataset: Dataset, classes: readonly number[]): Dataset {
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= dataset.numClasses) {
      throw new UserError(`dataset.classes: ${c} is not a class of ${dataset.name} (0..${dataset.numClasses - 1})`);
    }
  }
  if (new Set(classes).size !== classes.length)
    throw new UserError(`dataset.classes: a class appears twice in [${classes.join(', ')}]`);
  if (classes.length < 2) throw new UserError('dataset.classes: keep at least two classes');
  const newLabel = new Map(classes.map((c, i) => [c, i]));
  const subset = (split: Split): Split => {
    const indices = Array.from(split.labels.keys()).filter((i) => newLabel.has(split.labels[i]));
    const kept = pickSplit(split, indices);
    for (let i = 0; i < kept.count; i++) kept.labels[i] = newLabel.get(kept.labels[i]) as number;
    return kept;
  };
  const train = subset(dataset.train);
  const test = subset(dataset.test);
  return {
    ...dataset,
    numClasses: classes.length,
    classNames: classes.map((c) => dataset.classNames[c]),
    train,
    test,
    identity: { ...dataset.identity, trainSize: train.count, testSize: test.count, classes: [...classes] },
  };
}

/** A run's dataset as its config defines it: loaded, limited, its classes kept, and the validation split held out. */
export async function loadRunDataset(config: Pick<Config, 'dataset' | 'seed'>): Promise<Dataset> {
  const loaded = await loadDataset(config.dataset.name, config.dataset);
  const dataset = config.dataset.classes ? keepClasses(loaded, config.dataset.classes) : loaded;
  return config.dataset.validation === undefined
    ? dataset
    : holdOutValidation(dataset, config.dataset.validation, config.seed);
}
