/**
 * Quasi-random search: trial n gets point n of a seeded, scrambled Sobol sequence, decoded through the search space's unit-cube
 * transform. Points fill the cube more evenly than independent uniform draws (any 2^m consecutive trials from 0 put exactly one
 * point in each of 2^m equal slices of every coordinate), which matters most for short budgets.
 *
 * The suggestion is a pure function of (seed, scramble, trial number): no history is read, so any concurrency, any ask/tell
 * interleaving and a resumed study all give the same params, and there is nothing to store.
 */
import type { Searcher, SearcherInit } from '../types.js';
import { boolOption, checkKnownOptions, type SearcherOptions } from '../options.js';
import { SOBOL_MAX_DIM, SobolSequence } from './sequence.js';

export { SOBOL_MAX_DIM, SOBOL_MAX_INDEX, SobolSequence, type SobolOptions } from './sequence.js';

/**
 * Builds the `sobol` searcher; called by the searcher registry when a study names `searcher: 'sobol'` (or `{ type: 'sobol', ... }`).
 *
 * Options: `scramble` (boolean, default true): LMS + digital-shift scrambling seeded from `init.seed`; with `false` every study
 * gets the same plain Sobol points whatever its seed, starting at the origin (the corner of the space).
 *
 * Never answers 'wait' or 'exhausted'. A space with no coordinates always gets `{}`.
 * @throws OptionsError (a TypeError) naming an unknown option key or a non-boolean `scramble`; RangeError naming the limit when
 * the space has more than SOBOL_MAX_DIM unit-cube coordinates.
 */
export function createSobolSearcher(init: SearcherInit, options: SearcherOptions): Searcher {
  checkKnownOptions('sobol', options, ['scramble']);
  const scramble = boolOption('sobol', options, 'scramble', true);
  const dims = init.space.dims.length;
  if (dims > SOBOL_MAX_DIM) {
    throw new RangeError(
      `the sobol searcher supports at most ${SOBOL_MAX_DIM} unit-cube coordinates (the Joe-Kuo direction table shipped), but ` +
        `this search space has ${dims} (one-hot choices take one per value); use searcher "random" or shrink the large choices`,
    );
  }
  // Built once: the scramble is drawn in the constructor, after that every point is a pure function of its index.
  const sequence = dims > 0 ? new SobolSequence(dims, { seed: init.seed, scramble }) : undefined;
  return {
    type: 'sobol',
    ignoresResults: true,
    suggest({ number }) {
      if (!sequence) return { kind: 'suggest', params: {} };
      return { kind: 'suggest', params: init.space.decode(sequence.point(number)) };
    },
  };
}
