/**
 * The `tpe` searcher: Tree-structured Parzen Estimator (Bergstra et al. 2011), modelled on Optuna 3.1's `TPESampler` with
 * `multivariate=True, group=True, constant_liar=True`, on the unit cube of the search space. Two defaults differ from Optuna's,
 * chosen on bench/searchers.ts (see `createTpeSearcher`): kernel widths follow the observed spread (Scott's rule on the data,
 * times 0.8) instead of a fixed share of the range, and the good set is the best 15% instead of 10%.
 *
 * Per ask: the first `startupTrials` finished trials come from the scrambled Sobol sequence (point n for trial n, as the sobol
 * searcher). After that the usable trials are ranked (complete, then pruned, then running as the "constant liar"), the best
 * gamma(n) form the good set and the rest the bad set; coordinates are grouped by which trials they are active on (the root
 * parameters, each branch body), and per group a Parzen estimator l is fitted to the good rows and g to the bad rows where the
 * group is active; `candidates` points are drawn from l (and, once 2 x `startupTrials` trials have finished,
 * `incumbentCandidates` more from the kernel of the best trial of the good set) and the one maximising log l - log g is kept.
 *
 * Determinism: the draw for trial n uses `seedrandom.alea(`${seed}/tpe/${n}`)`, so a suggestion depends only on (seed, n, stored
 * trials) and a resumed study proposes what the uninterrupted one would have. The only state is a cache of encoded params.
 */
import seedrandom from 'seedrandom';
import type { CubeDim } from '../../spaces/types.js';
import { OptionsError } from '../../src/core/errors.js';
import type { Searcher, SearcherInit } from '../types.js';
import { boolOption, checkKnownOptions, intOption, type SearcherOptions } from '../options.js';
import { SOBOL_MAX_DIM, SobolSequence } from '../sobol/sequence.js';
import { chooseUnit, unitsOf } from './choose.js';
import { activeGroups, collectObservations, EncodeCache, rampWeights, splitRows } from './history.js';

export { fitParzen, type ParzenEstimator, type ParzenOptions } from './parzen.js';
export { normalCdf, normalQuantile } from './normal.js';

/** Resolved options of the `tpe` searcher (the defaults are documented on {@link createTpeSearcher}). */
export interface TpeOptions {
  readonly startupTrials: number;
  readonly candidates: number;
  readonly incumbentCandidates: number;
  readonly multivariate: boolean;
  readonly gamma: number;
  readonly gammaMax: number;
  readonly priorWeight: number;
  readonly considerEndpoints: boolean;
  readonly constantLiar: boolean;
  readonly weights: 'ramp' | 'uniform';
  readonly bandwidthFactor: number;
}

const KNOWN = [
  'startupTrials',
  'candidates',
  'incumbentCandidates',
  'multivariate',
  'gamma',
  'gammaMax',
  'priorWeight',
  'considerEndpoints',
  'constantLiar',
  'weights',
  'bandwidthFactor',
];

function numberOption(options: SearcherOptions, key: string, fallback: number, ok: (v: number) => boolean, what: string): number {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new OptionsError(`option "${key}" of searcher "tpe" must be ${what}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Validates and fills in the options object (unknown keys and bad values are OptionsErrors naming the key). */
export function tpeOptions(options: SearcherOptions): TpeOptions {
  checkKnownOptions('tpe', options, KNOWN);
  const weights = options.weights ?? 'ramp';
  if (weights !== 'ramp' && weights !== 'uniform') {
    throw new OptionsError(`option "weights" of searcher "tpe" must be "ramp" or "uniform", got ${JSON.stringify(weights)}`);
  }
  return {
    startupTrials: intOption('tpe', options, 'startupTrials', 10, 0),
    candidates: intOption('tpe', options, 'candidates', 24, 1, 100_000),
    incumbentCandidates: intOption('tpe', options, 'incumbentCandidates', 24, 0, 100_000),
    multivariate: boolOption('tpe', options, 'multivariate', true),
    gamma: numberOption(options, 'gamma', 0.15, (v) => v > 0 && v <= 1, 'a number in (0, 1]'),
    gammaMax: intOption('tpe', options, 'gammaMax', 25, 1),
    priorWeight: numberOption(options, 'priorWeight', 1, (v) => v > 0, 'a number > 0'),
    considerEndpoints: boolOption('tpe', options, 'considerEndpoints', false),
    constantLiar: boolOption('tpe', options, 'constantLiar', true),
    weights,
    bandwidthFactor: numberOption(options, 'bandwidthFactor', 0.8, (v) => v > 0, 'a number > 0'),
  };
}

/**
 * Builds the `tpe` searcher; called by the searcher registry for `searcher: 'tpe'` or `{ type: 'tpe', ...options }`.
 *
 * Options (defaults are Optuna 3.1's unless said otherwise):
 * - `startupTrials` (10): finished trials proposed by the scrambled Sobol sequence before TPE starts (uniform random draws if
 *   the space has more coordinates than the Sobol table).
 * - `candidates` (24): points drawn from l per ask (per group); more exploits harder (48 measured no better).
 * - `incumbentCandidates` (24; not in Optuna): once 2 x `startupTrials` trials have finished, this many more candidates are
 *   drawn from the kernel of the best trial in the good set (a local search around the incumbent, as SMAC's acquisition
 *   optimiser does) and compete under the same l/g score. Chosen on seeds 100-299 of bench/searchers.ts, mean log10 regret at
 *   100 trials without -> with: hartmann6 -0.85 -> -0.98, styblinski5 1.40 -> 1.36, rosenbrock4 1.20 -> 1.15, branin -1.90 ->
 *   -1.87, mixed -2.02 -> -1.97 (and -0.03 -> -0.09 at 25 trials). Starting it at once instead cost rosenbrock4 at 25 trials
 *   (2.73 -> 2.80). 0 turns it off.
 * - `multivariate` (true; Optuna's default is false): one joint estimator per group of co-active coordinates, which captures
 *   interactions; false samples every parameter independently with neighbour-gap bandwidths (Optuna's univariate TPE;
 *   measured worse on hartmann6, rosenbrock4 and mixed by 0.1-0.4 in mean log10 regret, about equal on branin/styblinski).
 * - `gamma` (0.15; Optuna 0.1) and `gammaMax` (25): the good set is the best min(ceil(gamma * n), gammaMax) of n finished
 *   trials. 0.15 beat 0.1 and 0.2 on the bench functions (mean log10 regret over 100 seeds).
 * - `bandwidthFactor` (0.8): multivariate kernel width per coordinate = factor * (weighted std of the set's points) *
 *   n^(-1/(p+4)), clipped below by Optuna's 1/min(100, n+2). Optuna's fixed 0.2 * n^(-1/(p+4)) keeps the good set's kernels
 *   wide when its points have clustered, which slows late refinement (branin@100: 0.07 vs Optuna univariate's 0.01); the
 *   data-driven width fixes that. Factors 0.7-0.9 were within noise of each other, 1.0 and above over-explore.
 * - `priorWeight` (1): weight of the prior kernel (N(0.5, 1) on [0, 1], uniform on choices) in both estimators.
 * - `considerEndpoints` (false): univariate mode only; see `ParzenOptions.considerEndpoints`.
 * - `constantLiar` (true; Optuna's default is false): running trials join the bad set, so concurrent asks spread out.
 * - `weights` ('ramp'): Optuna's default weights (older observations beyond the newest 25 fade linearly); 'uniform': all 1
 *   (measured worse).
 * Candidates are scored with peak-scaled kernels (`ParzenOptions.normalize: false`), as Optuna 3.1 effectively does; proper
 * densities measured worse at 25 trials on 4 of the 5 bench functions (by 0.1-0.3 in mean log10 regret) and about equal
 * later: they let far-away candidates win on Gaussian tails, which over-explores early.
 * @throws OptionsError (a TypeError) naming an unknown key or a bad value.
 */
export function createTpeSearcher(init: SearcherInit, options: SearcherOptions): Searcher {
  const o = tpeOptions(options);
  const dims: readonly CubeDim[] = init.space.dims;
  const D = dims.length;
  const sobol = D > 0 && D <= SOBOL_MAX_DIM ? new SobolSequence(D, { seed: init.seed, scramble: true }) : undefined;
  const cache = new EncodeCache(init.space);
  // Scratch rows reused across asks (suggest never runs concurrently with itself: it is synchronous).
  const point = new Float64Array(D);
  const cand = new Float64Array(D);
  const buf = { dims, point, cand };

  const startup = (number: number): Float64Array => {
    if (sobol) return sobol.point(number);
    const rng = seedrandom.alea(`${init.seed}/tpe/${number}`);
    for (let i = 0; i < D; i++) point[i] = rng();
    return point;
  };

  return {
    type: 'tpe',
    suggest({ number, trials }) {
      if (D === 0) return { kind: 'suggest', params: {} };
      const obs = collectObservations(trials, cache, init.direction, o.constantLiar);
      if (obs.finished < o.startupTrials || obs.finished === 0) return { kind: 'suggest', params: init.space.decode(startup(number)) };

      const rng = seedrandom.alea(`${init.seed}/tpe/${number}`);
      const nBelow = Math.min(Math.ceil(o.gamma * obs.finished), o.gammaMax);
      point.fill(0.5);
      for (const group of activeGroups(obs.rows, D)) {
        // Optuna's group mode: one global split, then each group sees the rows where it is active.
        const { good, bad, best } = splitRows(obs, nBelow, group[0]!);
        const anchor = obs.finished >= 2 * o.startupTrials && o.incumbentCandidates > 0 ? best : -1;
        const goodWeights = o.weights === 'ramp' ? rampWeights(good.length) : undefined;
        for (const unit of o.multivariate ? [group] : unitsOf(group, dims)) chooseUnit(o, buf, unit, good, bad, goodWeights, rng, anchor);
      }
      return { kind: 'suggest', params: init.space.decode(point) };
    },
  };
}
