/**
 * Pruners decide, after each intermediate report, whether a running trial should stop. One decision, with a reason. Like
 * searchers they keep no private state: everything they need is in the stored trials they are handed, so a resumed or
 * multi-process study decides exactly as an uninterrupted one.
 */
import type { Direction, Metrics, TrialRecord } from '../core/types.js';
import { CONTINUE } from './history.js';

/** What the study asks a pruner after storing an intermediate value. */
export interface PruneRequest {
  /** The reporting trial, its new intermediate value included. */
  readonly trial: TrialRecord;
  /** The step just reported. */
  readonly step: number;
  /** Every stored trial of the study (read-only). */
  readonly trials: readonly TrialRecord[];
  readonly direction: Direction;
  /** The metrics object of this report, when the objective reported one (also stored in `trial.intermediate`). */
  readonly metrics?: Metrics;
}

export type PruneDecision = { readonly action: 'continue' } | { readonly action: 'prune'; readonly reason: string };

export interface Pruner {
  /** A short name stored with pruned trials and shown in reports, e.g. `median`. */
  readonly type: string;
  decide(req: PruneRequest): PruneDecision | Promise<PruneDecision>;
}


/** The one never-pruning pruner; the study recognises it and skips consulting it. */
export const NOP_PRUNER: Pruner = Object.freeze({ type: 'none', decide: () => CONTINUE });

/** The default: never prunes. */
export function nopPruner(): Pruner {
  return NOP_PRUNER;
}

export { median, percentile, threshold, patience, isFirstInInterval, nanPercentile } from './metric.js';
export type { MedianOptions, PercentileOptions, ThresholdOptions, PatienceOptions } from './metric.js';
export { nanGuard, exploding, vanishing, diverging, overfitting, plateau } from './diagnostic.js';
export type { NanGuardOptions, ExplodingOptions, VanishingOptions, DivergingOptions, OverfittingOptions, PlateauOptions } from './diagnostic.js';
export { any, all, type AnyOptions } from './compose.js';
export { createPruner, registerPruner, prunerTypes } from './spec.js';
export type { PrunerSpec, PrunerSpecOptions, PrunerFactory } from './spec.js';
