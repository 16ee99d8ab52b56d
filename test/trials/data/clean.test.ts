import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  fitImputer,
  fitIqrBounds,
  fitStandardizer,
  imputeColumn,
  iqrMask,
  quantileSorted,
  resolveCleaning,
  standardizeColumn,
} from '../../../trials/data/clean.js';
import { prepareTabular } from '../../../trials/data/tabular.js';

const NaN_ = Number.NaN;
const close = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// ---------------------------------------------------------------- pure functions

test('quantileSorted interpolates linearly (numpy default)', () => {
  assert.is(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  assert.is(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.is(quantileSorted([5], 0.75), 5);
  assert.ok(Number.isNaN(quantileSorted([], 0.5)));
});

test('fitImputer: mean / median / most_frequent over observed values of the given rows', () => {
  const v = [1, NaN_, 3, 10, 3, 1000];
  const rows = [0, 1, 2, 3, 4]; // row 5 (1000) is not a fitting row
  assert.is(fitImputer(v, 'mean', rows), (1 + 3 + 10 + 3) / 4);
  assert.is(fitImputer(v, 'median', rows), 3);
  assert.is(fitImputer(v, 'most_frequent', rows), 3);
  assert.is(fitImputer([2, 1, 2, 1], 'most_frequent'), 1, 'ties go to the smallest value');
  assert.ok(Number.isNaN(fitImputer([NaN_, NaN_], 'median')));
  assert.equal(Array.from(imputeColumn(v, 7)), [1, 7, 3, 10, 3, 1000]);
});

test('fitIqrBounds + iqrMask flag exactly the rows outside the fences', () => {
  const a = [1, 2, 3, 4, 5, 6, 7, 8, 100, NaN_];
  const b = [5, 5, 6, 6, 7, 7, 8, -50, 8, 6];
  const ba = fitIqrBounds(a, 1.5);
  // n = 9 observed: q1 at position 2 -> 3, q3 at position 6 -> 7; IQR 4 -> fences [-3, 13].
  assert.equal(ba, { q1: 3, q3: 7, low: -3, high: 13 });
  const bb = fitIqrBounds(b, 1.5);
  const mask = iqrMask([a, b], [ba, bb]);
  assert.equal(Array.from(mask), [1, 1, 1, 1, 1, 1, 1, 0, 0, 1], 'row 7 (b=-50) and row 8 (a=100); NaN never flags');
  assert.equal(Array.from(iqrMask([a], [ba], [8, 0])), [0, 1], 'mask follows the given rows');
  assert.equal(Array.from(iqrMask([a], [{ low: -Infinity, high: Infinity }])), new Array(10).fill(1));
});

test('fitStandardizer: population std, constant column gets std 1', () => {
  const s = fitStandardizer([1, 2, 3, 4, NaN_]);
  assert.is(s.mean, 2.5);
  close(s.std, Math.sqrt(1.25));
  const z = standardizeColumn([1, 2, 3, 4], s);
  close(
    z.reduce((p, v) => p + v, 0),
    0,
  );
  close(z.reduce((p, v) => p + v * v, 0) / 4, 1);
  assert.equal(fitStandardizer([7, 7, 7]), { mean: 7, std: 1 });
});

test('resolveCleaning defaults and validation', () => {
  assert.equal(resolveCleaning(), { impute: undefined, outliers: { k: 1.5 }, standardize: true });
  assert.equal(resolveCleaning({ outliers: false, standardize: false, impute: 'drop' }), {
    impute: 'drop',
    outliers: false,
    standardize: false,
  });
  assert.throws(() => resolveCleaning({ outliers: { method: 'iqr', k: -1 } }), /k >= 0/);
  assert.throws(() => resolveCleaning({ impute: 'avg' as 'mean' }), /clean\.impute/);
});

// ---------------------------------------------------------------- the pipeline: no statistic from val/test rows

/** Rows 0-5 train, 6-7 val, 8-9 test. Val row 6 has a = 1000: if it leaked, the mean would jump by ~140. */
function table(): Record<string, unknown>[] {
  const a = [1, 2, null, 4, 6, 8, 1000, null, 3, 'NA'];
  const c = ['x', 'y', 'x', null, 'x', 'y', 'z', 'z', 'w', '.'];
  return a.map((v, i) => ({ a: v, c: c[i], t: i % 2 === 0 ? 'even' : 'odd' }));
}
const split = { train: [0, 1, 2, 3, 4, 5], val: [6, 7], test: [8, 9] };
const raw = { outliers: false, standardize: false } as const;

test('imputation uses train-only statistics (val extreme value does not leak)', () => {
  for (const [impute, expected] of [
    ['mean', (1 + 2 + 4 + 6 + 8) / 5],
    ['median', 4],
  ] as const) {
    const { dataset, report } = prepareTabular(table(), { target: 't', splitIndices: split, clean: { ...raw, impute } });
    assert.is(report.imputation.a!.value, expected, impute);
    assert.is(report.imputation.c!.value, 'x', 'most frequent train category');
    const fa = dataset.featureNames!.indexOf('a');
    const d = dataset.featureNames!.length;
    const f32 = Math.fround(expected); // x is float32
    assert.is(dataset.train.x[2 * d + fa], f32, 'train missing cell filled');
    assert.is(dataset.val.x[1 * d + fa], f32, 'val missing cell filled with the train value');
    assert.is(dataset.test.x[1 * d + fa], f32, '"NA" is missing too');
    assert.is(dataset.val.x[0 * d + fa], 1000, 'val values are never changed');
  }
});

test('one-hot uses train categories; val/test-only categories encode as all zeros', () => {
  const { dataset, report } = prepareTabular(table(), { target: 't', splitIndices: split, clean: raw });
  assert.equal(report.categories.c, ['x', 'y']);
  assert.equal(dataset.featureNames, ['a', 'c=x', 'c=y']);
  assert.equal(Array.from(dataset.val.x), [1000, 0, 0, 4, 0, 0], "'z' seen only in val");
  assert.equal(Array.from(dataset.test.x), [3, 0, 0, 4, 1, 0], "'w' unseen -> zeros; '.' missing -> imputed 'x'");
  assert.equal(Array.from(dataset.train.x.subarray(9, 12)), [4, 1, 0], 'row 3: missing c imputed with x');
});

test('impute: drop removes incomplete rows from every split', () => {
  const { dataset, report } = prepareTabular(table(), { target: 't', splitIndices: split, clean: { ...raw, impute: 'drop' } });
  assert.equal(Array.from(report.splitRows.train), [0, 1, 4, 5]);
  assert.equal(Array.from(report.splitRows.val), [6]);
  assert.equal(Array.from(report.splitRows.test), [8]);
  assert.is(report.droppedMissingFeatures, 4);
  assert.is(dataset.train.n, 4);
});

test('IQR removes exactly the expected train rows and never val/test rows', () => {
  // train rows 0-9; val 10-11; test 12. a's train values 1..8,100 (+ a missing); b's train has -50 at row 7.
  const a = [1, 2, 3, 4, 5, 6, 7, 8, 100, null, 5000, 3, -900];
  const b = [5, 5, 6, 6, 7, 7, 8, -50, 8, 6, 6, 1e6, 6];
  const records = a.map((v, i) => ({ a: v, b: b[i], y: i * 1.5 }));
  const splitIndices = { train: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], val: [10, 11], test: [12] };
  const { dataset, report } = prepareTabular(records, { target: 'y', task: 'regression', splitIndices, clean: { standardize: false } });
  assert.equal(
    Array.from(report.removedRows).sort((p, q) => p - q),
    [7, 8],
  );
  assert.is(report.outliersRemoved, 2);
  assert.equal(report.outlierBounds.a, { q1: 3, q3: 7, low: -3, high: 13 }, 'fences from observed train values');
  assert.equal(Array.from(report.splitRows.val), [10, 11]);
  assert.equal(Array.from(report.splitRows.test), [12]);
  assert.equal(Array.from(dataset.val.x), [5000, 6, 3, 1e6], 'extreme val rows kept unchanged');
  assert.equal(Array.from(dataset.test.y), [18], 'regression targets stay raw');
  assert.is(dataset.train.n, 8);
  // Row 9 had a missing `a`: imputed with the train median (5) and kept.
  assert.ok(Array.from(report.splitRows.train).includes(9));
  assert.is(report.imputation.a!.value, 5);
});

test('standardisation: train columns mean 0 / std 1, val transformed with the train statistics', () => {
  const records = Array.from({ length: 40 }, (_, i) => ({ u: (i * 7) % 13, v: i * i * 0.1, k: i % 2 ? 'p' : 'q', t: i % 2 }));
  const { dataset, report } = prepareTabular(records, { target: 't', seed: 4, clean: { outliers: false } });
  const d = dataset.featureNames!.length;
  for (const name of ['u', 'v']) {
    const f = dataset.featureNames!.indexOf(name);
    const col = Array.from({ length: dataset.train.n }, (_, i) => dataset.train.x[i * d + f]!);
    const mean = col.reduce((s, x) => s + x, 0) / col.length;
    close(mean, 0);
    close(Math.sqrt(col.reduce((s, x) => s + (x - mean) ** 2, 0) / col.length), 1);
    // Hand-computed train statistics from the raw records of the train rows.
    const rawTrain = Array.from(report.splitRows.train, (i) => records[i]![name as 'u' | 'v']);
    const m = rawTrain.reduce((s, x) => s + x, 0) / rawTrain.length;
    const sd = Math.sqrt(rawTrain.reduce((s, x) => s + (x - m) ** 2, 0) / rawTrain.length);
    close(report.standardization[name]!.mean, m, 1e-9);
    close(report.standardization[name]!.std, sd, 1e-9);
    report.splitRows.val.forEach((row, j) => close(dataset.val.x[j * d + f]!, (records[row]![name as 'u' | 'v'] - m) / sd));
  }
  const fk = dataset.featureNames!.indexOf('k=p');
  assert.ok(
    Array.from({ length: dataset.train.n }, (_, i) => dataset.train.x[i * d + fk]).every((x) => x === 0 || x === 1),
    'one-hot not standardised',
  );
});

test.run();
