/**
 * Hyperband (Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar, JMLR 2018): a loop over brackets s = s_max..0, each a run of
 * synchronous successive halving that starts n configurations at budget r and keeps the best 1/eta at each rung, eta times
 * longer. Aggressive brackets (many configs, tiny budgets) and conservative ones (few configs, full budget) alternate, so no
 * single early-stopping rate has to be guessed. After bracket 0 the loop starts over with s_max (a new Hyperband iteration).
 *
 * As a tunekit searcher: every trial is one (configuration, budget) pair. A promotion is a new trial with the same params, the
 * next rung's budget and `system: { bracket, s, rung, continueFrom }`, so the objective can resume the earlier trial's
 * checkpoint. A rung is promoted only once it has fully finished (synchronous): until then the searcher answers 'wait'.
 * The next bracket starts as soon as the current one has handed out all its trials (its last rung may still be running).
 *
 * The decision logic (`planHyperband`) is shared with BOHB, which only replaces how new configurations are drawn.
 */
import type { Direction, JsonValue, Params, TrialRecord } from '../../src/core/types.js';
import type { SearcherOptions } from '../options.js';
import type { Searcher, SearcherInit, Suggestion } from '../types.js';
import {
  askRng,
  fidelityOptions,
  isPending,
  maxRungIndex,
  promotable,
  rankFinished,
  randomParams,
  rungBudget,
  rungEntries,
  type FidelityOptions,
  type RungEntry,
} from './common.js';

/** One rung of a bracket: `n` configurations run with budget `r` (in units of the smallest budget, 1..R). */
export interface HyperbandRung {
  readonly n: number;
  readonly r: number;
}

/** One bracket: `s` halvings, rungs from the bottom (most configs, least budget) to the top (budget R). */
export interface HyperbandBracket {
  readonly s: number;
  readonly rungs: readonly HyperbandRung[];
}

/**
 * The bracket table of Hyperband (the paper's Algorithm 1 and Table 1) for a budget ratio `R` = max/min and reduction factor
 * `eta`: s_max = floor(log_eta R); bracket s starts n = ceil((s_max + 1) / (s + 1) * eta^s) configurations at r = R * eta^-s;
 * rung i holds floor(n * eta^-i) configurations at r * eta^i. Brackets are listed s = s_max first. Pure; used by the hyperband
 * and bohb searchers and by tests/benches.
 */
export function hyperbandBrackets(R: number, eta: number): HyperbandBracket[] {
  if (!(R >= 1) || !Number.isFinite(R)) throw new RangeError(`\`R >= 1\` must hold (R = max/min budget), got R=${R}`);
  if (!(eta >= 2) || !Number.isFinite(eta)) throw new RangeError(`\`eta >= 2\` must hold, got eta=${eta}`);
  const sMax = maxRungIndex(R, eta);
  const out: HyperbandBracket[] = [];
  for (let s = sMax; s >= 0; s--) {
    // The small epsilons keep exact cases exact under float error (e.g. 5/3 * 9 must ceil to 15, not 16).
    const n = Math.ceil(((sMax + 1) / (s + 1)) * eta ** s - 1e-9);
    const r = R * eta ** -s;
    const rungs: HyperbandRung[] = [];
    for (let i = 0; i <= s; i++) rungs.push({ n: Math.max(1, Math.floor(n * eta ** -i + 1e-9)), r: r * eta ** i });
    out.push({ s, rungs });
  }
  return out;
}

/** What the shared Hyperband/BOHB logic decides for one ask. */
export type HyperbandPlan =
  | { readonly kind: 'new'; readonly bracket: number; readonly s: number }
  | { readonly kind: 'promote'; readonly bracket: number; readonly s: number; readonly rung: number; readonly from: TrialRecord }
  | { readonly kind: 'wait' };

/**
 * Decides the next trial of a Hyperband schedule from the stored trials alone. Brackets are numbered 0, 1, 2... in the order
 * they run (bracket b has s = s_max - b mod (s_max + 1)). Walks the brackets in order and, in the first one that has not handed
 * out all its trials:
 * - rung 0 not full: a new configuration;
 * - rung i > 0 not full: 'wait' if rung i-1 has a pending trial, else the best not-yet-promoted complete member of rung i-1
 *   among its top n_i. Failed and pruned members are never promoted, so a rung with fewer than n_i complete members below it
 *   is full when every complete one was promoted (the bracket may end early).
 */
export function planHyperband(trials: readonly TrialRecord[], table: readonly HyperbandBracket[], direction: Direction): HyperbandPlan {
  const byBracket = new Map<number, RungEntry[][]>();
  for (const e of rungEntries(trials)) {
    if (e.bracket === undefined) continue;
    let rungs = byBracket.get(e.bracket);
    if (!rungs) byBracket.set(e.bracket, (rungs = []));
    (rungs[e.rung] ??= []).push(e);
  }
  for (let b = 0; ; b++) {
    const { s, rungs: plan } = table[b % table.length]!;
    const rungs = byBracket.get(b) ?? [];
    const bottom = rungs[0] ?? [];
    if (bottom.length < plan[0]!.n) return { kind: 'new', bracket: b, s };
    for (let i = 1; i < plan.length; i++) {
      const below = rungs[i - 1] ?? [];
      if (below.some((e) => isPending(e.trial))) return { kind: 'wait' };
      const ranked = rankFinished(below, direction).filter(promotable);
      const promoted = new Set((rungs[i] ?? []).map((e) => e.continueFrom));
      const next = ranked.slice(0, plan[i]!.n).find((e) => !promoted.has(e.trial.number));
      if (next) return { kind: 'promote', bracket: b, s, rung: i, from: next.trial };
      // Every member of the top n_i was promoted (or none completed): rung i is handed out, look higher.
    }
  }
}

/** Turns a plan into a suggestion; `fresh` draws the params of a new configuration (random for hyperband, model for BOHB). */
export async function planToSuggestion(
  plan: HyperbandPlan,
  f: FidelityOptions,
  table: readonly HyperbandBracket[],
  fresh: () => Params | Promise<Params>,
  extra: { readonly [key: string]: JsonValue } = {},
): Promise<Suggestion> {
  if (plan.kind === 'wait') return { kind: 'wait' };
  const sMax = table[0]!.s;
  // Rung i of bracket s has budget max / eta^(s - i): the ladder's top is always max.
  if (plan.kind === 'new') {
    return {
      kind: 'suggest',
      params: await fresh(),
      budget: rungBudget(f, sMax, sMax - plan.s),
      system: { bracket: plan.bracket, s: plan.s, rung: 0, ...extra },
    };
  }
  return {
    kind: 'suggest',
    params: plan.from.params,
    budget: rungBudget(f, sMax, sMax - plan.s + plan.rung),
    system: { bracket: plan.bracket, s: plan.s, rung: plan.rung, continueFrom: plan.from.number },
  };
}

/**
 * Builds the `hyperband` searcher: `{ type: 'hyperband', min, max, eta = 3 }` (min/max default to the study's `budget`).
 * New configurations are uniform random draws from `alea(`${seed}/hyperband/${number}`)`.
 */
export function createHyperbandSearcher(init: SearcherInit, options: SearcherOptions): Searcher {
  const f = fidelityOptions('hyperband', options, init);
  const table = hyperbandBrackets(f.max / f.min, f.eta);
  return {
    type: 'hyperband',
    suggest({ number, trials }) {
      const plan = planHyperband(trials, table, init.direction);
      return planToSuggestion(plan, f, table, () => randomParams(init.space, askRng(init.seed, 'hyperband', number)));
    },
  };
}
