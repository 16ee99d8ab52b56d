/**
 * `withScheduler(searcher, scheduler)`: one `Searcher` the study uses as-is. The scheduler decides each ask (a new
 * configuration at some budget, a continuation from a checkpoint, wait, or the end); only new configurations are asked of the
 * inner searcher, and it sees a study of *configurations*, not of trials.
 *
 * What the inner searcher learns from (`learnFrom`; a scheduler may also supply its own `history`):
 * - `budget` (the default, BOHB's rule, `budgetHistory`): only the configurations that finished the largest budget with at
 *   least `minPoints` (d + 1) complete results, with their values there, plus configurations whose first trial still runs
 *   (TPE's constant liar, GP's fantasies). Every value the searcher compares was measured after the same number of steps;
 *   a GP regresses values, and values after different step counts are not one function. Before a budget has `minPoints`
 *   results the searcher sees no observations and uses its start-up design.
 * - `deepest` (Optuna's practice, `learningHistory`): one record per configuration (a root trial and the promotions
 *   continuing from it) with its result at the deepest budget reached: `complete` at the largest budget, `pruned` (one
 *   intermediate report at the budget reached) below it, `failed`, or `running` while its first trial runs. This is how
 *   Optuna's TPESampler sees a study pruned by its HyperbandPruner (pruned trials rank after complete ones, deeper step
 *   first, then value).
 * On bench/schedulers.ts (two curve families, 10 seeds against Optuna 3.1's TPE + Hyperband) `budget` was better for TPE
 * from 32R on; GP was measured with `budget` only (with `deepest` its fit holds every configuration: ~10x the time per ask,
 * too slow for the bench).
 *
 * The inner searcher's `number` is the configuration's index (configurations started before it), so its seeded draw depends
 * only on (seed, index, history), and quasi-random start-up designs (Sobol points 0, 1, 2...) stay contiguous although
 * promotions take trial numbers in between. History records keep their root trial's number (and `created`): searchers that
 * cache per record (TPE's encode cache is keyed by number and created) never see one number for two configurations.
 */
import type { Params, TrialRecord } from '../../src/core/types.js';
import type { Searcher, SuggestRequest, Suggestion } from '../types.js';
import type { Scheduler } from './types.js';

/** The trial a trial continues from (`system.continueFrom`), if any. */
export function continuedFrom(t: TrialRecord): number | undefined {
  const from = t.system['continueFrom'];
  return typeof from === 'number' ? from : undefined;
}

function isInterrupted(t: TrialRecord): boolean {
  return t.state === 'failed' && t.reason === 'interrupted';
}

function isPending(t: TrialRecord): boolean {
  return t.state === 'running' || t.state === 'waiting';
}

/**
 * The configurations of a scheduled study, as the inner searcher sees them (see the module comment). Interrupted trials
 * are skipped (their retry, enqueued by the study with the same params and system, takes their place). `max` is the largest
 * budget; trials without a budget count as run to it.
 */
export function learningHistory(trials: readonly TrialRecord[], max: number): TrialRecord[] {
  // Root of each trial's chain: continueFrom always names an earlier trial.
  const rootOf = new Map<number, number>();
  const latest = new Map<number, TrialRecord>();
  const roots: TrialRecord[] = [];
  for (const t of trials) {
    if (isInterrupted(t)) continue;
    const from = continuedFrom(t);
    const root = from === undefined ? t.number : (rootOf.get(from) ?? from);
    rootOf.set(t.number, root);
    if (from === undefined) roots.push(t);
    if (isPending(t)) continue;
    const cur = latest.get(root);
    const depth = (x: TrialRecord) => x.budget ?? Infinity;
    if (!cur || depth(t) > depth(cur) || (depth(t) === depth(cur) && t.number > cur.number)) latest.set(root, t);
  }
  return roots.map((root): TrialRecord => {
    const base = { number: root.number, params: root.params, userAttrs: root.userAttrs, system: root.system, created: root.created };
    const t = latest.get(root.number);
    if (!t) return { ...base, state: isPending(root) ? 'running' : root.state, intermediate: [] };
    const budget = t.budget ?? Infinity;
    const value = t.value ?? lastValue(t);
    if (t.state === 'failed' || value === undefined) return { ...base, state: 'failed', intermediate: [] };
    if (t.state === 'complete' && budget >= max)
      return { ...base, state: 'complete', value, intermediate: [], ...(t.budget !== undefined ? { budget: t.budget } : {}) };
    const step = t.state === 'pruned' ? (lastStep(t) ?? budget) : budget;
    return { ...base, state: 'pruned', value, intermediate: [{ step, value }], ...(t.budget !== undefined ? { budget: t.budget } : {}) };
  });
}

/**
 * BOHB's rule (`learnFrom: 'budget'`, the default): the configurations that finished the largest budget with at least `minPoints`
 * complete results, each as `complete` with its value at that budget, plus configurations whose first trial still runs (as
 * `running`). Every value the searcher compares was measured after the same number of steps. Before any budget has
 * `minPoints` results, only the running ones (the searcher falls back to its start-up design).
 */
export function budgetHistory(trials: readonly TrialRecord[], minPoints: number): TrialRecord[] {
  const rootOf = new Map<number, number>();
  const roots = new Map<number, TrialRecord>();
  const atBudget = new Map<number, Map<number, TrialRecord>>();
  for (const t of trials) {
    if (isInterrupted(t)) continue;
    const from = continuedFrom(t);
    const root = from === undefined ? t.number : (rootOf.get(from) ?? from);
    rootOf.set(t.number, root);
    if (from === undefined) roots.set(t.number, t);
    if (t.state !== 'complete' || t.value === undefined || !Number.isFinite(t.value)) continue;
    const b = t.budget ?? Infinity;
    let m = atBudget.get(b);
    if (!m) atBudget.set(b, (m = new Map<number, TrialRecord>()));
    m.set(root, t);
  }
  let chosen: Map<number, TrialRecord> | undefined;
  let best = -Infinity;
  for (const [b, m] of atBudget) if (m.size >= minPoints && b > best) [best, chosen] = [b, m];
  const out: TrialRecord[] = [];
  for (const [n, root] of roots) {
    const t = chosen?.get(n);
    const base = {
      number: root.number,
      params: root.params,
      userAttrs: root.userAttrs,
      system: root.system,
      created: root.created,
      intermediate: [],
    };
    if (t) out.push({ ...base, state: 'complete', value: t.value! });
    else if (isPending(root)) out.push({ ...base, state: 'running' });
  }
  return out;
}

/** Configurations started so far: trials that continue no other (interrupted ones give way to their retries). */
function countRoots(trials: readonly TrialRecord[]): number {
  let n = 0;
  for (const t of trials) if (!isInterrupted(t) && continuedFrom(t) === undefined) n++;
  return n;
}

/** Which history the inner searcher learns from: `deepest` (learningHistory) or `budget` (budgetHistory, BOHB's rule). */
export type LearnFrom = { readonly rule: 'deepest' } | { readonly rule: 'budget'; readonly minPoints: number };

function lastValue(t: TrialRecord): number | undefined {
  return t.intermediate.length ? t.intermediate[t.intermediate.length - 1]!.value : undefined;
}

function lastStep(t: TrialRecord): number | undefined {
  return t.intermediate.length ? t.intermediate[t.intermediate.length - 1]!.step : undefined;
}

/**
 * Composes a searcher (what to try) and a scheduler (at which budget; promote, exploit or stop) into the one searcher the
 * study calls, the searcher learning from the history `learn` selects (see the module comment; composeSearcher passes
 * `defaultLearnFrom(space)` unless the scheduler spec says otherwise). The composed type is
 * `${searcher.type}+${scheduler.type}`; new trials store the scheduler's system fields over the searcher's.
 */
export function withScheduler(searcher: Searcher, scheduler: Scheduler, learn: LearnFrom): Searcher {
  const max = scheduler.maxBudget;
  const historyOf = (trials: readonly TrialRecord[]): { history: TrialRecord[]; index: number } => {
    if (scheduler.history) {
      const history = scheduler.history(trials);
      return { history, index: history.length };
    }
    if (learn.rule === 'deepest') {
      const history = learningHistory(trials, max);
      return { history, index: history.length };
    }
    // The configuration index counts every configuration, also those left out of the history.
    return { history: budgetHistory(trials, learn.minPoints), index: countRoots(trials) };
  };
  return {
    type: `${searcher.type}+${scheduler.type}`,
    async suggest(req: SuggestRequest): Promise<Suggestion> {
      const plan = scheduler.plan(req);
      switch (plan.kind) {
        case 'wait':
        case 'exhausted':
          return plan;
        case 'continue':
          return { kind: 'suggest', params: plan.params, budget: plan.budget, system: plan.system };
        case 'new': {
          const { history, index } = historyOf(req.trials);
          const inner = await searcher.suggest({ number: index, trials: history });
          if (inner.kind === 'suggest') {
            const params: Params = inner.params;
            return { kind: 'suggest', params, budget: plan.budget, system: { ...(inner.system ?? {}), ...plan.system } };
          }
          // An exhausted searcher (a finished grid) ends the study only once nothing runs that could still be promoted.
          if (inner.kind === 'exhausted' && req.trials.some(isPending)) return { kind: 'wait' };
          return inner;
        }
      }
    },
  };
}
