/**
 * The searcher registry. `createStudy` resolves its `searcher` option here; later algorithms (TPE, GP, Hyperband...) add
 * themselves with `registerSearcher`, so the controller never names an algorithm.
 */
import type { JsonValue } from '../src/core/types.js';
import { SearcherError } from '../src/core/errors.js';
import type { Searcher, SearcherFactory, SearcherInit } from './types.js';
import { createRandomSearcher } from './random.js';
import { createGridSearcher } from './grid.js';
import { createSobolSearcher } from './sobol/index.js';
import { createAshaSearcher, createBohbSearcher, createHyperbandSearcher } from './multifidelity/index.js';
import { createGpSearcher } from './gp/index.js';
import { createTpeSearcher } from './tpe/index.js';

export type { Searcher, SearcherFactory, SearcherInit, SuggestRequest, Suggestion } from './types.js';
export { createRandomSearcher } from './random.js';
export { createGridSearcher, gridSize } from './grid.js';
export { createSobolSearcher } from './sobol/index.js';
export { createHyperbandSearcher, createAshaSearcher, createBohbSearcher, hyperbandBrackets } from './multifidelity/index.js';
export type { HyperbandBracket } from './multifidelity/index.js';
export { createGpSearcher } from './gp/index.js';
export { createTpeSearcher, tpeOptions, type TpeOptions } from './tpe/index.js';
export { fitParzen, type ParzenEstimator, type ParzenOptions } from './tpe/parzen.js';

/** A searcher as `createStudy` takes it: a type name, or an object with `type` and that searcher's options. */
export type SearcherSpec = string | { readonly type: string; readonly [option: string]: JsonValue };

const registry = new Map<string, SearcherFactory>([
  ['random', createRandomSearcher],
  ['grid', createGridSearcher],
  ['sobol', createSobolSearcher],
  ['hyperband', createHyperbandSearcher],
  ['asha', createAshaSearcher],
  ['bohb', createBohbSearcher],
  ['gp', createGpSearcher],
  ['tpe', createTpeSearcher],
]);

/** Adds (or replaces) a searcher type. Called once at import time by each algorithm's module. */
export function registerSearcher(type: string, factory: SearcherFactory): void {
  if (typeof type !== 'string' || !/^[a-z][a-z0-9_-]*$/.test(type)) {
    throw new TypeError(`searcher type must match /^[a-z][a-z0-9_-]*$/, got ${JSON.stringify(type)}`);
  }
  registry.set(type, factory);
}

/** Registered searcher type names, sorted. */
export function searcherTypes(): string[] {
  return [...registry.keys()].sort();
}

/** Builds the searcher a spec names; unknown types and malformed specs get an error listing the known types. */
export function createSearcher(spec: SearcherSpec, init: SearcherInit): Searcher {
  const known = searcherTypes().join(', ');
  let type: string;
  let options: { [key: string]: JsonValue } = {};
  if (typeof spec === 'string') {
    type = spec;
  } else if (spec !== null && typeof spec === 'object' && !Array.isArray(spec) && typeof spec.type === 'string') {
    ({ type, ...options } = spec);
  } else {
    throw new SearcherError(`searcher must be a type name or { type, ...options }, got ${JSON.stringify(spec)}; known types: ${known}`);
  }
  const factory = registry.get(type);
  if (!factory) throw new SearcherError(`unknown searcher "${type}"; known types: ${known}`);
  return factory(init, options);
}
