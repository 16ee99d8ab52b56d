import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStudy, loadStudy } from '../../src/study/open.js';
import { space } from '../../spaces/index.js';
import type { Pruner } from '../../src/pruners/index.js';
import { InMemoryStorage } from '../../src/storage/index.js';

const sp = { x: space.float(-5, 5), y: space.float(-5, 5), k: space.choice(['a', 'b']) };
const quad = (p: { x: number; y: number }) => (p.x - 1) ** 2 + (p.y + 2) ** 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-study-'));

test('optimize with concurrency 4 runs async objectives in parallel and finishes the budget', async () => {
  const study = await createStudy({ name: 's', space: sp, seed: 1 });
  let inFlight = 0;
  let peak = 0;
  const res = await study.optimize(
    async (p) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(5 + (p.x > 0 ? 10 : 0));
      inFlight--;
      return quad(p);
    },
    { trials: 24, concurrency: 4 },
  );
  assert.is(res.stoppedBy, 'budget');
  assert.is(res.finished, 24);
  assert.is(peak, 4);
  const trials = await study.trials();
  assert.is(trials.length, 24);
  assert.ok(trials.every((t) => t.state === 'complete' && t.value === quad(t.params as { x: number; y: number })));
  const min = Math.min(...trials.map((t) => t.value as number));
  assert.is(study.best?.value, min);
  assert.ok(trials.every((t) => t.started && t.finished && t.started <= t.finished));
});

test('same seed, same params per trial number, whatever the concurrency', async () => {
  const run = async (concurrency: number) => {
    const study = await createStudy({ name: 'd', space: sp, seed: 42 });
    await study.optimize(
      async (p) => {
        await sleep(Math.random() * 5); // scheduling noise must not matter
        return quad(p);
      },
      { trials: 12, concurrency },
    );
    return (await study.trials()).map((t) => t.params);
  };
  assert.equal(await run(1), await run(4));
});

test('a throwing objective fails its trial with the message; the sweep goes on', async () => {
  const study = await createStudy({ name: 'f', space: sp, seed: 3 });
  let calls = 0;
  await study.optimize(
    (p) => {
      calls++;
      if (calls % 3 === 0) throw new Error(`boom at x=${p.x.toFixed(2)}`);
      return quad(p);
    },
    { trials: 9, concurrency: 1 },
  );
  const trials = await study.trials();
  const failed = trials.filter((t) => t.state === 'failed');
  assert.is(trials.length, 9);
  assert.is(failed.length, 3);
  assert.match(failed[0]?.error?.message ?? '', /^boom at x=/);
  assert.ok(failed[0]?.error?.stack?.includes('study.test'));
});

test('maxConsecutiveFailures stops a sweep whose every trial fails, with a clear error', async () => {
  const study = await createStudy({ name: 'mf', space: sp, seed: 3 });
  const err = await study
    .optimize(
      () => {
        throw new Error('cannot connect');
      },
      { trials: 50, maxConsecutiveFailures: 4 },
    )
    .catch((e: Error) => e);
  assert.instance(err, Error);
  assert.match((err as Error).message, /last 4 trials all failed.*cannot connect/);
  assert.is((await study.trials()).length, 4);
});

test('catch: false fails the trial and rethrows after running trials end', async () => {
  const study = await createStudy({ name: 'c', space: sp, seed: 3 });
  const err = await study
    .optimize(
      async (_p, ctx) => {
        if (ctx.number === 2) throw new RangeError('bad');
        await sleep(2);
        return 1;
      },
      { trials: 10, concurrency: 2, catch: false },
    )
    .catch((e: Error) => e);
  assert.instance(err, RangeError);
  const trials = await study.trials();
  assert.is(trials.find((t) => t.number === 2)?.state, 'failed');
  assert.ok(
    trials.every((t) => t.state !== 'running'),
    'no trial left running',
  );
  assert.ok(trials.length < 10);
});

test('non-finite objective values fail the trial; NaN never becomes best', async () => {
  const study = await createStudy({ name: 'nan', space: sp, seed: 3 });
  await study.optimize((_p, ctx) => (ctx.number === 0 ? NaN : ctx.number), { trials: 3 });
  const [t0] = await study.trials();
  assert.is(t0?.state, 'failed');
  assert.is(t0?.reason, 'non-finite value');
  assert.is(study.best?.number, 1);
});

test('ask / report / tell, with a pruner that prunes on a threshold', async () => {
  const pruner: Pruner = {
    type: 'threshold',
    decide: ({ trial }) =>
      (trial.intermediate.at(-1)?.value ?? 0) > 10 ? { action: 'prune', reason: 'value above 10' } : { action: 'continue' },
  };
  const study = await createStudy({ name: 'att', space: sp, seed: 5, pruner, direction: 'maximize' });
  const a = await study.ask();
  const b = await study.ask();
  assert.is(a.number, 0);
  assert.is(b.number, 1);
  assert.is(await study.report(a.number, 0, 1), 'continue');
  assert.is(await study.report(a.number, 1, 20), 'prune');
  const pr = await study.tell(a.number, 3); // told a value after a prune decision: still pruned, with the reason
  assert.is(pr.state, 'pruned');
  assert.is(pr.reason, 'value above 10');
  assert.is(pr.value, 3);
  const done = await study.tell(b.number, { state: 'complete', value: 7, metrics: { acc: 0.5 } });
  assert.equal(done.metrics, { acc: 0.5 });
  assert.not.throws(() => undefined);
  const again = await study.tell(b.number, 8).catch((e: Error) => e);
  assert.match((again as Error).message, /trial 1 of study "att" is complete.*never change/);
  assert.is(study.best?.number, 1);
});

test('optimize: ctx.report prune aborts the signal and the trial ends pruned (objective returns or throws)', async () => {
  const pruner: Pruner = { type: 'p', decide: ({ step }) => (step >= 2 ? { action: 'prune', reason: 'step 2' } : { action: 'continue' }) };
  const study = await createStudy({ name: 'pr', space: sp, seed: 5, pruner });
  await study.optimize(
    async (_p, ctx) => {
      for (let step = 0; step < 10; step++) {
        if ((await ctx.report(step, step * 1.5)) === 'prune') {
          assert.ok(ctx.signal.aborted);
          return 0; // returning after a prune decision still records the trial as pruned
        }
      }
      return 1;
    },
    { trials: 2 },
  );
  const trials = await study.trials();
  assert.ok(trials.every((t) => t.state === 'pruned' && t.reason === 'step 2' && t.intermediate.length === 3));
  assert.is(trials[0]?.value, 0);
});

test('metrics objects: report and return metrics with createStudy({ metric })', async () => {
  const study = await createStudy({ name: 'm', space: sp, seed: 5, metric: 'acc', direction: 'maximize' });
  await study.optimize(
    async (_p, ctx) => {
      await ctx.report(0, { acc: 0.3, loss: 2 });
      return { acc: 0.5 + ctx.number / 10, loss: 1 };
    },
    { trials: 3 },
  );
  const trials = await study.trials();
  assert.equal(
    trials.map((t) => t.value),
    [0.5, 0.6, 0.7],
  );
  assert.equal(trials[0]?.metrics, { acc: 0.5, loss: 1 });
  assert.equal(trials[0]?.intermediate, [{ step: 0, value: 0.3, metrics: { acc: 0.3, loss: 2 } }]);
  const noMetric = await createStudy({ name: 'nm', space: sp });
  const t = await noMetric.ask();
  assert.not.ok(
    await noMetric.report(t.number, 0, { acc: 1 }).then(
      () => true,
      (e: Error) => (/createStudy\(\{ metric/.test(e.message) ? false : true),
    ),
  );
});

test('grid: optimize stops when the grid is exhausted', async () => {
  const study = await createStudy({ name: 'g', space: { a: space.int(1, 3), b: space.bool() }, searcher: 'grid', seed: 1 });
  const res = await study.optimize((p) => p.a + (p.b ? 1 : 0), { trials: 100, concurrency: 3 });
  assert.is(res.stoppedBy, 'exhausted');
  assert.is((await study.trials()).length, 6);
  assert.ok(
    await study.ask().then(
      () => false,
      (e: Error) => /nothing left/.test(e.message),
    ),
  );
});

test('trialTimeoutMs fails a hung trial with reason timeout; timeoutMs stops starting trials', async () => {
  const study = await createStudy({ name: 't', space: sp, seed: 1 });
  await study.optimize(
    async (_p, ctx) => {
      if (ctx.number === 1) await new Promise((r) => setTimeout(r, 10_000).unref());
      return 1;
    },
    { trials: 3, trialTimeoutMs: 50 },
  );
  const t1 = (await study.trials())[1];
  assert.is(t1?.state, 'failed');
  assert.is(t1?.reason, 'timeout');
  const s2 = await createStudy({ name: 't2', space: sp, seed: 1 });
  const res = await s2.optimize(
    async () => {
      await sleep(20);
      return 1;
    },
    { trials: 1000, timeoutMs: 70 },
  );
  assert.is(res.stoppedBy, 'timeout');
  assert.ok(res.finished >= 2 && res.finished < 10, `finished ${res.finished}`);
});

test('an aborted sweep records running trials as interrupted and re-runs them next time', async () => {
  const storage = new InMemoryStorage();
  const study = await createStudy({ name: 'int', space: sp, seed: 8, storage });
  const stop = new AbortController();
  const res = await study.optimize(
    async (_p, ctx) => {
      if (ctx.number === 3) stop.abort();
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, 20);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(new Error('aborted'));
        });
      });
      return ctx.number;
    },
    { trials: 10, concurrency: 2, signal: stop.signal },
  );
  assert.is(res.stoppedBy, 'signal');
  let trials = await study.trials();
  const interrupted = trials.filter((t) => t.reason === 'interrupted');
  assert.ok(interrupted.length >= 1);
  const retries = trials.filter((t) => t.state === 'waiting');
  assert.is(retries.length, interrupted.length);
  assert.equal(
    retries.map((t) => t.params),
    interrupted.map((t) => t.params),
  );
  await study.optimize((_p, ctx) => ctx.number, { trials: 10 });
  trials = await study.trials();
  const counted = trials.filter((t) => t.state === 'complete');
  assert.is(counted.length, 10);
  for (const i of interrupted)
    assert.ok(
      trials.some((t) => t.system['retryOf'] === i.number && t.state === 'complete'),
      `retry of ${i.number}`,
    );
});

test('enqueue runs given params first', async () => {
  const study = await createStudy({ name: 'e', space: sp, seed: 1 });
  await study.enqueue({ x: 1, y: -2, k: 'b' });
  const a = await study.ask();
  assert.equal(a.params, { x: 1, y: -2, k: 'b' });
  assert.ok(
    await study.enqueue({ x: 99, y: 0, k: 'a' } as never).then(
      () => false,
      (e: Error) => /x/.test(e.message),
    ),
  );
});

test('createStudy validates options up front with TypeErrors', async () => {
  const bad = async (o: object, re: RegExp) => {
    const e = await createStudy(o as never).catch((x: Error) => x);
    assert.instance(e, TypeError, `expected TypeError for ${JSON.stringify(o)}`);
    assert.match((e as Error).message, re);
  };
  await bad({ name: '', space: sp }, /name/);
  await bad({ name: 'x', space: sp, direction: 'up' }, /direction.*minimize/);
  await bad({ name: 'x', space: sp, seed: 1.5 }, /seed/);
  await bad({ name: 'x', space: sp, sampler: 'tpe' }, /unknown option "sampler"/);
  const e = await createStudy({ name: 'x', space: sp, searcher: 'nope' }).catch((x: Error) => x);
  assert.match((e as Error).message, /unknown searcher "nope"/);
});

test('file storage: create, close, loadStudy, loadIfExists and mismatch errors', async () => {
  const file = path.join(tmp(), 'study.json');
  const s1 = await createStudy({ name: 'fs', space: sp, seed: 77, storage: file, searcher: 'sobol' });
  await s1.optimize((p) => quad(p), { trials: 5 });
  await s1.close();
  const s2 = await loadStudy({ name: 'fs', storage: file });
  assert.is(s2.seed, 77);
  assert.is(s2.searcherType, 'sobol');
  assert.is((await s2.trials()).length, 5);
  assert.ok(s2.best);
  await s2.close();
  const exists = await createStudy({ name: 'fs', space: sp, storage: file }).catch((e: Error) => e);
  assert.match((exists as Error).message, /already exists.*loadIfExists/);
  const mismatch = await createStudy({ name: 'fs', space: { x: space.float(0, 1) }, storage: file, loadIfExists: true }).catch(
    (e: Error) => e,
  );
  assert.match((mismatch as Error).message, /stored with space/);
  const s3 = await createStudy({ name: 'fs', space: sp, storage: file, loadIfExists: true, searcher: 'sobol' });
  await s3.optimize((p) => quad(p), { trials: 8 });
  assert.is((await s3.trials()).length, 8);
  await s3.close();
  const missing = await loadStudy({ name: 'other', storage: file }).catch((e: Error) => e);
  assert.match((missing as Error).message, /no study named "other".*"fs"/);
});

test('budgets and promotions reach the objective: ctx.budget and ctx.continueFrom come from the suggestion', async () => {
  const { registerSearcher } = await import('../../searchers/index.js');
  // A scripted two-rung searcher: trial 0 with budget 1, then its promotion with budget 3 continuing from trial 0.
  registerSearcher('two-rung-test', (init) => ({
    type: 'two-rung-test',
    suggest: ({ number, trials }) => {
      if (number === 0) return { kind: 'suggest', params: init.space.decode([0.25, 0.25, 1, 0]), budget: 1 };
      if (number === 1)
        return trials[0]?.state === 'running'
          ? { kind: 'wait' }
          : { kind: 'suggest', params: trials[0]!.params, budget: 3, system: { continueFrom: 0 } };
      return { kind: 'exhausted' };
    },
  }));
  const study = await createStudy({ name: 'mf', space: sp, searcher: 'two-rung-test', seed: 1 });
  const seen: { number: number; budget?: number; continueFrom?: number }[] = [];
  const res = await study.optimize(
    async (p, ctx) => {
      seen.push({
        number: ctx.number,
        ...(ctx.budget !== undefined ? { budget: ctx.budget } : {}),
        ...(ctx.continueFrom !== undefined ? { continueFrom: ctx.continueFrom } : {}),
      });
      await sleep(5);
      return quad(p);
    },
    { trials: 5, concurrency: 2 },
  );
  assert.is(res.stoppedBy, 'exhausted');
  assert.equal(seen, [
    { number: 0, budget: 1 },
    { number: 1, budget: 3, continueFrom: 0 },
  ]);
  const trials = await study.trials();
  assert.equal(
    trials.map((t) => t.budget),
    [1, 3],
  );
  assert.equal(trials[1]?.system, { continueFrom: 0 });
});

test('createStudy({ budget }) is validated, stored, and handed to the searcher', async () => {
  const { registerSearcher } = await import('../../searchers/index.js');
  const seen: unknown[] = [];
  registerSearcher('budget-probe-test', (init) => {
    seen.push(init.budget);
    return { type: 'budget-probe-test', suggest: () => ({ kind: 'exhausted' }) };
  });
  const bad = await createStudy({ name: 'b', space: sp, budget: { min: 9, max: 3 } }).catch((e: Error) => e);
  assert.match((bad as Error).message, /budget.min <= budget.max/);
  const file = path.join(tmp(), 'study.json');
  const study = await createStudy({ name: 'b', space: sp, searcher: 'budget-probe-test', budget: { min: 1, max: 27 }, storage: file });
  assert.equal(study.record.budget, { min: 1, max: 27 });
  await study.close();
  const again = await loadStudy({ name: 'b', storage: file });
  assert.equal(again.record.budget, { min: 1, max: 27 });
  assert.equal((await again.leaderboard()).study.budget, { min: 1, max: 27 });
  await again.close();
  assert.equal(seen.at(-1), { min: 1, max: 27 });
});

test('pruner specs: validated up front, stored with the study, rebuilt by loadStudy', async () => {
  const bad = await createStudy({ name: 'ps', space: sp, pruner: 'medain' }).catch((e: Error) => e);
  assert.instance(bad, TypeError);
  assert.match((bad as Error).message, /unknown pruner "medain"/);
  const file = path.join(tmp(), 'study.json');
  const spec = { type: 'threshold', upper: 10 } as const;
  const s1 = await createStudy({ name: 'ps', space: sp, pruner: spec, storage: file, seed: 2 });
  assert.equal(s1.record.pruner, spec);
  await s1.close();
  const s2 = await loadStudy({ name: 'ps', storage: file });
  const t = await s2.ask();
  assert.is(await s2.report(t.number, 0, 5), 'continue');
  assert.is(await s2.report(t.number, 1, 50), 'prune', 'the stored threshold pruner is back');
  const rec = await s2.tell(t.number, 50);
  assert.is(rec.state, 'pruned');
  assert.match(rec.reason ?? '', /50/);
  await s2.close();
});

test("study.optimize({ module }, { workers }) runs a user module's trials in the worker pool", async () => {
  const module = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/pool/trainable.ts');
  const study = await createStudy({ name: 'pooled', space: { x: space.float(-1, 1), steps: space.int(1, 3) }, metric: 'loss', seed: 4 });
  const res = await study.optimize({ module }, { trials: 4, workers: 2 });
  assert.is(res.stoppedBy, 'budget');
  const trials = await study.trials();
  assert.is(trials.length, 4);
  assert.ok(
    trials.every((t) => t.state === 'complete' && typeof t.value === 'number'),
    JSON.stringify(trials.map((t) => [t.state, t.error?.message])),
  );
  assert.ok(
    trials.every((t) => t.intermediate.length === (t.params as { steps: number }).steps),
    'per-step reports streamed back',
  );
  await study.close();
});

test('a trial is on disk before it is reported finished, even while the next trial runs during its fsync', async () => {
  const file = path.join(tmp(), 'study.json');
  const study = await createStudy({ name: 'durable', space: sp, seed: 6, storage: file });
  const problems: string[] = [];
  let reported = 0;
  await study.optimize(
    async (p, ctx) => {
      await ctx.report(0, p.x);
      return quad(p);
    },
    {
      trials: 40,
      onTrialFinished: (t) => {
        reported++;
        // Read the journal synchronously at the moment of the report: the finish line must already be there.
        const journal = fs.readFileSync(`${file}.wal`, 'utf8');
        if (!journal.includes(`"op":"finishTrial","study":"durable","number":${t.number},`))
          problems.push(`trial ${t.number} reported before its finish was written`);
      },
    },
  );
  assert.is(reported, 40);
  assert.equal(problems, []);
  await study.close();
});

test('afterTrial is awaited after a trial ends and before it is told (a checkpoint upload lands before the trial is finished)', async () => {
  const study = await createStudy({ name: 'after', space: sp, seed: 2 });
  const seen: string[] = [];
  const res = await study.optimize((p) => quad(p), {
    trials: 4,
    concurrency: 2,
    afterTrial: async (n: number) => {
      await sleep(5);
      seen.push(`${n}:${String((await study.trial(n))?.state)}`);
    },
  });
  assert.is(res.finished, 4);
  assert.equal(seen.sort(), ['0:running', '1:running', '2:running', '3:running']);
  assert.ok((await study.trials()).every((t) => t.state === 'complete'));
});

test.run();
