// The dataset registry: a config's `dataset.name` maps to a loader. Adding a dataset is one
// loader file and one line here.

import { UserError } from '../errors.js';
import { unknownName } from '../util/did-you-mean.js';
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
  if (loader === undefined) throw new UserError(unknownName('dataset', name, Object.keys(DATASETS), '"'));
  return loader(opts);
}
