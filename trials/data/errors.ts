/**
 * Every error the data loaders throw on purpose is made here, so the messages stay consistent: each names the column, the
 * 1-based data row (the first record after a CSV header is row 1) or the file, and says how to fix it. Callers match on
 * `code` (or the class), never on message text. Bad *options* (fractions out of range, k < 2...) are `OptionsError`s from
 * `src/core/errors.ts` instead: those are programming mistakes, not bad data.
 */
import { TunekitError } from '../../src/core/errors.js';

/** Stable machine-readable codes of `DataError`. */
export type DataErrorCode =
  | 'ERR_TUNEKIT_DATA_NO_ROWS'
  | 'ERR_TUNEKIT_DATA_NO_TARGET'
  | 'ERR_TUNEKIT_DATA_UNKNOWN_COLUMN'
  | 'ERR_TUNEKIT_DATA_DUPLICATE_COLUMN'
  | 'ERR_TUNEKIT_DATA_NO_FEATURES'
  | 'ERR_TUNEKIT_DATA_ONE_CLASS'
  | 'ERR_TUNEKIT_DATA_TARGET_TYPE'
  | 'ERR_TUNEKIT_DATA_NON_NUMERIC'
  | 'ERR_TUNEKIT_DATA_NON_FINITE'
  | 'ERR_TUNEKIT_DATA_BAD_VALUE'
  | 'ERR_TUNEKIT_DATA_ALL_MISSING'
  | 'ERR_TUNEKIT_DATA_RAGGED_ROW'
  | 'ERR_TUNEKIT_DATA_BAD_CSV'
  | 'ERR_TUNEKIT_DATA_BAD_JSON'
  | 'ERR_TUNEKIT_DATA_MISSING_FILE'
  | 'ERR_TUNEKIT_DATA_UNREADABLE'
  | 'ERR_TUNEKIT_DATA_UNKNOWN_EXTENSION'
  | 'ERR_TUNEKIT_DATA_EMPTY_SPLIT';

/** Bad input data. `column` / `row` (1-based data row) are set when the problem sits in one place. */
export class DataError extends TunekitError {
  declare readonly code: DataErrorCode;
  readonly column?: string;
  readonly row?: number;
  constructor(code: DataErrorCode, message: string, where: { column?: string; row?: number } = {}) {
    super(code, message);
    if (where.column !== undefined) this.column = where.column;
    if (where.row !== undefined) this.row = where.row;
  }
}

const q = (s: string): string => JSON.stringify(s);
const list = (names: readonly string[]): string => names.map(q).join(', ');
const show = (v: unknown): string => (typeof v === 'string' ? q(v) : String(v));

/** Factories, one per failure. `what` names the source (file path or "records") in every message. */
export const dataErrors = {
  noRows: (what: string) =>
    new DataError('ERR_TUNEKIT_DATA_NO_ROWS', `${what} holds no data rows; at least one record (after the header) is required`),

  noTargetValues: (what: string, target: string) =>
    new DataError(
      'ERR_TUNEKIT_DATA_NO_ROWS',
      `every row of ${what} has a missing target ${q(target)}, so no rows are left; fill in the target or choose another column`,
      { column: target },
    ),

  noTarget: (what: string, target: string, columns: readonly string[]) =>
    new DataError(
      'ERR_TUNEKIT_DATA_NO_TARGET',
      `target column ${q(target)} is not in ${what}; its columns are: ${list(columns)}. Pass one of them as \`target\``,
      { column: target },
    ),

  unknownFeature: (what: string, feature: string, columns: readonly string[]) =>
    new DataError(
      'ERR_TUNEKIT_DATA_UNKNOWN_COLUMN',
      `feature ${q(feature)} is not a column of ${what}; its columns are: ${list(columns)}. Fix \`features\``,
      { column: feature },
    ),

  targetAsFeature: (what: string, target: string) =>
    new DataError(
      'ERR_TUNEKIT_DATA_UNKNOWN_COLUMN',
      `${q(target)} is the target of ${what}, so it cannot also be in \`features\` (that would leak the label); remove it from \`features\``,
      { column: target },
    ),

  duplicateColumn: (what: string, column: string) =>
    new DataError(
      'ERR_TUNEKIT_DATA_DUPLICATE_COLUMN',
      `column ${q(column)} appears twice in the header of ${what}; column names must be unique, rename one of them`,
      { column },
    ),

  noFeatures: (what: string, target: string) =>
    new DataError(
      'ERR_TUNEKIT_DATA_NO_FEATURES',
      `${what} has no feature columns besides the target ${q(target)}; at least one feature is required`,
    ),

  oneClass: (what: string, target: string, value: string) =>
    new DataError(
      'ERR_TUNEKIT_DATA_ONE_CLASS',
      `classification target ${q(target)} of ${what} has a single class (${q(value)}) after dropping missing targets; ` +
        `at least 2 classes are required: choose another target or add rows of other classes`,
      { column: target },
    ),

  targetType: (what: string, target: string, kind: string) =>
    new DataError(
      'ERR_TUNEKIT_DATA_TARGET_TYPE',
      `regression needs a numeric target, but ${q(target)} of ${what} is ${kind}; use task: 'classification' or another target`,
      { column: target },
    ),

  nonNumeric: (what: string, column: string, row: number, value: unknown, share: number) =>
    new DataError(
      'ERR_TUNEKIT_DATA_NON_NUMERIC',
      `column ${q(column)} of ${what} is numeric (${Math.round(share * 100)}% of its values are numbers) but data row ${row} holds ` +
        `${show(value)}; fix the value or mark it missing (empty, NA, NaN or .)`,
      { column, row },
    ),

  nonFinite: (what: string, column: string, row: number, value: unknown) =>
    new DataError(
      'ERR_TUNEKIT_DATA_NON_FINITE',
      `column ${q(column)} of ${what}, data row ${row} holds the non-finite number ${show(value)}; every number must be finite: ` +
        `fix the value or mark it missing (empty, NA, NaN or .)`,
      { column, row },
    ),

  badValue: (what: string, column: string, row: number, value: unknown) =>
    new DataError(
      'ERR_TUNEKIT_DATA_BAD_VALUE',
      `column ${q(column)} of ${what}, data row ${row} holds a ${Array.isArray(value) ? 'array' : typeof value}; cells must be numbers, ` +
        `strings, booleans or missing: flatten the record first`,
      { column, row },
    ),

  allMissing: (what: string, column: string, split: string) =>
    new DataError(
      'ERR_TUNEKIT_DATA_ALL_MISSING',
      `column ${q(column)} of ${what} has no value in the ${split} split, so nothing can be imputed from it; ` +
        `drop it from \`features\` or fill it in`,
      { column },
    ),

  raggedRow: (what: string, row: number, line: number, got: number, want: number) =>
    new DataError(
      'ERR_TUNEKIT_DATA_RAGGED_ROW',
      `data row ${row} (line ${line}) of ${what} has ${got} fields but the header has ${want}; every row needs ${want} ` +
        `fields: quote values containing the delimiter and add empty fields for missing values`,
      { row },
    ),

  badCsv: (what: string, row: number, line: number, detail: string) =>
    new DataError('ERR_TUNEKIT_DATA_BAD_CSV', `${what} data row ${row} (line ${line}): ${detail}`, { row }),

  badJson: (what: string, detail: string, row?: number) =>
    new DataError(
      'ERR_TUNEKIT_DATA_BAD_JSON',
      `${what} must hold a JSON array of records (objects): ${detail}`,
      row === undefined ? {} : { row },
    ),

  missingFile: (path: string) =>
    new DataError(
      'ERR_TUNEKIT_DATA_MISSING_FILE',
      `data file ${path} does not exist; check the path (relative paths start at ${process.cwd()})`,
    ),

  unreadable: (path: string, code: string) =>
    new DataError(
      'ERR_TUNEKIT_DATA_UNREADABLE',
      `data file ${path} cannot be read (${code === 'EISDIR' ? 'EISDIR: it is a directory' : code}); point \`source\` at a ` +
        `readable .csv, .tsv or .json file`,
    ),

  unknownExtension: (path: string) =>
    new DataError(
      'ERR_TUNEKIT_DATA_UNKNOWN_EXTENSION',
      `cannot tell the format of ${path}: the file name must end in .csv, .tsv or .json (an array of records)`,
    ),

  emptyTrain: (what: string, detail: string) =>
    new DataError('ERR_TUNEKIT_DATA_EMPTY_SPLIT', `the train split of ${what} is empty ${detail}; more rows are required`),
};
