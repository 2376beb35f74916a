// What `ctc data verify` checks: a dataset loads in full through its registry loader (which
// validates sizes, counts and labels, naming the file), has the published split sizes and,
// where the release is balanced, the published count per class.

import { UserError } from '../../errors.js';
import type { Dataset } from '../types.js';

interface Expected {
  train: number;
  test: number;
  /** Set for releases with exactly this many images of each class. */
  trainPerClass?: number;
  testPerClass?: number;
}

/** Published sizes: MNIST (LeCun et al.), Fashion-MNIST (Xiao et al.), CIFAR-10 (Krizhevsky). */
export const EXPECTED: Record<string, Expected> = {
  mnist: { train: 60000, test: 10000 },
  'fashion-mnist': { train: 60000, test: 10000, trainPerClass: 6000, testPerClass: 1000 },
  cifar10: { train: 50000, test: 10000, trainPerClass: 5000, testPerClass: 1000 },
};

export interface VerifyReport {
  ok: boolean;
  /** Problems found after loading (loading itself throws a UserError). */
  problems: string[];
  trainPerClass: number[];
  testPerClass: number[];
}

export function classCounts(labels: Uint8Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) {
    if (label >= numClasses) throw new UserError(`label ${label} is not below ${numClasses}`);
    counts[label]++;
  }
  return counts;
}

/** Checks a fully loaded dataset (no trainLimit/testLimit) against its published sizes. */
export function checkDataset(ds: Dataset): VerifyReport {
  const problems: string[] = [];
  const pixels = ds.imageShape[0] * ds.imageShape[1] * ds.imageShape[2];
  for (const [which, split] of [
    ['train', ds.train],
    ['test', ds.test],
  ] as const) {
    if (split.images.length !== split.count * pixels || split.labels.length !== split.count) {
      problems.push(
        `${which}: ${split.images.length} pixel bytes and ${split.labels.length} labels for ${split.count} images`,
      );
    }
  }
  const trainPerClass = classCounts(ds.train.labels, ds.numClasses);
  const testPerClass = classCounts(ds.test.labels, ds.numClasses);
  const expected = Object.hasOwn(EXPECTED, ds.name) ? EXPECTED[ds.name] : undefined;
  if (expected) {
    if (ds.train.count !== expected.train)
      problems.push(`train has ${ds.train.count} images, expected ${expected.train}`);
    if (ds.test.count !== expected.test) problems.push(`test has ${ds.test.count} images, expected ${expected.test}`);
    const perClass = (which: string, counts: number[], want?: number) => {
      if (want === undefined) return;
      const off = counts.map((n, c) => [n, c]).filter(([n]) => n !== want);
      if (off.length > 0) {
        problems.push(
          `${which}: expected ${want} per class; ${off.map(([n, c]) => `${ds.classNames[c]} ${n}`).join(', ')}`,
        );
      }
    };
    perClass('train', trainPerClass, expected.trainPerClass);
    perClass('test', testPerClass, expected.testPerClass);
  }
  for (const [which, counts] of [
    ['train', trainPerClass],
    ['test', testPerClass],
  ] as const) {
    const empty = counts.flatMap((n, c) => (n === 0 ? [ds.classNames[c]] : []));
    if (empty.length > 0) problems.push(`${which}: no images of class ${empty.join(', ')}`);
  }
  return { ok: problems.length === 0, problems, trainPerClass, testPerClass };
}
