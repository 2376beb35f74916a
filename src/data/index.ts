// The dataset registry: a config's `dataset.name` maps to a loader. Adding a dataset is one
// loader file and one line here.

import { UserError } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { loadCifar10 } from './formats/cifar.js';
import { loadImageFolder } from './formats/imagefolder.js';
import { loadFashionMnist, loadMnist } from './formats/mnist.js';
import type { Dataset, DatasetOptions } from './types.js';

export type { Dataset, DatasetFile, DatasetIdentity, DatasetOptions, Split } from './types.js';

export type DatasetLoader = (opts: DatasetOptions) => Dataset | Promise<Dataset>;

export const DATASETS: Record<string, DatasetLoader> = {
  mnist: loadMnist,
  'fashion-mnist': loadFashionMnist,
  cifar10: (opts) => loadCifar10(opts),
  imagefolder: (opts) => loadImageFolder(opts),
};

export async function loadDataset(name: string, opts: DatasetOptions = {}): Promise<Dataset> {
  const loader = Object.hasOwn(DATASETS, name) ? DATASETS[name] : undefined;
  if (loader === undefined) {
    const known = Object.keys(DATASETS);
    const guess = didYouMean(name, known);
    const hint = guess === undefined ? '' : ` (did you mean "${guess}"?)`;
    throw new UserError(`unknown dataset "${name}"${hint}; known: ${known.join(', ')}`);
  }
  return loader(opts);
}
