/**
 * The rung schedulers `asha` and `hyperband`: the same decisions as the `asha` and `hyperband` searchers (`planAsha`,
 * `planHyperband`, read back from the stored trials' `system.rung` / `system.bracket`), with the params of new configurations
 * left to whatever searcher they are composed with. Promotions are new trials with the same params, the next rung's budget
 * and `system.continueFrom`, so the objective resumes the earlier trial's checkpoint.
 */
import type { SearcherOptions } from '../options.js';
import type { SearcherInit } from '../types.js';
import { fidelityOptions, maxRungIndex, rungBudget } from '../multifidelity/common.js';
import { planAsha } from '../multifidelity/asha.js';
import { hyperbandBrackets, planHyperband } from '../multifidelity/hyperband.js';
import { OptionsError } from '../../src/core/errors.js';
import { ashaStopPruner, hyperbandStopPruner } from './stop.js';
import type { Scheduler, SchedulerPlan } from './types.js';

/**
 * `{ type: 'asha', min, max, eta = 3, mode = 'promote' }` (min/max default to the study's `budget`): asynchronous successive
 * halving; never waits. From the top rung down, the first member among the top floor(n_k / eta) of its rung that is not yet
 * promoted goes up; otherwise a new configuration starts at rung 0 (budget min). `mode: 'stop'`: every configuration starts
 * with the full budget and ASHA's rule stops it at a rung instead (`pruner`, see stop.ts): no checkpoints needed.
 */
export function createAshaScheduler(init: SearcherInit, options: SearcherOptions): Scheduler {
  const { mode = 'promote', ...rest } = options;
  if (mode !== 'promote' && mode !== 'stop') {
    throw new OptionsError(
      `option "mode" of scheduler "asha" must be "promote" (continue from checkpoints) or "stop" (a pruner), got ${JSON.stringify(mode)}`,
    );
  }
  const f = fidelityOptions('asha', rest, init, [], 'scheduler');
  const top = maxRungIndex(f.max / f.min, f.eta);
  if (mode === 'stop') {
    const pruner = ashaStopPruner(init, rest);
    return { type: 'asha', maxBudget: f.max, pruner, plan: () => ({ kind: 'new', budget: f.max, system: {} }) };
  }
  return {
    type: 'asha',
    maxBudget: f.max,
    plan({ trials }): SchedulerPlan {
      const p = planAsha(trials, top, f.eta, init.direction);
      if (p.kind === 'new') return { kind: 'new', budget: rungBudget(f, top, 0), system: { rung: 0 } };
      return {
        kind: 'continue',
        params: p.from.params,
        budget: rungBudget(f, top, p.rung),
        from: p.from.number,
        system: { rung: p.rung, continueFrom: p.from.number },
      };
    },
  };
}

/**
 * `{ type: 'hyperband', min, max, eta = 3, order = 'aggressive-first', mode = 'promote' }` (min/max default to the study's `budget`):
 * Hyperband's brackets of synchronous successive halving; waits while a rung that must be ranked is still running.
 * `order: 'conservative-first'` runs the brackets from s = 0 (every configuration at the full budget) to s_max instead of
 * the paper's s_max first: the same brackets, but the first full-budget results (and a model fitted on them) come early,
 * which matters when the smallest budgets rank configurations badly. `mode: 'stop'`: every configuration starts with the
 * full budget and Hyperband's stop rule (`pruner`, see stop.ts; Optuna's HyperbandPruner) stops it at a rung instead.
 */
export function createHyperbandScheduler(init: SearcherInit, options: SearcherOptions): Scheduler {
  const { order = 'aggressive-first', mode = 'promote', ...rest } = options;
  if (order !== 'aggressive-first' && order !== 'conservative-first') {
    throw new OptionsError(
      `option "order" of scheduler "hyperband" must be "aggressive-first" (the paper's) or "conservative-first", got ${JSON.stringify(order)}`,
    );
  }
  if (mode !== 'promote' && mode !== 'stop') {
    throw new OptionsError(
      `option "mode" of scheduler "hyperband" must be "promote" (continue from checkpoints) or "stop" (a pruner), got ${JSON.stringify(mode)}`,
    );
  }
  const f = fidelityOptions('hyperband', rest, init, [], 'scheduler');
  if (mode === 'stop') {
    const pruner = hyperbandStopPruner(init, rest);
    return { type: 'hyperband', maxBudget: f.max, pruner, plan: () => ({ kind: 'new', budget: f.max, system: {} }) };
  }
  const paper = hyperbandBrackets(f.max / f.min, f.eta);
  const table = order === 'aggressive-first' ? paper : paper.slice().reverse();
  const sMax = paper[0]!.s;
  return {
    type: 'hyperband',
    maxBudget: f.max,
    plan({ trials }): SchedulerPlan {
      const p = planHyperband(trials, table, init.direction);
      if (p.kind === 'wait') return p;
      // Rung i of bracket s has budget max / eta^(s - i): the ladder's top is always max.
      if (p.kind === 'new')
        return { kind: 'new', budget: rungBudget(f, sMax, sMax - p.s), system: { bracket: p.bracket, s: p.s, rung: 0 } };
      return {
        kind: 'continue',
        params: p.from.params,
        budget: rungBudget(f, sMax, sMax - p.s + p.rung),
        from: p.from.number,
        system: { bracket: p.bracket, s: p.s, rung: p.rung, continueFrom: p.from.number },
      };
    },
  };
}
