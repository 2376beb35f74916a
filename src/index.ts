// The library: what a TypeScript user needs to put these losses in their own tfjs model, or to
// run ctc's experiments from code. Everything else in src/ is internal and may change.
//
// Losses
//   contrastiveCenterLoss, centerLoss, softmaxCrossEntropy: the terms as pure tfjs functions of
//     (features [m, d], labels int32 [m], centers [k, d]); differentiable in features and centers.
//   createLoss(name, {numClasses, featureDim, seed, ...settings}): a TrainingLoss that owns its
//     centers: call compute(features, logits, labels) inside your gradient closure, then
//     updateCenters(features, labels) after your optimizer's step. LOSSES / getLossSpec give
//     each loss's settings with their defaults, rules and help text.
//   normalizedCenterStep, wenCenterStep: the center rules alone; centerMetrics: where the centers
//     sit against the class means (center lag).
// Networks
//   buildModel(name, {inputShape, numClasses, seed, ...options}): a tf.LayersModel whose outputs
//     are [features, logits]; MODELS / getModelSpec give each network's options; featureDimOf.
// Data
//   loadDataset(name, options): MNIST, Fashion-MNIST, CIFAR-10 or an image folder as uint8 pixels
//     and labels (DATASETS lists them); BatchStream: seeded shuffled batches of indices.
// Training
//   initBackend(choice): picks and starts a tfjs backend (BACKEND_CHOICES).
//   Sgd + trainStep: one checked training step (forward, loss, gradients, update, center rule).
//   loadConfig / parseConfig + trainRun: a whole ctc run from a YAML config into a run directory.
// Errors a user can cause are UserError: one line that names the key, file or value.

export { centerLoss, contrastiveCenterLoss, softmaxCrossEntropy } from './losses/functions.js';
export { createLoss, getLossSpec, LOSSES } from './losses/index.js';
export { CENTER_UPDATES, normalizedCenterStep, type CenterUpdate } from './losses/contrastive-center.js';
export { wenCenterStep } from './losses/center.js';
export { centerMetrics, type CenterMetrics } from './eval/center-metrics.js';
export type { LossOptions, LossSpec, LossTerms, TrainingLoss, LossFactory, Reduction } from './losses/index.js';
export { buildModel, getModelSpec, featureDimOf, MODELS } from './models/index.js';
export type { ModelContext, ModelSpec } from './models/index.js';
export { loadDataset, DATASETS } from './data/index.js';
export type { Dataset, DatasetOptions, Split } from './data/index.js';
export { BatchStream } from './data/batches.js';
export { initBackend, BACKEND_CHOICES } from './backend/index.js';
export type { BackendChoice, BackendInfo } from './backend/index.js';
export { Sgd, type SgdOptions } from './train/optimizer.js';
export { trainStep, type StepResult, type StepTerms } from './train/step.js';
export { loadConfig, parseConfig } from './config/load.js';
export type { Config } from './config/schema.js';
export { trainRun } from './train/loop.js';
export type { TrainRequest, TrainOutcome } from './train/loop.js';
export type { Summary } from './run/summary.js';
export { UserError } from './errors.js';
