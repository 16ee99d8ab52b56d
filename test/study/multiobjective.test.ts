/**
 * Multi-objective and constrained studies through the public Study: arrays and metrics objects as results, tell with arrays,
 * bestTrials against a brute-force front, feasibility of `best`, pruner and searcher refusals before storage is touched, and
 * a resumed multi-objective study proposing what the uninterrupted one proposes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStudy, loadStudy } from '../../src/study/open.js';
import { space } from '../../spaces/index.js';
import { OptionsError, StudyMismatchError } from '../../src/core/errors.js';
import type { PrunerSpec } from '../../src/pruners/index.js';
import type { Metrics, TrialRecord } from '../../src/core/types.js';

const sp = { x: space.float(-2, 2), y: space.float(0, 1) };
type P = { x: number; y: number };
const f = (p: P): [number, number] => [p.x * p.x + p.y, (p.x - 1) ** 2 - p.y];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-mo-'));

/** Brute force: complete trials no other complete trial dominates (both objectives minimised here). */
function bruteFront(trials: readonly TrialRecord[], feasible: (t: TrialRecord) => boolean = () => true): number[] {
  const c = trials.filter((t) => t.state === 'complete' && feasible(t));
  const dominates = (a: readonly number[], b: readonly number[]) => a.every((v, i) => v <= b[i]!) && a.some((v, i) => v < b[i]!);
  return c
    .filter((t) => !c.some((o) => dominates(o.values!, t.values!)))
    .map((t) => t.number)
    .sort((a, b) => a - b);
}

test('an objective returning arrays: values stored, record keeps directions, bestTrials is the brute-force front', async () => {
  const study = await createStudy({ name: 'arr', space: sp, seed: 4, directions: ['minimize', 'minimize'], searcher: 'nsga2' });
  assert.equal(study.directions, ['minimize', 'minimize']);
  assert.equal(study.record.directions, ['minimize', 'minimize']);
  assert.is(study.record.direction, 'minimize');
  await study.optimize((p) => f(p), { trials: 40 });
  const trials = await study.trials();
  assert.ok(trials.every((t) => t.state === 'complete' && t.values?.length === 2 && t.value === t.values[0]));
  const front = study.bestTrials.map((t) => t.number).sort((a, b) => a - b);
  assert.ok(front.length >= 2);
  assert.equal(front, bruteFront(trials));
  assert.is(study.best, undefined, 'several objectives have no single best');
  const lb = await study.leaderboard();
  assert.equal(
    [...lb.summary.front].sort((a, b) => a - b),
    front,
  );
});

test('metrics objects hold every objective metric; a missing one fails the trial naming it', async () => {
  const study = await createStudy({
    name: 'met',
    space: sp,
    seed: 2,
    directions: ['maximize', 'minimize'],
    metrics: ['acc', 'latencyMs'],
    searcher: 'tpe',
  });
  let n = 0;
  await study.optimize(
    (p): Metrics => {
      n++;
      const [a, b] = f(p);
      return n === 3 ? { acc: -a } : { acc: -a, latencyMs: b, other: 1 };
    },
    { trials: 6 },
  );
  const trials = await study.trials();
  const failed = trials.filter((t) => t.state === 'failed');
  assert.is(failed.length, 1);
  assert.match(failed[0]!.error!.message, /latencyMs/);
  const ok = trials.filter((t) => t.state === 'complete');
  assert.is(ok.length, 5);
  for (const t of ok) assert.equal(t.values, [t.metrics!['acc'], t.metrics!['latencyMs']]);
  assert.equal(study.record.metrics, ['acc', 'latencyMs']);
});

test('tell with arrays and { state, values }; a wrong count is refused; reports stay single-valued', async () => {
  const study = await createStudy({ name: 'tell', space: sp, seed: 1, directions: ['minimize', 'maximize'], metrics: ['a', 'b'] });
  const t0 = await study.ask();
  assert.is(await study.report(t0.number, 1, { a: 3, b: 4 }), 'continue');
  const r0 = await study.tell(t0.number, [1, 2]);
  assert.equal(r0.values, [1, 2]);
  assert.is(r0.value, 1);
  assert.is(r0.intermediate[0]!.value, 3, 'a report carries the first objective');
  const t1 = await study.ask();
  const r1 = await study.tell(t1.number, { state: 'complete', values: [0.5, 1], metrics: { a: 0.5, b: 1 } });
  assert.equal(r1.values, [0.5, 1]);
  const t2 = await study.ask();
  try {
    await study.tell(t2.number, [1]);
    assert.unreachable('one value for two objectives');
  } catch (e) {
    assert.instance(e, OptionsError);
    assert.match((e as Error).message, /2 objectives/);
  }
  const r2 = await study.tell(t2.number, [NaN, 1]);
  assert.is(r2.state, 'failed');
  assert.is(r2.reason, 'non-finite value');
  assert.equal(study.bestTrials.map((t) => t.number).sort(), [0, 1]);
});

test('a constrained study never reports an infeasible best while a feasible trial exists', async () => {
  const study = await createStudy({
    name: 'cons',
    space: sp,
    seed: 9,
    direction: 'minimize',
    searcher: 'tpe',
    // Feasible only for x >= 0.5: the unconstrained minimum of x^2 (x = 0) is infeasible.
    constraints: (_m, p) => [0.5 - p.x],
  });
  assert.is(study.record.constraints, true);
  let seenFeasible = false;
  await study.optimize((p) => p.x * p.x, {
    trials: 30,
    onTrialFinished: (t) => {
      if (t.constraints![0]! <= 0) seenFeasible = true;
      const best = study.best;
      if (seenFeasible) assert.ok(best && best.constraints![0]! <= 0, `best #${String(best?.number)} is infeasible`);
      else assert.is(best, undefined);
    },
  });
  const trials = await study.trials();
  const feasible = trials.filter((t) => t.state === 'complete' && t.constraints![0]! <= 0);
  assert.ok(feasible.length > 0 && feasible.length < trials.length, 'both kinds occurred');
  assert.is(study.best!.value, Math.min(...feasible.map((t) => t.value!)));
  const lb = await study.leaderboard();
  assert.is(lb.summary.best!.number, study.best!.number);
});

test('constrained multi-objective: bestTrials is the brute-force front of the feasible trials', async () => {
  const study = await createStudy({
    name: 'mocons',
    space: sp,
    seed: 5,
    directions: ['minimize', 'minimize'],
    searcher: 'nsga2',
    constraints: (_m, p) => [p.y - 0.6],
  });
  await study.optimize((p) => f(p), { trials: 40 });
  const trials = await study.trials();
  const front = study.bestTrials.map((t) => t.number).sort((a, b) => a - b);
  assert.ok(front.length >= 1);
  assert.equal(
    front,
    bruteFront(trials, (t) => t.constraints![0]! <= 0),
  );
  assert.ok(study.bestTrials.every((t) => (t.params as P).y <= 0.6));
});

test('a throwing constraints function fails the trial with its message', async () => {
  const study = await createStudy({
    name: 'consthrow',
    space: sp,
    seed: 1,
    constraints: () => {
      throw new Error('latency unknown');
    },
  });
  const t = await study.ask();
  const r = await study.tell(t.number, 1);
  assert.is(r.state, 'failed');
  assert.is(r.reason, 'constraints failed');
  assert.match(r.error!.message, /latency unknown/);
});

test('pruners that compare objective values are refused with several objectives, before storage is touched', async () => {
  const dir = tmp();
  const file = path.join(dir, 'study.json');
  const specs: PrunerSpec[] = [
    'median',
    { type: 'median', startupTrials: 2 },
    { type: 'any', of: ['nan_guard', { type: 'patience', patience: 3 }] },
  ];
  for (const pruner of specs) {
    try {
      await createStudy({ name: 'p', space: sp, storage: file, directions: ['minimize', 'maximize'], pruner });
      assert.unreachable(`pruner ${JSON.stringify(pruner)} accepted`);
    } catch (e) {
      assert.instance(e, OptionsError);
      assert.match((e as Error).message, /compares trials by one objective value.*diagnostic pruner/);
    }
  }
  try {
    await createStudy({
      name: 'p',
      space: sp,
      storage: file,
      directions: ['minimize', 'maximize'],
      searcher: 'hyperband',
      budget: { min: 1, max: 9 },
    });
    assert.unreachable('hyperband accepted');
  } catch (e) {
    assert.match((e as Error).message, /optimises one objective/);
  }
  assert.not.ok(fs.existsSync(file), 'no storage file written');
  const ok = await createStudy({
    name: 'p',
    space: sp,
    directions: ['minimize', 'maximize'],
    pruner: { type: 'any', of: ['nan_guard', 'exploding'] },
  });
  assert.equal(ok.directions, ['minimize', 'maximize']);
});

test('bad objective options name the option', async () => {
  const bad: [object, RegExp][] = [
    [{ directions: [] }, /directions/],
    [{ directions: ['up'] }, /directions/],
    [{ direction: 'maximize', directions: ['minimize', 'minimize'] }, /direction === directions\[0\]/],
    [{ directions: ['minimize', 'minimize'], metrics: ['a'] }, /metrics.length === directions.length/],
    [{ constraints: 'x < 1' }, /constraints/],
  ];
  for (const [o, re] of bad) {
    try {
      await createStudy({ name: 'b', space: sp, ...o } as Parameters<typeof createStudy>[0]);
      assert.unreachable(JSON.stringify(o));
    } catch (e) {
      assert.instance(e, OptionsError);
      assert.match((e as Error).message, re);
    }
  }
});

test('continuing a stored study (loadIfExists) with other directions or without its constraints is a mismatch', async () => {
  const file = path.join(tmp(), 'study.json');
  const s = await createStudy({ name: 'mm', space: sp, storage: file, directions: ['minimize', 'maximize'], constraints: () => [0] });
  await s.close();
  const again = (o: object) => createStudy({ name: 'mm', space: sp, storage: file, loadIfExists: true, ...o });
  for (const [o, re] of [
    [{ directions: ['minimize', 'maximize'] }, /stored with constraints true, but false was given/],
    [{ directions: ['minimize', 'minimize'], constraints: () => [0] }, /stored with directions \["minimize","maximize"\]/],
  ] as const) {
    try {
      await again(o);
      assert.unreachable(JSON.stringify(o));
    } catch (e) {
      assert.instance(e, StudyMismatchError);
      assert.match((e as Error).message, re);
    }
  }
  const ok = await again({ directions: ['minimize', 'maximize'], constraints: () => [0] });
  assert.is(ok.record.constraints, true);
  await ok.close();
});

test('a derived objective: values from final metrics; reports carry it when computable, else valLoss', async () => {
  const study = await createStudy({
    name: 'derived',
    space: sp,
    seed: 1,
    direction: 'maximize',
    metric: 'score',
    derivedMetrics: {
      score: (m) => {
        if (m['acc'] === undefined || m['size'] === undefined) throw new Error('score needs acc and size');
        return m['acc'] - 0.01 * Math.log10(m['size']);
      },
    },
  });
  await study.optimize(
    async (_p, ctx) => {
      await ctx.report(1, { acc: 0.5, size: 100 });
      await ctx.report(2, { acc: 0.6, valLoss: 0.7 });
      return { acc: 0.9, size: 1000 };
    },
    { trials: 1 },
  );
  const [t] = await study.trials();
  assert.is(t!.state, 'complete', t!.error?.message);
  assert.ok(Math.abs(t!.value! - 0.87) < 1e-12, 'the value is the derived metric of the final metrics');
  assert.ok(Math.abs(t!.metrics!['score']! - 0.87) < 1e-12, 'stored with the metrics');
  assert.equal(
    t!.intermediate.map((i) => +i.value.toFixed(12)),
    [0.48, 0.7],
  );
  const u = await study.ask();
  const err = await study.report(u.number, 1, { acc: 0.6 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, OptionsError);
  assert.match(
    (err as Error).message,
    /cannot be computed from this report \(.*score needs acc and size\), and the report lacks "valLoss"/,
  );
});

test('resume: a reloaded multi-objective study (file storage) proposes what the uninterrupted one proposes', async () => {
  const dir = tmp();
  for (const searcher of ['tpe', 'nsga2']) {
    const opts = { name: `r-${searcher}`, space: sp, seed: 11, directions: ['minimize', 'minimize'] as const, searcher };
    const live = await createStudy({ ...opts, storage: path.join(dir, `live-${searcher}.json`) });
    await live.optimize((p) => f(p), { trials: 14 });
    const next = await live.ask();
    await live.close();
    const file = path.join(dir, `resumed-${searcher}.json`);
    const first = await createStudy({ ...opts, storage: file });
    await first.optimize((p) => f(p), { trials: 14 });
    await first.close();
    const resumed = await loadStudy({ name: opts.name, storage: file });
    assert.equal(resumed.directions, ['minimize', 'minimize']);
    const again = await resumed.ask();
    assert.is(again.number, next.number);
    assert.equal(again.params, next.params, `${searcher}: same next suggestion`);
    await resumed.close();
  }
});

test.run();
