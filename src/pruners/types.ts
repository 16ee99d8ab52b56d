/**
 * The pruner interface, in its own module so that every pruner module (and the history helpers) can name it without importing
 * the barrel src/pruners/index.ts, which imports them back.
 */
import type { Direction, Metrics, TrialRecord } from '../core/types.js';

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
  /**
   * True when the pruner compares trials by their objective value (median, percentile, threshold, patience): it cannot decide
   * for a study with several objectives, so createStudy refuses the pair. Diagnostic pruners (nan_guard, exploding...) read
   * training signals and leave it unset. The built-in types are also refused by name in src/study/pruning.ts.
   */
  readonly singleObjective?: boolean;
  decide(req: PruneRequest): PruneDecision | Promise<PruneDecision>;
}
