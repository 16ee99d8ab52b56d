/**
 * The shared storage contract against a real PostgreSQL server (test/helpers/postgres.ts starts one when TUNEKIT_TEST_PG is not
 * set), each storage in its own schema. The multi-process behaviour has its own files: postgres-concurrency.test.ts,
 * postgres-stale.test.ts, postgres-restart.test.ts.
 */
import { PostgresStorage } from '../../src/storage/postgres.js';
import { freshSchema, testServerUrl } from '../helpers/postgres.js';
import { storageContract } from './contract.js';

storageContract('PostgresStorage', async () => {
  const url = testServerUrl();
  const schema = freshSchema('contract');
  return { storage: await PostgresStorage.open(url, { schema }), reopen: () => PostgresStorage.open(url, { schema }) };
});
