/**
 * Ask ahead (LoopOptions.askAhead, src/study/feeder.ts) and longest-predicted-first starts (src/study/cost.ts): a slow searcher
 * no longer leaves a lane idle, trials asked ahead are accounted exactly when the loop stops, the global budget holds, and
 * deterministic studies are unchanged.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStudy, loadStudy } from '../../src/study/open.js';
import { space } from '../../spaces/index.js';
import { registerSearcher } from '../../searchers/index.js';
import { InMemoryStorage } from '../../src/storage/index.js';
import type { NewTrial } from '../../src/storage/types.js';
import type { Params, TrialRecord } from '../../src/core/types.js';
import { TooManyFailuresError } from '../../src/core/errors.js';
import { countsTowardBudget } from '../../src/study/ledger.js';
import { CostModel } from '../../src/study/cost.js';
import { compileSpace } from '../../spaces/index.js';
import type { SearchSpace } from '../../spaces/types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sp = { x: space.float(0, 1), kind: space.choice(['short', 'long']) };
/** A point of `sp`'s cube: x, then the one-hot block of kind. */
const point = (s: SearchSpace, x: number, long: boolean) => s.decode([x, long ? 0 : 1, long ? 1 : 0]);

// A searcher that takes `ms` to answer (a GP fitting many trials): random params, drawn from the trial number.
registerSearcher('slow-ask-test', (init, options) => ({
  type: 'slow-ask-test',
  suggest: async ({ number }) => {
    await sleep(typeof options['ms'] === 'number' ? options['ms'] : 0);
    return { kind: 'suggest', params: point(init.space, (number * 0.618) % 1, number % 3 === 1) };
  },
}));

/** Per lane, the gaps between one trial's end and the next trial's start (ms), from the objective's own clock. */
async function laneGaps(askAhead: boolean): Promise<number[]> {
  const study = await createStudy({ name: `gaps-${askAhead}`, space: sp, searcher: { type: 'slow-ask-test', ms: 40 }, seed: 1 });
  const slotOf = new Map<number, number>();
  const times = new Map<number, { start: number; end: number }>();
  await study.optimize(
    async (_p, ctx) => {
      const start = performance.now();
      await sleep(120);
      times.set(ctx.number, { start, end: performance.now() });
      return ctx.number;
    },
    { trials: 10, concurrency: 2, askAhead, onTrialStarted: (e) => slotOf.set(e.number, e.slot) },
  );
  const gaps: number[] = [];
  for (const slot of [0, 1]) {
    const runs = [...times.entries()].filter(([n]) => slotOf.get(n) === slot).map(([, t]) => t);
    runs.sort((a, b) => a.start - b.start);
    for (let i = 1; i < runs.length; i++) gaps.push(runs[i]!.start - runs[i - 1]!.end);
  }
  assert.is(gaps.length, 8, 'ten trials on two lanes');
  return gaps;
}

test('a slow ask no longer leaves a lane idle: the next trial starts as soon as the last one ends', async () => {
  const without = await laneGaps(false);
  // Without asking ahead every next trial waits for the searcher's 40 ms (the test would fail if the loop did not wait).
  assert.ok(Math.min(...without) >= 30, `gaps without ask-ahead: ${without.map((g) => g.toFixed(1)).join(', ')}`);
  const withAhead = await laneGaps(true);
  assert.ok(Math.max(...withAhead) < 20, `gaps with ask-ahead: ${withAhead.map((g) => g.toFixed(1)).join(', ')}`);
});

test('a sweep asking ahead ends with exactly its budget of trials: none asked beyond it, none left waiting', async () => {
  const study = await createStudy({ name: 'exact', space: sp, seed: 2 });
  const res = await study.optimize(
    async (p) => {
      await sleep(p.kind === 'long' ? 8 : 2);
      return p.x;
    },
    { trials: 17, concurrency: 3, askAhead: true },
  );
  assert.is(res.stoppedBy, 'budget');
  assert.is(res.finished, 17);
  const trials = await study.trials();
  assert.is(trials.length, 17, 'no trial asked beyond the budget');
  assert.ok(trials.every((t) => t.state === 'complete'));
});

test('a stop with a trial asked ahead: it is recorded interrupted with one retry enqueued, never run, and the budget stays exact', async () => {
  const storage = new InMemoryStorage();
  const study = await createStudy({ name: 'stop', space: sp, seed: 3, storage });
  const stop = new AbortController();
  const ran: number[] = [];
  const res = await study.optimize(
    async (_p, ctx) => {
      ran.push(ctx.number);
      if (ctx.number === 2) stop.abort(); // trial 3 is asked ahead by now: one lane, one trial ahead
      await sleep(5);
      return ctx.number;
    },
    { trials: 8, concurrency: 1, askAhead: true, signal: stop.signal },
  );
  assert.is(res.stoppedBy, 'signal');
  assert.equal(ran, [0, 1, 2]);
  let trials = await study.trials();
  const t3 = trials.find((t) => t.number === 3);
  assert.is(t3?.state, 'failed');
  assert.is(t3?.reason, 'interrupted');
  const retries = trials.filter((t) => t.system['retryOf'] === 3);
  assert.is(retries.length, 1, 'one retry of the trial asked ahead');
  assert.is(retries[0]?.state, 'waiting');
  assert.equal(retries[0]?.params, t3?.params);
  assert.is(trials.filter((t) => t.state === 'running').length, 0);
  // Resumed: the budget counts 8 finished trials exactly; interrupted ones do not count, their retries do.
  const again = await loadStudy({ name: 'stop', storage });
  const res2 = await again.optimize(async (_p, ctx) => ctx.number, { trials: 8, askAhead: true });
  trials = await again.trials();
  assert.is(trials.filter(countsTowardBudget).length, 8);
  assert.is(res2.finished, 5, 'trials 0-2 counted before');
  assert.ok(
    trials.some((t) => t.system['retryOf'] === 3 && t.state === 'complete'),
    'the retry ran',
  );
  assert.is(trials.filter((t) => t.state === 'waiting' || t.state === 'running').length, 0);
});

test('the time budget and a failure streak leave no trial asked ahead running: interrupted, retried, not counted', async () => {
  const s1 = await createStudy({ name: 'timeout', space: sp, seed: 4 });
  const r1 = await s1.optimize(
    async () => {
      await sleep(15);
      return 1;
    },
    { trials: 1000, concurrency: 2, askAhead: true, timeoutMs: 60 },
  );
  assert.is(r1.stoppedBy, 'timeout');
  let trials = await s1.trials();
  const interrupted = trials.filter((t) => t.reason === 'interrupted');
  // The default searcher (random) ignores results, so four trials per lane are asked ahead (the running ones finish).
  assert.is(interrupted.length, 8, 'the eight trials asked ahead');
  assert.is(r1.finished, trials.filter((t) => t.state === 'complete').length);
  assert.is(trials.filter((t) => t.state === 'running').length, 0);
  assert.is(trials.filter((t) => t.state === 'waiting').length, 8);

  const s2 = await createStudy({ name: 'streak', space: sp, seed: 5 });
  let calls = 0;
  const failed = await s2
    .optimize(
      () => {
        calls++;
        throw new Error('always');
      },
      { trials: 50, concurrency: 1, askAhead: true, maxConsecutiveFailures: 3 },
    )
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(failed instanceof TooManyFailuresError, String(failed));
  trials = await s2.trials();
  assert.is(calls, 3, 'the failure is counted before the next trial starts');
  assert.is(trials.filter((t) => t.state === 'failed' && t.reason !== 'interrupted').length, 3);
  assert.is(trials.filter((t) => t.reason === 'interrupted').length, 1, 'the trial asked ahead');
  assert.is(trials.filter((t) => t.state === 'waiting').length, 1);
});

/** An in-memory storage with the global budget of shared storages (PostgreSQL's createTrialIfBelow). */
class SharedMemoryStorage extends InMemoryStorage {
  created = 0;
  #chain: Promise<unknown> = Promise.resolve();
  /** Atomic like PostgreSQL's: calls run one at a time, so two cannot both pass the check before either creates. */
  createTrialIfBelow(study: string, trial: NewTrial, maxCounted: number): Promise<TrialRecord | undefined> {
    const next = this.#chain.then(() => this.#createIfBelow(study, trial, maxCounted));
    this.#chain = next.catch(() => undefined);
    return next;
  }
  async #createIfBelow(study: string, trial: NewTrial, maxCounted: number): Promise<TrialRecord | undefined> {
    const trials = await this.getTrials(study);
    if (trials.filter((t) => t.state === 'running' || countsTowardBudget(t)).length >= maxCounted) return undefined;
    this.created++;
    return this.createTrial(study, trial);
  }
}

test('the global budget of a shared storage holds with two processes asking ahead', async () => {
  const storage = new SharedMemoryStorage();
  const a = await createStudy({ name: 'shared', space: sp, seed: 6, storage });
  const b = await loadStudy({ name: 'shared', storage });
  const objective = async (p: Params) => {
    await sleep(3 + 5 * (p['x'] as number));
    return p['x'] as number;
  };
  const [ra, rb] = await Promise.all([
    a.optimize(objective, { trials: 11, concurrency: 2, askAhead: true }),
    b.optimize(objective, { trials: 11, concurrency: 2, askAhead: true }),
  ]);
  const trials = await a.trials();
  assert.is(trials.filter(countsTowardBudget).length, 11);
  assert.is(trials.length, 11, 'no trial asked beyond the global budget');
  assert.is(ra.finished + rb.finished, 11);
  assert.ok(ra.stoppedBy === 'budget' && rb.stoppedBy === 'budget');
});

test('a trial asked ahead is stored as started when its lane runs it: stored durations leave out the wait in the queue', async () => {
  const ms = 100;
  const study = await createStudy({ name: 'durations', space: sp, seed: 9 });
  const ran = new Map<number, { start: number; end: number }>();
  await study.optimize(
    async (_p, ctx) => {
      const start = Date.now();
      await sleep(ms);
      ran.set(ctx.number, { start, end: Date.now() });
      return ctx.number;
    },
    { trials: 4, concurrency: 1, askAhead: true },
  );
  const trials = await study.trials();
  assert.is(trials.length, 4);
  for (const t of trials) {
    const [created, started, finished] = [t.created, t.started!, t.finished!].map(Date.parse) as [number, number, number];
    const own = ran.get(t.number)!;
    assert.ok(started <= own.start, `trial ${t.number} is stored as started after its code started`);
    assert.ok(finished - started < ms + 50, `trial ${t.number}: stored duration ${finished - started} ms for a ${ms} ms trial`);
    if (t.number === 0) continue;
    // One lane: trial k was asked while trial k - 1 ran (it waited in the queue) and started only when that one ended.
    const before = ran.get(t.number - 1)!;
    assert.ok(created < before.end - ms / 2, `trial ${t.number} was asked ahead (created ${created}, previous end ${before.end})`);
    assert.ok(started >= before.end, `trial ${t.number}: started ${started} before its lane was free at ${before.end}`);
  }
});

test('a trial asked ahead that another process failed as stale before its start is dropped, not run, and the sweep goes on', async () => {
  // markStarted refuses it (TrialStateError), as PostgreSQL does for a trial failStale took from this process meanwhile.
  class StaleBeforeStart extends InMemoryStorage {
    override async markStarted(study: string, number: number): Promise<TrialRecord> {
      if (number === 1) {
        const t = (await this.getTrial(study, number))!;
        await this.createTrial(study, { state: 'waiting', params: t.params, system: { retryOf: number } });
        await this.finishTrial(study, number, { state: 'failed', reason: 'stale: no heartbeat (test)' });
      }
      return super.markStarted(study, number);
    }
  }
  const study = await createStudy({ name: 'stale-start', space: sp, seed: 10, storage: new StaleBeforeStart() });
  const ran: number[] = [];
  const res = await study.optimize(
    async (_p, ctx) => {
      ran.push(ctx.number);
      await sleep(5);
      return ctx.number;
    },
    { trials: 3, concurrency: 1, askAhead: true },
  );
  assert.is(res.stoppedBy, 'budget');
  assert.not.ok(ran.includes(1), `ran ${ran.join(',')}`);
  const trials = await study.trials();
  assert.is(trials.filter(countsTowardBudget).length, 3);
  assert.ok(
    trials.some((t) => t.system['retryOf'] === 1 && t.state === 'complete'),
    'the retry ran',
  );
});

test('deterministic studies do not ask ahead: the same trials and values with askAhead on or off, whatever the timing', async () => {
  const run = async (askAhead: boolean | undefined, jitter: number) => {
    const study = await createStudy({ name: 'det', space: sp, searcher: 'tpe', seed: 7, deterministic: true });
    await study.optimize(
      async (p, ctx) => {
        await sleep(((ctx.number * 7919 * jitter) % 11) + 1);
        return (p.x - 0.3) ** 2 + (p.kind === 'long' ? 0.1 : 0);
      },
      { trials: 16, concurrency: 3, ...(askAhead !== undefined ? { askAhead } : {}) },
    );
    return (await study.trials()).map((t) => [t.number, t.params, t.value]);
  };
  const reference = await run(undefined, 1);
  assert.equal(await run(true, 3), reference);
  assert.equal(await run(false, 5), reference);
});

test('longest predicted first: a free lane starts a queued long trial before a short one asked earlier, but not for ever', async () => {
  // kind decides the running time (long 40 ms, short 4 ms); one trial in six is short, so long ones keep arriving behind it.
  registerSearcher('mostly-long-test', (init) => ({
    type: 'mostly-long-test',
    suggest: ({ number }) => ({ kind: 'suggest', params: point(init.space, (number % 7) / 7, number % 6 !== 0) }),
  }));
  const study = await createStudy({ name: 'lpt', space: sp, searcher: 'mostly-long-test', seed: 8 });
  const objective = async (p: { kind: string }) => {
    await sleep(p.kind === 'long' ? 40 : 4);
    return 0;
  };
  // Seven finished trials (two short, five long) tell the cost model which kind is long before the queue forms.
  await study.optimize(objective, { trials: 7 });
  const order: number[] = [];
  await study.optimize(objective, { trials: 31, concurrency: 2, askAhead: true, onTrialStarted: (e) => order.push(e.number) });
  const trials = await study.trials();
  const kind = (n: number) => (trials[n]?.params as { kind: string }).kind;
  assert.equal([0, 1, 5, 6].map(kind), ['short', 'long', 'long', 'short']);
  assert.is(order.length, 24);
  // No short trial ever starts before a long one asked earlier, and long ones do overtake short ones (ask order is number order).
  let overtakes = 0;
  order.forEach((n, i) => {
    for (const later of order.slice(i + 1)) {
      if (later >= n) continue;
      assert.ok(!(kind(n) === 'short' && kind(later) === 'long'), `short trial ${n} started before long trial ${later}`);
      if (kind(n) === 'long' && kind(later) === 'short') overtakes++;
    }
  });
  assert.ok(overtakes > 0, `start order ${order.join(',')}`);
  // But no trial is passed over by more than one later-asked trial per lane (two here): a short one does not starve.
  order.forEach((n, i) => {
    const overtakers = order.slice(0, i).filter((m) => m > n);
    assert.ok(overtakers.length <= 2, `trial ${n} started after later trials ${overtakers.join(',')}; order ${order.join(',')}`);
  });
});

test('CostModel: time per step of similar finished trials, times the budget; nothing before a trial of the same branches finished', () => {
  const cube = compileSpace({
    model: space.choice({ mlp: { units: space.int(16, 512, { log: true }) }, cnn: { filters: space.int(8, 64) } }),
    lr: space.float(1e-4, 1e-1, { log: true }),
  });
  const model = new CostModel(cube);
  const at = (ms: number) => new Date(Date.UTC(2026, 11, 4, 0, 0, 0, ms)).toISOString();
  const record = (number: number, params: object, ms: number, steps: number, extra: Partial<TrialRecord> = {}): TrialRecord =>
    ({
      number,
      state: 'complete',
      value: 0,
      params,
      intermediate: Array.from({ length: steps }, (_, step) => ({ step, value: 0 })),
      userAttrs: {},
      system: {},
      created: at(0),
      started: at(0),
      finished: at(ms),
      ...extra,
    }) as TrialRecord;
  const mlp = { model: { type: 'mlp', units: 64 }, lr: 0.01 };
  const cnn = { model: { type: 'cnn', filters: 32 }, lr: 0.01 };
  assert.is(model.predict({ params: mlp }), undefined);
  model.observe(record(0, mlp, 300, 3)); // 100 ms per step
  assert.is(model.predict({ params: cnn }), undefined, 'no cnn trial finished yet: unknown (the queue starts it first)');
  model.observe(record(1, cnn, 3000, 3)); // 1000 ms per step
  model.observe(record(2, { ...cnn, lr: 0.001 }, 1000, 1)); // pruned after one step: still 1000 ms per step
  model.observe(record(3, mlp, 60_000, 3, { state: 'failed', reason: 'interrupted' })); // teaches nothing
  const pMlp = model.predict({ params: { model: { type: 'mlp', units: 70 }, lr: 0.02 } }) as number;
  const pCnn = model.predict({ params: { model: { type: 'cnn', filters: 30 }, lr: 0.02 } }) as number;
  assert.ok(pCnn > 4 * pMlp, `cnn ${pCnn} vs mlp ${pMlp}`);
  assert.ok(pMlp > 90 && pMlp < 300, `mlp ${pMlp}`);
  // This process's own measure of a trial's running time wins over the record's started -> finished.
  const own = new CostModel(cube);
  own.observe(record(0, mlp, 10_000, 2), 200);
  assert.ok(Math.abs((own.predict({ params: mlp }) as number) - 100) < 1e-6);
  // Budgets: steps to run; a promotion runs only the steps beyond its source's budget.
  const mf = new CostModel(cube);
  mf.observe(record(0, mlp, 100, 1, { budget: 1 }));
  assert.ok(Math.abs((mf.predict({ params: mlp, budget: 9 }) as number) - 900) < 1e-6);
  assert.ok(Math.abs((mf.predict({ params: mlp, budget: 9, continueFrom: 0 }) as number) - 800) < 1e-6);
  assert.is(mf.predict({ params: { bogus: true } }), undefined, 'params outside the space: no prediction');
});

test.run();
