/**
 * BOHB (Falkner, Klein, Hutter, ICML 2018, "BOHB: Robust and Efficient Hyperparameter Optimization at Scale"): Hyperband's
 * brackets and synchronous successive halving, with new configurations proposed by a TPE-style density-ratio model instead of
 * uniformly at random.
 *
 * Per new configuration (Algorithm 2 of the paper): with probability `randomFraction` (1/3), or while no budget has enough
 * observations, a uniform random configuration; otherwise the model is fitted on the largest budget b with at least
 * `minPoints` (d + 1, d = number of parameters) finished trials: the best `topFraction` (15%) of them form the good set, the rest
 * the bad set, a Parzen estimator is fitted to each (`fitParzen` from the TPE searcher: same kernels, Scott bandwidths, a prior
 * component), `candidates` (64) points are drawn from the good estimator l and the one maximising l(x)/g(x) is proposed.
 * Failed and pruned trials count as the worst observations (the paper's infinite loss), so they land in the bad set.
 *
 * Differences from the reference implementation (hpbandster), on purpose: the good set is at least one trial (not d + 1), as in
 * TPE, since our estimators carry a prior component and stay proper with few points; candidates are drawn from l as fitted
 * (hpbandster widens the bandwidth by `bandwidth_factor` = 3 when sampling); candidates are scored on `encode(decode(x))`, so
 * coordinates of untaken branches are marginalised out of both densities.
 *
 * Seeded: trial n's draws come from `alea(`${seed}/bohb/${n}`)`; the model is a pure function of the stored trials, so a
 * resumed study proposes exactly what the uninterrupted one would have.
 */
import type { CubeDim } from '../../spaces/types.js';
import { OptionsError } from '../../src/core/errors.js';
import type { Direction, Params, TrialRecord } from '../../src/core/types.js';
import { intOption, type SearcherOptions } from '../options.js';
import { fitParzen } from '../tpe/parzen.js';
import type { Searcher, SearcherInit } from '../types.js';
import { askRng, fidelityOptions, isPending, randomParams } from './common.js';
import { hyperbandBrackets, planHyperband, planToSuggestion } from './hyperband.js';

/** BOHB's model settings (besides min/max/eta). */
export interface BohbOptions {
  /** Probability of a uniform random configuration even when a model exists (default 1/3, as in the paper). */
  readonly randomFraction: number;
  /** Fraction of a budget's observations forming the good set (default 0.15). */
  readonly topFraction: number;
  /** Observations a budget needs before a model is fitted on it (default d + 1, d = number of parameters); at least 2. */
  readonly minPoints: number;
  /** Candidates drawn from the good estimator per proposal (default 64). */
  readonly candidates: number;
}

/** BOHB's own option names (besides the fidelity options `min`, `max`, `eta`). */
const MODEL_KEYS = ['randomFraction', 'topFraction', 'minPoints', 'candidates'];

/** Number of parameters of a space as BOHB counts them: each numeric coordinate once, each one-hot block (a choice) once. */
export function parameterCount(dims: readonly CubeDim[]): number {
  return dims.filter((d, i) => d.type !== 'onehot' || d.group === i).length;
}

function fraction(options: SearcherOptions, key: string, fallback: number, lowOpen: boolean): number {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(lowOpen ? v > 0 : v >= 0) || !(v <= 1)) {
    throw new OptionsError(`option "${key}" of searcher "bohb" must be a number in ${lowOpen ? '(0' : '[0'}, 1], got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Validates BOHB's model options (bad values are OptionsErrors naming the key; unknown keys are rejected by `fidelityOptions`,
 * which `createBohbSearcher` calls first).
 */
export function bohbOptions(options: SearcherOptions, dims: readonly CubeDim[]): BohbOptions {
  return {
    randomFraction: fraction(options, 'randomFraction', 1 / 3, false),
    topFraction: fraction(options, 'topFraction', 0.15, true),
    minPoints: intOption('bohb', options, 'minPoints', Math.max(2, parameterCount(dims) + 1), 2),
    candidates: intOption('bohb', options, 'candidates', 64, 1, 100_000),
  };
}

/** The observations the model may use: finished (not interrupted) trials that ran with a budget, grouped by budget. */
function byBudget(trials: readonly TrialRecord[]): Map<number, TrialRecord[]> {
  const out = new Map<number, TrialRecord[]>();
  for (const t of trials) {
    if (t.budget === undefined || isPending(t) || (t.state === 'failed' && t.reason === 'interrupted')) continue;
    let list = out.get(t.budget);
    if (!list) out.set(t.budget, (list = []));
    list.push(t);
  }
  return out;
}

/** Sort key: complete trials by value in the study's direction, everything else (failed, pruned, non-finite) last. */
function lossOf(t: TrialRecord, direction: Direction): number {
  if (t.state !== 'complete' || t.value === undefined || !Number.isFinite(t.value)) return Infinity;
  return direction === 'minimize' ? t.value : -t.value;
}

/**
 * Builds the `bohb` searcher: `{ type: 'bohb', min, max, eta = 3, randomFraction = 1/3, topFraction = 0.15, minPoints = d + 1,
 * candidates = 64 }` (min/max default to the study's `budget`). New trials record `system.sampler` ('random' or 'model') and,
 * for model proposals, `system.modelBudget` (the budget the model was fitted on).
 */
export function createBohbSearcher(init: SearcherInit, options: SearcherOptions): Searcher {
  const f = fidelityOptions('bohb', options, init, MODEL_KEYS);
  const o = bohbOptions(options, init.space.dims);
  const table = hyperbandBrackets(f.max / f.min, f.eta);
  const { space } = init;
  const dims = space.dims;
  const D = dims.length;
  const cand = new Float64Array(D);

  /** A model proposal, or undefined when no budget has enough observations yet. */
  function fromModel(trials: readonly TrialRecord[], rng: () => number): { params: Params; budget: number } | undefined {
    let chosen: { budget: number; obs: TrialRecord[] } | undefined;
    for (const [budget, obs] of byBudget(trials)) {
      if (obs.length >= o.minPoints && (!chosen || budget > chosen.budget)) chosen = { budget, obs };
    }
    if (!chosen) return undefined;
    const ranked = chosen.obs
      .map((t) => ({ t, k: lossOf(t, init.direction) }))
      .sort((a, b) => a.k - b.k || a.t.number - b.t.number)
      .map((x) => space.encode(x.t.params));
    const nGood = Math.min(ranked.length - 1, Math.max(1, Math.ceil(o.topFraction * ranked.length)));
    const l = fitParzen(ranked.slice(0, nGood), dims);
    const g = fitParzen(ranked.slice(nGood), dims);
    let best: { params: Params; score: number } | undefined;
    for (let c = 0; c < o.candidates; c++) {
      l.sample(rng, cand);
      const params = space.decode(cand);
      // Score the point as it will run: inactive branches' coordinates become NaN and drop out of both densities.
      const x = space.encode(params);
      const score = l.logpdf(x) - g.logpdf(x);
      if (!best || score > best.score) best = { params, score };
    }
    return { params: best!.params, budget: chosen.budget };
  }

  return {
    type: 'bohb',
    async suggest({ number, trials }) {
      const plan = planHyperband(trials, table, init.direction);
      if (plan.kind !== 'new') return planToSuggestion(plan, f, table, () => ({}));
      const rng = askRng(init.seed, 'bohb', number);
      const modelled = D > 0 && rng() >= o.randomFraction ? fromModel(trials, rng) : undefined;
      if (modelled) return planToSuggestion(plan, f, table, () => modelled.params, { sampler: 'model', modelBudget: modelled.budget });
      return planToSuggestion(plan, f, table, () => randomParams(space, rng), { sampler: 'random' });
    },
  };
}
