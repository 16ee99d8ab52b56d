/**
 * Reading a sweep directory's stored `sweep.json` (tunekit resume / run --out): a corrupt file is a SweepFileError naming the
 * file, the line and column and the fix (no bare SyntaxError), and is left untouched; a missing one is `undefined`.
 * Sweep files with broken JSON get the line and column too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStoredSweep, readSweepFile, SweepFileError } from '../../src/sweep/load.js';
import { locateJsonError } from '../../src/sweep/json-error.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-stored-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function dirWith(name: string, text: string | undefined): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  if (text !== undefined) fs.writeFileSync(path.join(dir, 'sweep.json'), text);
  return dir;
}

function fails(fn: () => unknown): SweepFileError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SweepFileError)) throw new Error(`expected a SweepFileError, got ${String(e)}`);
    return e;
  }
  throw new Error('expected a SweepFileError');
}

test('locateJsonError: offsets, lines and columns of the first syntax error', () => {
  assert.equal(locateJsonError('{"a": x}'), { offset: 6, line: 1, column: 7, detail: 'expected a value, found "x"' });
  assert.equal(locateJsonError('{\n  "a": 1,\n}'), {
    offset: 12,
    line: 3,
    column: 1,
    detail: 'expected a property name in double quotes, found "}"',
  });
  assert.equal(locateJsonError('{"a": 1'), { offset: 7, line: 1, column: 8, detail: "expected ',' or '}', found the end of the file" });
  assert.equal(locateJsonError('').detail, 'expected a value, found the end of the file');
  assert.equal(locateJsonError('[1 2]').offset, 3);
  assert.equal(locateJsonError('{"a":1}}').detail, 'expected the end of the file after the JSON value, found "}"');
  assert.equal(locateJsonError('{"a":"\u0001"}').offset, 6);
  assert.equal(locateJsonError('{"a":"\\q"}').offset, 6);
  assert.equal(locateJsonError('{"a": 01}').offset, 7);
  assert.equal(locateJsonError('{"a": tru}').offset, 6);
  assert.equal(locateJsonError('\r\n\r\n  @').line, 3);
  // deep nesting: no recursion, so no stack overflow while locating
  assert.equal(locateJsonError('['.repeat(100_000) + ']'.repeat(99_999) + 'x').offset, 199_999);
});

test('a missing sweep.json is undefined; a valid one is returned with its path', () => {
  assert.is(readStoredSweep(dirWith('none', undefined)), undefined);
  const dir = dirWith('ok', '{"name": "x"}');
  assert.equal(readStoredSweep(dir), { file: path.join(dir, 'sweep.json'), raw: { name: 'x' } });
});

test('a corrupt sweep.json: SweepFileError naming file, line, column and the fix; the file is left untouched', () => {
  const text = '{\n  "name": "mnist",\n  "budget": { "trials": 20, }\n}';
  const dir = dirWith('corrupt', text);
  const e = fails(() => readStoredSweep(dir));
  const file = path.join(dir, 'sweep.json');
  assert.is(e.file, file);
  assert.match(e.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(e.message, /line 3, column 29/);
  assert.match(e.message, /Restore it from a backup/);
  assert.match(e.message, /tunekit run <the original sweep file> --out /);
  assert.not.match(e.message, /SyntaxError|at JSON\.parse/);
  assert.is(fs.readFileSync(file, 'utf8'), text);
});

test('a truncated (empty) or non-object sweep.json is named too', () => {
  assert.match(fails(() => readStoredSweep(dirWith('empty', ''))).message, /is empty/);
  assert.match(fails(() => readStoredSweep(dirWith('array', '[1]'))).message, /must hold a JSON object/);
});

test('sweep files with broken JSON get the line and column', async () => {
  const file = path.join(tmp, 'broken.json');
  fs.writeFileSync(file, '{\n "name": \n}');
  try {
    await readSweepFile(file);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, SweepFileError);
    assert.match((e as Error).message, /not valid JSON at line 3, column 1 \(expected a value, found "}"\)/);
  }
});

test('sweep files that cannot be read or imported: a SweepFileError, never a raw errno or "undefined"', async () => {
  const rejects = async (file: string, re: RegExp) => {
    try {
      await readSweepFile(file);
    } catch (e) {
      assert.instance(e, SweepFileError);
      assert.match((e as Error).message, re);
      return;
    }
    assert.unreachable(`${file} should be rejected`);
  };
  const dir = path.join(tmp, 'folder.json');
  fs.mkdirSync(dir);
  await rejects(dir, /\(file\): cannot be read \(EISDIR: it is a directory\); pass the path of a sweep \.json/);
  const throwsUndefined = path.join(tmp, 'throws.mjs');
  fs.writeFileSync(throwsUndefined, 'throw undefined;\n');
  await rejects(throwsUndefined, /could not be imported: it threw undefined/);
});

test.run();
