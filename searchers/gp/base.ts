/**
 * What the single-objective GP (index.ts) and the multi-objective / constrained GP (ehvi.ts) share: the options of the fit
 * and the candidate search, the cube layout, and the space-filling design of the first trials.
 */
import type { SearcherInit, Suggestion } from '../types.js';
import { intOption, type SearcherOptions } from '../options.js';
import { SOBOL_MAX_DIM, SobolSequence } from '../sobol/index.js';
import { cubeLayout, type CubeLayout } from './candidates.js';

/** The shared settings of a GP searcher (option names as in `searcher: { type: 'gp', ... }`). */
export interface GpBase {
  /** Dimension of the unit cube. */
  readonly d: number;
  readonly initialTrials: number;
  readonly candidates: number;
  readonly restarts: number;
  readonly fitRestarts: number;
  readonly maxObservations: number;
  readonly layout: CubeLayout;
  /** The space-filling design: Sobol point n (random when the space is too large for the Sobol table). */
  readonly design: (number: number, rng: () => number) => Suggestion;
}

/** Reads the shared options (OptionsError naming a bad one) and builds the design. */
export function gpBase(init: SearcherInit, options: SearcherOptions): GpBase {
  const { space, seed } = init;
  const d = space.dims.length;
  const sobol = d > 0 && d <= SOBOL_MAX_DIM ? new SobolSequence(d, { seed, scramble: true }) : undefined;
  return {
    d,
    initialTrials: intOption('gp', options, 'initialTrials', Math.max(5, Math.min(d + 1, 20)), 1),
    candidates: intOption('gp', options, 'candidates', 1024, 1, 1_000_000),
    restarts: intOption('gp', options, 'restarts', 5, 1, 1000),
    fitRestarts: intOption('gp', options, 'fitRestarts', 2, 1, 1000),
    maxObservations: intOption('gp', options, 'maxObservations', 250, 4, 100_000),
    layout: cubeLayout(space),
    design: (number, rng) => ({
      kind: 'suggest',
      params: space.decode(sobol ? sobol.point(number) : Float64Array.from({ length: d }, () => rng())),
    }),
  };
}
