/**
 * The shared storage contract against a real PostgreSQL server (test/helpers/postgres.ts starts one when TUNEKIT_TEST_PG is not
 * set), each storage in its own schema. The multi-process behaviour has its own files: postgres-concurrency.test.ts,
 * postgres-stale.test.ts, postgres-restart.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { freshSchema, testServerUrl } from '../helpers/postgres.js';
import { storageContract, studyRecord } from './contract.js';

storageContract('PostgresStorage', async () => {
  const url = testServerUrl();
  const schema = freshSchema('contract');
  return { storage: await PostgresStorage.open(url, { schema }), reopen: () => PostgresStorage.open(url, { schema }) };
});

test('multi-objective results: values and constraints (non-finite too) are stored and read back by another storage', async () => {
  const schema = freshSchema('mo');
  const a = await PostgresStorage.open(testServerUrl(), { schema });
  const b = await PostgresStorage.open(testServerUrl(), { schema });
  try {
    await a.createStudy({ ...studyRecord('s'), directions: ['minimize', 'maximize'], metrics: ['loss', 'acc'] });
    assert.equal((await b.getStudy('s'))?.directions, ['minimize', 'maximize']);
    const t = await a.createTrial('s', { state: 'running', params: {} });
    const done = await a.finishTrial('s', t.number, {
      state: 'complete',
      value: 0.5,
      values: [0.5, Number.NaN],
      constraints: [-1, Number.POSITIVE_INFINITY],
    });
    assert.equal(
      [done.values, done.constraints],
      [
        [0.5, Number.NaN],
        [-1, Number.POSITIVE_INFINITY],
      ],
    );
    assert.equal(await b.getTrial('s', t.number), done);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test.run();
