/**
 * The one interface every search algorithm implements. The study controller calls `suggest` each time it needs a new trial and
 * hands it the whole stored history; searchers keep no state that cannot be rebuilt from that history, so resuming a study or
 * sharing it between processes needs no searcher file.
 */
import type { SearchSpace } from '../spaces/types.js';
import type { Direction, JsonValue, Params, StudyBudget, TrialRecord } from '../src/core/types.js';

/** What a searcher is built with. All randomness must flow from `seed` (through seedrandom). */
export interface SearcherInit {
  readonly space: SearchSpace;
  readonly seed: number;
  readonly direction: Direction;
  /** Budget bounds from `createStudy({ budget })`, for multi-fidelity searchers (their `min`/`max` options override them). */
  readonly budget?: StudyBudget;
  /**
   * Multi-objective studies: one direction per objective (`direction` is `directions[0]`). Absent (or one entry): a single
   * objective. Trials then carry `values` in this order (`value` is `values[0]`, for older code).
   */
  readonly directions?: readonly Direction[];
  /**
   * True when the study has constraints: finished trials may carry `constraints` (each <= 0 means satisfied, as Optuna's
   * `constraints_func`). Searchers that support it prefer feasible regions; the others ignore it.
   */
  readonly constraints?: boolean;
}

/** The question the controller asks. */
export interface SuggestRequest {
  /** The number the new trial will get (the storage's next number). Seeded searchers derive their draw from it. */
  readonly number: number;
  /** Every stored trial, any state, in number order (read-only; shared with the storage cache). */
  readonly trials: readonly TrialRecord[];
}

/** A searcher's answer. */
export type Suggestion =
  | {
      readonly kind: 'suggest';
      readonly params: Params;
      /** Steps the trial may run (multi-fidelity searchers); absent: unlimited. */
      readonly budget?: number;
      /** Searcher-private data stored with the trial (e.g. the grid point index); JSON only. */
      readonly system?: { readonly [key: string]: JsonValue };
    }
  /** Nothing can be proposed until a running trial finishes (e.g. a synchronous rung is filling). */
  | { readonly kind: 'wait' }
  /** The searcher has nothing left to propose (e.g. a finished grid). */
  | { readonly kind: 'exhausted' };

export interface Searcher {
  /** The registered type name, e.g. `random`. */
  readonly type: string;
  /**
   * True when proposals never depend on trials' outcomes (values, states, reports): each is a function of the seed, `number`
   * and the params already stored (random, Sobol, grid). The optimize loop then keeps several trials per worker asked ahead
   * and starts the predicted-longest first (src/study/feeder.ts); for a searcher that learns from results, every trial asked
   * further ahead would be proposed from older results, so it keeps one. Absent: false.
   */
  readonly ignoresResults?: boolean;
  /** Proposes the next trial. Must not mutate `req.trials`. May be async (model fitting). */
  suggest(req: SuggestRequest): Suggestion | Promise<Suggestion>;
}

/** Builds a searcher from its options object (the object form of `searcher` in `createStudy`, minus `type`). */
export type SearcherFactory = (init: SearcherInit, options: { readonly [key: string]: JsonValue }) => Searcher;

/** What a registered searcher type can handle, declared with `registerSearcher(type, factory, capabilities)`. */
export interface SearcherCapabilities {
  /**
   * True when the searcher optimises several objectives (reads `values`, honours `SearcherInit.directions`). `createSearcher`
   * refuses a study with 2+ directions for a searcher without it. Default false.
   */
  readonly multiObjective?: boolean;
  /** True when the searcher uses trials' `constraints` to prefer feasible regions (others still run, ignoring them). */
  readonly constraints?: boolean;
}
