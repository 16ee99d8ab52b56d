/**
 * Multi-fidelity searchers (hyperband, asha, bohb): the Hyperband paper's bracket table, ASHA's top-1/eta promotions from
 * scripted rungs, Hyperband's synchronous waits, BOHB's random fallback and model proposals, decisions rebuilt from stored
 * trials (resume mid-bracket, interrupted trials and their retries), end-to-end studies at concurrency 1 and 3, options.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSpace, space } from '../../spaces/index.js';
import { createSearcher, registerSearcher } from '../../searchers/index.js';
import { createAshaSearcher, createBohbSearcher, createHyperbandSearcher, hyperbandBrackets } from '../../searchers/multifidelity/index.js';
import type { Searcher, Suggestion } from '../../searchers/types.js';
import { createStudy } from '../../src/study/open.js';
import type { Direction, Params, TrialRecord } from '../../src/core/types.js';
import { everyKind, searcherContract } from './contract.js';

registerSearcher('hyperband', createHyperbandSearcher);
registerSearcher('asha', createAshaSearcher);
registerSearcher('bohb', createBohbSearcher);

searcherContract({ type: 'hyperband', min: 1, max: 27 });
searcherContract({ type: 'asha', min: 1, max: 27 });
searcherContract({ type: 'bohb', min: 1, max: 27 });

type Suggest = Extract<Suggestion, { kind: 'suggest' }>;
const sp4 = compileSpace({ a: space.float(0, 1), b: space.float(0, 1), c: space.float(0, 1), d: space.float(0, 1) });
/** A learning-curve objective: the final quality f(params) plus a term that shrinks with the budget (same ranking at any budget). */
const curve = (p: Params, budget: number) =>
  ['a', 'b', 'c', 'd'].reduce((s, k) => s + ((p[k] as number) - 0.7) ** 2, 0) + 0.5 / Math.sqrt(budget);

let clock = 0;
function stored(number: number, s: Suggest, state: TrialRecord['state'] = 'running', value?: number): TrialRecord {
  return {
    number,
    state,
    params: s.params,
    ...(s.budget !== undefined ? { budget: s.budget } : {}),
    system: s.system ?? {},
    intermediate: [],
    userAttrs: {},
    created: new Date(Date.UTC(2026, 0, 1) + clock++).toISOString(),
    ...(value !== undefined ? { value } : {}),
  };
}
function finish(t: TrialRecord, value: number | undefined, state: TrialRecord['state'] = 'complete'): TrialRecord {
  return { ...t, state, ...(value !== undefined ? { value } : {}) };
}
function make(spec: { type: string; [k: string]: number | string }, seed = 1, sp = sp4, direction: Direction = 'minimize'): Searcher {
  return createSearcher(spec, { space: sp, seed, direction });
}
async function ask(s: Searcher, trials: TrialRecord[]): Promise<Suggestion> {
  return s.suggest({ number: trials.length, trials });
}
function isSuggest(r: Suggestion): asserts r is Suggest {
  assert.is(r.kind, 'suggest');
}

/**
 * Runs a searcher on `curve` with up to `concurrency` trials in flight (completing the oldest first when it waits or all slots
 * are busy); records every ask's input length and answer so decisions can be replayed.
 */
async function simulate(
  s: Searcher,
  count: number,
  concurrency = 1,
): Promise<{ trials: TrialRecord[]; asks: { at: number; answer: Suggestion; snapshot: TrialRecord[] }[] }> {
  const trials: TrialRecord[] = [];
  const running: number[] = [];
  const asks: { at: number; answer: Suggestion; snapshot: TrialRecord[] }[] = [];
  const completeOldest = () => {
    const n = running.shift();
    if (n === undefined) throw new Error('the searcher waited with nothing running');
    const t = trials[n]!;
    trials[n] = finish(t, curve(t.params, t.budget!));
  };
  while (trials.length < count) {
    if (running.length >= concurrency) {
      completeOldest();
      continue;
    }
    const snapshot = trials.slice();
    const r = await ask(s, trials);
    asks.push({ at: trials.length, answer: r, snapshot });
    if (r.kind === 'wait') {
      completeOldest();
      continue;
    }
    isSuggest(r);
    running.push(trials.length);
    trials.push(stored(trials.length, r));
  }
  while (running.length) completeOldest();
  return { trials, asks };
}

test('hyperbandBrackets(81, 3) is the table of the Hyperband paper (n_i, r_i for s = 4..0)', () => {
  const table = hyperbandBrackets(81, 3);
  const paper = [
    { s: 4, n: [81, 27, 9, 3, 1], r: [1, 3, 9, 27, 81] },
    { s: 3, n: [34, 11, 3, 1], r: [3, 9, 27, 81] },
    { s: 2, n: [15, 5, 1], r: [9, 27, 81] },
    { s: 1, n: [8, 2], r: [27, 81] },
    { s: 0, n: [5], r: [81] },
  ];
  assert.equal(
    table.map((b) => ({ s: b.s, n: b.rungs.map((x) => x.n), r: b.rungs.map((x) => Math.round(x.r * 1e9) / 1e9) })),
    paper,
  );
  // Degenerate and non-power ratios: one bracket at full budget; s_max = floor(log_3 10) = 2.
  assert.equal(hyperbandBrackets(1, 3), [{ s: 0, rungs: [{ n: 1, r: 1 }] }]);
  assert.equal(
    hyperbandBrackets(10, 3).map((b) => b.s),
    [2, 1, 0],
  );
  assert.throws(() => hyperbandBrackets(81, 1), /eta >= 2/);
});

test('hyperband hands out the paper budgets: the first bracket of min 1, max 81 starts 81 configs at budget 1', async () => {
  const s = make({ type: 'hyperband', min: 1, max: 81 });
  const trials: TrialRecord[] = [];
  for (let i = 0; i < 81; i++) {
    const r = await ask(s, trials);
    isSuggest(r);
    assert.is(r.budget, 1);
    assert.equal(r.system, { bracket: 0, s: 4, rung: 0 });
    trials.push(stored(i, r));
  }
  assert.equal(await ask(s, trials), { kind: 'wait' }, 'rung 0 still running');
  // min 2, max 54: the same ladder scaled by 2 (budgets 2, 6, 18, 54).
  const scaled = make({ type: 'hyperband', min: 2, max: 54 });
  const r = await ask(scaled, []);
  isSuggest(r);
  assert.is(r.budget, 2);
});

test('hyperband waits while a rung runs, then promotes the top 1/eta as new trials continuing from them', async () => {
  const s = make({ type: 'hyperband', min: 1, max: 9, eta: 3 }); // brackets: s=2 (9@1, 3@3, 1@9), s=1 (5@3, 1@9), s=0 (3@9)
  const trials: TrialRecord[] = [];
  for (let i = 0; i < 9; i++) {
    const r = await ask(s, trials);
    isSuggest(r);
    assert.is(r.budget, 1);
    trials.push(stored(i, r));
  }
  const values = [5, 3, 8, 1, 9, 2, 7, 4, 6];
  for (let i = 0; i < 8; i++) {
    assert.equal(await ask(s, trials), { kind: 'wait' }, `wait with ${9 - i} of rung 0 running`);
    trials[i] = finish(trials[i]!, values[i]!);
  }
  // The last one fails: it ranks last and is never promoted.
  assert.equal(await ask(s, trials), { kind: 'wait' });
  trials[8] = finish(trials[8]!, undefined, 'failed');
  const promotedFrom: number[] = [];
  for (let k = 0; k < 3; k++) {
    const r = await ask(s, trials);
    isSuggest(r);
    assert.is(r.budget, 3);
    const from = r.system?.['continueFrom'] as number;
    assert.equal(r.params, trials[from]!.params, 'same params as the trial it continues');
    assert.equal(r.system, { bracket: 0, s: 2, rung: 1, continueFrom: from });
    promotedFrom.push(from);
    trials.push(stored(trials.length, r));
  }
  assert.equal(promotedFrom, [3, 5, 1], 'the three best of rung 0 (values 1, 2, 3), best first');
  assert.equal(await ask(s, trials), { kind: 'wait' }, 'rung 1 running');
  trials[9] = finish(trials[9]!, 0.9);
  trials[10] = finish(trials[10]!, 0.5);
  assert.equal(await ask(s, trials), { kind: 'wait' }, 'rung 1 not finished');
  trials[11] = finish(trials[11]!, 0.7);
  const top = await ask(s, trials);
  isSuggest(top);
  assert.equal({ budget: top.budget, system: top.system }, { budget: 9, system: { bracket: 0, s: 2, rung: 2, continueFrom: 10 } });
  trials.push(stored(trials.length, top));
  // Bracket 0 is handed out: bracket 1 (s = 1) starts at once, while bracket 0's last trial still runs.
  const next = await ask(s, trials);
  isSuggest(next);
  assert.equal({ budget: next.budget, system: next.system }, { budget: 3, system: { bracket: 1, s: 1, rung: 0 } });
});

test('asha promotes exactly the top floor(n/eta) of a rung, top rung first, and never waits', async () => {
  const s = make({ type: 'asha', min: 1, max: 9, eta: 3 }); // rungs: 1, 3, 9
  const trials: TrialRecord[] = [];
  const values = [5, 3, 8, 1, 9, 2, 7, 4, 6];
  for (let i = 0; i < 9; i++) {
    const r = await ask(s, trials);
    isSuggest(r);
    assert.equal({ budget: r.budget, system: r.system }, { budget: 1, system: { rung: 0 } }, 'nothing finished: new configs');
    trials.push(stored(i, r));
  }
  // Finish rung 0 one by one: after 3 finished, floor(3/3) = 1 promotion is due, and so on.
  const promoted: number[] = [];
  const askAndStore = async () => {
    const r = await ask(s, trials);
    isSuggest(r);
    trials.push(stored(trials.length, r));
    return r;
  };
  for (let i = 0; i < 9; i++) {
    trials[i] = finish(trials[i]!, values[i]!);
    const r = await askAndStore();
    if (r.system?.['rung'] === 1) {
      assert.is(r.budget, 3);
      promoted.push(r.system['continueFrom'] as number);
    } else {
      assert.equal({ budget: r.budget, system: r.system }, { budget: 1, system: { rung: 0 } });
    }
  }
  // 3 finished (values 5, 3, 8): top 1 is #1. 4 finished (+ value 1): top 1 is #3, promoted too (ASHA never takes a promotion
  // back). 6 finished (+ 9, 2): top 2 = #3, #5 -> #5. 9 finished: top 3 = #3, #5, #1, all promoted -> new configurations.
  assert.equal(promoted, [1, 3, 5], 'each promotion is the best not-yet-promoted member of the current top floor(n/3)');
  // Rung 1 finishes (values 0.3, 0.1, 0.2 for promotions of #1, #3, #5) => floor(3/3) = 1 promotion to rung 2: the best (#3's).
  const rung1 = trials.filter((t) => t.system['rung'] === 1).map((t) => t.number);
  [0.3, 0.1, 0.2].forEach((v, i) => (trials[rung1[i]!] = finish(trials[rung1[i]!]!, v)));
  // Finish the 6 new rung-0 configurations (values 10+): rung 0 has 15 finished, so its top floor(15/3) = 5 may be promoted.
  for (const t of trials) if (t.state === 'running' && t.system['rung'] === 0) trials[t.number] = finish(t, 10 + t.number);
  const up = await askAndStore();
  assert.equal({ budget: up.budget, system: up.system }, { budget: 9, system: { rung: 2, continueFrom: rung1[1] } }, 'top rung first');
  const fourth = await askAndStore();
  assert.equal(fourth.system, { rung: 1, continueFrom: 7 }, 'then rung 0: #7 (value 4), the best one not yet promoted');
  // Failed trials rank last and are never promoted; maximize flips the order.
  const mx = make({ type: 'asha', min: 1, max: 9, eta: 3 }, 1, sp4, 'maximize');
  const few: TrialRecord[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await ask(mx, few);
    isSuggest(r);
    few.push(stored(i, r));
  }
  few[0] = finish(few[0]!, undefined, 'failed');
  few[1] = finish(few[1]!, 1);
  few[2] = finish(few[2]!, 2);
  const best = await ask(mx, few);
  isSuggest(best);
  assert.equal(best.system, { rung: 1, continueFrom: 2 });
});

test('asha with concurrency: every ask is answered with a trial, budgets stay on the ladder', async () => {
  const { trials, asks } = await simulate(make({ type: 'asha', min: 1, max: 27, eta: 3 }), 120, 3);
  assert.ok(
    asks.every((a) => a.answer.kind === 'suggest'),
    'asha never waits',
  );
  const budgets = new Set(trials.map((t) => t.budget));
  assert.ok(
    [...budgets].every((b) => [1, 3, 9, 27].includes(b!)),
    `budgets ${JSON.stringify([...budgets])}`,
  );
  assert.ok(budgets.has(27), 'some configuration reached the top rung');
  for (const t of trials) {
    const from = t.system['continueFrom'];
    if (typeof from !== 'number') continue;
    assert.ok(from < t.number && trials[from]!.budget! * 3 === t.budget, `#${t.number} continues #${from}`);
  }
});

test('bohb draws random configurations until a budget has enough observations, then proposes from the model', async () => {
  const s = make({ type: 'bohb', min: 1, max: 9, eta: 3, minPoints: 5 });
  const { trials, asks } = await simulate(s, 66);
  const fresh = trials.filter((t) => t.system['rung'] === 0);
  // One at a time: the first 5 configurations start with fewer than 5 observations anywhere, so they are random.
  assert.ok(fresh.slice(0, 5).every((t) => t.system['sampler'] === 'random'));
  // Every model proposal was fitted on the largest budget that had >= 5 finished observations when it was asked.
  let modelled = 0;
  for (const { at, answer, snapshot } of asks) {
    if (answer.kind !== 'suggest' || answer.system?.['sampler'] !== 'model') continue;
    modelled++;
    const counts = new Map<number, number>();
    for (const t of snapshot) if (t.state === 'complete') counts.set(t.budget!, (counts.get(t.budget!) ?? 0) + 1);
    const eligible = [...counts].filter(([, n]) => n >= 5).map(([b]) => b);
    assert.is(answer.system['modelBudget'], Math.max(...eligible), `ask at ${at}`);
  }
  const later = fresh.slice(5);
  const model = later.filter((t) => t.system['sampler'] === 'model');
  assert.is(model.length, modelled);
  // About 2/3 of the later ones come from the model (randomFraction 1/3), and larger budgets take over once they fill up.
  assert.ok(model.length >= later.length * 0.4 && model.length < later.length, `${model.length} of ${later.length} from the model`);
  assert.ok(
    model.some((t) => t.system['modelBudget'] === 9),
    'the full budget is used once it has enough points',
  );
  // Model proposals concentrate near the optimum (0.7, 0.7, 0.7, 0.7); random ones do not.
  const dist = (ts: TrialRecord[]) => ts.reduce((a, t) => a + curve(t.params, Infinity), 0) / ts.length;
  const random = fresh.filter((t) => t.system['sampler'] === 'random');
  assert.ok(dist(model) < dist(random) * 0.7, `model ${dist(model).toFixed(3)} vs random ${dist(random).toFixed(3)}`);
});

test('bohb beats hyperband (random configurations) on a scripted learning-curve objective, over several seeds', async () => {
  let wins = 0;
  let sumH = 0;
  let sumB = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const best = (ts: TrialRecord[]) => Math.min(...ts.filter((t) => t.budget === 9).map((t) => t.value!));
    const h = best((await simulate(make({ type: 'hyperband', min: 1, max: 9 }, seed), 110)).trials);
    const b = best((await simulate(make({ type: 'bohb', min: 1, max: 9 }, seed), 110)).trials);
    if (b < h) wins++;
    sumH += h;
    sumB += b;
  }
  console.log(
    `  best value at budget 9, mean of 6 seeds: hyperband ${(sumH / 6).toFixed(4)}, bohb ${(sumB / 6).toFixed(4)}; bohb better on ${wins}/6`,
  );
  assert.ok(sumB < sumH, 'bohb better on average');
  assert.ok(wins >= 4, `bohb better on ${wins} of 6 seeds`);
});

for (const type of ['hyperband', 'asha', 'bohb']) {
  test(`${type}: a fresh searcher rebuilt from the stored trials makes the same decision at every point (resume mid-bracket)`, async () => {
    const spec = { type, min: 1, max: 9, eta: 3, ...(type === 'bohb' ? { minPoints: 4 } : {}) };
    const { asks } = await simulate(make(spec, 4), 70, 3);
    assert.ok(
      asks.some((a) => a.snapshot.some((t) => t.state === 'running')),
      'some asks happen mid-rung',
    );
    for (const { at, answer, snapshot } of asks) {
      const fresh = make(spec, 4);
      assert.equal(await fresh.suggest({ number: at, trials: snapshot }), answer, `ask at trial ${at}`);
    }
  });
}

test('an interrupted trial is replaced by its retry: hyperband keeps waiting for it, then ranks the retry', async () => {
  const s = make({ type: 'hyperband', min: 1, max: 9, eta: 3 });
  const trials: TrialRecord[] = [];
  for (let i = 0; i < 9; i++) {
    const r = await ask(s, trials);
    isSuggest(r);
    trials.push(stored(i, r));
  }
  for (let i = 1; i < 9; i++) trials[i] = finish(trials[i]!, 10 + i);
  // Trial 0 is interrupted; the study enqueues its retry (same params, budget, system + retryOf) first, as markInterrupted does.
  trials.push({ ...trials[0]!, number: 9, state: 'waiting', system: { ...trials[0]!.system, retryOf: 0 } });
  trials[0] = { ...trials[0]!, state: 'failed', reason: 'interrupted' };
  assert.equal(await ask(s, trials), { kind: 'wait' }, 'the retry is pending, so rung 0 is not finished');
  trials[9] = finish({ ...trials[9]!, state: 'running' }, 1);
  const r = await ask(s, trials);
  isSuggest(r);
  assert.equal(r.system, { bracket: 0, s: 2, rung: 1, continueFrom: 9 }, 'the retry (best value) is promoted, not a 10th config started');
});

for (const type of ['hyperband', 'asha', 'bohb']) {
  for (const concurrency of [1, 3]) {
    test(`${type} end to end: createStudy + optimize on a learning-curve objective, concurrency ${concurrency}`, async () => {
      const study = await createStudy({
        name: `${type}-${concurrency}`,
        space: sp4,
        searcher: { type, min: 1, max: 9, eta: 3 },
        seed: 3,
      });
      const seen: { number: number; budget: number; continueFrom?: number }[] = [];
      const res = await study.optimize(
        async (p, ctx) => {
          assert.ok(ctx.budget !== undefined, 'budget reaches the objective');
          const budget = ctx.budget!;
          seen.push({ number: ctx.number, budget, ...(ctx.continueFrom !== undefined ? { continueFrom: ctx.continueFrom } : {}) });
          // Continue from the earlier trial's last step, as a checkpointed trainer would.
          const start = ctx.continueFrom !== undefined ? ((await study.trial(ctx.continueFrom))?.budget ?? 0) : 0;
          for (let step = start + 1; step <= budget; step++) {
            await ctx.report(step, curve(p, step));
            await new Promise((r) => setImmediate(r));
          }
          return curve(p, budget);
        },
        { trials: 40, concurrency },
      );
      assert.is(res.stoppedBy, 'budget');
      const trials = await study.trials();
      assert.is(trials.length, 40);
      assert.ok(trials.every((t) => t.state === 'complete' && [1, 3, 9].includes(t.budget!)));
      assert.ok(
        seen.some((x) => x.continueFrom !== undefined),
        'some promotions ran',
      );
      for (const x of seen) {
        if (x.continueFrom === undefined) continue;
        const from = trials[x.continueFrom]!;
        assert.equal(from.params, trials[x.number]!.params);
        assert.ok(from.budget! < x.budget, 'a promotion runs with a larger budget than the trial it continues');
      }
      assert.ok(
        trials.some((t) => t.budget === 9),
        'some configuration reached the full budget',
      );
      await study.close();
    });
  }
}

test('budget bounds come from the searcher options or the study budget; bad options name the fix', async () => {
  const init = { space: everyKind, seed: 1, direction: 'minimize' as const };
  for (const type of ['hyperband', 'asha', 'bohb']) {
    assert.throws(() => createSearcher(type, init), new RegExp(`searcher "${type}" needs budget bounds.*min: 1, max: 27`));
    assert.throws(() => createSearcher({ type, min: 0, max: 9 }, init), /`min >= 1` must hold.*min=0/);
    assert.throws(() => createSearcher({ type, min: 9, max: 3 }, init), /`max >= min` must hold.*min=9, max=3/);
    assert.throws(() => createSearcher({ type, min: 1, max: 9, eta: 1 }, init), /`eta >= 2` must hold.*eta=1/);
    assert.throws(() => createSearcher({ type, min: '1', max: 9 }, init), /option "min".*finite number/);
    assert.throws(() => createSearcher({ type, min: 1, max: 9, budget: 3 }, init), /unknown option "budget"/);
    // The study's budget is the fallback; options override it.
    const s = createSearcher({ type, max: 3 }, { ...init, budget: { min: 1, max: 81 } });
    const r = await s.suggest({ number: 0, trials: [] });
    isSuggest(r);
    assert.is(r.budget, 1);
  }
  assert.throws(() => createSearcher({ type: 'bohb', min: 1, max: 9, randomFraction: 2 }, init), /"randomFraction".*\[0, 1\]/);
  assert.throws(() => createSearcher({ type: 'bohb', min: 1, max: 9, minPoints: 1 }, init), /"minPoints"/);
  assert.throws(() => createSearcher({ type: 'bohb', min: 1, max: 9, topFraction: 0 }, init), /"topFraction".*\(0, 1\]/);
  const study = await createStudy({ name: 'b', space: sp4, searcher: 'asha', budget: { min: 1, max: 27 }, seed: 1 });
  const t = await study.ask();
  assert.is(t.budget, 1);
  await study.close();
});

test.run();
