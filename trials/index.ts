/**
 * Public barrel of `trials/`: everything needed to run one trial (`runTrial`), load data, and build the pieces by hand.
 * The study runner, the CLI demo and user code import from here; the files behind it may move.
 */
export { runTrial } from './loop.js';
export { useBackend, activeBackend, BACKEND_NAMES, BackendUnavailableError } from './backend.js';
export { loadMnist, type MnistOptions } from './data/mnist.js';
export { loadTabular, vegaDatasetPath, type TabularOptions, type CleaningConfig } from './data/tabular.js';
export { kFold } from './data/split.js';
export { buildModel, countParams, MODEL_TYPES, ACTIVATIONS } from './models/index.js';
export { saveModel, loadModel, fileHandler } from './checkpoint.js';
export { makeLoss, LOSS_TYPES } from './losses.js';
export { makeOptimizer, OPTIMIZER_TYPES } from './optimizers.js';
export { makeSchedule, SCHEDULE_TYPES, type ScheduleContext } from './schedules.js';
export { makeAugmenter, type AugmentContext } from './augment.js';
export { globalNorm, clipByGlobalNorm, perTensorNorms } from './clip.js';
export {
  argmaxRows,
  classificationMetrics,
  confusionMatrix,
  metricsFromConfusion,
  regressionMetrics,
  type ClassificationMetrics,
  type RegressionMetrics,
} from './metrics.js';
export { objectiveMetrics, validateTrialConfig, validateDataset } from './trial-config.js';
export { measureHardware, validateMeasure } from './measure.js';
export type { FeatureMap } from './diagnostics.js';
export type * from './types.js';
