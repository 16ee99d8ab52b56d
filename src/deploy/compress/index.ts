/**
 * Model compression: knowledge distillation and magnitude / structured pruning of TF.js models built by
 * the trial runtime. `tunekit export --distill / --prune` and user code import from here.
 */
export { distill, type DistillOptions, type DistillReport } from './distill.js';
export { prune, type PruneOptions, type PruneReport } from './prune.js';
export { distillationLoss, distillationParams, type DistillationLossOptions } from './loss.js';
export { shrinkModel, channelScores, keepIndices, type LayerShapeChange, type PruneCriterion, type ShrinkResult } from './structured.js';
export { magnitudeMask, magnitudeMasks, polynomialSparsity, type MaskSet } from './magnitude.js';
export {
  measureModel,
  countSparsity,
  fileSize,
  latencies,
  withLatency,
  type Latency,
  type LatencyOption,
  type ModelMeasure,
} from './measure.js';
export { inferModelConfig, halfConfig } from './config.js';
export { trainCompact, evaluateModel, predictSplit, type CompactEpoch, type CompactLoss, type CompactTrainOptions } from './train.js';
export { cloneModel, prunableKernels } from './common.js';
