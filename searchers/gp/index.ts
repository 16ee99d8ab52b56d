/**
 * Gaussian-process Bayesian optimisation (`searcher: 'gp'`): a Matern-5/2 ARD GP on the unit cube with MAP hyperparameters,
 * maximising log expected improvement (or UCB) over the mixed space. See `data.ts` (which trials count, the output warp),
 * `fit.ts` (priors, fit), `candidates.ts` (mixed/conditional handling) and `acquisition.ts`.
 *
 * Statelessness and seeding: a suggestion is a pure function of (seed, trial number, stored history). Trial n draws all its
 * randomness from `seedrandom.alea(`${seed}/gp/${n}`)` and the model is refitted from scratch, so a resumed study gives the same
 * next suggestion as an uninterrupted one, whatever the interleaving of asks and tells before it. (The only memory kept
 * between asks is a cache of encoded params, a pure function of each stored trial's params.)
 */
import seedrandom from 'seedrandom';
import type { Searcher, SearcherInit, Suggestion } from '../types.js';
import { checkKnownOptions, type SearcherOptions } from '../options.js';
import { OptionsError } from '../../src/core/errors.js';
import { type Acquisition, logEiAcquisition, ucbAcquisition } from './acquisition.js';
import { canonicalize, maximizeAcquisition } from './candidates.js';
import { gpBase } from './base.js';
import { collectData } from './data.js';
import { fitKernel, GpPosterior } from './fit.js';

export { erfcx, logH, expectedImprovement, logEiAcquisition, ucbAcquisition, type Acquisition } from './acquisition.js';
export { cholesky, cholSolve, cholInverse, solveLower, solveUpper } from './linalg.js';
export { fitKernel, GpPosterior, MIN_NOISE } from './fit.js';
export { matern52, type KernelParams } from './kernel.js';
export { transformTargets } from './data.js';

const KNOWN = ['acquisition', 'beta', 'initialTrials', 'candidates', 'restarts', 'fitRestarts', 'maxObservations', 'fantasy'];

function enumOption<T extends string>(options: SearcherOptions, key: string, values: readonly T[], fallback: T): T {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw new OptionsError(
      `option "${key}" of searcher "gp" must be one of ${values.map((x) => `"${x}"`).join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
  return v as T;
}

function betaOption(options: SearcherOptions, acquisition: string): number {
  const v = options.beta;
  if (v === undefined) return 2;
  if (acquisition !== 'ucb') {
    throw new OptionsError(
      `option "beta" of searcher "gp" only applies to acquisition "ucb" (got acquisition "${acquisition}"); remove it or set acquisition: "ucb"`,
    );
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new OptionsError(`option "beta" of searcher "gp" must be a finite number >= 0, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Largest training set the hyperparameters are fitted on. Each likelihood-gradient evaluation costs ~n^3/2; above this a
 * seeded uniform subset (an unbiased sample of the same data) sets the length scales and variances, and the posterior then
 * uses every kept observation. Keeps an ask at 200 trials well under 200 ms.
 */
export const FIT_POINTS = 100;

function fitHyperparameters(x: Float64Array, y: Float64Array, n: number, d: number, restarts: number, rng: () => number) {
  if (n <= FIT_POINTS) return fitKernel(x, y, n, d, { restarts, rng });
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < FIT_POINTS; i++) {
    const j = i + Math.floor(rng() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const pick = idx.slice(0, FIT_POINTS).sort((a, b) => a - b);
  const xs = new Float64Array(FIT_POINTS * d);
  const ys = new Float64Array(FIT_POINTS);
  pick.forEach((i, k) => {
    xs.set(x.subarray(i * d, i * d + d), k * d);
    ys[k] = y[i]!;
  });
  return fitKernel(xs, ys, FIT_POINTS, d, { restarts, rng });
}

/**
 * Builds the `gp` searcher; called by the searcher registry when a study names `searcher: 'gp'` (or `{ type: 'gp', ... }`).
 *
 * Options:
 * - `acquisition`: `'logei'` (default; log expected improvement, numerically stable) or `'ucb'` (mu + sqrt(beta) sigma);
 * - `beta` (UCB only, default 2): exploration weight, on the standardised output scale;
 * - `initialTrials` (default max(5, min(d + 1, 20)) for d unit-cube coordinates; a small design leaves more trials to the
 *   model, which measured better on Hartmann6 than 2d + 1): trials 0..initialTrials-1 are points of
 *   the seeded scrambled Sobol sequence (the same points the `sobol` searcher gives), as is any later trial while fewer than
 *   two trials have a value;
 * - `candidates` (default 1024): Sobol candidates scored per suggestion (plus a quarter as many perturbations of the 5 best
 *   observations);
 * - `restarts` (default 5): best distinct candidates refined by local search;
 * - `fitRestarts` (default 2): L-BFGS runs for the hyperparameters (from the best of several seeded starts);
 * - `maxObservations` (default 250): above it the model is fitted on the best half of that budget plus a seeded uniform
 *   sample of the other trials (fit cost is cubic in the count);
 * - `fantasy`: how running/waiting trials are treated so concurrent asks spread out: `'constant_liar'` (default; they are
 *   assumed to reach the current best value, which removes the improvement expected near them) or `'kriging_believer'`
 *   (they are assumed to reach the posterior mean). Hyperparameters are fitted on real observations only.
 *
 * History: `complete` trials and `pruned` ones (with their last reported value) are observations, `failed` ones are ignored,
 * `running`/`waiting` ones are fantasies; a NaN or infinitely bad value counts as the worst finite one; values with a heavy
 * bad tail are log-warped before standardising (details in `data.ts`).
 *
 * Inputs: ints and stepped floats are ordinal coordinates scored at their level centres; choices are one-hot blocks; the
 * coordinates of untaken branches are imputed with 0.5 (see `candidates.ts`). Never answers 'wait' or 'exhausted'.
 * @throws OptionsError (a TypeError) naming an unknown option key or a bad value.
 */
export function createGpSearcher(init: SearcherInit, options: SearcherOptions): Searcher {
  checkKnownOptions('gp', options, KNOWN);
  const { space, seed, direction } = init;
  const acquisition = enumOption(options, 'acquisition', ['logei', 'ucb'] as const, 'logei');
  const beta = betaOption(options, acquisition);
  const { d, initialTrials, candidates, restarts, fitRestarts, maxObservations, layout, design } = gpBase(init, options);
  const fantasy = enumOption(options, 'fantasy', ['constant_liar', 'kriging_believer'] as const, 'constant_liar');

  return {
    type: 'gp',
    suggest({ number, trials }): Suggestion {
      if (d === 0) return { kind: 'suggest', params: {} };
      const rng = seedrandom.alea(`${seed}/gp/${number}`);
      if (number < initialTrials) return design(number, rng);
      const data = collectData(trials, space, direction, maxObservations, rng);
      if (!data) return design(number, rng);
      const { x, y, n } = data;
      const params = fitHyperparameters(x, y, n, d, fitRestarts, rng);
      let post = new GpPosterior(x, y, n, d, params);
      let best = -Infinity;
      for (let i = 0; i < n; i++) best = Math.max(best, y[i]!);
      if (data.p > 0) {
        // Fantasies: pending points join the posterior (same hyperparameters) with an assumed value, which collapses the
        // variance there and so pushes the next candidate elsewhere.
        const lies = new Float64Array(data.p);
        if (fantasy === 'constant_liar') lies.fill(best);
        else post.predict(data.pending, data.p, lies, new Float64Array(data.p));
        const xa = new Float64Array((n + data.p) * d);
        xa.set(x);
        xa.set(data.pending, n * d);
        const ya = new Float64Array(n + data.p);
        ya.set(y);
        ya.set(lies, n);
        post = new GpPosterior(xa, ya, n + data.p, d, params, post.constantMean);
        // Believed values count as observations, incumbent included: otherwise a pending point whose mean beats the best
        // keeps an expected improvement of (mean - best) however small its variance, and the next ask lands on top of it.
        for (let i = 0; i < data.p; i++) best = Math.max(best, lies[i]!);
      }
      const acq: Acquisition = acquisition === 'ucb' ? ucbAcquisition(beta) : logEiAcquisition(best);
      // Perturbation centres: the best observations, best first.
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => y[b]! - y[a]! || a - b);
      const incumbents = order.slice(0, 5).map((i) => x.slice(i * d, i * d + d));
      const point = maximizeAcquisition(space, layout, post, acq, { candidates, restarts, rng, incumbents, taken: data.taken });
      canonicalize(space, layout, point, 0);
      return { kind: 'suggest', params: space.decode(point) };
    },
  };
}
