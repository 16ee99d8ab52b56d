/**
 * `withScheduler(searcher, scheduler)`: one `Searcher` the study uses as-is. The scheduler decides each ask (a new
 * configuration at some budget, a continuation from a checkpoint, wait, or the end); only new configurations are asked of the
 * inner searcher, and it sees a study of *configurations*, not of trials.
 *
 * What the inner searcher learns from (`learningHistory`, the default; a scheduler may supply its own `history`): one record
 * per configuration (a root trial and the promotions continuing from it), numbered 0, 1, 2... in order of creation, with:
 * - `complete` and its value when the configuration finished at the largest budget (or ran without a budget);
 * - `pruned`, with its value as one intermediate report at the budget reached, when its deepest finished trial ran below
 *   the largest budget (it was not promoted, or not yet);
 * - `failed` when its only result failed, `running` while its first trial runs (TPE's constant liar, GP's fantasies).
 * This is how Optuna's TPESampler sees a study pruned by its HyperbandPruner (pruned trials rank after complete ones, deeper
 * step first, then value), so configurations that went further count as better, and values are compared at equal depth
 * first. BOHB's alternative (fit only on the largest budget with enough points) wastes the low rungs while few
 * configurations reach the top; bench/schedulers.ts measures both families.
 *
 * The inner searcher's `number` is the configuration's index (the history's length), so its seeded draw depends only on
 * (seed, index, history), and quasi-random start-up designs (Sobol points 0, 1, 2...) stay contiguous although promotions
 * take trial numbers in between.
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
  return roots.map((root, index): TrialRecord => {
    const base = { number: index, params: root.params, userAttrs: root.userAttrs, system: root.system, created: root.created };
    const t = latest.get(root.number);
    if (!t) return { ...base, state: isPending(root) ? 'running' : root.state, intermediate: [] };
    const budget = t.budget ?? Infinity;
    const value = t.value ?? lastValue(t);
    if (t.state === 'failed' || value === undefined) return { ...base, state: 'failed', intermediate: [] };
    if (t.state === 'complete' && budget >= max) return { ...base, state: 'complete', value, intermediate: [], ...(t.budget !== undefined ? { budget: t.budget } : {}) };
    const step = t.state === 'pruned' ? (lastStep(t) ?? budget) : budget;
    return { ...base, state: 'pruned', value, intermediate: [{ step, value }], ...(t.budget !== undefined ? { budget: t.budget } : {}) };
  });
}

function lastValue(t: TrialRecord): number | undefined {
  return t.intermediate.length ? t.intermediate[t.intermediate.length - 1]!.value : undefined;
}

function lastStep(t: TrialRecord): number | undefined {
  return t.intermediate.length ? t.intermediate[t.intermediate.length - 1]!.step : undefined;
}

/**
 * Composes a searcher (what to try) and a scheduler (at which budget; promote, exploit or stop) into the one searcher the
 * study calls. The composed type is
 * `${searcher.type}+${scheduler.type}`; new trials store the scheduler's system fields over the searcher's.
 */
export function withScheduler(searcher: Searcher, scheduler: Scheduler): Searcher {
  const max = scheduler.maxBudget;
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
          const history = scheduler.history ? scheduler.history(req.trials) : learningHistory(req.trials, max);
          const inner = await searcher.suggest({ number: history.length, trials: history });
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
