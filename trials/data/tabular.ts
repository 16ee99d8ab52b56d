/**
 * Tabular datasets: reads CSV/TSV/JSON files or in-memory records, infers column types, splits, cleans and encodes them into
 * a `Dataset`. Pipeline (each statistic fitted on TRAIN rows only, then applied to every split):
 *   1. encode columns (numeric / boolean / categorical; bad cells are errors naming column, row and value);
 *   2. drop rows whose target is missing (counted in `report.droppedMissingTarget` and a warning; `Dataset` has no field);
 *   3. split (seeded; stratified by class for classification) - or use the caller's `splitIndices`;
 *   4. impute (fill values from train; or 'drop' rows with a missing feature in every split);
 *   5. remove IQR outliers from the train split only (numeric features; val/test rows are never removed);
 *   6. one-hot categorical features with the categories of the cleaned train rows (unseen ones encode as all zeros);
 *   7. standardise numeric features with mean/std of the cleaned train rows.
 * Regression targets are left raw (not standardised): metrics such as RMSE/MAE then read in the target's own units.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { OptionsError } from '../../src/core/errors.js';
import type { Dataset, Split, Task } from '../types.js';
import {
  fitImputer,
  fitIqrBounds,
  fitStandardizer,
  imputeColumn,
  iqrMask,
  resolveCleaning,
  type CleaningConfig,
  type ImputeStrategy,
  type IqrBounds,
  type Standardizer,
} from './clean.js';
import { encodeColumn, type ColumnKind, type EncodedColumn } from './columns.js';
import { parseCsv } from './csv.js';
import { dataErrors } from './errors.js';
import { splitIndices as makeSplit } from './split.js';

export type { CleaningConfig } from './clean.js';

/** Options of `loadTabular`. */
export interface TabularOptions {
  /** Path to a .csv, .tsv or .json file (a JSON array of records), or the records themselves. */
  readonly source: string | readonly Record<string, unknown>[];
  /** Target column. */
  readonly target: string;
  /** Default: classification if the target is string/boolean or has <= 20 distinct integer values, else regression. */
  readonly task?: Task;
  /** Feature columns. Default: every other column, except categorical ones with more than `maxCategories` distinct train
   * values (identifiers such as car names would explode into hundreds of one-hot columns; see `report.skippedColumns`). */
  readonly features?: readonly string[];
  readonly clean?: CleaningConfig;
  /** Validation / test fractions (defaults 0.15 / 0.15) and split seed (default 0). */
  readonly val?: number;
  readonly test?: number;
  readonly seed?: number;
  /** Dataset name (default: the file name without extension, or "records"). */
  readonly name?: string;
  /** See `features`; default 50. Explicitly listed features are always kept. */
  readonly maxCategories?: number;
  /** Predefined splits as 0-based record indices (record i is data row i + 1), overriding val/test/seed: for k-fold
   * re-preparation, time-based splits and tests. Must be disjoint; records listed nowhere are unused. */
  readonly splitIndices?: { readonly train: ArrayLike<number>; readonly val: ArrayLike<number>; readonly test: ArrayLike<number> };
}

/** `TabularOptions` without the source, for `prepareTabular`. */
export type PrepareOptions = Omit<TabularOptions, 'source'>;

/** What `prepareTabular` fitted and did, keyed by source column name. Record indices are 0-based (data row = index + 1). */
export interface CleaningReport {
  /** Records read. */
  readonly rows: number;
  readonly droppedMissingTarget: number;
  /** Rows (any split) dropped by impute: 'drop'. */
  readonly droppedMissingFeatures: number;
  /** Train rows removed as IQR outliers (record indices in `removedRows`). */
  readonly outliersRemoved: number;
  readonly removedRows: Int32Array;
  /** Feature columns used, with their inferred kind and number of missing cells (all rows). */
  readonly columns: readonly { readonly name: string; readonly kind: ColumnKind; readonly missing: number }[];
  /** Default features left out for having more than `maxCategories` categories in train. */
  readonly skippedColumns: readonly string[];
  /** Fill value per feature (a category name for categorical/boolean columns); empty with impute: 'drop'. */
  readonly imputation: {
    readonly [column: string]: { readonly strategy: Exclude<ImputeStrategy, 'drop'>; readonly value: number | string };
  };
  /** IQR fences per numeric feature (from observed train values). Columns with IQR 0 are absent and listed in `outlierSkipped`. */
  readonly outlierBounds: { readonly [column: string]: IqrBounds };
  readonly outlierSkipped: readonly string[];
  /** One-hot categories per categorical feature (sorted; from the cleaned train rows). */
  readonly categories: { readonly [column: string]: readonly string[] };
  /** Mean/std per numeric feature (cleaned train rows); empty with standardize: false. */
  readonly standardization: { readonly [column: string]: Standardizer };
  /** Record indices of every split, in the dataset's row order. */
  readonly splitRows: { readonly train: Int32Array; readonly val: Int32Array; readonly test: Int32Array };
  readonly warnings: readonly string[];
}

const VEGA_FILES = { penguins: 'penguins.json', cars: 'cars.json' } as const;

/**
 * Absolute path of a vega-datasets data file: 'penguins' -> data/penguins.json (344 penguins: Species, Island, beak/flipper
 * sizes, Body Mass (g), Sex with nulls and one "."), 'cars' -> data/cars.json (406 cars: Miles_per_Gallon with 8 nulls,
 * Horsepower with 6 nulls, Name, Year as a date string, Origin). For examples and tests.
 */
export function vegaDatasetPath(name: 'penguins' | 'cars'): string {
  const file = VEGA_FILES[name];
  if (!file) throw new OptionsError(`vega dataset must be 'penguins' or 'cars', got ${JSON.stringify(name)}`);
  // The package's `exports` hides package.json, so resolve its entry (build/index.js) and step up to the package root.
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return join(dirname(entry), '..', 'data', file);
}

/**
 * Reads a data file into records: .csv / .tsv via `parseCsv` (all cells strings, typed later), .json must be an array of
 * objects. Throws DataErrors for an unknown extension, a missing file (naming the path), malformed CSV/JSON.
 */
export async function readRecords(path: string): Promise<Record<string, unknown>[]> {
  const ext = extname(path).toLowerCase();
  if (ext !== '.csv' && ext !== '.tsv' && ext !== '.json') throw dataErrors.unknownExtension(path);
  if (!existsSync(path)) throw dataErrors.missingFile(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    // A directory named data.csv, no permission...: a DataError naming the file rather than a bare errno.
    const code = (e as { code?: unknown }).code;
    throw dataErrors.unreadable(path, typeof code === 'string' ? code : (e as Error).message);
  }
  if (ext === '.json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw dataErrors.badJson(path, `it is not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(parsed)) throw dataErrors.badJson(path, `its top level is ${parsed === null ? 'null' : typeof parsed}`);
    return parsed as Record<string, unknown>[];
  }
  const table = parseCsv(text, { delimiter: ext === '.tsv' ? '\t' : ',', what: path });
  return table.rows.map((r) => Object.fromEntries(table.header.map((h, k) => [h, r[k]])));
}

/**
 * Loads a tabular dataset (file or records) ready for training. Called by trial runners and examples; see the module comment
 * for the pipeline and `prepareTabular` for the fitted statistics.
 */
export async function loadTabular(opts: TabularOptions): Promise<Dataset> {
  const { source, ...rest } = opts;
  if (typeof source === 'string') {
    const records = await readRecords(source);
    const name = opts.name ?? basename(source, extname(source));
    return prepareTabular(records, { ...rest, name }, source).dataset;
  }
  return prepareTabular(source, rest).dataset;
}

function inferTask(col: EncodedColumn): Task {
  if (col.kind !== 'numeric') return 'classification';
  const distinct = new Set<number>();
  for (const v of col.values) if (!Number.isNaN(v)) distinct.add(v);
  return col.integer && distinct.size > 0 && distinct.size <= 20 ? 'classification' : 'regression';
}

/** Maps the target to y over all records (NaN = missing target), with sorted class names for classification. */
function encodeTarget(col: EncodedColumn, task: Task, what: string): { y: Float64Array; classNames?: string[] } {
  if (task === 'regression') {
    if (col.kind !== 'numeric') throw dataErrors.targetType(what, col.name, col.kind);
    return { y: col.values };
  }
  const distinct = [...new Set([...col.values].filter((v) => !Number.isNaN(v)))].sort((a, b) => a - b);
  const names = distinct.map((v) => (col.categories ? col.categories[v]! : String(v)));
  if (distinct.length === 0) throw dataErrors.noTargetValues(what, col.name);
  if (distinct.length === 1) throw dataErrors.oneClass(what, col.name, names[0]!);
  const index = new Map(distinct.map((v, k) => [v, k]));
  return { y: Float64Array.from(col.values, (v) => (Number.isNaN(v) ? Number.NaN : index.get(v)!)), classNames: names };
}

function checkSplitOverride(s: NonNullable<PrepareOptions['splitIndices']>, n: number): void {
  const seen = new Uint8Array(n);
  for (const key of ['train', 'val', 'test'] as const) {
    for (const i of Array.from(s[key])) {
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new OptionsError(`\`splitIndices.${key}\` entries must be record indices in [0, ${n}), got ${i}`);
      }
      if (seen[i]) throw new OptionsError(`\`splitIndices\` must be disjoint, but record ${i} is listed twice`);
      seen[i] = 1;
    }
  }
}

/**
 * The tabular pipeline on in-memory records (see the module comment for the steps). Returns the dataset and a report of
 * everything fitted from the train split, so tests and callers can check there was no leakage. `what` names the source in
 * error messages. Called by `loadTabular`; call it directly to get the report or to re-prepare per k-fold split.
 */
export function prepareTabular(
  records: readonly Record<string, unknown>[],
  opts: PrepareOptions,
  what = 'the records',
): { dataset: Dataset; report: CleaningReport } {
  const cleaning = resolveCleaning(opts.clean);
  const maxCategories = opts.maxCategories ?? 50;
  if (!Number.isInteger(maxCategories) || maxCategories < 1) {
    throw new OptionsError(`\`maxCategories\` must be a positive integer, got ${maxCategories}`);
  }
  if (opts.task !== undefined && opts.task !== 'classification' && opts.task !== 'regression') {
    throw new OptionsError(`\`task\` must be 'classification' or 'regression', got ${JSON.stringify(opts.task)}`);
  }
  if (records.length === 0) throw dataErrors.noRows(what);
  const columns: string[] = [];
  const known = new Set<string>();
  records.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw dataErrors.badJson(what, `data row ${i + 1} is ${Array.isArray(r) ? 'an array' : String(r)}, not an object`, i + 1);
    }
    for (const k of Object.keys(r)) {
      if (!known.has(k)) {
        known.add(k);
        columns.push(k);
      }
    }
  });
  const target = opts.target;
  if (!known.has(target)) throw dataErrors.noTarget(what, target, columns);
  const explicit = opts.features !== undefined;
  for (const f of opts.features ?? []) {
    if (f === target) throw dataErrors.targetAsFeature(what, target);
    if (!known.has(f)) throw dataErrors.unknownFeature(what, f, columns);
  }
  if (explicit && new Set(opts.features).size !== opts.features!.length) throw new OptionsError('`features` must not repeat a column');
  const cellsOf = (c: string): unknown[] => records.map((r) => r[c]);
  const warnings: string[] = [];

  // 1-2. target, dropping rows where it is missing
  const targetCol = encodeColumn(target, cellsOf(target), what);
  const task = opts.task ?? inferTask(targetCol);
  const { y, classNames } = encodeTarget(targetCol, task, what);
  const n = records.length;
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (!Number.isNaN(y[i]!)) kept.push(i);
  if (kept.length === 0) throw dataErrors.noTargetValues(what, target);
  const droppedMissingTarget = n - kept.length;
  if (droppedMissingTarget > 0) warnings.push(`dropped ${droppedMissingTarget} rows with a missing target "${target}"`);

  // 3. split (record indices)
  let train: number[], val: number[], test: number[];
  if (opts.splitIndices) {
    checkSplitOverride(opts.splitIndices, n);
    const keep = (a: ArrayLike<number>): number[] => Array.from(a).filter((i) => !Number.isNaN(y[i]!));
    [train, val, test] = [keep(opts.splitIndices.train), keep(opts.splitIndices.val), keep(opts.splitIndices.test)];
  } else {
    const labels = task === 'classification' ? kept.map((i) => y[i]!) : undefined;
    const s = makeSplit(kept.length, {
      val: opts.val ?? 0.15,
      test: opts.test ?? 0.15,
      seed: opts.seed ?? 0,
      ...(labels ? { labels } : {}),
    });
    [train, val, test] = [s.train, s.val, s.test].map((a) => Array.from(a, (k) => kept[k]!));
  }
  if (train!.length === 0) throw dataErrors.emptyTrain(what, '(no rows were assigned to it)');

  // features (default ones skip high-cardinality categoricals, counted on train rows)
  let cols = (explicit ? opts.features! : columns.filter((c) => c !== target)).map((f) => encodeColumn(f, cellsOf(f), what));
  const skippedColumns: string[] = [];
  if (!explicit) {
    cols = cols.filter((c) => {
      if (c.kind !== 'categorical' || new Set(train.map((i) => c.values[i])).size <= maxCategories) return true;
      skippedColumns.push(c.name);
      return false;
    });
    if (skippedColumns.length) {
      warnings.push(
        `skipped categorical columns with more than ${maxCategories} categories: ${skippedColumns.join(', ')} (list them in \`features\` to keep them)`,
      );
    }
  }
  if (cols.length === 0) throw dataErrors.noFeatures(what, target);

  // 4. impute (fill values from train rows only) or drop incomplete rows
  const imputation: Record<string, { strategy: Exclude<ImputeStrategy, 'drop'>; value: number | string }> = {};
  let filled: Float64Array[];
  let droppedMissingFeatures = 0;
  if (cleaning.impute === 'drop') {
    const complete = (i: number): boolean => cols.every((c) => !Number.isNaN(c.values[i]!));
    const before = train.length + val.length + test.length;
    [train, val, test] = [train, val, test].map((rows) => rows.filter(complete));
    droppedMissingFeatures = before - train.length - val.length - test.length;
    if (droppedMissingFeatures) warnings.push(`dropped ${droppedMissingFeatures} rows with a missing feature (impute: 'drop')`);
    if (train.length === 0)
      throw dataErrors.emptyTrain(what, "after dropping rows with a missing feature (impute: 'drop'); use another impute strategy");
    filled = cols.map((c) => c.values);
  } else {
    const numericStrategy = cleaning.impute ?? 'median';
    filled = cols.map((c) => {
      const strategy = c.kind === 'numeric' ? numericStrategy : 'most_frequent';
      const fill = fitImputer(c.values, strategy, train);
      if (Number.isNaN(fill)) throw dataErrors.allMissing(what, c.name, 'train');
      imputation[c.name] = { strategy, value: c.categories ? c.categories[fill]! : fill };
      return imputeColumn(c.values, fill);
    });
  }

  // 5. IQR outliers: train rows only, fences from observed (pre-imputation) train values
  const outlierBounds: Record<string, IqrBounds> = {};
  const outlierSkipped: string[] = [];
  let removedRows = new Int32Array(0);
  if (cleaning.outliers) {
    const used: Float64Array[] = [];
    const bounds: IqrBounds[] = [];
    for (const c of cols) {
      if (c.kind !== 'numeric') continue;
      const b = fitIqrBounds(c.values, cleaning.outliers.k, train);
      // IQR 0 (a mostly-constant column) would flag every non-modal row; such columns are left alone.
      if (!(b.q3 > b.q1)) {
        outlierSkipped.push(c.name);
        continue;
      }
      outlierBounds[c.name] = b;
      used.push(c.values);
      bounds.push(b);
    }
    const mask = iqrMask(used, bounds, train);
    removedRows = Int32Array.from(train.filter((_, j) => !mask[j]));
    train = train.filter((_, j) => mask[j]);
    if (train.length === 0) throw dataErrors.emptyTrain(what, 'after IQR outlier removal; raise clean.outliers.k or pass outliers: false');
  }
  if (classNames) {
    const present = new Set(train.map((i) => y[i]!));
    const lost = classNames.filter((_, k) => !present.has(k));
    if (lost.length) warnings.push(`classes with no train rows: ${lost.join(', ')} (too few rows of them to split)`);
  }

  // 6-7. encode: numeric (standardised), boolean 0/1, categorical one-hot over the cleaned train categories
  const featureNames: string[] = [];
  const categories: Record<string, string[]> = {};
  const standardization: Record<string, Standardizer> = {};
  const writers: ((i: number, out: Float32Array, at: number) => void)[] = [];
  cols.forEach((c, ci) => {
    const v = filled[ci]!;
    const at = featureNames.length;
    if (c.kind === 'categorical') {
      const codes = [...new Set(train.map((i) => v[i]!))].sort((a, b) => a - b);
      const slot = new Map(codes.map((code, k) => [code, at + k]));
      categories[c.name] = codes.map((code) => c.categories![code]!);
      featureNames.push(...categories[c.name]!.map((cat) => `${c.name}=${cat}`));
      writers.push((i, out, base) => {
        const s = slot.get(v[i]!);
        if (s !== undefined) out[base + s] = 1; // categories unseen in train stay all-zero
      });
      return;
    }
    featureNames.push(c.name);
    if (c.kind === 'numeric' && cleaning.standardize) {
      const s = fitStandardizer(v, train);
      standardization[c.name] = s;
      writers.push((i, out, base) => void (out[base + at] = (v[i]! - s.mean) / s.std));
    } else {
      writers.push((i, out, base) => void (out[base + at] = v[i]!));
    }
  });
  const d = featureNames.length;
  const build = (rows: number[]): Split => {
    const x = new Float32Array(rows.length * d);
    rows.forEach((i, j) => writers.forEach((w) => w(i, x, j * d)));
    return { x, y: Float32Array.from(rows, (i) => y[i]!), n: rows.length };
  };

  const dataset: Dataset = {
    name: opts.name ?? 'records',
    task,
    inputShape: [d],
    numClasses: classNames ? classNames.length : 1,
    ...(classNames ? { classNames } : {}),
    featureNames,
    train: build(train),
    val: build(val),
    test: build(test),
  };
  const report: CleaningReport = {
    rows: n,
    droppedMissingTarget,
    droppedMissingFeatures,
    outliersRemoved: removedRows.length,
    removedRows,
    columns: cols.map((c) => ({ name: c.name, kind: c.kind, missing: c.missing })),
    skippedColumns,
    imputation,
    outlierBounds,
    outlierSkipped,
    categories,
    standardization,
    splitRows: { train: Int32Array.from(train), val: Int32Array.from(val), test: Int32Array.from(test) },
    warnings,
  };
  return { dataset, report };
}
