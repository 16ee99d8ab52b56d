/**
 * PostgresStorage shared by several storages at once (each with its own connection pools, as separate processes would have):
 * first use of a fresh database, study creation races, trial numbering, the global budget, incremental reads, redaction.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { PostgresStorage, redactUrl } from '../../src/storage/postgres.js';
import { SCHEMA_VERSION } from '../../src/storage/postgres-schema.js';
import type { TrialRecord } from '../../src/core/types.js';
import { freshDatabase, freshSchema, testServerUrl } from '../helpers/postgres.js';
import { rejects, studyRecord } from './contract.js';

const openMany = (n: number, url: string, schema?: string) =>
  Promise.all(Array.from({ length: n }, () => PostgresStorage.open(url, schema ? { schema } : {})));
const closeAll = (list: readonly PostgresStorage[]) => Promise.all(list.map((s) => s.close()));

test('a fresh database opened by 4 storages at once is migrated once; the same study created by all: one wins, the others get StudyExistsError', async () => {
  const url = await freshDatabase();
  const all = await openMany(4, url);
  try {
    for (const name of ['a', 'b', 'c']) {
      const results = await Promise.allSettled(all.map((s) => s.createStudy(studyRecord(name))));
      assert.is(results.filter((r) => r.status === 'fulfilled').length, 1, `exactly one creation of ${name} succeeds`);
      for (const r of results) if (r.status === 'rejected') assert.is((r.reason as { code?: string }).code, 'ERR_TUNEKIT_STUDY_EXISTS');
      for (const s of all) assert.equal(await s.getStudy(name), studyRecord(name), 'every process then loads the same study');
    }
    assert.equal(await all[3]!.listStudies(), ['a', 'b', 'c']);
  } finally {
    await closeAll(all);
  }
});

test('200 createTrial calls from 4 storages at once get the numbers 0..199, each once', async () => {
  const url = testServerUrl();
  const schema = freshSchema('numbers');
  const all = await openMany(4, url, schema);
  try {
    await all[0]!.createStudy(studyRecord('s'));
    const made = (
      await Promise.all(
        all.map((s, w) =>
          Promise.all(Array.from({ length: 50 }, (_, i) => s.createTrial('s', { state: i % 5 ? 'running' : 'waiting', params: { w, i } }))),
        ),
      )
    ).flat();
    assert.equal(
      made.map((t) => t.number).sort((x, y) => x - y),
      Array.from({ length: 200 }, (_, i) => i),
    );
    const stored = await all[1]!.getTrials('s');
    assert.is(stored.length, 200);
    for (const t of made) assert.equal(stored[t.number]!.params, t.params);
    // startWaiting from 4 storages at once: each of the 40 waiting trials is started exactly once.
    const started = (await Promise.all(all.map((s) => Promise.all(Array.from({ length: 15 }, () => s.startWaiting('s')))))).flat();
    const numbers = started.filter((t): t is TrialRecord => t !== undefined).map((t) => t.number);
    assert.is(numbers.length, 40);
    assert.is(new Set(numbers).size, 40);
  } finally {
    await closeAll(all);
  }
});

test('createTrialIfBelow never lets counted + running trials exceed the budget, with 4 storages racing', async () => {
  const schema = freshSchema('budget');
  const all = await openMany(4, testServerUrl(), schema);
  const budget = 25;
  try {
    await all[0]!.createStudy(studyRecord('s'));
    let peak = 0;
    let live = 0;
    const worker = async (s: PostgresStorage, w: number) => {
      for (let k = 0; ; k++) {
        const t = await s.createTrialIfBelow('s', { state: 'running', params: { w, k } }, budget);
        if (t === undefined) return;
        peak = Math.max(peak, ++live);
        // Every 4th trial is interrupted (does not count) and must be replaced by another one.
        const result = k % 4 === 3 ? ({ state: 'failed', reason: 'interrupted' } as const) : ({ state: 'complete', value: k } as const);
        await new Promise((r) => setTimeout(r, 1 + ((w * 7 + k) % 5)));
        live--;
        await s.finishTrial('s', t.number, result);
      }
    };
    await Promise.all(all.map(worker));
    const trials = await all[0]!.getTrials('s');
    const counted = trials.filter((t) => t.state === 'complete' || (t.state === 'failed' && t.reason !== 'interrupted'));
    assert.is(counted.length, budget, 'exactly the budget is used');
    assert.ok(peak <= budget, `never more than the budget at once (peak ${peak})`);
    assert.ok(
      trials.some((t) => t.reason === 'interrupted'),
      'interrupted trials were replaced',
    );
    assert.is(await all[1]!.createTrialIfBelow('s', { state: 'running', params: {} }, budget), undefined);
    await rejects(all[1]!.createTrialIfBelow('s', { state: 'running', params: {} }, -1), TypeError);
    // startWaiting obeys the same limit: a waiting retry is not started once the budget is used.
    await all[2]!.createTrial('s', { state: 'waiting', params: { retry: true } });
    assert.is(await all[2]!.startWaiting('s', { maxCounted: budget }), undefined);
    assert.is((await all[2]!.startWaiting('s', { maxCounted: budget + 1 }))?.params.retry, true);
  } finally {
    await closeAll(all);
  }
});

test('reads are incremental: after N changes a read fetches only the changed rows, however many are stored', async () => {
  const schema = freshSchema('incr');
  const [reader, writer] = await openMany(2, testServerUrl(), schema);
  try {
    await writer!.createStudy(studyRecord('s'));
    for (let i = 0; i < 300; i++) await writer!.createTrial('s', { state: i < 290 ? 'waiting' : 'running', params: { i } });
    const before = reader!.stats.rowsRead;
    assert.is((await reader!.getTrials('s')).length, 300);
    assert.is(reader!.stats.rowsRead - before, 300, 'the first read fetches everything');
    const all = await reader!.getTrials('s');
    assert.is(reader!.stats.rowsRead - before, 300, 'an unchanged study fetches nothing');
    assert.is(await reader!.getTrials('s'), all, 'and returns the same cached array');
    // 5 changes to 3 trials: 2 reports + a finish of trial 295, a user attr on 10, a new trial.
    await writer!.reportIntermediate('s', 295, 1, 0.5);
    await writer!.reportIntermediate('s', 295, 2, 0.4);
    await writer!.finishTrial('s', 295, { state: 'complete', value: 0.4 });
    await writer!.setTrialUserAttr('s', 10, 'note', 'x');
    await writer!.createTrial('s', { state: 'running', params: { i: 300 } });
    const mid = reader!.stats.rowsRead;
    const after = await reader!.getTrials('s');
    assert.is(reader!.stats.rowsRead - mid, 3, 'three changed trials -> three rows');
    assert.is(after.length, 301);
    assert.equal([after[295]!.state, after[295]!.intermediate.length, after[10]!.userAttrs.note], ['complete', 2, 'x']);
    assert.is(after[0], all[0], 'unchanged trials keep their frozen records');
    // A heartbeat does not change the record, so it costs readers nothing.
    await writer!.heartbeat('s', 296, { host: 'h', pid: 1, id: 'w1' });
    const last = reader!.stats.rowsRead;
    await reader!.getTrial('s', 296);
    assert.is(reader!.stats.rowsRead - last, 0);
  } finally {
    await closeAll([reader!, writer!]);
  }
});

test('nextSuggestionNumber: unique across 4 storages at once; equal to the next trial number when one process asks', async () => {
  const schema = freshSchema('draws');
  const all = await openMany(4, testServerUrl(), schema);
  try {
    const [s] = all;
    await s!.createStudy(studyRecord('s'));
    for (let i = 0; i < 3; i++) await s!.createTrial('s', { state: 'running', params: { i } });
    assert.is(await s!.nextSuggestionNumber('s'), 3, 'single process: the number the next trial gets, as trials.length would be');
    assert.is((await s!.createTrial('s', { state: 'running', params: {} })).number, 3);
    await s!.createTrial('s', { state: 'waiting', params: {} });
    assert.is(await s!.nextSuggestionNumber('s'), 5);
    const drawn = (await Promise.all(all.map((x) => Promise.all(Array.from({ length: 25 }, () => x.nextSuggestionNumber('s')))))).flat();
    assert.is(new Set(drawn).size, 100, 'never handed out twice');
    assert.ok(Math.min(...drawn) >= 6);
  } finally {
    await closeAll(all);
  }
});

test('migrations: a schema at an older version is upgraded on open; one at a newer version is refused', async () => {
  const schema = freshSchema('migr');
  const url = testServerUrl();
  const first = await PostgresStorage.open(url, { schema });
  await first.createStudy(studyRecord('s'));
  await first.createTrial('s', { state: 'running', params: { keep: true } });
  await first.close();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // Back to version 1 (what a database made by the previous tunekit looks like).
    await admin.query(`ALTER TABLE ${schema}.tunekit_studies DROP COLUMN draws`);
    await admin.query(`ALTER TABLE ${schema}.tunekit_trials DROP COLUMN objective_values, DROP COLUMN constraints`);
    await admin.query(`DELETE FROM ${schema}.tunekit_migrations WHERE version > 1`);
    const upgraded = await PostgresStorage.open(url, { schema });
    assert.is(await upgraded.nextSuggestionNumber('s'), 1, 'the upgrade added the column');
    assert.equal(
      (await upgraded.getTrials('s')).map((t) => t.params),
      [{ keep: true }],
      'and kept the data',
    );
    await upgraded.close();
    const versions = await admin.query(`SELECT version FROM ${schema}.tunekit_migrations ORDER BY version`);
    assert.equal(
      versions.rows.map((r: { version: number }) => r.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    await admin.query(`INSERT INTO ${schema}.tunekit_migrations (version, description) VALUES ($1, 'from the future')`, [
      SCHEMA_VERSION + 1,
    ]);
    const e = await rejects(PostgresStorage.open(url, { schema }), 'ERR_TUNEKIT_STORAGE_UNAVAILABLE');
    assert.match(e.message, `schema version ${SCHEMA_VERSION + 1}, newer than this tunekit understands`);
  } finally {
    await admin.end();
  }
});

test('passwords never appear: redactUrl, and the error of a bad password or an unreachable server', async () => {
  assert.is(redactUrl('postgresql://alice:s3cret-pw@db.example:5432/tunekit'), 'postgresql://alice:***@db.example:5432/tunekit');
  assert.is(redactUrl('postgres://bob@h/db?password=hunter22&schema=x'), 'postgres://bob@h/db?password=***&schema=x');
  assert.is(redactUrl('postgresql://u:p%40ss@h/db'), 'postgresql://u:***@h/db');
  assert.not.match(redactUrl('postgresql://u:a b@c@h/db'), 'a b@c');
  const good = new URL(testServerUrl());
  const real = decodeURIComponent(good.password);
  const bad = new URL(good.toString());
  bad.password = 'wrong-Passw0rd-xyz';
  const e = await rejects(PostgresStorage.open(bad.toString(), { retryMs: 2000 }), 'ERR_TUNEKIT_STORAGE_UNAVAILABLE');
  assert.match(e.message, 'refused the login');
  assert.match(e.message, `${good.hostname}:${good.port}`, 'the message names the server');
  for (const secret of ['wrong-Passw0rd-xyz', real]) {
    assert.not.match(e.message, secret);
    assert.not.match(String(e.stack), secret);
    assert.not.match(JSON.stringify(e), secret);
  }
  const closed = new URL(good.toString());
  closed.port = '1';
  const e2 = await rejects(PostgresStorage.open(closed.toString(), { retryMs: 300 }), 'ERR_TUNEKIT_STORAGE_UNAVAILABLE');
  assert.match(e2.message, 'nothing accepts connections');
  assert.not.match(e2.message, real);
  const missing = new URL(good.toString());
  missing.pathname = '/no_such_db';
  const e3 = await rejects(PostgresStorage.open(missing.toString(), { retryMs: 300 }), 'ERR_TUNEKIT_STORAGE_UNAVAILABLE');
  assert.match(e3.message, 'does not exist');
  assert.not.match(e3.message, real);
  const s = await PostgresStorage.open(good.toString(), { schema: freshSchema('redact') });
  try {
    assert.not.match(s.where, real);
    const e4 = await rejects(s.createTrial('nope', { state: 'running', params: {} }), 'ERR_TUNEKIT_STUDY_NOT_FOUND');
    assert.not.match(e4.message, real);
  } finally {
    await s.close();
  }
});

test('study names and params are data: quotes and SQL in them are stored as given', async () => {
  const s = await PostgresStorage.open(testServerUrl(), { schema: freshSchema('inject') });
  try {
    const name = `x'); DROP TABLE tunekit_trials; --"`;
    await s.createStudy(studyRecord(name));
    const t = await s.createTrial(name, { state: 'running', params: { "a'b": `'; DELETE FROM tunekit_studies; --` } });
    await s.setTrialUserAttr(name, t.number, `k'"`, `v'"`);
    assert.equal((await s.getTrial(name, t.number))?.params, { "a'b": `'; DELETE FROM tunekit_studies; --` });
    assert.equal((await s.getTrial(name, t.number))?.userAttrs, { [`k'"`]: `v'"` });
    assert.equal(await s.listStudies(), [name]);
    await rejects(PostgresStorage.open(testServerUrl(), { schema: 'bad"; DROP' }), TypeError);
  } finally {
    await s.close();
  }
});

test.run();
