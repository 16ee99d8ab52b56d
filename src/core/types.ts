/**
 * Records shared by the study controller, searchers, pruners and storages. Kept free of behaviour so every layer can import it.
 */
import type { JsonValue, Params, SpaceJson } from '../../spaces/types.js';

export type { JsonValue, Params } from '../../spaces/types.js';

/** Optimisation direction of a study's objective value. */
export type Direction = 'minimize' | 'maximize';

/**
 * Trial life cycle: `waiting` (enqueued params, not started) -> `running` -> one of the finished states.
 * Finished states never change again (storages reject the transition).
 */
export type TrialState = 'waiting' | 'running' | 'complete' | 'pruned' | 'failed';
export type FinishedState = 'complete' | 'pruned' | 'failed';

/** Named numeric metrics an objective or a trainer reports besides the objective value. */
export type Metrics = { [name: string]: number };

/**
 * One intermediate report: the step (epoch, batch count...), the objective value at that step and, when the objective reported
 * a metrics object, all of its metrics (diagnostic pruners read signals such as gradient norms from them).
 */
export interface IntermediateValue {
  readonly step: number;
  readonly value: number;
  readonly metrics?: Metrics;
}

/** Everything stored about one trial. Storages return frozen copies; callers never mutate them. */
export interface TrialRecord {
  /** 0-based, assigned by the storage, unique within the study, never reused. */
  readonly number: number;
  readonly state: TrialState;
  readonly params: Params;
  /** Budget granted by a multi-fidelity searcher (steps the objective may run); absent for plain searchers. */
  readonly budget?: number;
  /** Objective value: set for `complete`, and for `pruned` trials (their last intermediate value). Multi-objective: `values[0]`. */
  readonly value?: number;
  /** Multi-objective studies: one value per objective, in the order of `StudyRecord.directions`. */
  readonly values?: readonly number[];
  /** Constraint values of a constrained study (each <= 0 means satisfied), as Optuna's `constraints_func` returns them. */
  readonly constraints?: readonly number[];
  readonly metrics?: Metrics;
  readonly intermediate: readonly IntermediateValue[];
  /** Why a trial was pruned, or failed (`interrupted` for trials left running by a killed process). */
  readonly reason?: string;
  /** Error message and stack of a failed trial. */
  readonly error?: { readonly message: string; readonly stack?: string };
  readonly userAttrs: { readonly [key: string]: JsonValue };
  /** Searcher-private data attached at suggestion time (e.g. a bracket id); JSON only. */
  readonly system: { readonly [key: string]: JsonValue };
  /** ISO-8601 timestamps. */
  readonly created: string;
  readonly started?: string;
  readonly finished?: string;
}

/** Smallest and largest budget (steps a trial may run) a multi-fidelity searcher hands out. */
export interface StudyBudget {
  readonly min: number;
  readonly max: number;
}

/** A study's immutable description, stored once at creation. */
export interface StudyRecord {
  readonly name: string;
  /** The (first) objective's direction; multi-objective studies also store `directions`. */
  readonly direction: Direction;
  /** Multi-objective studies: one direction per objective (`direction` is `directions[0]`, for older readers). */
  readonly directions?: readonly Direction[];
  /** Multi-objective studies: the metric name of each objective, in the order of `directions`. */
  readonly metrics?: readonly string[];
  /** The searcher spec as given (a type name or an options object), JSON only. */
  readonly searcher: JsonValue;
  readonly seed: number;
  readonly space: SpaceJson;
  /** The pruner spec (a type name or `{ type, ...options }`) when the study was created with a JSON spec; reused by loadStudy. */
  readonly pruner?: JsonValue;
  /** Budget bounds for multi-fidelity searchers (steps, e.g. epochs), when the study was created with them. */
  readonly budget?: StudyBudget;
  /** The scheduler spec (`createStudy({ scheduler })`): at which budget trials run, and which are promoted or stopped. */
  readonly scheduler?: JsonValue;
  /** Reproducible parallel search (`createStudy({ deterministic: true })`): see src/study/visibility.ts. */
  readonly deterministic?: boolean;
  /** True when the study has constraints: finished trials carry `constraints` (each <= 0 satisfied). */
  readonly constraints?: boolean;
  /** ISO-8601 creation time. */
  readonly created: string;
  readonly userAttrs: { readonly [key: string]: JsonValue };
}

/** What `finishTrial` records. `value` is required for `complete`. */
export interface TrialResult {
  readonly state: FinishedState;
  readonly value?: number;
  readonly values?: readonly number[];
  readonly constraints?: readonly number[];
  readonly metrics?: Metrics;
  readonly reason?: string;
  readonly error?: { readonly message: string; readonly stack?: string };
}
