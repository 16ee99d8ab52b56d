/**
 * A postgresql:// storage through the public entry points: openStorage dispatches on the scheme (a plain path stays a file),
 * PG* variables fill a bare `postgresql://`, and createStudy / loadStudy / ask / report / tell work on it from two openers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openArtifactStore, openStorage } from '../../src/storage/index.js';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { DirectoryArtifactStore, PostgresArtifactStore } from '../../src/storage/artifacts.js';
import { createStudy, loadStudy, space } from '../../src/index.js';
import { freshSchema, testServerUrl, withSchema } from '../helpers/postgres.js';
import { studyRecord } from './contract.js';

test('openStorage: postgresql:// and postgres:// open a PostgresStorage; a bare postgresql:// reads PG* variables', async () => {
  const url = withSchema(testServerUrl(), freshSchema('open'));
  const a = await openStorage(url);
  assert.instance(a, PostgresStorage);
  await a.createStudy(studyRecord('s'));
  const b = await openStorage(url.replace(/^postgresql:/, 'postgres:'));
  assert.equal(await b.listStudies(), ['s'], 'the same tables');
  await Promise.all([a.close(), b.close()]);
  const u = new URL(testServerUrl());
  const saved = { ...process.env };
  Object.assign(process.env, {
    PGHOST: u.hostname,
    PGPORT: u.port,
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: u.pathname.slice(1),
  });
  try {
    const env = (await openStorage('postgresql://')) as PostgresStorage;
    assert.match(env.where, 'from PG* variables');
    assert.not.match(env.where, decodeURIComponent(u.password));
    assert.ok(Array.isArray(await env.listStudies()));
    await env.close();
  } finally {
    for (const k of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
});

test('openArtifactStore: a postgresql:// URL -> PostgresArtifactStore, a path -> DirectoryArtifactStore', async () => {
  const pg = await openArtifactStore(withSchema(testServerUrl(), freshSchema('artopen')));
  assert.instance(pg, PostgresArtifactStore);
  await pg.close();
  assert.instance(await openArtifactStore('/tmp/tunekit-artifacts-unused'), DirectoryArtifactStore);
});

test('createStudy / loadStudy on a postgresql:// URL: ask, report, tell from two openers', async () => {
  const url = withSchema(testServerUrl(), freshSchema('api'));
  const one = await createStudy({ name: 'q', space: { x: space.float(-1, 1) }, storage: url, seed: 1, pruner: 'median' });
  const t = await one.ask();
  await one.report(t.number, 0, 0.5);
  await one.tell(t.number, 0.25);
  const two = await loadStudy({ name: 'q', storage: url });
  const u = await two.ask();
  assert.is(u.number, 1, 'numbers continue across openers');
  await two.tell(u.number, 0.1);
  const seen = await one.trials();
  assert.equal(
    seen.map((x) => [x.number, x.state, x.value]),
    [
      [0, 'complete', 0.25],
      [1, 'complete', 0.1],
    ],
  );
  await Promise.all([one.close(), two.close()]);
});

test.run();
