/**
 * The searcher registry. `createStudy` resolves its `searcher` option here, so the controller never names an algorithm. The
 * built-in types are listed in the table below; user code adds its own with `registerSearcher`.
 */
import type { JsonValue } from '../src/core/types.js';
import { OptionsError, SearcherError } from '../src/core/errors.js';
import type { Searcher, SearcherCapabilities, SearcherFactory, SearcherInit } from './types.js';
import { createRandomSearcher } from './random.js';
import { createGridSearcher } from './grid.js';
import { createSobolSearcher } from './sobol/index.js';
import { createAshaSearcher, createBohbSearcher, createHyperbandSearcher } from './multifidelity/index.js';
import { createGpSearcher } from './gp/index.js';
import { createTpeSearcher } from './tpe/index.js';
import { createMultiTpeSearcher } from './tpe/multi.js';
import { createGpEhviSearcher } from './gp/ehvi.js';
import { createNsga2Searcher } from './nsga2/index.js';

export type { Searcher, SearcherCapabilities, SearcherFactory, SearcherInit, SuggestRequest, Suggestion } from './types.js';
export { createNsga2Searcher, nsga2Options, type Nsga2Options } from './nsga2/index.js';
export { createMultiTpeSearcher } from './tpe/multi.js';
export { paretoRanking, scoredTrials, studyDirections, trialValues, violation, type ParetoPlace } from './objectives.js';
export { createGpEhviSearcher } from './gp/ehvi.js';
export {
  constrainedLossRanks,
  crowdingDistance,
  dominates,
  hypervolume,
  hypervolumeContributions,
  nondominatedRanks,
  paretoFront,
  type ObjectivePoint,
} from './pareto.js';
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

/** Whether a study needs the multi-objective / constrained variant of a searcher. */
const needsMulti = (init: SearcherInit): boolean => (init.directions?.length ?? 1) > 1 || init.constraints === true;

/**
 * `tpe` and `gp` keep their single-objective implementations untouched for plain studies and switch to MOTPE / GP-EHVI when
 * the study has several objectives or constraints.
 */
const tpeFactory: SearcherFactory = (init, options) =>
  needsMulti(init) ? createMultiTpeSearcher(init, options) : createTpeSearcher(init, options);
const gpFactory: SearcherFactory = (init, options) =>
  needsMulti(init) ? createGpEhviSearcher(init, options) : createGpSearcher(init, options);

const MO: SearcherCapabilities = { multiObjective: true };
const MO_CONSTRAINED: SearcherCapabilities = { multiObjective: true, constraints: true };
const registry = new Map<string, { factory: SearcherFactory; capabilities: SearcherCapabilities }>([
  ['random', { factory: createRandomSearcher, capabilities: MO }],
  ['grid', { factory: createGridSearcher, capabilities: MO }],
  ['sobol', { factory: createSobolSearcher, capabilities: MO }],
  ['hyperband', { factory: createHyperbandSearcher, capabilities: {} }],
  ['asha', { factory: createAshaSearcher, capabilities: {} }],
  ['bohb', { factory: createBohbSearcher, capabilities: {} }],
  ['gp', { factory: gpFactory, capabilities: MO_CONSTRAINED }],
  ['tpe', { factory: tpeFactory, capabilities: MO_CONSTRAINED }],
  ['nsga2', { factory: createNsga2Searcher, capabilities: MO_CONSTRAINED }],
]);

/**
 * Adds (or replaces) a searcher type, for user-written algorithms (the built-in ones are in the table above). `capabilities`
 * declares what it handles (default: one objective, constraints ignored).
 */
export function registerSearcher(type: string, factory: SearcherFactory, capabilities: SearcherCapabilities = {}): void {
  if (typeof type !== 'string' || !/^[a-z][a-z0-9_-]*$/.test(type)) {
    throw new TypeError(`searcher type must match /^[a-z][a-z0-9_-]*$/, got ${JSON.stringify(type)}`);
  }
  registry.set(type, { factory, capabilities });
}

/** What a registered searcher type declares it handles; undefined for an unknown type. */
export function searcherCapabilities(type: string): SearcherCapabilities | undefined {
  return registry.get(type)?.capabilities;
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
  const entry = registry.get(type);
  if (!entry) throw new SearcherError(`unknown searcher "${type}"; known types: ${known}`);
  const m = init.directions?.length ?? 1;
  if (m > 1 && !entry.capabilities.multiObjective) {
    const ok = searcherTypes().filter((t) => registry.get(t)!.capabilities.multiObjective);
    throw new OptionsError(
      `searcher '${type}' optimises one objective; this study has ${m} (directions ${JSON.stringify(init.directions)}); ` +
        `use ${ok.map((t) => `'${t}'`).join(', ')}`,
    );
  }
  if (init.directions && m >= 1 && init.directions[0] !== init.direction) {
    throw new OptionsError(
      `\`direction === directions[0]\` must hold (direction is the first objective's), got direction=${init.direction}, directions=${JSON.stringify(init.directions)}`,
    );
  }
  return entry.factory(init, options);
}
