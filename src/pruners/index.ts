/**
 * Pruners decide, after each intermediate report, whether a running trial should stop. One decision, with a reason. Like
 * searchers they keep no private state: everything they need is in the stored trials they are handed, so a resumed or
 * multi-process study decides exactly as an uninterrupted one.
 */
export type { PruneRequest, PruneDecision, Pruner, CompletedSteps, StepValues } from './types.js';
export { StepIndex, completedSteps } from './steps.js';
export { NOP_PRUNER, nopPruner } from './spec.js';
export { median, percentile, threshold, patience, isFirstInInterval, nanPercentile } from './metric.js';
export type { MedianOptions, PercentileOptions, ThresholdOptions, PatienceOptions } from './metric.js';
export { nanGuard, exploding, vanishing, diverging, overfitting, plateau } from './diagnostic.js';
export type {
  NanGuardOptions,
  ExplodingOptions,
  VanishingOptions,
  DivergingOptions,
  OverfittingOptions,
  PlateauOptions,
} from './diagnostic.js';
export { any, all, type AnyOptions } from './compose.js';
export { createPruner, registerPruner, prunerTypes } from './spec.js';
export type { PrunerSpec, PrunerSpecOptions, PrunerFactory } from './spec.js';
