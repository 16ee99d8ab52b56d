/**
 * checkDataset: the sweep's dataset is loaded and checked before the runner creates anything, and bad data becomes a
 * SweepFileError naming the sweep file, the `dataset` field and the data file (so no empty output directory is left).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkDataset } from '../../src/sweep/dataset.js';
import { SweepFileError } from '../../src/core/errors.js';
import { validateSweep, type TabularDatasetSpec } from '../../src/sweep/spec.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-dataset-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const sweepFile = path.join(tmp, 'sweep.json');

function csv(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}
const rows = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('\n');

test('a good table loads into a Dataset and nothing is written next to it', async () => {
  const source = csv('good.csv', `a,b,y\n${rows(40, (i) => `${i},${i % 3},${i % 2}`)}\n`);
  const before = fs.readdirSync(tmp).sort();
  const data = await checkDataset({ type: 'tabular', source, target: 'y' }, sweepFile);
  assert.is(data.train.n + data.val.n + data.test.n, 40);
  assert.equal(fs.readdirSync(tmp).sort(), before);
});

test('bad data: a SweepFileError naming the sweep file, the dataset field and the data file', async () => {
  const source = csv('bad.csv', `a,y\n${rows(20, (i) => `${i === 5 ? 'oops' : i},${i % 2}`)}\n`);
  const spec: TabularDatasetSpec = { type: 'tabular', source, target: 'y' };
  try {
    await checkDataset(spec, sweepFile);
    assert.unreachable('should reject');
  } catch (e) {
    assert.instance(e, SweepFileError);
    const err = e as SweepFileError;
    assert.is(err.file, sweepFile);
    assert.is(err.problems.length, 1);
    assert.match(err.problems[0]!, /^dataset: column "a" of .*bad\.csv is numeric/);
    assert.match(err.message, /nothing was run/);
  }
});

test('bad cleaning options are a dataset problem too', async () => {
  const source = csv('ok2.csv', `a,y\n${rows(20, (i) => `${i},${i % 2}`)}\n`);
  try {
    await checkDataset({ type: 'tabular', source, target: 'y', clean: { impute: 'magic' } }, sweepFile);
    assert.unreachable('should reject');
  } catch (e) {
    assert.instance(e, SweepFileError);
    assert.match((e as SweepFileError).problems[0]!, /^dataset: .*clean\.impute/);
  }
});

test('validateSweep: a dataset source that is a directory is named', () => {
  fs.mkdirSync(path.join(tmp, 'dir.csv'));
  const r = validateSweep(
    {
      name: 'd',
      dataset: { type: 'tabular', source: 'dir.csv', target: 'y' },
      trainable: 'builtin',
      space: {},
      budget: { trials: 1, epochs: 1 },
    },
    { baseDir: tmp },
  );
  assert.ok(
    !r.ok && r.problems.some((p) => p.startsWith('dataset.source:') && p.includes('is a directory')),
    r.ok ? 'ok' : r.problems.join('\n'),
  );
});

test.run();
