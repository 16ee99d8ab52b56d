/**
 * The pruner registry: builds pruners from JSON specs in sweep files, e.g. `'median'`, `{ type: 'median', startupTrials: 5 }` or
 * `{ type: 'any', of: ['nan_guard', { type: 'exploding', maxNorm: 1e4 }] }`. Type names are snake_case; options have the same
 * names as in code (`median({ startupTrials })`). The built-in types are listed in the registry below; code outside this package
 * adds its own with `registerPruner` before building specs that name them.
 */
import type { JsonValue } from '../core/types.js';
import { OptionsError } from '../core/errors.js';
import type { Pruner } from './types.js';
import { CONTINUE } from './history.js';
import { all, any, type AnyOptions } from './compose.js';
import { diverging, exploding, nanGuard, overfitting, plateau, vanishing } from './diagnostic.js';
import type {
  DivergingOptions,
  ExplodingOptions,
  NanGuardOptions,
  OverfittingOptions,
  PlateauOptions,
  VanishingOptions,
} from './diagnostic.js';
import { median, patience, percentile, threshold } from './metric.js';
import type { MedianOptions, PatienceOptions, PercentileOptions, ThresholdOptions } from './metric.js';
import { describe, OptionReader } from './options.js';

/** A pruner as a sweep file gives it: a type name, or an object with `type` and that pruner's options. */
export type PrunerSpec = string | { readonly type: string; readonly [option: string]: JsonValue };

/** The one never-pruning pruner; the study recognises it and skips consulting it. */
export const NOP_PRUNER: Pruner = Object.freeze({ type: 'none', decide: () => CONTINUE });

/** The default: never prunes. */
export function nopPruner(): Pruner {
  return NOP_PRUNER;
}

/** Options of a spec (everything but `type`), as JSON. */
export type PrunerSpecOptions = { readonly [option: string]: JsonValue };

/**
 * Builds one pruner type from its JSON options. Must reject unknown options and bad values with an `OptionsError` (a TypeError)
 * naming them; `OptionReader` (src/pruners/options.ts) does that. Called by `createPruner` for every spec of that type.
 */
export type PrunerFactory = (options: PrunerSpecOptions) => Pruner;

/** Unwraps spec options into a factory's typed options; the factory validates them at run time. */
function as<T>(o: object): T {
  return o as unknown as T;
}

/** Runs `build` and prefixes any options error with where in the spec it happened (e.g. `of[1]`). */
function within<T>(where: string, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof OptionsError) throw new OptionsError(`in ${where}: ${e.message}`);
    throw e;
  }
}

function specList(type: string, o: PrunerSpecOptions): Pruner[] {
  const of = o['of'];
  if (!Array.isArray(of) || of.length === 0) {
    throw new OptionsError(
      `pruner "${type}" needs \`of\`: a non-empty array of pruner specs, e.g. { type: '${type}', of: ['nan_guard', 'median'] }; got ${describe(of)}`,
    );
  }
  return of.map((s, i) => within(`of[${i}]`, () => createPruner(s as PrunerSpec)));
}

const registry = new Map<string, PrunerFactory>([
  ['none', (o) => (new OptionReader('none', o, []), nopPruner())],
  ['median', (o) => median(as<MedianOptions>(o))],
  ['percentile', (o) => percentile(as<PercentileOptions>(o))],
  ['threshold', (o) => threshold(as<ThresholdOptions>(o))],
  [
    'patience',
    ({ wrapped, ...rest }) =>
      patience(
        as<PatienceOptions>(
          wrapped === undefined ? rest : { ...rest, wrapped: within('wrapped', () => createPruner(wrapped as PrunerSpec)) },
        ),
      ),
  ],
  ['nan_guard', (o) => nanGuard(as<NanGuardOptions>(o))],
  ['exploding', (o) => exploding(as<ExplodingOptions>(o))],
  ['vanishing', (o) => vanishing(as<VanishingOptions>(o))],
  ['diverging', (o) => diverging(as<DivergingOptions>(o))],
  ['overfitting', (o) => overfitting(as<OverfittingOptions>(o))],
  ['plateau', (o) => plateau(as<PlateauOptions>(o))],
  [
    'any',
    (o) => {
      new OptionReader('any', o, ['of', 'reasons']);
      const { of: _of, ...rest } = o;
      return any(specList('any', o), as<AnyOptions>(rest));
    },
  ],
  [
    'all',
    (o) => {
      new OptionReader('all', o, ['of']);
      return all(specList('all', o));
    },
  ],
]);

/** Adds (or replaces) a pruner type, e.g. a user's own pruner before `createPruner` reads a sweep file naming it. */
export function registerPruner(type: string, factory: PrunerFactory): void {
  if (typeof type !== 'string' || !/^[a-z][a-z0-9_-]*$/.test(type)) {
    throw new OptionsError(`pruner type must match /^[a-z][a-z0-9_-]*$/, got ${JSON.stringify(type)}`);
  }
  if (typeof factory !== 'function')
    throw new OptionsError(`registerPruner("${type}", factory): factory must be a function (options) => Pruner`);
  registry.set(type, factory);
}

/** Registered pruner type names, sorted. */
export function prunerTypes(): string[] {
  return [...registry.keys()].sort();
}

/**
 * Builds the pruner a spec names; a Pruner object is returned as is (so callers can accept either). Unknown types, unknown
 * options and malformed specs are `OptionsError`s (TypeErrors) naming them and listing the known ones. Called when a study is
 * created from a sweep file; the result is stateless, so building it again after a restart gives the same decisions.
 */
export function createPruner(spec: PrunerSpec | Pruner): Pruner {
  const known = prunerTypes().join(', ');
  if (spec !== null && typeof spec === 'object' && typeof (spec as Partial<Pruner>).decide === 'function') return spec as Pruner;
  let type: string;
  let options: PrunerSpecOptions = {};
  if (typeof spec === 'string') {
    type = spec;
  } else if (spec !== null && typeof spec === 'object' && !Array.isArray(spec) && typeof spec.type === 'string') {
    ({ type, ...options } = spec as { readonly type: string; readonly [option: string]: JsonValue });
  } else {
    throw new OptionsError(`a pruner spec must be a type name or { type, ...options }, got ${describe(spec)}; known types: ${known}`);
  }
  const factory = registry.get(type);
  if (!factory) throw new OptionsError(`unknown pruner "${type}"; known types: ${known}`);
  return factory(options);
}
