/**
 * Schedulers apart from searchers: the rung schedulers decide exactly as the self-scheduled hyperband/asha searchers, the
 * composed searcher asks its inner searcher only for new configurations (numbered by configuration), what the inner searcher
 * learns from (deepest rung / BOHB's budget rule), PBT's exploit/explore from scripted generations, ASHA's stop rule as a
 * pruner, and the errors composeSearcher gives.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSpace, space } from '../../spaces/index.js';
import { createSearcher, registerSearcher } from '../../searchers/index.js';
import {
  ashaStopPruner,
  budgetHistory,
  hyperbandStopPruner,
  stopBracket,
  composeSearcher,
  createAshaScheduler,
  createHyperbandScheduler,
  createScheduler,
  learningHistory,
  quantileSize,
} from '../../searchers/schedulers/index.js';
import type { Searcher, Suggestion } from '../../searchers/types.js';
import type { Params, TrialRecord } from '../../src/core/types.js';
import { everyKind, fakeTrial, grow } from './contract.js';

type Suggest = Extract<Suggestion, { kind: 'suggest' }>;
const sp4 = compileSpace({ a: space.float(0, 1), b: space.float(0, 1), c: space.float(0, 1), d: space.float(0, 1) });
const init = { space: sp4, seed: 5, direction: 'minimize' as const, budget: { min: 1, max: 9 } };

function isSuggest(r: Suggestion): asserts r is Suggest {
  assert.is(r.kind, 'suggest');
}
function rec(number: number, params: Params, extra: Partial<TrialRecord> = {}): TrialRecord {
  return { ...fakeTrial(number, params, 'complete'), ...extra };
}

/** Grows a history with `s` and records every ask's snapshot and answer. */
async function replay(s: Searcher, count: number): Promise<{ snapshot: TrialRecord[]; answer: Suggestion }[]> {
  const out: { snapshot: TrialRecord[]; answer: Suggestion }[] = [];
  const spy: Searcher = {
    type: s.type,
    async suggest(req) {
      const answer = await s.suggest(req);
      out.push({ snapshot: req.trials.slice(), answer });
      return answer;
    },
  };
  await grow(spy, sp4, count);
  return out;
}

for (const type of ['hyperband', 'asha'] as const) {
  test(`${type} scheduler decides as the ${type} searcher at every ask (budget, system, promoted params)`, async () => {
    const asks = await replay(createSearcher({ type, min: 1, max: 9 }, init), 60);
    const scheduler = (type === 'asha' ? createAshaScheduler : createHyperbandScheduler)(init, { min: 1, max: 9 });
    let promotions = 0;
    for (const { snapshot, answer } of asks) {
      const plan = scheduler.plan({ number: snapshot.length, trials: snapshot });
      if (answer.kind !== 'suggest') {
        assert.is(plan.kind, answer.kind);
        continue;
      }
      assert.ok(plan.kind === 'new' || plan.kind === 'continue', `plan ${plan.kind}`);
      if (plan.kind !== 'new' && plan.kind !== 'continue') continue;
      assert.equal({ budget: plan.budget, system: plan.system }, { budget: answer.budget, system: answer.system });
      if (plan.kind === 'continue') {
        promotions++;
        assert.equal(plan.params, answer.params);
        assert.is(plan.from, answer.system?.['continueFrom']);
      }
    }
    assert.ok(promotions >= 5, `${promotions} promotions checked`);
  });
}

test("random + asha: new configurations are the random searcher's points 0, 1, 2... (numbered by configuration)", async () => {
  const composed = composeSearcher({ searcher: 'random', scheduler: 'asha' }, init);
  assert.is(composed.type, 'random+asha');
  const trials = await grow(composed, sp4, 50);
  const random = createSearcher('random', init);
  const roots = trials.filter((t) => t.system['continueFrom'] === undefined);
  assert.ok(roots.length < trials.length, 'some promotions');
  for (const [i, t] of roots.entries()) {
    const r = await random.suggest({ number: i, trials: [] });
    isSuggest(r);
    assert.equal(t.params, r.params, `configuration ${i}`);
    assert.is(t.budget, 1);
  }
  for (const t of trials) {
    const from = t.system['continueFrom'];
    if (typeof from !== 'number') continue;
    assert.equal(t.params, trials[from]!.params, 'a promotion keeps the params');
    assert.is(t.budget, trials[from]!.budget! * 3, 'and goes one rung up');
  }
});

test('learningHistory: one record per configuration, with its result at the deepest budget reached', () => {
  const p = (a: number) => ({ a, b: 0, c: 0, d: 0 });
  const trials: TrialRecord[] = [
    rec(0, p(0), { budget: 1, value: 5 }),
    rec(1, p(0.1), { budget: 1, value: 2 }),
    rec(2, p(0.2), { budget: 1, state: 'failed' }),
    rec(3, p(0.1), { budget: 3, value: 1.5, system: { continueFrom: 1 } }),
    rec(4, p(0.3), { budget: 1, state: 'running' }),
    rec(5, p(0.1), { budget: 9, value: 1.2, system: { continueFrom: 3 } }),
    rec(6, p(0.4), { budget: 1, state: 'failed', reason: 'interrupted' }),
    rec(7, p(0.4), { budget: 1, state: 'waiting' }),
    rec(8, p(0.0), { budget: 3, state: 'running', system: { continueFrom: 0 } }),
  ];
  const h = learningHistory(trials, 9);
  assert.equal(
    h.map((t) => ({ n: t.number, a: t.params['a'], state: t.state, value: t.value, steps: t.intermediate.map((i) => i.step) })),
    [
      { n: 0, a: 0, state: 'pruned', value: 5, steps: [1] }, // its promotion to 3 still runs: rung-1 result meanwhile
      { n: 1, a: 0.1, state: 'complete', value: 1.2, steps: [] }, // reached max through two promotions
      { n: 2, a: 0.2, state: 'failed', value: undefined, steps: [] },
      { n: 4, a: 0.3, state: 'running', value: undefined, steps: [] }, // records keep their root trial's number
      { n: 7, a: 0.4, state: 'running', value: undefined, steps: [] }, // the retry of an interrupted trial
    ],
  );
  // BOHB's rule: the largest budget with >= 2 complete results is 1 (budget 3 and 9 have one each).
  const b = budgetHistory(trials, 2);
  assert.equal(
    b.map((t) => [t.params['a'], t.state, t.value]),
    [
      [0, 'complete', 5],
      [0.1, 'complete', 2],
      [0.3, 'running', undefined],
      [0.4, 'running', undefined],
    ],
  );
  assert.equal(
    budgetHistory(trials, 1).map((t) => [t.params['a'], t.state, t.value]),
    [
      [0.1, 'complete', 1.2],
      [0.3, 'running', undefined],
      [0.4, 'running', undefined],
    ],
  );
});

test("pbt: the bottom quantile copies a top member's checkpoint with perturbed params, the rest continue; waits per generation", async () => {
  const sp = compileSpace({
    lr: space.float(1e-4, 1e-1, { log: true }),
    units: space.int(1, 8),
    act: space.choice(['relu', 'tanh', 'gelu']),
  });
  const pinit = { space: sp, seed: 9, direction: 'minimize' as const };
  const s = composeSearcher({ searcher: 'random', scheduler: { type: 'pbt', interval: 3, max: 9, population: 4, resample: 1 } }, pinit);
  const trials: TrialRecord[] = [];
  const ask = async () => {
    const r = await s.suggest({ number: trials.length, trials });
    if (r.kind === 'suggest') trials.push({ ...fakeTrial(trials.length, r.params, 'running'), budget: r.budget!, system: r.system ?? {} });
    return r;
  };
  for (let m = 0; m < 4; m++) {
    const r = await ask();
    isSuggest(r);
    assert.equal({ budget: r.budget, system: r.system }, { budget: 3, system: { member: m, generation: 0 } });
  }
  assert.equal(await ask(), { kind: 'wait' }, 'generation 0 runs');
  const values = [4, 1, 3, 2];
  values.forEach((v, i) => (trials[i] = { ...trials[i]!, state: 'complete', value: v }));
  assert.is(quantileSize(4, 0.25), 1);
  const gen1: Suggest[] = [];
  for (let m = 0; m < 4; m++) {
    const r = await ask();
    isSuggest(r);
    gen1.push(r);
    assert.is(r.budget, 6, '3 more steps');
  }
  // Member 0 (worst) exploits member 1 (best): its checkpoint (trial 1) and its params perturbed.
  assert.equal(gen1[0]!.system, { member: 0, generation: 1, continueFrom: 1, exploited: 1 });
  const src = trials[1]!.params;
  const got = gen1[0]!.params;
  const lr = got['lr'] as number;
  assert.ok(
    [0.8, 1.2].some((f) => Math.abs(lr - Math.min(0.1, Math.max(1e-4, (src['lr'] as number) * f))) < 1e-12),
    `lr ${String(src['lr'] as number)} -> ${lr}`,
  );
  assert.ok(
    Math.abs((got['units'] as number) - (src['units'] as number)) >= 1 || [1, 8].includes(src['units'] as number),
    'an int moves by >= 1 step',
  );
  sp.validate(got);
  for (const m of [1, 2, 3])
    assert.equal(
      { params: gen1[m]!.params, system: gen1[m]!.system },
      { params: trials[m]!.params, system: { member: m, generation: 1, continueFrom: m } },
    );
  // Same seed and trial number: the same exploit/explore from a fresh instance.
  const again = composeSearcher({ searcher: 'random', scheduler: { type: 'pbt', interval: 3, max: 9, population: 4, resample: 1 } }, pinit);
  assert.equal(await again.suggest({ number: 4, trials: trials.slice(0, 4) }), gen1[0]);
  // Generation 1: member 2 fails, so it exploits too; generation 2 is the last (9 steps), then the schedule is over.
  [0, 1, 2, 3].forEach(
    (m, i) =>
      (trials[4 + m] = { ...trials[4 + m]!, ...(m === 2 ? { state: 'failed' } : { state: 'complete', value: [0.5, 0.9, 0, 0.7][i]! }) }),
  );
  const g2 = await ask();
  isSuggest(g2);
  assert.equal(g2.system, { member: 0, generation: 2, continueFrom: 4 }, 'member 0 is now the best');
  const m2 = [await ask(), await ask()][1]!;
  isSuggest(m2);
  assert.equal(
    { budget: m2.budget, system: m2.system },
    { budget: 9, system: { member: 2, generation: 2, continueFrom: 4, exploited: 0 } },
  );
  await ask();
  for (let i = 8; i < 12; i++) trials[i] = { ...trials[i]!, state: 'complete', value: 0.1 };
  assert.equal(await ask(), { kind: 'exhausted' });
});

test('asha stop rule (a pruner): a trial goes on at rung k only if among the top max(1, floor(n/eta)) of values there', async () => {
  const pruner = ashaStopPruner({ space: sp4, seed: 1, direction: 'minimize' }, { min: 1, max: 9 });
  const withReports = (n: number, reports: [number, number][]) =>
    rec(n, {}, { state: 'running', intermediate: reports.map(([step, value]) => ({ step, value })) });
  const decide = async (t: TrialRecord, others: TrialRecord[]) =>
    pruner.decide({ trial: t, step: t.intermediate.at(-1)!.step, trials: [...others, t], direction: 'minimize' });
  const first = withReports(0, [[1, 5]]);
  assert.equal(await decide(first, []), { action: 'continue' }, 'the first trial always passes');
  const done = [
    withReports(0, [
      [1, 5],
      [2, 4],
      [3, 3],
    ]),
    withReports(1, [
      [1, 2],
      [2, 1.9],
      [3, 1.8],
    ]),
    withReports(2, [[1, 7]]),
  ];
  assert.equal((await decide(withReports(3, [[1, 2.5]]), done)).action, 'prune', '4 values at rung 0: only the best 1 goes on');
  assert.equal(await decide(withReports(3, [[1, 1.5]]), done), { action: 'continue' });
  assert.equal(
    await decide(
      withReports(3, [
        [1, 1.5],
        [2, 1.4],
      ]),
      done,
    ),
    { action: 'continue' },
    'step 2 is no rung',
  );
  const r = await decide(
    withReports(3, [
      [1, 1.5],
      [2, 1.4],
      [3, 3.5],
    ]),
    done,
  );
  assert.is(r.action, 'prune', 'rung 1 (step 3): 3 values, 3.5 is not the best');
  const stopMode = composeSearcher({ searcher: 'random', scheduler: { type: 'asha', mode: 'stop' } }, init);
  const s = createScheduler({ type: 'asha', mode: 'stop' }, init);
  assert.ok(s.pruner, 'stop mode carries the pruner');
  const x = await stopMode.suggest({ number: 0, trials: [] });
  isSuggest(x);
  assert.is(x.budget, 9, 'stop mode starts every configuration with the full budget');
});

test('what the inner searcher sees: the budget rule by default, the deepest result in stop mode or when asked', async () => {
  let seen: { number: number; trials: readonly TrialRecord[] } | undefined;
  registerSearcher('spy-test', (i) => ({
    type: 'spy-test',
    suggest: (req) => ((seen = req), { kind: 'suggest', params: i.space.decode([0.5, 0.5, 0.5, 0.5]) }),
  }));
  const p = (a: number) => ({ a, b: 0, c: 0, d: 0 });
  const trials = [
    rec(0, p(0.1), { budget: 9, value: 3 }),
    rec(1, p(0.2), { budget: 9, state: 'pruned', value: 5, intermediate: [{ step: 3, value: 5 }] }),
    rec(2, p(0.3), { budget: 9, value: 2 }),
  ];
  const view = async (scheduler: { type: string; [k: string]: string | number }) => {
    await composeSearcher({ searcher: 'spy-test', scheduler }, init).suggest({ number: 3, trials });
    return { number: seen!.number, trials: seen!.trials.map((t) => [t.number, t.state, t.value]) };
  };
  // Budget rule with minPoints 2: the two complete results at budget 9; the configuration index counts all three.
  assert.equal(await view({ type: 'asha', minPoints: 2 }), {
    number: 3,
    trials: [
      [0, 'complete', 3],
      [2, 'complete', 2],
    ],
  });
  assert.equal(await view({ type: 'asha', mode: 'stop' }), {
    number: 3,
    trials: [
      [0, 'complete', 3],
      [1, 'pruned', 5],
      [2, 'complete', 2],
    ],
  });
  assert.equal(await view({ type: 'asha', learnFrom: 'deepest' }), {
    number: 3,
    trials: [
      [0, 'complete', 3],
      [1, 'pruned', 5],
      [2, 'complete', 2],
    ],
  });
  // Default minPoints is d + 1 = 5: no budget has that many, so the searcher sees no observations yet.
  assert.equal(await view({ type: 'asha' }), { number: 3, trials: [] });
});

test("hyperband stop rule: brackets drawn by trial number in proportion to Hyperband's table; each bracket prunes alone", async () => {
  // max 27, eta 3: brackets s = 3, 2, 1, 0 start 27, 12, 6, 4 configurations (49 in all).
  const weights = [
    { s: 3, n: 27 },
    { s: 2, n: 12 },
    { s: 1, n: 6 },
    { s: 0, n: 4 },
  ];
  const counts = new Map<number, number>();
  for (let n = 0; n < 4900; n++) counts.set(stopBracket(n, weights), (counts.get(stopBracket(n, weights)) ?? 0) + 1);
  for (const w of weights) assert.ok(Math.abs(counts.get(w.s)! / 4900 - w.n / 49) < 0.02, `bracket ${w.s}: ${counts.get(w.s) ?? 0}`);
  const pruner = hyperbandStopPruner({ space: sp4, seed: 1, direction: 'minimize' }, { min: 1, max: 27 });
  const reports = (n: number, values: number[]) =>
    rec(n, {}, { state: 'running', intermediate: values.map((value, i) => ({ step: i + 1, value })) });
  // Trials whose bracket is s = 0 are never stopped; in s = 3 the rungs are steps 1, 3, 9 and peers are that bracket's trials.
  const inBracket = (s: number) => [...Array(400).keys()].filter((n) => stopBracket(n, weights) === s);
  const [z0, z1] = inBracket(0);
  const worse = reports(z1!, Array<number>(9).fill(100));
  const better = reports(z0!, Array<number>(9).fill(1));
  for (let step = 1; step <= 9; step++) {
    const t = { ...worse, intermediate: worse.intermediate.slice(0, step) };
    assert.equal(await pruner.decide({ trial: t, step, trials: [better, t], direction: 'minimize' }), { action: 'continue' });
  }
  const [a, , c] = inBracket(3);
  const other = inBracket(2)[0]!;
  const good = reports(a!, [1]);
  const bad = reports(c!, [5]);
  // In its own bracket, #c (5) is behind #a (1): with 2 values, floor(2/3) = 0 -> only the best goes on. A better trial of
  // another bracket does not count.
  assert.is((await pruner.decide({ trial: bad, step: 1, trials: [good, bad], direction: 'minimize' })).action, 'prune');
  assert.equal(await pruner.decide({ trial: bad, step: 1, trials: [reports(other, [0.1]), bad], direction: 'minimize' }), {
    action: 'continue',
  });
  assert.ok(
    createScheduler({ type: 'hyperband', mode: 'stop' }, { ...init, budget: { min: 1, max: 27 } }).pruner,
    'stop mode carries the pruner',
  );
});

test('grid + asha: an exhausted grid waits while trials run (they may be promoted), then ends', async () => {
  const tiny = compileSpace({ a: space.choice([1, 2, 3]) });
  const s = composeSearcher(
    { searcher: 'grid', scheduler: 'asha' },
    { space: tiny, seed: 1, direction: 'minimize', budget: { min: 1, max: 9 } },
  );
  const trials: TrialRecord[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await s.suggest({ number: i, trials });
    isSuggest(r);
    trials.push({ ...fakeTrial(i, r.params, 'running'), budget: r.budget!, system: r.system ?? {} });
  }
  assert.equal(await s.suggest({ number: 3, trials }), { kind: 'wait' });
  for (let i = 0; i < 3; i++) trials[i] = { ...trials[i]!, state: 'complete', value: i };
  const up = await s.suggest({ number: 3, trials });
  isSuggest(up);
  assert.is(up.system?.['continueFrom'], 0);
  trials.push({ ...fakeTrial(3, up.params, 'complete', 0), budget: up.budget!, system: up.system ?? {} });
  assert.equal(await s.suggest({ number: 4, trials }), { kind: 'exhausted' });
});

test('composeSearcher validates both parts with errors naming the fix', () => {
  const nobudget = { space: everyKind, seed: 1, direction: 'minimize' as const };
  assert.throws(
    () => composeSearcher({ searcher: 'tpe', scheduler: 'sha' }, init),
    /unknown scheduler "sha"; known types: asha, hyperband, pbt/,
  );
  assert.throws(
    () => composeSearcher({ searcher: 'tpe', scheduler: 'asha' }, nobudget),
    /scheduler "asha" needs budget bounds.*createStudy\(\{ budget: \{ min: 1, max: 27 \} \}\)/,
  );
  assert.throws(() => composeSearcher({ searcher: 'tpe', scheduler: 'pbt' }, nobudget), /scheduler "pbt" needs the total steps.*budget/);
  assert.throws(
    () => composeSearcher({ searcher: 'bohb', scheduler: 'asha' }, init),
    /searcher "bohb" schedules budgets itself.*searcher: 'tpe'/,
  );
  assert.throws(
    () => composeSearcher({ searcher: 'tpe', scheduler: { type: 'asha', eta: 1 } }, init),
    /`eta >= 2` must hold for scheduler "asha"/,
  );
  assert.throws(
    () => composeSearcher({ searcher: 'tpe', scheduler: { type: 'asha', bogus: 1 } }, init),
    /unknown option "bogus" for scheduler "asha"/,
  );
  assert.throws(
    () => composeSearcher({ searcher: 'tpe', scheduler: { type: 'asha', learnFrom: 'top' } }, init),
    /"learnFrom".*"deepest" or "budget"/,
  );
  assert.throws(() => composeSearcher({ searcher: 'tpe', scheduler: { type: 'asha', mode: 'halt' } }, init), /"mode".*"promote".*"stop"/);
  assert.throws(() => composeSearcher({ searcher: 'nope', scheduler: 'asha' }, init), /unknown searcher "nope"/);
  assert.throws(
    () => composeSearcher({ scheduler: { type: 'pbt', quantile: 0.7 } }, init),
    /"quantile" of scheduler "pbt" must be a number in \(0, 0.5\]/,
  );
  assert.throws(() => composeSearcher({ scheduler: { type: 'pbt', perturb: [0.8] } }, init), /"perturb".*two factors/);
  const multi = { ...init, directions: ['minimize', 'maximize'] } as typeof init;
  assert.throws(
    () => composeSearcher({ searcher: 'tpe', scheduler: 'asha' }, multi),
    /ranks trials by one value, but this study has 2 objectives/,
  );
  // Without a scheduler it is the searcher alone; self-scheduled shorthands keep working.
  assert.is(composeSearcher({ searcher: 'bohb' }, init).type, 'bohb');
  assert.is(
    composeSearcher({ searcher: 'gp', scheduler: { type: 'hyperband', learnFrom: 'budget', minPoints: 4 } }, init).type,
    'gp+hyperband',
  );
});

test.run();
