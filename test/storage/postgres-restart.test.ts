/**
 * PostgresStorage across a server restart, on a private server (so restarting it disturbs no other test): calls made while
 * the server is down retry with backoff and complete once it is back, and nothing acknowledged is lost or applied twice.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { startServer } from '../helpers/postgres.js';
import { rejects, studyRecord } from './contract.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// One private server for this file (starting one takes seconds); each test uses its own schema.
const server = startServer();
let schemas = 0;
const open = (retryMs: number) => PostgresStorage.open(server.url, { retryMs, schema: `restart_${schemas}` });

test('a server stopped for ~1 s mid-sweep: calls retry and go on; every acknowledged trial is stored once', async () => {
  const s = await open(30_000);
  const reader = await open(30_000);
  try {
    await s.createStudy(studyRecord('s'));
    const acked = new Map<number, number>();
    let phase: 'before' | 'down' | 'after' | 'stop' = 'before';
    let afterCount = 0;
    const errors: unknown[] = [];
    // Two sweeps at once, so calls are in flight when the server goes away.
    const sweep = async (w: number) => {
      for (let i = 0; phase !== 'stop'; i++) {
        const t = await s.createTrial('s', { state: 'running', params: { w, i } });
        for (let step = 0; step < 3; step++) await s.reportIntermediate('s', t.number, step, i + step);
        const done = await s.finishTrial('s', t.number, { state: 'complete', value: i });
        acked.set(done.number, i);
        if (phase === 'after') afterCount++;
        await reader.getTrials('s');
      }
    };
    const sweeps = [0, 1].map((w) => sweep(w).catch((e: unknown) => errors.push(e)));
    while (acked.size < 20 && errors.length === 0) await sleep(20);
    phase = 'down';
    await server.stopOnly('fast');
    await sleep(1000);
    await server.start();
    phase = 'after';
    while (afterCount < 20 && errors.length === 0) await sleep(20);
    phase = 'stop';
    await Promise.all(sweeps);
    assert.equal(errors, [], 'no call failed');
    const stored = await reader.getTrials('s');
    assert.equal(
      stored.map((t) => t.number),
      [...stored.keys()],
      'numbers stay dense',
    );
    for (const [number, value] of acked) {
      const t = stored[number]!;
      assert.equal([t.state, t.value, t.intermediate.length], ['complete', value, 3], `acknowledged trial ${number} is intact`);
    }
    const keys = stored.map((t) => JSON.stringify(t.params));
    assert.is(new Set(keys).size, keys.length, 'no retried call created a second trial');
    assert.ok(acked.size >= 40);
  } finally {
    await Promise.all([s.close(), reader.close()]);
  }
});

test('a call made while the server stays down rejects after retryMs with a clear error (no password)', async () => {
  schemas++;
  const s = await open(1500);
  try {
    await s.createStudy(studyRecord('s'));
    await server.stopOnly('immediate');
    const started = Date.now();
    const e = await rejects(s.createTrial('s', { state: 'running', params: {} }), 'ERR_TUNEKIT_STORAGE_UNAVAILABLE');
    assert.ok(Date.now() - started >= 1000, 'it retried before giving up');
    assert.not.match(e.message, decodeURIComponent(new URL(server.url).password));
    await server.start();
    // After a crash the storage re-reads the study from scratch (asynchronously committed changes may be gone) and goes on.
    assert.is((await s.createTrial('s', { state: 'running', params: {} })).number, 0);
    assert.is((await s.getTrials('s')).length, 1);
  } finally {
    await s.close();
    server.destroy();
  }
});

test.run();
