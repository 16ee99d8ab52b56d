/**
 * Cleaning statistics as pure functions over numeric columns. Conventions shared by every function here:
 * - a column is an `ArrayLike<number>` over *all* rows, NaN marks a missing value;
 * - `rows` (optional) restricts fitting to those row indices: the pipeline in `tabular.ts` always passes the train rows, so
 *   no statistic is ever computed from val/test rows (no leakage);
 * - nothing is mutated: appliers return new arrays.
 * Categorical columns are stored as codes (index into the sorted category list), so `most_frequent` works on them too.
 */
import { OptionsError } from '../../src/core/errors.js';

/** How missing feature values are filled; 'drop' removes rows with any missing feature (in every split). */
export type ImputeStrategy = 'mean' | 'median' | 'most_frequent' | 'drop';

/** User-facing cleaning options of `loadTabular` / `prepareTabular`. */
export interface CleaningConfig {
  /** Default: 'median' for numeric columns, 'most_frequent' for categorical/boolean ones. mean/median apply to numeric
   * columns only; categorical/boolean columns always use most_frequent unless 'drop' is chosen. */
  readonly impute?: ImputeStrategy;
  /** Default { method: 'iqr', k: 1.5 }; removes outlier rows from the TRAIN split only. false: keep every row. */
  readonly outliers?: { readonly method: 'iqr'; readonly k?: number } | false;
  /** Default true: numeric columns get (x - mean) / std with mean/std fitted on the cleaned train split. */
  readonly standardize?: boolean;
}

/** `CleaningConfig` with defaults filled in (`impute: undefined` = per-kind default). */
export interface ResolvedCleaning {
  readonly impute: ImputeStrategy | undefined;
  readonly outliers: { readonly k: number } | false;
  readonly standardize: boolean;
}

/** Validates a `CleaningConfig` and fills in the defaults. Called once per `prepareTabular`. */
export function resolveCleaning(c: CleaningConfig = {}): ResolvedCleaning {
  const impute = c.impute;
  if (impute !== undefined && !['mean', 'median', 'most_frequent', 'drop'].includes(impute)) {
    throw new OptionsError(`\`clean.impute\` must be 'mean', 'median', 'most_frequent' or 'drop', got ${JSON.stringify(impute)}`);
  }
  let outliers: ResolvedCleaning['outliers'] = { k: 1.5 };
  if (c.outliers === false) outliers = false;
  else if (c.outliers !== undefined) {
    if (c.outliers.method !== 'iqr') {
      throw new OptionsError(`\`clean.outliers.method\` must be 'iqr' (or pass outliers: false), got ${JSON.stringify(c.outliers.method)}`);
    }
    const k = c.outliers.k ?? 1.5;
    if (!Number.isFinite(k) || k < 0) throw new OptionsError(`\`clean.outliers.k >= 0\` must hold, got k=${k}`);
    outliers = { k };
  }
  return { impute, outliers, standardize: c.standardize ?? true };
}

/** The non-missing values of `values` at `rows` (all rows when absent), in row order. */
export function observed(values: ArrayLike<number>, rows?: ArrayLike<number>): Float64Array {
  const n = rows ? rows.length : values.length;
  const out: number[] = [];
  for (let j = 0; j < n; j++) {
    const v = values[rows ? rows[j]! : j]!;
    if (!Number.isNaN(v)) out.push(v);
  }
  return Float64Array.from(out);
}

/** Quantile q in [0, 1] of ascending-sorted values by linear interpolation (numpy's default, "type 7"). NaN if empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * The fill value for one column: mean, median or most frequent of the observed values at `rows` (ties of most_frequent go to
 * the smallest value, i.e. the first category in sorted order). Returns NaN when no value is observed there; the caller turns
 * that into an error naming the column.
 */
export function fitImputer(values: ArrayLike<number>, strategy: Exclude<ImputeStrategy, 'drop'>, rows?: ArrayLike<number>): number {
  const v = observed(values, rows);
  if (v.length === 0) return Number.NaN;
  if (strategy === 'mean') return v.reduce((s, x) => s + x, 0) / v.length;
  if (strategy === 'median') return quantileSorted(v.sort(), 0.5);
  const counts = new Map<number, number>();
  for (const x of v) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best = Number.NaN;
  let bestCount = 0;
  for (const [x, c] of counts) {
    if (c > bestCount || (c === bestCount && x < best)) {
      best = x;
      bestCount = c;
    }
  }
  return best;
}

/** A copy of `values` with every NaN replaced by `fill`. */
export function imputeColumn(values: ArrayLike<number>, fill: number): Float64Array {
  return Float64Array.from(values, (v) => (Number.isNaN(v) ? fill : v));
}

/** IQR fences of one column: [q1 - k*iqr, q3 + k*iqr] from the observed values at `rows`. */
export interface IqrBounds {
  readonly q1: number;
  readonly q3: number;
  readonly low: number;
  readonly high: number;
}

/**
 * Fits IQR fences on the observed (non-missing) values at `rows`. Missing values are left out rather than counted as their
 * imputed median, which would shrink the IQR and flag more rows. All fields are NaN when nothing is observed.
 */
export function fitIqrBounds(values: ArrayLike<number>, k: number, rows?: ArrayLike<number>): IqrBounds {
  const v = observed(values, rows).sort();
  const q1 = quantileSorted(v, 0.25);
  const q3 = quantileSorted(v, 0.75);
  return { q1, q3, low: q1 - k * (q3 - q1), high: q3 + k * (q3 - q1) };
}

/**
 * Keep-mask for `rows` (all rows when absent): entry j is 1 unless some column's value at that row lies outside its bounds
 * (strictly below `low` or above `high`). Missing values (NaN) never flag a row. `columns[c]` pairs with `bounds[c]`.
 */
export function iqrMask(
  columns: readonly ArrayLike<number>[],
  bounds: readonly Pick<IqrBounds, 'low' | 'high'>[],
  rows?: ArrayLike<number>,
): Uint8Array {
  if (columns.length !== bounds.length)
    throw new OptionsError(`one bounds entry per column is required: ${columns.length} columns, ${bounds.length} bounds`);
  const n = rows ? rows.length : (columns[0]?.length ?? 0);
  const keep = new Uint8Array(n).fill(1);
  columns.forEach((col, c) => {
    const { low, high } = bounds[c]!;
    for (let j = 0; j < n; j++) {
      const v = col[rows ? rows[j]! : j]!;
      if (v < low || v > high) keep[j] = 0;
    }
  });
  return keep;
}

/** Mean and population standard deviation (divisor n) of one column. */
export interface Standardizer {
  readonly mean: number;
  readonly std: number;
}

/**
 * Fits mean and population std (so the fitted rows come out with std exactly 1) on the observed values at `rows`. A constant
 * column gets std 1 so it maps to all zeros instead of dividing by zero.
 */
export function fitStandardizer(values: ArrayLike<number>, rows?: ArrayLike<number>): Standardizer {
  const v = observed(values, rows);
  if (v.length === 0) return { mean: 0, std: 1 };
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const variance = v.reduce((s, x) => s + (x - mean) * (x - mean), 0) / v.length;
  const std = Math.sqrt(variance);
  return { mean, std: std > 1e-12 * Math.max(1, Math.abs(mean)) ? std : 1 };
}

/** (values - mean) / std as a new array. */
export function standardizeColumn(values: ArrayLike<number>, s: Standardizer): Float64Array {
  return Float64Array.from(values, (v) => (v - s.mean) / s.std);
}
