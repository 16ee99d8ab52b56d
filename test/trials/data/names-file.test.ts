/**
 * Every error about a data file's content names the file (the issue found three that did not), and a data "file" that is
 * a directory or unreadable is a DataError naming it, not a raw errno.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DataError, type DataErrorCode } from '../../../trials/data/errors.js';
import { loadTabular } from '../../../trials/data/tabular.js';

const dir = mkdtempSync(join(tmpdir(), 'tunekit-names-file-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function names(
  path: string,
  opts: { target: string; task?: 'classification' | 'regression'; features?: string[]; clean?: object },
  code: DataErrorCode,
): Promise<string> {
  try {
    await loadTabular({ source: path, ...opts } as Parameters<typeof loadTabular>[0]);
  } catch (e) {
    assert.instance(e, DataError, String(e));
    assert.is((e as DataError).code, code, (e as Error).message);
    assert.ok((e as Error).message.includes(path), `the message names ${path}: ${(e as Error).message}`);
    return (e as Error).message;
  }
  assert.unreachable(`${path} should be rejected`);
  return '';
}

const rows = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('\n');

test('a string in a numeric column names the file', async () => {
  const p = file('nonnumeric.csv', `a,y\n${rows(20, (i) => `${i === 7 ? 'oops' : i},${i % 2}`)}\n`);
  await names(p, { target: 'y' }, 'ERR_TUNEKIT_DATA_NON_NUMERIC');
});

test('a non-finite number names the file', async () => {
  const p = file('nonfinite.csv', `a,y\n${rows(20, (i) => `${i === 3 ? '1e999' : i},${i % 2}`)}\n`);
  await names(p, { target: 'y' }, 'ERR_TUNEKIT_DATA_NON_FINITE');
});

test('a one-class target names the file', async () => {
  const p = file('oneclass.csv', `a,y\n${rows(20, (i) => `${i},same`)}\n`);
  await names(p, { target: 'y' }, 'ERR_TUNEKIT_DATA_ONE_CLASS');
});

test('a categorical regression target names the file', async () => {
  const p = file('target-type.csv', `a,y\n${rows(20, (i) => `${i},c${i % 3}`)}\n`);
  await names(p, { target: 'y', task: 'regression' }, 'ERR_TUNEKIT_DATA_TARGET_TYPE');
});

test('the target listed as a feature names the file', async () => {
  const p = file('leak.csv', `a,y\n${rows(20, (i) => `${i},${i % 2}`)}\n`);
  await names(p, { target: 'y', features: ['a', 'y'] }, 'ERR_TUNEKIT_DATA_UNKNOWN_COLUMN');
});

test('a column with no train value names the file', async () => {
  const p = file('all-missing.csv', `a,b,y\n${rows(20, (i) => `${i},,${i % 2}`)}\n`);
  await names(p, { target: 'y', features: ['a', 'b'] }, 'ERR_TUNEKIT_DATA_ALL_MISSING');
});

test('a nested value in a JSON data file names the file', async () => {
  const p = file('nested.json', JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ a: i === 4 ? [1] : i, y: i % 2 }))));
  await names(p, { target: 'y' }, 'ERR_TUNEKIT_DATA_BAD_VALUE');
});

test('a directory named like a data file: a DataError naming it, not EISDIR', async () => {
  const p = join(dir, 'folder.csv');
  mkdirSync(p);
  const m = await names(p, { target: 'y' }, 'ERR_TUNEKIT_DATA_UNREADABLE');
  assert.match(m, /EISDIR|a directory/);
});

test.run();
