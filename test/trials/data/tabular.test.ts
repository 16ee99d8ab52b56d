import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCsv } from '../../../trials/data/csv.js';
import { DataError, type DataErrorCode } from '../../../trials/data/errors.js';
import { loadTabular, prepareTabular, readRecords, vegaDatasetPath } from '../../../trials/data/tabular.js';
import type { Dataset } from '../../../trials/types.js';

let dir: string;
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunekit-data-'));
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Runs `fn` and asserts a DataError with `code` whose message contains every one of `parts`. */
async function rejectsData(fn: () => unknown, code: DataErrorCode, ...parts: string[]): Promise<DataError> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.instance(err, DataError, `expected a DataError ${code}, got ${String(err)}`);
  const de = err as DataError;
  assert.is(de.code, code, de.message);
  for (const p of parts) assert.ok(de.message.includes(p), `message should mention ${JSON.stringify(p)}: ${de.message}`);
  return de;
}

function allFinite(d: Dataset): boolean {
  return [d.train, d.val, d.test].every((s) => s.x.every(Number.isFinite) && s.y.every(Number.isFinite));
}

// ---------------------------------------------------------------- real data

test('penguins: 3 species, one-hot island/sex, missing values imputed', async () => {
  const path = vegaDatasetPath('penguins');
  const d = await loadTabular({ source: path, target: 'Species' });
  assert.is(d.name, 'penguins');
  assert.is(d.task, 'classification');
  assert.is(d.numClasses, 3);
  assert.equal(d.classNames, ['Adelie', 'Chinstrap', 'Gentoo']);
  const names = d.featureNames!;
  for (const f of ['Island=Biscoe', 'Island=Dream', 'Island=Torgersen', 'Sex=FEMALE', 'Sex=MALE', 'Body Mass (g)']) {
    assert.ok(names.includes(f), `feature ${f}`);
  }
  assert.not.ok(names.includes('Sex=.'), '"." is missing, not a category');
  assert.equal(d.inputShape, [names.length]);
  assert.ok(allFinite(d), 'no NaN in x or y');
  const { report } = prepareTabular(await readRecords(path), { target: 'Species' });
  assert.is(report.rows, 344);
  const sex = report.columns.find((c) => c.name === 'Sex')!;
  assert.ok(sex.missing > 0, 'Sex has missing values (null and ".")');
  assert.ok(['MALE', 'FEMALE'].includes(report.imputation.Sex!.value as string));
  assert.is(report.imputation['Beak Length (mm)']!.strategy, 'median');
  assert.is(d.train.n + d.val.n + d.test.n + report.outliersRemoved, 344);
});

test('cars: regression on Miles_per_Gallon, rows with a missing target dropped, target raw', async () => {
  const path = vegaDatasetPath('cars');
  const records = await readRecords(path);
  const missing = records.filter((r) => r.Miles_per_Gallon === null || r.Miles_per_Gallon === undefined).length;
  assert.ok(missing > 0);
  const { dataset: d, report } = prepareTabular(records, { target: 'Miles_per_Gallon', name: 'cars' });
  assert.is(d.task, 'regression');
  assert.is(d.numClasses, 1);
  assert.is(report.droppedMissingTarget, missing);
  assert.ok(report.warnings.some((w) => w.includes('missing target')));
  assert.is(d.train.n + d.val.n + d.test.n + report.outliersRemoved, records.length - missing);
  assert.equal(report.skippedColumns, ['Name'], 'identifier-like text column left out of the defaults');
  assert.ok(allFinite(d));
  // Raw target: y values are actual MPG values of the listed records.
  report.splitRows.val.forEach((row, j) => assert.is(d.val.y[j], Math.fround(records[row]!.Miles_per_Gallon as number)));
});

// ---------------------------------------------------------------- CSV and inference

test('parseCsv: quotes, escaped quotes, embedded newlines, CRLF, blank lines, BOM', () => {
  const t = parseCsv('\ufeffa,b,c\r\n1,"x, y",3\r\n\r\n"",  "he said ""hi""" ,\n4,"multi\nline",6\n');
  assert.equal(t.header, ['a', 'b', 'c']);
  // Row 2's second field does not start with a quote, so (as in RFC 4180) its quotes are plain characters.
  assert.equal(t.rows, [
    ['1', 'x, y', '3'],
    ['', '  "he said ""hi""" ', ''],
    ['4', 'multi\nline', '6'],
  ]);
  const q = parseCsv('a,b\n"he said ""hi""",2\n');
  assert.equal(q.rows, [['he said "hi"', '2']]);
  assert.equal(t.lines, [2, 4, 5]);
  assert.equal(parseCsv('a\tb\n1\t2', { delimiter: '\t' }).rows, [['1', '2']]);
});

test('loadTabular from CSV and TSV files; type inference and task inference', async () => {
  const csv = file(
    't.csv',
    'n,flag,colour,label,score\n1.5,true,red,2,0.5\n2,false,blue,1,1.25\n,TRUE,"red",2,2.5\n4,false,green,3,3.75\n5,true,red,1,4.5\n6,false,blue,3,5.5\n',
  );
  const d = await loadTabular({ source: csv, target: 'label', val: 0, test: 0, clean: { outliers: false, standardize: false } });
  assert.is(d.task, 'classification', '<= 20 distinct integers');
  assert.equal(d.classNames, ['1', '2', '3']);
  assert.equal(d.featureNames, ['n', 'flag', 'colour=blue', 'colour=green', 'colour=red', 'score']);
  assert.is(d.train.n, 6);
  const r = await loadTabular({ source: csv, target: 'score', val: 0, test: 0 });
  assert.is(r.task, 'regression', 'non-integer target');
  const b = await loadTabular({ source: csv, target: 'flag', val: 0, test: 0 });
  assert.equal(b.classNames, ['false', 'true'], 'boolean target');
  const tsv = file('t.tsv', 'x\ty\n1\ta\n2\tb\n3\ta\n');
  const t = await loadTabular({ source: tsv, target: 'y', val: 0, test: 0, clean: { outliers: false, standardize: false } });
  assert.equal(Array.from(t.train.x).sort(), [1, 2, 3]);
  const records = [
    { a: 1, y: 'u' },
    { a: 2, y: 'v' },
    { a: 3, y: 'u' },
  ];
  const m = await loadTabular({ source: records, target: 'y', val: 0, test: 0 });
  assert.is(m.name, 'records');
  assert.is(m.train.n, 3);
});

test('explicit features and seeded default splits', async () => {
  const records = Array.from({ length: 60 }, (_, i) => ({ a: i, b: i % 7, c: `k${i % 3}`, y: i % 2 ? 'odd' : 'even' }));
  const d = await loadTabular({ source: records, target: 'y', features: ['b', 'c'] });
  assert.equal(d.featureNames, ['b', 'c=k0', 'c=k1', 'c=k2']);
  assert.is(d.val.n, 9);
  assert.is(d.test.n, 9);
  const again = await loadTabular({ source: records, target: 'y', features: ['b', 'c'] });
  assert.equal(Array.from(again.val.x), Array.from(d.val.x));
  const other = await loadTabular({ source: records, target: 'y', features: ['b', 'c'], seed: 5 });
  assert.not.equal(Array.from(other.val.x), Array.from(d.val.x));
});

// ---------------------------------------------------------------- bad data

test('error: no rows (records, empty file, header only)', async () => {
  await rejectsData(() => loadTabular({ source: [], target: 'y' }), 'ERR_TUNEKIT_DATA_NO_ROWS', 'no data rows');
  const empty = file('empty.csv', '');
  await rejectsData(() => loadTabular({ source: empty, target: 'y' }), 'ERR_TUNEKIT_DATA_NO_ROWS', empty);
  const header = file('header.csv', 'a,y\n');
  await rejectsData(() => loadTabular({ source: header, target: 'y' }), 'ERR_TUNEKIT_DATA_NO_ROWS', header);
  await rejectsData(
    () =>
      loadTabular({
        source: [
          { a: 1, y: null },
          { a: 2, y: 'NA' },
        ],
        target: 'y',
      }),
    'ERR_TUNEKIT_DATA_NO_ROWS',
    '"y"',
  );
});

test('error: target column missing lists the columns', async () => {
  const e = await rejectsData(
    () => loadTabular({ source: [{ alpha: 1, beta: 2 }], target: 'gamma' }),
    'ERR_TUNEKIT_DATA_NO_TARGET',
    '"gamma"',
    '"alpha", "beta"',
  );
  assert.is(e.column, 'gamma');
  await rejectsData(
    () => loadTabular({ source: [{ a: 1, y: 'u' }], target: 'y', features: ['zz'] }),
    'ERR_TUNEKIT_DATA_UNKNOWN_COLUMN',
    '"zz"',
    '"a"',
  );
});

test('error: one-class target names the column', async () => {
  const e = await rejectsData(
    () =>
      loadTabular({
        source: [
          { a: 1, kind: 'cat' },
          { a: 2, kind: 'cat' },
          { a: 3, kind: null },
        ],
        target: 'kind',
      }),
    'ERR_TUNEKIT_DATA_ONE_CLASS',
    '"kind"',
    '"cat"',
  );
  assert.is(e.column, 'kind');
});

test('error: non-numeric value in a numeric column names column, row and value', async () => {
  const rows = Array.from({ length: 12 }, (_, i) => ({ width: i === 6 ? '12a' : String(i), y: i % 2 }));
  const e = await rejectsData(
    () => loadTabular({ source: rows, target: 'y' }),
    'ERR_TUNEKIT_DATA_NON_NUMERIC',
    '"width"',
    'data row 7',
    '"12a"',
    'missing',
  );
  assert.is(e.row, 7);
  const csv = file('bad.csv', 'h,y\n' + Array.from({ length: 12 }, (_, i) => `${i === 3 ? 'oops' : i},${i % 2}`).join('\n'));
  await rejectsData(() => loadTabular({ source: csv, target: 'y' }), 'ERR_TUNEKIT_DATA_NON_NUMERIC', '"h"', 'data row 4', '"oops"');
  // Fewer than 90% numbers: a categorical column, not an error.
  const mixed = Array.from({ length: 10 }, (_, i) => ({ z: i < 8 ? i : 'word', y: i % 2 }));
  const d = await loadTabular({ source: mixed, target: 'y', val: 0, test: 0 });
  assert.ok(d.featureNames!.includes('z=word'));
});

test('error: non-finite numbers', async () => {
  const rows = Array.from({ length: 5 }, (_, i) => ({ speed: i === 2 ? Infinity : i, y: i % 2 }));
  await rejectsData(() => loadTabular({ source: rows, target: 'y' }), 'ERR_TUNEKIT_DATA_NON_FINITE', '"speed"', 'data row 3', 'Infinity');
  const csv = file('inf.csv', 'speed,y\n1,0\n2,1\n-inf,0\n');
  await rejectsData(() => loadTabular({ source: csv, target: 'y' }), 'ERR_TUNEKIT_DATA_NON_FINITE', '"speed"', 'data row 3');
  const big = file('big.csv', 'speed,y\n1e999,0\n2,1\n');
  await rejectsData(() => loadTabular({ source: big, target: 'y' }), 'ERR_TUNEKIT_DATA_NON_FINITE', 'data row 1');
});

test('error: ragged CSV row names the row, line and counts; bad quoting', async () => {
  const p = file('ragged.csv', 'a,b,y\n1,2,0\n3,1\n');
  const e = await rejectsData(
    () => loadTabular({ source: p, target: 'y' }),
    'ERR_TUNEKIT_DATA_RAGGED_ROW',
    'data row 2',
    'line 3',
    '2 fields',
    'header has 3',
    p,
  );
  assert.is(e.row, 2);
  await rejectsData(() => parseCsv('a,b\n"x"y,1\n'), 'ERR_TUNEKIT_DATA_BAD_CSV', 'data row 1');
  await rejectsData(() => parseCsv('a,b\n1,"open\n'), 'ERR_TUNEKIT_DATA_BAD_CSV', 'never closed');
  await rejectsData(() => parseCsv('a,a\n1,2\n'), 'ERR_TUNEKIT_DATA_DUPLICATE_COLUMN', '"a"');
});

test('error: missing file, unknown extension, malformed JSON', async () => {
  const missing = join(dir, 'nope.csv');
  await rejectsData(() => loadTabular({ source: missing, target: 'y' }), 'ERR_TUNEKIT_DATA_MISSING_FILE', missing);
  const txt = file('data.txt', 'a,y\n1,2\n');
  await rejectsData(() => loadTabular({ source: txt, target: 'y' }), 'ERR_TUNEKIT_DATA_UNKNOWN_EXTENSION', txt, '.csv');
  const obj = file('obj.json', '{"a": 1}');
  await rejectsData(() => loadTabular({ source: obj, target: 'y' }), 'ERR_TUNEKIT_DATA_BAD_JSON', obj, 'array');
  const broken = file('broken.json', '[{"a": 1},');
  await rejectsData(() => loadTabular({ source: broken, target: 'y' }), 'ERR_TUNEKIT_DATA_BAD_JSON', 'not valid JSON');
});

test('error: wrong target type, feature missing in all train rows, nested values', async () => {
  await rejectsData(
    () =>
      loadTabular({
        source: [
          { a: 1, y: 'u' },
          { a: 2, y: 'v' },
        ],
        target: 'y',
        task: 'regression',
      }),
    'ERR_TUNEKIT_DATA_TARGET_TYPE',
    '"y"',
  );
  const rows = [
    { a: null, b: 1, y: 0 },
    { a: null, b: 2, y: 1 },
    { a: 5, b: 3, y: 0 },
  ];
  await rejectsData(
    () => prepareTabular(rows, { target: 'y', splitIndices: { train: [0, 1], val: [2], test: [] } }),
    'ERR_TUNEKIT_DATA_ALL_MISSING',
    '"a"',
    'train',
  );
  await rejectsData(
    () =>
      loadTabular({
        source: [
          { a: [1, 2], y: 0 },
          { a: 1, y: 1 },
        ],
        target: 'y',
      }),
    'ERR_TUNEKIT_DATA_BAD_VALUE',
    '"a"',
    'data row 1',
  );
});

test.run();
