/**
 * ASHA, asynchronous successive halving (Li, Jamieson, Rostamizadeh, Gonina, Hardt, Recht, Ben-Tzur, Talwalkar, MLSys 2020,
 * "A System for Massively Parallel Hyperparameter Tuning", Algorithm 2 with early-stopping rate s = 0).
 *
 * Rungs k = 0..K with budgets max / eta^(K - k) (= min * eta^k when max/min is a power of eta). On every ask, from the top rung
 * down, the first configuration that is among the top floor(n_k / eta) of its rung (n_k = finished members of rung k) and not
 * yet promoted is promoted to rung k + 1; if there is none, a new random configuration starts at rung 0. ASHA never waits, so
 * it keeps any number of workers busy; a promotion decided early may turn out to be a mistake, which the paper shows costs
 * little.
 *
 * A promotion is a new trial with the same params, the next rung's budget and `system: { rung, continueFrom }`; rung members
 * are read back from the stored trials on every ask (no searcher state), so resumed studies decide identically.
 */
import type { Direction, TrialRecord } from '../../src/core/types.js';
import type { SearcherOptions } from '../options.js';
import type { Searcher, SearcherInit, Suggestion } from '../types.js';
import {
  askRng,
  fidelityOptions,
  maxRungIndex,
  promotable,
  rankFinished,
  randomParams,
  rungBudget,
  rungEntries,
  type RungEntry,
} from './common.js';

/** ASHA's decision for one ask: start a new configuration at rung 0, or promote a stored trial to `rung`. */
export type AshaPlan = { readonly kind: 'new' } | { readonly kind: 'promote'; readonly rung: number; readonly from: TrialRecord };

/**
 * ASHA's get_job from the stored trials alone: the top rung K never promotes; for k = K-1..0 the members of rung k that have
 * finished are ranked (complete by value, failed/pruned last), and the first of the top floor(n_k / eta) that is complete and
 * has no trial in rung k + 1 continuing from it is promoted. Trials without `system.rung` (user-enqueued) are ignored.
 */
export function planAsha(trials: readonly TrialRecord[], top: number, eta: number, direction: Direction): AshaPlan {
  const rungs: RungEntry[][] = [];
  for (const e of rungEntries(trials)) {
    if (e.bracket !== undefined || e.rung > top) continue; // another searcher's trials (e.g. a study switched from hyperband)
    (rungs[e.rung] ??= []).push(e);
  }
  for (let k = top - 1; k >= 0; k--) {
    const finished = rankFinished(rungs[k] ?? [], direction);
    const quota = Math.floor(finished.length / eta);
    if (quota === 0) continue;
    const promoted = new Set((rungs[k + 1] ?? []).map((e) => e.continueFrom));
    const next = finished.slice(0, quota).find((e) => promotable(e) && !promoted.has(e.trial.number));
    if (next) return { kind: 'promote', rung: k + 1, from: next.trial };
  }
  return { kind: 'new' };
}

/**
 * Builds the `asha` searcher: `{ type: 'asha', min, max, eta = 3 }` (min/max default to the study's `budget`). New
 * configurations are uniform random draws from `alea(`${seed}/asha/${number}`)`.
 */
export function createAshaSearcher(init: SearcherInit, options: SearcherOptions): Searcher {
  const f = fidelityOptions('asha', options, init);
  const top = maxRungIndex(f.max / f.min, f.eta);
  return {
    type: 'asha',
    suggest({ number, trials }): Suggestion {
      const plan = planAsha(trials, top, f.eta, init.direction);
      if (plan.kind === 'promote') {
        return {
          kind: 'suggest',
          params: plan.from.params,
          budget: rungBudget(f, top, plan.rung),
          system: { rung: plan.rung, continueFrom: plan.from.number },
        };
      }
      return {
        kind: 'suggest',
        params: randomParams(init.space, askRng(init.seed, 'asha', number)),
        budget: rungBudget(f, top, 0),
        system: { rung: 0 },
      };
    },
  };
}
