/**
 * The `nsga2` searcher: NSGA-II (Deb et al. 2002) for one or several objectives, with Optuna's constrained domination, on the
 * unit cube of the search space.
 *
 * Generations without state: trial k belongs to generation g = floor(k / populationSize). Generation 0 is the scrambled Sobol
 * sequence (point k, as the sobol searcher). For g >= 1 the parent population is the elitist survivors (constrained
 * non-dominated rank, then crowding distance) among the complete trials numbered below g * populationSize, i.e. (mu + lambda)
 * survival over every earlier generation; the child for trial k is made from two crowded-tournament winners by crossover and
 * mutation, all drawn from `seedrandom.alea(`${seed}/nsga2/${k}`)`. So a suggestion is a function of (seed, k, the stored
 * trials), and a study rebuilt from storage proposes what the uninterrupted one would have. Trials of the earlier generations
 * that are still running are simply not parents yet (they count once finished).
 */
import seedrandom from 'seedrandom';
import { OptionsError } from '../../src/core/errors.js';
import type { Searcher, SearcherInit } from '../types.js';
import { checkKnownOptions, intOption, type SearcherOptions } from '../options.js';
import { scoredTrials, studyDirections } from '../objectives.js';
import { SOBOL_MAX_DIM, SobolSequence } from '../sobol/sequence.js';
import { eliteSelect, tournament } from './selection.js';
import { makeChild, variables, type VariationOptions } from './variation.js';

export { eliteSelect, tournament, type Member } from './selection.js';
export { makeChild, polynomialMutation, sbx, variables, type VariationOptions } from './variation.js';

/** Resolved options of the `nsga2` searcher. */
export interface Nsga2Options extends VariationOptions {
  readonly populationSize: number;
}

const KNOWN = ['populationSize', 'crossover', 'crossoverProb', 'swappingProb', 'crossoverEta', 'mutation', 'mutationProb', 'mutationEta'];

function probability(options: SearcherOptions, key: string, fallback: number): number {
  const v = options[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
    throw new OptionsError(`option "${key}" of searcher "nsga2" must be a probability in [0, 1], got ${JSON.stringify(v)}`);
  }
  return v;
}

function positive(options: SearcherOptions, key: string, fallback: number): number {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new OptionsError(`option "${key}" of searcher "nsga2" must be a finite number > 0, got ${JSON.stringify(v)}`);
  }
  return v;
}

function choice<T extends string>(options: SearcherOptions, key: string, values: readonly T[], fallback: T): T {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw new OptionsError(
      `option "${key}" of searcher "nsga2" must be one of ${values.map((x) => `"${x}"`).join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
  return v as T;
}

/** Validates the options (unknown keys and bad values are OptionsErrors naming the key) and fills in the defaults. */
export function nsga2Options(options: SearcherOptions, variableCount: number): Nsga2Options {
  checkKnownOptions('nsga2', options, KNOWN);
  return {
    populationSize: intOption('nsga2', options, 'populationSize', 20, 2, 100_000),
    crossover: choice(options, 'crossover', ['sbx', 'uniform'] as const, 'sbx'),
    crossoverProb: probability(options, 'crossoverProb', 0.9),
    swappingProb: probability(options, 'swappingProb', 0.5),
    crossoverEta: positive(options, 'crossoverEta', 15),
    mutation: choice(options, 'mutation', ['polynomial', 'uniform'] as const, 'polynomial'),
    mutationProb: probability(options, 'mutationProb', 1 / Math.max(1, variableCount)),
    mutationEta: positive(options, 'mutationEta', 20),
  };
}

/**
 * Builds the `nsga2` searcher (`searcher: 'nsga2'` or `{ type: 'nsga2', ...options }`). Works for one objective too (then it
 * is a plain elitist genetic algorithm).
 *
 * Options:
 * - `populationSize` (20; Optuna's default is 50): children per generation and survivors kept as parents. Smaller
 *   generations start selecting sooner, which is what a budget of 50-200 trials needs (see bench/multiobjective.ts);
 * - `crossover` ('sbx'; Optuna's default is 'uniform'): simulated binary crossover (`crossoverEta`, 15) blends numeric
 *   variables, each with probability `swappingProb`; 'uniform' swaps whole variables with probability `swappingProb` (0.5);
 * - `crossoverProb` (0.9): share of children made by crossover (the others are mutated copies of one parent);
 * - `mutation` ('polynomial'; Optuna's is a uniform redraw, 'uniform'), `mutationProb` (1 / number of variables, a choice
 *   counting once), `mutationEta` (20).
 * @throws OptionsError (a TypeError) naming an unknown key or a bad value.
 */
export function createNsga2Searcher(init: SearcherInit, options: SearcherOptions): Searcher {
  const dims = init.space.dims;
  const D = dims.length;
  const vars = variables(dims);
  const o = nsga2Options(options, vars.length);
  const directions = studyDirections(init);
  const constrained = init.constraints === true;
  const sobol = D > 0 && D <= SOBOL_MAX_DIM ? new SobolSequence(D, { seed: init.seed, scramble: true }) : undefined;
  const rows = new WeakMap<object, Float64Array | null>();
  const encode = (params: object): Float64Array | undefined => {
    let r = rows.get(params);
    if (r === undefined) {
      try {
        r = Float64Array.from(init.space.encode(params as never));
      } catch {
        r = null; // params of another space: not a parent
      }
      rows.set(params, r);
    }
    return r ?? undefined;
  };

  return {
    type: 'nsga2',
    suggest({ number, trials }) {
      if (D === 0) return { kind: 'suggest', params: {} };
      const rng = seedrandom.alea(`${init.seed}/nsga2/${number}`);
      const generation = Math.floor(number / o.populationSize);
      const start = (): Float64Array => (sobol ? sobol.point(number) : Float64Array.from({ length: D }, () => rng()));
      if (generation === 0) return { kind: 'suggest', params: init.space.decode(start()) };
      const bound = generation * o.populationSize;
      const pool = scoredTrials(trials, directions, constrained).filter((s) => s.trial.number < bound);
      const parents: Float64Array[] = [];
      const losses: number[][] = [];
      const violations: number[] = [];
      for (const s of pool) {
        const row = encode(s.trial.params);
        if (!row) continue;
        parents.push(row);
        losses.push([...s.loss]);
        violations.push(s.violation);
      }
      if (parents.length < 2) return { kind: 'suggest', params: init.space.decode(start()) };
      const population = eliteSelect(losses, violations, o.populationSize);
      const a = tournament(population, rng);
      let b = tournament(population, rng);
      // A second draw when the tournament returned the same parent: crossover of a point with itself is only mutation.
      if (b.index === a.index) b = tournament(population, rng);
      const child = new Float64Array(D);
      makeChild(parents[a.index]!, parents[b.index]!, vars, o, rng, child);
      return { kind: 'suggest', params: init.space.decode(child) };
    },
  };
}
