/** Option checking shared by every searcher factory: unknown keys and wrong types are `TypeError`s naming the key. */
import type { JsonValue } from '../src/core/types.js';
import { OptionsError } from '../src/core/errors.js';

export type SearcherOptions = { readonly [key: string]: JsonValue };

/** Throws if `options` has a key not in `known` (listing the known ones). */
export function checkKnownOptions(searcher: string, options: SearcherOptions, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new OptionsError(
        `unknown option "${key}" for searcher "${searcher}"; ` +
          (known.length ? `known options: ${known.join(', ')}` : 'it takes no options'),
      );
    }
  }
}

/** Reads an optional boolean option. */
export function boolOption(searcher: string, options: SearcherOptions, key: string, fallback: boolean): boolean {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean')
    throw new OptionsError(`option "${key}" of searcher "${searcher}" must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** Reads an optional integer option within [min, max]. */
export function intOption(
  searcher: string,
  options: SearcherOptions,
  key: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new OptionsError(`option "${key}" of searcher "${searcher}" must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}
