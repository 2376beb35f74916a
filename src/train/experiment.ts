// The one place that builds what a config trains: the network, the loss and the SGD optimizer,
// with the seeds drawn from the run seed in a fixed order (model, loss, data order,
// augmentation), so `ctc train`, `ctc bench` and `ctc eval --run` build the same things.

import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import { createLoss } from '../losses/index.js';
import type { TrainingLoss } from '../losses/types.js';
import { buildModel, featureDimOf, getModelSpec, type ModelSpec } from '../models/index.js';
import { Rng } from '../util/rng.js';
import { Sgd } from './optimizer.js';

/** What the network needs to know of the data: image shape and number of classes. */
export interface DataShape {
  imageShape: [number, number, number];
  numClasses: number;
}

export interface Network {
  spec: ModelSpec<object>;
  model: tf.LayersModel;
}

export interface Experiment extends Network {
  loss: TrainingLoss;
  sgd: Sgd;
  seeds: { data: number; augment: number };
  /** The config with every model and loss default filled in: what config.resolved.yaml holds. */
  resolved: Config;
  dispose(): void;
}

/** The network of a config, with its weights drawn from `seed`. */
export function buildNetwork(cfg: Config, data: DataShape, seed: number): Network {
  const spec = getModelSpec(cfg.model.name);
  const { name, ...options } = cfg.model;
  return { spec, model: buildModel(name, { inputShape: data.imageShape, numClasses: data.numClasses, seed }, options) };
}

export function buildExperiment(cfg: Config, data: DataShape): Experiment {
  const seeds = new Rng(cfg.seed);
  const [modelSeed, lossSeed, dataSeed, augmentSeed] = [seeds.seed(), seeds.seed(), seeds.seed(), seeds.seed()];
  const { spec, model } = buildNetwork(cfg, data, modelSeed);
  const loss = createLoss(cfg.loss.name, {
    ...cfg.loss,
    numClasses: data.numClasses,
    featureDim: featureDimOf(model),
    seed: lossSeed,
  });
  const sgd = new Sgd([...model.trainableWeights.map((w) => w.read() as tf.Variable), ...loss.trainableVariables()], {
    momentum: cfg.train.momentum,
    weightDecay: cfg.train.weightDecay,
  });
  const resolved = {
    ...cfg,
    model: { ...spec.defaults, ...cfg.model },
    loss: { name: cfg.loss.name, ...loss.hyper },
  } as Config;
  return {
    spec,
    model,
    loss,
    sgd,
    seeds: { data: dataSeed, augment: augmentSeed },
    resolved,
    dispose() {
      sgd.dispose();
      loss.dispose();
      model.dispose();
    },
  };
}
