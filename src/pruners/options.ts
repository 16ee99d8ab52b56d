/**
 * Option checking shared by every pruner factory. The same checks run for options given in code (`median({ ... })`) and in a
 * sweep file (`createPruner({ type: 'median', ... })`), so a typo fails the same way in both: an `OptionsError` (a TypeError)
 * naming the pruner and the option, and listing the known options.
 */
import { OptionsError } from '../core/errors.js';

/** Options as a factory receives them: plain JSON values for sweep files, or what TS callers pass. */
export type PrunerOptions = { readonly [key: string]: unknown };

/**
 * Reads one pruner's options. Built by each pruner factory before it builds the pruner, so bad options fail at construction,
 * never in the middle of a sweep. Unknown keys are rejected up front (listing `known`).
 */
export class OptionReader {
  readonly #pruner: string;
  readonly #options: PrunerOptions;

  constructor(pruner: string, options: unknown, known: readonly string[]) {
    this.#pruner = pruner;
    if (options === undefined) options = {};
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new OptionsError(`options of pruner "${pruner}" must be an object, got ${describe(options)}`);
    }
    this.#options = options as PrunerOptions;
    for (const key of Object.keys(this.#options)) {
      if (this.#options[key] === undefined) continue; // `{ lower: undefined }` from spread TS options means "not given"
      if (!known.includes(key)) {
        throw new OptionsError(
          `unknown option "${key}" for pruner "${pruner}"; ` +
            (known.length ? `known options: ${known.join(', ')}` : 'it takes no options'),
        );
      }
    }
  }

  /** The raw value of `key` (undefined when absent). */
  raw(key: string): unknown {
    return this.#options[key];
  }

  /** An integer option within [min, max]. */
  int(key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.#options[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw this.error(key, `an integer in [${min}, ${max}]`, v);
    }
    return v;
  }

  /** A finite number option within [min, max] (`positive` also excludes 0). */
  num(key: string, fallback: number, range: { min?: number; max?: number; positive?: boolean } = {}): number {
    const v = this.optNum(key, range);
    return v === undefined ? fallback : v;
  }

  /** An optional finite number option; undefined when absent. */
  optNum(key: string, range: { min?: number; max?: number; positive?: boolean } = {}): number | undefined {
    const v = this.#options[key];
    if (v === undefined) return undefined;
    const { min = -Infinity, max = Infinity, positive = false } = range;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (positive && v <= 0)) {
      const what = positive ? `a finite number > 0${max < Infinity ? ` and <= ${max}` : ''}` : `a finite number in [${min}, ${max}]`;
      throw this.error(key, what, v);
    }
    return v;
  }

  /** A boolean option. */
  bool(key: string, fallback: boolean): boolean {
    const v = this.#options[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw this.error(key, 'a boolean', v);
    return v;
  }

  /** A non-empty string option (a metric name). */
  str(key: string, fallback: string): string {
    const v = this.#options[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || v.length === 0) throw this.error(key, 'a non-empty string (a metric name)', v);
    return v;
  }

  /** A list of non-empty strings (metric names). */
  strList(key: string, fallback: readonly string[]): readonly string[] {
    const v = this.#options[key];
    if (v === undefined) return fallback;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.length > 0)) {
      throw this.error(key, 'an array of non-empty strings (metric names)', v);
    }
    return Object.freeze([...(v as string[])]);
  }

  /** One of the listed string values. */
  oneOf<T extends string>(key: string, fallback: T, values: readonly T[]): T {
    const v = this.#options[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      throw this.error(key, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v);
    }
    return v as T;
  }

  /** An error about option `key` of this pruner. */
  error(key: string, expected: string, got: unknown): OptionsError {
    return new OptionsError(`option "${key}" of pruner "${this.#pruner}" must be ${expected}, got ${describe(got)}`);
  }
}

/** A short, safe rendering of an arbitrary value for error messages. */
export function describe(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v === 'function') return 'a function';
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return typeof v;
  }
}
