/**
 * Typed columns: turns the raw cells of one column (from CSV strings or JSON values) into a numeric array with NaN for
 * missing values, after inferring whether the column is numeric, boolean or categorical. Type inference looks at every row:
 * it decides the schema, not a statistic, so it is not leakage (the fitted statistics in `clean.ts` use train rows only).
 */
import { dataErrors } from './errors.js';

/** How a column is encoded: numeric as is, boolean as 0/1, categorical as codes into `categories`. */
export type ColumnKind = 'numeric' | 'boolean' | 'categorical';

/** String cells (after trimming) that mean "missing", besides null, undefined and a NaN number. */
export const MISSING_TOKENS: readonly string[] = ['', 'NA', 'NaN', '.'];

/** Share of numeric-looking values at or above which a column is numeric and any other string in it is an error. */
export const NUMERIC_SHARE = 0.9;

/** One encoded column over all rows. */
export interface EncodedColumn {
  readonly name: string;
  readonly kind: ColumnKind;
  /** numeric: the value; boolean: 0/1; categorical: index into `categories`. NaN = missing. */
  readonly values: Float64Array;
  /** categorical: distinct values in sorted order; boolean: ['false', 'true']; numeric: absent. */
  readonly categories?: readonly string[];
  /** Number of missing cells. */
  readonly missing: number;
  /** numeric only: every observed value is an integer. */
  readonly integer: boolean;
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY_RE = /^[+-]?(infinity|inf)$/i;
const BOOL_RE = /^(true|false)$/i;

/** True for null, undefined, a NaN number, or a string that trims to one of `MISSING_TOKENS`. */
export function isMissing(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v);
  return typeof v === 'string' && MISSING_TOKENS.includes(v.trim());
}

type CellClass = 'missing' | 'num' | 'nonfinite' | 'bool' | 'str';

function classify(v: unknown, column: string, row: number, what: string): CellClass {
  if (isMissing(v)) return 'missing';
  if (typeof v === 'number') return Number.isFinite(v) ? 'num' : 'nonfinite';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') {
    const s = v.trim();
    if (NUMBER_RE.test(s)) return Number.isFinite(Number(s)) ? 'num' : 'nonfinite'; // "1e999" overflows to Infinity
    if (INFINITY_RE.test(s)) return 'nonfinite';
    if (BOOL_RE.test(s)) return 'bool';
    return 'str';
  }
  if (typeof v === 'bigint') return 'num';
  throw dataErrors.badValue(what, column, row, v);
}

/**
 * Encodes one column. `cells[i]` is the value of data row i + 1. Inference over the non-missing cells:
 * - numeric when at least `NUMERIC_SHARE` of them are numbers (numbers or numeric strings); then a string/boolean cell is a
 *   DataError naming the column, row and value, and so is a non-finite number (Infinity, "1e999");
 * - boolean when all are booleans or "true"/"false" (any case);
 * - categorical otherwise (values are trimmed strings; numbers in such a column become their decimal text).
 * An all-missing column is numeric with every value NaN (the caller decides whether that is an error).
 * Called by `prepareTabular` for the target and every feature.
 */
export function encodeColumn(name: string, cells: readonly unknown[], what = 'the records'): EncodedColumn {
  const classes = cells.map((v, i) => classify(v, name, i + 1, what));
  let nonMissing = 0;
  let numLike = 0;
  let bools = 0;
  for (const c of classes) {
    if (c === 'missing') continue;
    nonMissing++;
    if (c === 'num' || c === 'nonfinite') numLike++;
    else if (c === 'bool') bools++;
  }
  const missing = cells.length - nonMissing;
  const values = new Float64Array(cells.length).fill(Number.NaN);
  if (nonMissing === 0 || numLike / nonMissing >= NUMERIC_SHARE) {
    let integer = true;
    classes.forEach((c, i) => {
      const v = cells[i];
      if (c === 'missing') return;
      if (c === 'str' || c === 'bool') throw dataErrors.nonNumeric(what, name, i + 1, v, numLike / nonMissing);
      if (c === 'nonfinite') throw dataErrors.nonFinite(what, name, i + 1, v);
      const x = Number(typeof v === 'string' ? v.trim() : v);
      values[i] = x;
      if (!Number.isInteger(x)) integer = false;
    });
    return { name, kind: 'numeric', values, missing, integer };
  }
  if (bools === nonMissing) {
    classes.forEach((c, i) => {
      if (c === 'missing') return;
      const v = cells[i];
      values[i] = v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true') ? 1 : 0;
    });
    return { name, kind: 'boolean', values, categories: ['false', 'true'], missing, integer: true };
  }
  const text = cells.map((v, i) => (classes[i] === 'missing' ? undefined : String(v).trim()));
  const categories = [...new Set(text.filter((t): t is string => t !== undefined))].sort();
  const code = new Map(categories.map((c, k) => [c, k]));
  text.forEach((t, i) => {
    if (t !== undefined) values[i] = code.get(t)!;
  });
  return { name, kind: 'categorical', values, categories, missing, integer: true };
}
