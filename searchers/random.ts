/**
 * Uniform random search. Trial n's point is drawn from a seedrandom stream keyed by (study seed, n), so the sequence depends only
 * on the seed and trial numbers: any concurrency, any interleaving of asks and tells, and a resumed run give the same params.
 */
import seedrandom from 'seedrandom';
import type { Searcher, SearcherInit } from './types.js';
import { checkKnownOptions, type SearcherOptions } from './options.js';

export function createRandomSearcher(init: SearcherInit, options: SearcherOptions): Searcher {
  checkKnownOptions('random', options, []);
  const point = new Float64Array(init.space.dims.length);
  return {
    type: 'random',
    ignoresResults: true,
    suggest({ number }) {
      // alea: a fast, well-mixed seedrandom generator; one short stream per trial number.
      const rng = seedrandom.alea(`${init.seed}/random/${number}`);
      for (let i = 0; i < point.length; i++) point[i] = rng();
      return { kind: 'suggest', params: init.space.decode(point) };
    },
  };
}
