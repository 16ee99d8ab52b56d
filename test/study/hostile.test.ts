/**
 * Objectives that throw or return hostile values fail their own trial with a readable message; the sweep goes on and no
 * trial is left `running` (a resume would otherwise re-run it forever). A blocking objective that overruns its timeout is
 * `failed` ('timeout'), not `complete`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStudy, space } from '../../src/index.js';

const sp = { x: space.float(0, 1) };

function circular(): object {
  const o: { self?: unknown; name: string } = { name: 'loop' };
  o.self = o;
  return o;
}

const hostileThrows: readonly [string, () => unknown, RegExp][] = [
  ['a circular object', circular, /an object .*loop/],
  ['a BigInt', () => 10n, /the bigint 10n/],
  [
    'an object whose toString and toJSON throw',
    () => ({
      toString: () => {
        throw new Error('no');
      },
      toJSON: () => {
        throw new Error('no');
      },
    }),
    /the objective threw/,
  ],
  ['undefined', () => undefined, /the objective threw undefined/],
  ['an Error with an empty message', () => new RangeError(''), /RangeError/],
];

test('an objective that throws anything fails that trial alone, with a readable message, and the sweep goes on', async () => {
  const study = await createStudy({ name: 'throws', space: sp, seed: 1 });
  const res = await study.optimize(
    (_p, ctx) => {
      const h = hostileThrows[ctx.number];
      if (h) throw h[1]();
      return 1;
    },
    { trials: hostileThrows.length + 2, maxConsecutiveFailures: 0 },
  );
  assert.is(res.finished, hostileThrows.length + 2);
  const trials = await study.trials();
  assert.ok(trials.every((t) => t.state !== 'running'));
  hostileThrows.forEach(([what, , message], i) => {
    assert.is(trials[i]?.state, 'failed', what);
    assert.match(trials[i]?.error?.message ?? '', message, what);
  });
  assert.is(trials[hostileThrows.length]?.state, 'complete');
});

test('returned metrics that are not numbers (a string, an object, a cycle) fail the trial; a string objective metric says so', async () => {
  const bad: readonly unknown[] = [
    { value: 1, metrics: { acc: 'x' } },
    { value: 1, metrics: { nested: circular() } },
    { value: 1, metrics: 7 },
  ];
  const study = await createStudy({ name: 'metrics', space: sp, seed: 2 });
  await study.optimize((_p, ctx) => (bad[ctx.number] ?? 0) as number, { trials: bad.length + 1, maxConsecutiveFailures: 0 });
  const trials = await study.trials();
  assert.match(trials[0]?.error?.message ?? '', /metric "acc" must be a number, got the string "x"/);
  assert.match(trials[1]?.error?.message ?? '', /metric "nested" must be a number, got an object/);
  assert.match(trials[2]?.error?.message ?? '', /metrics must be an object of numbers, got the number 7/);
  assert.ok(trials.slice(0, 3).every((t) => t.state === 'failed' && t.reason === 'invalid metrics'));
  assert.is(trials[3]?.state, 'complete');

  const withMetric = await createStudy({ name: 'metric-string', space: sp, seed: 3, metric: 'valAccuracy' });
  await withMetric.optimize(() => ({ valAccuracy: '0.9' }) as never, { trials: 1 });
  const [t] = await withMetric.trials();
  assert.is(t?.state, 'failed');
  assert.match(t?.error?.message ?? '', /the objective metric "valAccuracy" must be a number, got the string "0\.9"/);
  assert.not.match(t?.error?.message ?? '', /lack/);
});

test('a blocking synchronous objective that overran trialTimeoutMs is failed (timeout), not complete', async () => {
  const study = await createStudy({ name: 'blocking', space: sp, seed: 4 });
  await study.optimize(
    (_p, ctx) => {
      if (ctx.number === 0) {
        const end = Date.now() + 300;
        while (Date.now() < end) {
          // blocks the event loop: no timer can fire while it runs
        }
      }
      return 1;
    },
    { trials: 2, trialTimeoutMs: 100, maxConsecutiveFailures: 0 },
  );
  const trials = await study.trials();
  assert.is(trials[0]?.state, 'failed');
  assert.is(trials[0]?.reason, 'timeout');
  assert.is(trials[1]?.state, 'complete');
});

test('a graceful stop kills a trial that ignores it after stopGraceMs, and records it interrupted', async () => {
  const study = await createStudy({ name: 'grace', space: sp, seed: 5 });
  const stop = new AbortController();
  const started = Date.now();
  const run = study.optimize(
    async () => {
      stop.abort();
      await new Promise((r) => setTimeout(r, 60_000)); // ignores ctx.signal
      return 1;
    },
    { trials: 1, signal: stop.signal, stopGraceMs: 200 },
  );
  const res = await run;
  assert.ok(Date.now() - started < 10_000, 'the stop was not bounded');
  assert.is(res.stoppedBy, 'signal');
  const trials = await study.trials();
  assert.is(trials[0]?.state, 'failed');
  assert.is(trials[0]?.reason, 'interrupted');
  assert.is(trials[1]?.state, 'waiting');
});

test('optimize() rejects unbounded numbers up front, naming the field and the limit', async () => {
  const study = await createStudy({ name: 'limits', space: sp, seed: 6 });
  const err = await study.optimize(() => 1, { trials: 1e308 }).catch((e: Error) => e);
  assert.match((err as Error).message, /`trials` must be an integer >= 0 and <= 1000000, got 1e\+308/);
  const err2 = await study.optimize(() => 1, { trials: 1, concurrency: 1e9 }).catch((e: Error) => e);
  assert.match((err2 as Error).message, /`concurrency` must be an integer >= 1 and <= 10000/);
  const err3 = await study.optimize({ module: 'x.ts' }, { trials: 1, workers: 1e9 }).catch((e: Error) => e);
  assert.match((err3 as Error).message, /`workers` must be an integer >= 1 and <= \d+ \(4 x the \d+ cores here\)/);
  const err4 = await study.optimize({ module: 'x.ts' }, { trials: 1, workerMemoryMb: 1 }).catch((e: Error) => e);
  assert.match((err4 as Error).message, /`workerMemoryMb` must be a number >= 64/);
});

test.run();
