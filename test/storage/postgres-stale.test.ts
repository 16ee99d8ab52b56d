/**
 * Heartbeats, stale trials and fencing on PostgresStorage: failStale fails and retries each stale trial exactly once however
 * many processes call it, and a worker whose trial was taken away can change nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { InMemoryStorage } from '../../src/storage/memory.js';
import { keepAlive, newOwner } from '../../src/storage/heartbeat.js';
import type { TrialRecord } from '../../src/core/types.js';
import { freshSchema, testServerUrl } from '../helpers/postgres.js';
import { rejects, studyRecord } from './contract.js';

const A = { host: 'host-a', pid: 123, id: 'worker-a' };
const B = { host: 'host-b', pid: 456, id: 'worker-b' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('failStale: 4 concurrent callers fail each stale trial once and enqueue exactly one retry each', async () => {
  const schema = freshSchema('stale');
  const all = await Promise.all(Array.from({ length: 4 }, () => PostgresStorage.open(testServerUrl(), { schema })));
  try {
    const [s] = all;
    await s!.createStudy(studyRecord('s'));
    const trials: TrialRecord[] = [];
    for (let i = 0; i < 8; i++) {
      trials.push(
        await s!.createTrial('s', { state: 'running', params: { i }, budget: 3, system: { bracket: i }, userAttrs: { u: i }, owner: A }),
      );
    }
    await s!.reportIntermediate('s', 3, 1, 0.5);
    const noOwner = await s!.createTrial('s', { state: 'running', params: { legacy: true } });
    // Trial 0 stays alive: its worker heartbeats every 100 ms while the others fall silent for longer than the grace period.
    let beating = true;
    const beat = (async () => {
      while (beating) {
        await s!.heartbeat('s', 0, A);
        await sleep(100);
      }
    })();
    await sleep(1300);
    assert.equal(await s!.failStale('s', 60_000), [], 'nothing is stale within a long grace period');
    const results = await Promise.all(all.flatMap((x) => [x.failStale('s', 1000), x.failStale('s', 1000)]));
    beating = false;
    await beat;
    const failed = results.flat();
    assert.equal(
      failed.map((t) => t.number).sort((x, y) => x - y),
      [1, 2, 3, 4, 5, 6, 7],
      'each stale trial is returned by exactly one caller',
    );
    for (const t of failed) {
      assert.is(t.state, 'failed');
      assert.match(t.reason!, /^stale: no heartbeat since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z from host-a\/123$/);
    }
    const stored = await all[2]!.getTrials('s');
    const retries = stored.filter((t) => t.state === 'waiting');
    assert.equal(retries.map((t) => t.system.retryOf).sort(), [1, 2, 3, 4, 5, 6, 7], 'one retry per stale trial');
    for (const r of retries) {
      const orig = trials[r.system.retryOf as number]!;
      assert.equal([r.params, r.budget, r.userAttrs, r.system.bracket], [orig.params, 3, orig.userAttrs, orig.system.bracket]);
    }
    assert.is(stored[0]!.state, 'running', 'a trial with a fresh heartbeat is left alone');
    assert.is(stored[noOwner.number]!.state, 'running', 'a trial that never had a heartbeat is left alone');
    assert.is(stored.length, 9 + 7);
    // A retry started by another worker belongs to it: its heartbeats pass, the old owner's are refused.
    const retry = await all[3]!.startWaiting('s', { owner: B });
    assert.ok(retry);
    await all[3]!.heartbeat('s', retry!.number, B);
    await rejects(all[0]!.heartbeat('s', retry!.number, A), 'ERR_TUNEKIT_STALE_TRIAL');
  } finally {
    await Promise.all(all.map((x) => x.close()));
  }
});

test('fencing: once a trial was failed as stale, its worker can neither heartbeat, report, annotate nor finish it', async () => {
  const s = await PostgresStorage.open(testServerUrl(), { schema: freshSchema('fence') });
  try {
    await s.createStudy(studyRecord('s'));
    const t = await s.createTrial('s', { state: 'running', params: { x: 1 }, owner: A });
    await s.heartbeat('s', t.number, A);
    await rejects(s.heartbeat('s', t.number, B), 'ERR_TUNEKIT_STALE_TRIAL');
    await s.reportIntermediate('s', t.number, 0, 1);
    await sleep(150);
    const [stale] = await s.failStale('s', 100);
    assert.is(stale?.number, t.number);
    const e = await rejects(s.heartbeat('s', t.number, A), 'ERR_TUNEKIT_STALE_TRIAL');
    assert.match(e.message, 'stale: no heartbeat since');
    await rejects(s.reportIntermediate('s', t.number, 1, 0.5), 'ERR_TUNEKIT_TRIAL_STATE');
    await rejects(s.setTrialUserAttr('s', t.number, 'late', true), 'ERR_TUNEKIT_TRIAL_STATE');
    await rejects(s.finishTrial('s', t.number, { state: 'complete', value: 0.1 }), 'ERR_TUNEKIT_TRIAL_STATE');
    const after = await s.getTrial('s', t.number);
    assert.equal(
      [after?.state, after?.value, after?.intermediate.length, after?.userAttrs],
      ['failed', undefined, 1, {}],
      'nothing was overwritten',
    );
    // A trial created without an owner is claimed by its first heartbeat.
    const free = await s.createTrial('s', { state: 'running', params: {} });
    await s.heartbeat('s', free.number, B);
    await rejects(s.heartbeat('s', free.number, A), 'ERR_TUNEKIT_STALE_TRIAL');
    await rejects(s.heartbeat('s', 999, A), 'ERR_TUNEKIT_TRIAL_NOT_FOUND');
    await rejects(s.heartbeat('s', free.number, { host: 'h' } as never), TypeError);
    await rejects(s.failStale('s', -1), TypeError);
  } finally {
    await s.close();
  }
});

test('keepAlive keeps a trial alive past the grace period, and reports once when another process fails it', async () => {
  const s = await PostgresStorage.open(testServerUrl(), { schema: freshSchema('alive') });
  try {
    await s.createStudy(studyRecord('s'));
    const me = newOwner();
    assert.type(me.id, 'string');
    const kept = await s.createTrial('s', { state: 'running', params: { k: 1 }, owner: me });
    const lost = await s.createTrial('s', { state: 'running', params: { k: 2 }, owner: me });
    const losses: string[] = [];
    const a = keepAlive(s, 's', kept.number, me, { intervalMs: 100, onLost: (e) => losses.push(`kept: ${e.code}`) });
    await sleep(1300);
    // Trial `lost` never beat: failed; trial `kept` beat every 100 ms: alive.
    assert.equal(
      (await s.failStale('s', 1000)).map((t) => t.number),
      [lost.number],
    );
    assert.is((await s.getTrial('s', kept.number))?.state, 'running');
    // Someone else takes `kept` away (here: a zero grace period): the next beat notices, once.
    // (A beat that starts after failStale's transaction is newer than "now - 0" and saves the trial: try again then.)
    let taken: readonly { number: number }[] = [];
    for (let i = 0; i < 20 && taken.length === 0; i++) taken = await s.failStale('s', 0);
    assert.equal(
      taken.map((t) => t.number),
      [kept.number],
    );
    await sleep(400);
    assert.equal(losses, ['kept: ERR_TUNEKIT_STALE_TRIAL']);
    await a.stop();
    const none = keepAlive(new InMemoryStorage(), 's', 0, me, { intervalMs: 10, onLost: () => losses.push('memory') });
    await sleep(50);
    await none.stop();
    assert.is(losses.length, 1, 'a storage without heartbeats: no-op');
  } finally {
    await s.close();
  }
});

test.run();
