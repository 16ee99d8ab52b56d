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
  /**
   * Every stored trial of the study (read-only; under `deterministic: true`, only the finished trials the rule lets this trial
   * see, and itself). The study builds this list only when a pruner reads it, so pruners that need only the completed trials'
   * values should read `completed` (via `completedSteps(req)`), which costs nothing per report.
   */
  readonly trials: readonly TrialRecord[];
  /**
   * The intermediate values of the complete trials among `trials`, indexed by step. The study passes its own, kept up to date
   * as trials complete; when absent, `completedSteps(req)` builds one from `trials`.
   */
  readonly completed?: CompletedSteps;
  readonly direction: Direction;
  /** The metrics object of this report, when the objective reported one (also stored in `trial.intermediate`). */
  readonly metrics?: Metrics;
}

/** The values completed trials reported at one step. */
export interface StepValues {
  /** How many completed trials reported the step (NaN values included). */
  readonly reported: number;
  /** Their non-NaN values, ascending. */
  readonly sorted: readonly number[];
}

/** The intermediate values of a study's completed trials by step (see src/pruners/steps.ts). */
export interface CompletedSteps {
  /** How many completed trials there are. */
  readonly count: number;
  /** The values completed trials reported at `step` (the first value per trial). */
  at(step: number): StepValues;
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
