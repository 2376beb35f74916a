// The loss registry: a config's `loss.name` maps to a factory here. A new loss is one file
// and one line in LOSSES.

import { UserError } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { createCenterLoss } from './center.js';
import { createContrastiveCenterLoss } from './contrastive-center.js';
import { createSoftmaxLoss } from './softmax.js';
import type { LossFactory, LossOptions, TrainingLoss } from './types.js';

export const LOSSES: Record<string, LossFactory> = {
  softmax: createSoftmaxLoss,
  center: createCenterLoss,
  'contrastive-center': createContrastiveCenterLoss,
};

/** Builds a loss by name; an unknown name is a UserError listing the known ones. */
export function createLoss(name: string, options: LossOptions): TrainingLoss {
  const factory = Object.hasOwn(LOSSES, name) ? LOSSES[name] : undefined;
  if (!factory) {
    const known = Object.keys(LOSSES);
    const hint = didYouMean(name, known);
    throw new UserError(
      `loss.name: unknown loss '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${known.join(', ')}`,
    );
  }
  return factory(options);
}

export { createCenterLoss, wenCenterStep } from './center.js';
export { createContrastiveCenterLoss } from './contrastive-center.js';
export { createSoftmaxLoss } from './softmax.js';
export {
  blockedSum0,
  centerLoss,
  checkLossInputs,
  contrastiveCenterLoss,
  gatherRows,
  softmaxCrossEntropy,
  sumSquaredDistances,
  type CenterLossOptions,
} from './functions.js';
export type { LossFactory, LossOptions, LossTerms, Reduction, TrainingLoss } from './types.js';
