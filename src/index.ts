// The library's public API: the losses (pure functions and training objects), the networks,
// the datasets, backend choice and the training loop, for use in your own tfjs code.

export { centerLoss, contrastiveCenterLoss, softmaxCrossEntropy } from './losses/functions.js';
export { createLoss, LOSSES } from './losses/index.js';
export { CENTER_UPDATES, normalizedCenterStep, type CenterUpdate } from './losses/contrastive-center.js';
export { wenCenterStep } from './losses/center.js';
export { centerMetrics, type CenterMetrics } from './eval/center-metrics.js';
export type { LossOptions, LossTerms, TrainingLoss, LossFactory, Reduction } from './losses/types.js';
export { buildModel, getModelSpec, featureDimOf, MODELS } from './models/index.js';
export type { ModelContext, ModelSpec } from './models/index.js';
export { loadDataset, DATASETS } from './data/index.js';
export type { Dataset, DatasetOptions, Split } from './data/index.js';
export { parseIdx, readIdxFile } from './data/formats/idx.js';
export { BatchStream, makeBatch, evalBatches, scalePixels } from './data/batches.js';
export { initBackend, BACKEND_CHOICES } from './backend/index.js';
export type { BackendChoice, BackendInfo } from './backend/index.js';
export { installWasmGradients } from './backend/wasm/gradients.js';
export { loadConfig, parseConfig } from './config/load.js';
export type { Config } from './config/schema.js';
export { trainRun } from './train/loop.js';
export type { TrainRequest, TrainOutcome } from './train/loop.js';
export type { Summary } from './run/summary.js';
export { UserError } from './errors.js';
