/**
 * The scheduler registry and the one entry point `createStudy` uses: `composeSearcher({ searcher, scheduler }, init)`.
 *
 *   createStudy({ searcher: 'tpe', scheduler: 'asha', budget: { min: 1, max: 27 } })
 *   createStudy({ searcher: 'gp', scheduler: { type: 'hyperband', eta: 3 }, budget: { min: 1, max: 81 } })
 *   createStudy({ searcher: 'random', scheduler: { type: 'pbt', interval: 3, population: 8 }, budget: { min: 3, max: 30 } })
 *
 * The searcher says what to try, the scheduler at which budget and whether to promote, exploit or stop (see compose.ts for
 * what the searcher learns from). `searcher: 'asha' | 'hyperband' | 'bohb'` without a scheduler keep working as before
 * (bohb = its own TPE-like model + Hyperband).
 */
import { OptionsError, SearcherError } from '../../src/core/errors.js';
import type { JsonValue } from '../../src/core/types.js';
import { createSearcher, type SearcherSpec } from '../index.js';
import type { Searcher, SearcherInit } from '../types.js';
import { withScheduler, type LearnFrom } from './compose.js';
import { createPbtScheduler } from './pbt.js';
import { createAshaScheduler, createHyperbandScheduler } from './rungs.js';
import type { Scheduler, SchedulerFactory, SchedulerSpec } from './types.js';

export type { Scheduler, SchedulerFactory, SchedulerPlan, SchedulerSpec, SystemFields } from './types.js';
export { withScheduler, learningHistory, budgetHistory, continuedFrom, type LearnFrom } from './compose.js';
export { createAshaScheduler, createHyperbandScheduler } from './rungs.js';
export { createPbtScheduler, pbtOptions, perturbTree, sampleTree, quantileSize, type PbtOptions } from './pbt.js';
export { ashaStopPruner, hyperbandStopPruner, stopBracket, stopDecision, stopRungs } from './stop.js';

const registry = new Map<string, SchedulerFactory>([
  ['asha', createAshaScheduler],
  ['hyperband', createHyperbandScheduler],
  ['pbt', createPbtScheduler],
]);

/** Searchers that schedule budgets themselves: they take no `scheduler`. */
const SELF_SCHEDULED = ['asha', 'hyperband', 'bohb'];

/** Adds (or replaces) a scheduler type. */
export function registerScheduler(type: string, factory: SchedulerFactory): void {
  if (typeof type !== 'string' || !/^[a-z][a-z0-9_-]*$/.test(type)) {
    throw new TypeError(`scheduler type must match /^[a-z][a-z0-9_-]*$/, got ${JSON.stringify(type)}`);
  }
  registry.set(type, factory);
}

/** Registered scheduler type names, sorted. */
export function schedulerTypes(): string[] {
  return [...registry.keys()].sort();
}

/** Builds the scheduler a spec names; unknown types and malformed specs get an error listing the known types. */
export function createScheduler(spec: SchedulerSpec, init: SearcherInit): Scheduler {
  const known = schedulerTypes().join(', ');
  let type: string;
  let options: { [key: string]: JsonValue } = {};
  if (typeof spec === 'string') type = spec;
  else if (spec !== null && typeof spec === 'object' && !Array.isArray(spec) && typeof spec.type === 'string')
    ({ type, ...options } = spec);
  else throw new SearcherError(`scheduler must be a type name or { type, ...options }, got ${JSON.stringify(spec)}; known types: ${known}`);
  const factory = registry.get(type);
  if (!factory) throw new SearcherError(`unknown scheduler "${type}"; known types: ${known}`);
  return factory(init, options);
}

/** What `createStudy` passes: its `searcher` and `scheduler` options (both as stored in the study record). */
export interface ComposeSpec {
  /** What to try; default 'random'. */
  readonly searcher?: SearcherSpec;
  /** At which budget, and whether to promote, exploit or stop; absent: the searcher alone. */
  readonly scheduler?: SchedulerSpec;
}

/**
 * The searcher a study uses: `searcher` alone, or `withScheduler(searcher, scheduler)`. Validates both up front (unknown
 * types, bad options, a scheduler without budget bounds, a self-scheduling searcher given a scheduler), so `createStudy`
 * fails before anything is stored. A stop-rule scheduler's pruner is `createScheduler(...).pruner`; see `schedulerPruner`.
 */
export function composeSearcher(spec: ComposeSpec, init: SearcherInit): Searcher {
  const searcherSpec = spec.searcher ?? 'random';
  if (spec.scheduler === undefined) return createSearcher(searcherSpec, init);
  const searcherType = typeof searcherSpec === 'string' ? searcherSpec : searcherSpec.type;
  if (SELF_SCHEDULED.includes(searcherType)) {
    throw new OptionsError(
      `searcher "${searcherType}" schedules budgets itself, so it takes no \`scheduler\`; ` +
        `pass searcher: 'tpe' (or any other) with scheduler: ${JSON.stringify(spec.scheduler)}, or drop \`scheduler\``,
    );
  }
  const { scheduler: schedulerSpec, learn } = splitLearnOptions(spec.scheduler, init);
  // Read defensively: `directions` is the multi-objective field of SearcherInit (absent on single-objective studies).
  const objectives = (init as { readonly directions?: readonly unknown[] }).directions?.length ?? 1;
  if (objectives > 1) {
    throw new OptionsError(
      `a scheduler ranks trials by one value, but this study has ${objectives} objectives; drop \`scheduler\` ` +
        `(or optimise one objective and keep the others as metrics)`,
    );
  }
  const scheduler = createScheduler(schedulerSpec, init);
  return withScheduler(createSearcher(searcherSpec, init), scheduler, learn);
}

/**
 * The default learning rule: BOHB's (`budget`, minPoints = d + 1 for d parameters). On bench/schedulers.ts it beat Optuna's
 * practice (`deepest`) for TPE at 32R-64R on both curve families (TPE + hyperband at 64R: 0.42 / 0.53 of Optuna's median
 * regret against 1.52 / 2.06 with 'deepest'), and keeps a GP's fit small.
 */
export function defaultLearnFrom(space: SearcherInit['space']): Extract<LearnFrom, { rule: 'budget' }> {
  const d = space.dims.filter((x, i) => x.type !== 'onehot' || x.group === i).length;
  return { rule: 'budget', minPoints: Math.max(2, d + 1) };
}

/**
 * Reads the composition's own scheduler options, `learnFrom: 'budget' | 'deepest'` (default 'budget'; 'deepest' for a stop
 * rule, `mode: 'stop'`, whose pruned trials the budget rule would ignore) and `minPoints`
 * (budget rule only; default d + 1, as BOHB), and returns the spec without them for the scheduler factory.
 */
function splitLearnOptions(spec: SchedulerSpec, init: SearcherInit): { scheduler: SchedulerSpec; learn: LearnFrom } {
  const budgetRule = defaultLearnFrom(init.space);
  if (typeof spec === 'string' || spec === null || typeof spec !== 'object') return { scheduler: spec, learn: budgetRule };
  // A stop rule runs every configuration with the full budget and prunes most of them: only 'deepest' learns from those.
  const { learnFrom = spec['mode'] === 'stop' ? 'deepest' : 'budget', minPoints, ...rest } = spec;
  if (learnFrom !== 'deepest' && learnFrom !== 'budget') {
    throw new OptionsError(
      `option "learnFrom" of scheduler "${spec.type}" must be "deepest" or "budget", got ${JSON.stringify(learnFrom)}`,
    );
  }
  if (
    minPoints !== undefined &&
    (learnFrom !== 'budget' || typeof minPoints !== 'number' || !Number.isInteger(minPoints) || minPoints < 1)
  ) {
    throw new OptionsError(
      `option "minPoints" of scheduler "${spec.type}" must be an integer >= 1 and needs learnFrom: "budget", got ${JSON.stringify(minPoints)}`,
    );
  }
  const learn: LearnFrom =
    learnFrom === 'deepest'
      ? { rule: 'deepest' }
      : { rule: 'budget', minPoints: (minPoints as number | undefined) ?? budgetRule.minPoints };
  return { scheduler: rest as SchedulerSpec, learn };
}

/**
 * The pruner a study created with `scheduler` must consult on each report, besides its own (stop-rule schedulers such as
 * `{ type: 'asha', mode: 'stop' }`), or undefined.
 */
export function schedulerPruner(spec: ComposeSpec, init: SearcherInit): Scheduler['pruner'] {
  return spec.scheduler === undefined ? undefined : createScheduler(splitLearnOptions(spec.scheduler, init).scheduler, init).pruner;
}
