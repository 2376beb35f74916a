// The model registry: a config's `model.name` maps to a network spec here.

import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import { unknownName } from '../util/did-you-mean.js';
import { lenets } from './lenets.js';
import { lenetspp } from './lenetspp.js';
import { resnet20 } from './resnet20.js';
import type { ModelContext, ModelSpec } from './types.js';

// Each network has its own option type; the registry holds them side by side.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModelSpec = ModelSpec<any>;

export const MODELS: Record<string, AnyModelSpec> = { lenets, lenetspp, resnet20 };

export function getModelSpec(name: string): AnyModelSpec {
  const spec = MODELS[name];
  if (!spec) throw new UserError(`model.name: ${unknownName('model', name, Object.keys(MODELS))}`);
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
