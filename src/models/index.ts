// The model registry: a config's `model.name` maps to a network spec here.

import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { lenets } from './lenets.js';
import { lenetspp } from './lenetspp.js';
import { resnet20 } from './resnet20.js';
import type { ModelContext, ModelSpec } from './types.js';

export const MODELS: Record<string, ModelSpec<any>> = { lenets, lenetspp, resnet20 };

export function getModelSpec(name: string): ModelSpec<any> {
  const spec = MODELS[name];
  if (!spec) {
    const hint = didYouMean(name, Object.keys(MODELS));
    throw new UserError(
      `model.name: unknown model '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${Object.keys(MODELS).join(', ')}`,
    );
  }
  return spec;
}

/** Builds a network from its name and options (merged over the spec's defaults). */
export function buildModel(name: string, ctx: ModelContext, options: Record<string, unknown> = {}): tf.LayersModel {
  const spec = getModelSpec(name);
  const merged = { ...spec.defaults, ...options };
  const problem = spec.validate(merged);
  if (problem) throw new UserError(problem);
  return spec.build(ctx, merged);
}

export { featureDimOf } from './types.js';
export type { ModelContext, ModelSpec } from './types.js';
