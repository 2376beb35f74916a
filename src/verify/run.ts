// Verification with a trained run: features of both images of each pair from the run's feature
// layer, their similarity, then LFW's protocol (k-fold accuracy with the threshold from the
// other folds), ROC AUC and TAR at FAR 1e-2 and 1e-3 where there are enough mismatched pairs.

import * as tf from '@tensorflow/tfjs';
import type { BackendChoice } from '../backend/index.js';
import { evalBatches } from '../data/batches.js';
import { loadDataset } from '../data/index.js';
import type { Split } from '../data/types.js';
import { UserError } from '../errors.js';
import { openRun, type OpenRun } from '../eval/run.js';
import { mean, std } from '../report/stats.js';
import { CONVERSION, loadPairImages } from './images.js';
import { cosine, foldAccuracies, negativeNormalizedL2, rocAuc, rocCurve, tarAtFar, type Scored } from './metrics.js';
import { heldOutPairs, readPairsFile, type IndexPair } from './pairs.js';

export type Similarity = 'cosine' | 'l2';
export const SIMILARITIES: readonly Similarity[] = ['cosine', 'l2'];

export interface VerifyRequest {
  run: string;
  checkpoint: 'last' | 'best';
  backend: BackendChoice;
  similarity: Similarity;
  /** LFW mode: a pairs file and its image tree. */
  pairs?: string;
  images?: string;
  /** Held-out mode: pairs from the test samples of the classes the run did not train on. */
  heldout?: { folds: number; perFold: number; seed: number };
}

export interface Verification {
  run: string;
  checkpoint: 'last' | 'best';
  iteration: number;
  mode: string;
  similarity: Similarity;
  folds: number;
  pairs: number;
  images: number;
  foldAccuracies: number[];
  accuracy: { mean: number; std: number | null };
  auc: number;
  tarAtFar: { far: number; tar: number | null }[];
  roc: { far: number; tar: number }[];
  conversion?: string;
  heldOutClasses?: number[];
}

export async function verifyRun(req: VerifyRequest): Promise<Verification> {
  if (Boolean(req.pairs) === Boolean(req.heldout))
    throw new UserError('ctc verify: give --pairs FILE with --images DIR, or --heldout');
  if (req.pairs && !req.images) throw new UserError('--pairs: needs --images DIR, the folder of the LFW-layout images');
  const run = await openRun(req.run, { checkpoint: req.checkpoint, backend: req.backend });
  try {
    const { split, folds, mode, conversion, heldOutClasses } = req.pairs
      ? lfwPairs(run, req.pairs, req.images as string)
      : await heldOut(run, req.heldout!);
    const features = await extractFeatures(run, split);
    const d = features.length / split.count;
    const similarity = req.similarity === 'cosine' ? cosine : negativeNormalizedL2;
    const scored: Scored[][] = folds.map((fold) =>
      fold.map((p) => ({ score: similarity(features, d, p.a, p.b), same: p.same })),
    );
    const perFold = foldAccuracies(scored).map((f) => f.accuracy);
    const all = scored.flat();
    return {
      run: run.dir,
      checkpoint: req.checkpoint,
      iteration: run.iteration,
      mode,
      similarity: req.similarity,
      folds: folds.length,
      pairs: all.length,
      images: split.count,
      foldAccuracies: perFold,
      accuracy: { mean: mean(perFold), std: std(perFold) ?? null },
      auc: rocAuc(all),
      tarAtFar: [1e-2, 1e-3].map((far) => ({ far, tar: tarAtFar(all, far) })),
      roc: rocCurve(all),
      ...(conversion ? { conversion } : {}),
      ...(heldOutClasses ? { heldOutClasses } : {}),
    };
  } finally {
    run.dispose();
  }
}

interface PairSet {
  split: Split;
  folds: IndexPair[][];
  mode: string;
  conversion?: string;
  heldOutClasses?: number[];
}

function lfwPairs(run: OpenRun, pairsFile: string, images: string): PairSet {
  const pairs = readPairsFile(pairsFile);
  const { split, row } = loadPairImages(images, pairs, run.dataset.imageShape);
  const folds = pairs.folds.map((fold) => fold.map((p) => ({ a: row(p.a), b: row(p.b), same: p.same })));
  const [h, w, c] = run.dataset.imageShape;
  return { split, folds, mode: `pairs ${pairsFile}, images ${images}`, conversion: `${CONVERSION}; to ${w}x${h}x${c}` };
}

/** The test samples of every class outside the run's dataset.classes, paired from the seed. */
async function heldOut(run: OpenRun, opts: { folds: number; perFold: number; seed: number }): Promise<PairSet> {
  const trained = run.config.dataset.classes;
  if (!trained)
    throw new UserError(`${run.dir}: --heldout needs a run trained on a subset of the classes (dataset.classes)`);
  const full = await loadDataset(run.config.dataset.name, {
    path: run.config.dataset.path,
    testLimit: run.config.dataset.testLimit,
  });
  const heldOutClasses = Array.from({ length: full.numClasses }, (_, k) => k).filter((k) => !trained.includes(k));
  const folds = heldOutPairs(full.test.labels, heldOutClasses, opts.folds, opts.perFold, opts.seed);
  const names = heldOutClasses.map((k) => full.classNames[k]).join(', ');
  return {
    split: full.test,
    folds,
    mode: `held-out classes ${names} of the ${full.name} test set, seed ${opts.seed}`,
    heldOutClasses,
  };
}

async function extractFeatures(run: OpenRun, split: Split): Promise<Float32Array> {
  const d = run.model.outputs[0].shape[1] as number;
  const out = new Float32Array(split.count * d);
  let row = 0;
  for (const indices of evalBatches(split, run.config.eval.batchSize)) {
    const { x } = run.preprocess.inputs(split, indices);
    const f = tf.tidy(
      () =>
        (
          run.model.apply(tf.tensor4d(x, [indices.length, ...run.dataset.imageShape]), {
            training: false,
          }) as tf.Tensor[]
        )[0],
    );
    out.set((await f.data()) as Float32Array, row * d);
    f.dispose();
    row += indices.length;
  }
  return out;
}
