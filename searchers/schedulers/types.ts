/**
 * Schedulers, apart from searchers (Ray Tune's split): a searcher says *what* to try (new configurations), a scheduler says
 * *how long* each trial runs and whether a configuration goes on (a promotion, a PBT step) or stops. `withScheduler` composes
 * the two into one `Searcher`, so the study controller is unchanged: it still asks one searcher for params + budget + system.
 *
 * Like searchers, schedulers keep no state that cannot be rebuilt from the stored trials: every decision is a pure function of
 * (seed, trial number, stored trials), so a resumed or multi-process study decides exactly as an uninterrupted one.
 */
import type { JsonValue, Params, TrialRecord } from '../../src/core/types.js';
import type { Pruner } from '../../src/pruners/index.js';
import type { SearcherOptions } from '../options.js';
import type { SearcherInit, SuggestRequest } from '../types.js';

/** Searcher-private data stored with a trial (`TrialRecord.system`). */
export type SystemFields = { readonly [key: string]: JsonValue };

/** What a scheduler decides for one ask. */
export type SchedulerPlan =
  /** Start a new configuration (its params come from the searcher) with this budget; `system` is stored with the trial. */
  | { readonly kind: 'new'; readonly budget: number; readonly system: SystemFields }
  /**
   * Run `params` further from the checkpoint of trial `from` up to `budget` steps in total (a promotion: same params; a PBT
   * exploit: another trial's checkpoint with perturbed params). `system` includes `continueFrom: from`.
   */
  | { readonly kind: 'continue'; readonly params: Params; readonly budget: number; readonly from: number; readonly system: SystemFields }
  /** Nothing can be handed out until a running trial finishes (a synchronous rung or PBT generation is filling). */
  | { readonly kind: 'wait' }
  /** The schedule is over (e.g. every PBT member has trained the full budget). */
  | { readonly kind: 'exhausted' };

/** A budget scheduler. */
export interface Scheduler {
  /** The registered type name, e.g. `asha`. */
  readonly type: string;
  /** The largest budget (steps) it hands out: a configuration that ran this long is complete. */
  readonly maxBudget: number;
  /**
   * Stop-rule schedulers (`{ type: 'asha', mode: 'stop' }`): the pruner the study must consult on every report, besides its
   * own pruner (either one stopping the trial stops it). Absent for promotion-based schedulers.
   */
  readonly pruner?: Pruner;
  /** Decides the next trial from the stored trials (pure; must not mutate `req.trials`). */
  plan(req: SuggestRequest): SchedulerPlan;
  /**
   * The history the searcher learns from when it proposes a new configuration. Absent: `learningHistory` (one record per
   * configuration, with its result at the deepest budget it reached; see compose.ts).
   */
  history?(trials: readonly TrialRecord[]): TrialRecord[];
}

/** Builds a scheduler from its options object (the object form of `scheduler` in `createStudy`, minus `type`). */
export type SchedulerFactory = (init: SearcherInit, options: SearcherOptions) => Scheduler;

/** A scheduler as `createStudy` takes it: a type name, or `{ type, ...options }`. */
export type SchedulerSpec = string | { readonly type: string; readonly [option: string]: JsonValue };
