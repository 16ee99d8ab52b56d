import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { searcherContract, drive, everyKind, fakeTrial } from './contract.js';
import { createSearcher, registerSearcher } from '../../searchers/index.js';
import { createTpeSearcher } from '../../searchers/tpe/index.js';
import { fitParzen } from '../../searchers/tpe/parzen.js';
import { collectObservations, EncodeCache, rampWeights } from '../../searchers/tpe/history.js';
import { compileSpace, space } from '../../spaces/index.js';
import type { CubeDim, SearchSpace } from '../../spaces/types.js';
import type { Searcher, Suggestion } from '../../searchers/types.js';
import type { Direction, Params, TrialRecord } from '../../src/core/types.js';

registerSearcher('tpe', createTpeSearcher);

// The contract's in-flight test asks 8 trials while all are running: only the start-up design (10 trials by default) is
// independent of that, by nature of any model-based searcher. Suggestions after start-up are covered by the tests below.
searcherContract('tpe');
searcherContract({ type: 'tpe', multivariate: false });

const params = (s: Suggestion): Params => {
  if (s.kind !== 'suggest') throw new Error(`expected a suggestion, got ${s.kind}`);
  return s.params;
};

/** Runs `count` sequential trials of `f` (told at once) and returns them. */
async function run(s: Searcher, f: (p: Params) => number, count: number): Promise<TrialRecord[]> {
  const trials: TrialRecord[] = [];
  for (let i = 0; i < count; i++) {
    const p = params(await s.suggest({ number: i, trials }));
    trials.push(fakeTrial(i, p, 'complete', f(p)));
  }
  return trials;
}

const tpe = (sp: SearchSpace, seed: number, options = {}, direction: Direction = 'minimize'): Searcher =>
  createTpeSearcher({ space: sp, seed, direction }, options);

const quad = compileSpace({ x: space.float(-5, 5), y: space.float(-5, 5) });
const quadF = (p: Params): number => ((p.x as number) - 1.2) ** 2 + ((p.y as number) + 2.1) ** 2;

test('TPE beats random search on a 2-D quadratic (mean best over 5 seeds, 40 trials)', async () => {
  let ours = 0;
  let rand = 0;
  for (let seed = 0; seed < 5; seed++) {
    ours += Math.min(...(await run(tpe(quad, seed), quadF, 40)).map((t) => t.value as number));
    rand += Math.min(
      ...(await run(createSearcher('random', { space: quad, seed, direction: 'minimize' }), quadF, 40)).map((t) => t.value as number),
    );
  }
  assert.ok(ours < rand / 2, `tpe mean best ${ours / 5} vs random ${rand / 5}`);
});

test('every suggestion is valid for every kind, for both directions and both modes', async () => {
  for (const direction of ['minimize', 'maximize'] as const) {
    for (const multivariate of [true, false]) {
      const s = tpe(everyKind, 4, { startupTrials: 2, multivariate }, direction);
      const trials = await run(s, (p) => (p.layers as number) + ((p.model as { type: string }).type === 'cnn' ? 0 : 1), 30);
      for (const t of trials) everyKind.validate(t.params);
      const kinds = new Set(trials.map((t) => (t.params.model as { type: string }).type));
      assert.ok(kinds.size >= 2, `only ${[...kinds].join()} explored`);
    }
  }
});

test('the same seed gives the same suggestions; constant-liar suggestions depend on running trials', async () => {
  const a = await run(tpe(quad, 9), quadF, 20);
  const b = await run(tpe(quad, 9), quadF, 20);
  assert.equal(
    a.map((t) => t.params),
    b.map((t) => t.params),
  );
  // Running trials sitting on the point TPE would propose next push the proposal elsewhere only with the constant liar on
  // (the candidates are drawn from l alone, so without the liar the same candidate wins again).
  const next = params(await tpe(quad, 9).suggest({ number: 18, trials: a.slice(0, 15) }));
  const busy = [...a.slice(0, 15), fakeTrial(15, next, 'running'), fakeTrial(16, next, 'running'), fakeTrial(17, next, 'running')];
  for (const constantLiar of [true, false]) {
    const r = params(await tpe(quad, 9, { constantLiar }).suggest({ number: 18, trials: busy }));
    assert.is(JSON.stringify(r) !== JSON.stringify(next), constantLiar, `constantLiar=${constantLiar}`);
  }
});

test('concurrent asks (several running trials) are distinct and spread out', async () => {
  const told = await run(tpe(quad, 2), quadF, 20);
  const batch = async (constantLiar: boolean): Promise<Params[]> => {
    const s = tpe(quad, 2, { constantLiar });
    const trials = [...told];
    for (let n = 20; n < 28; n++) trials.push(fakeTrial(n, params(await s.suggest({ number: n, trials })), 'running'));
    return trials.slice(20).map((t) => t.params);
  };
  const spread = (ps: Params[]): number => {
    let total = 0; // mean pairwise distance
    for (const a of ps) for (const b of ps) total += Math.hypot((a.x as number) - (b.x as number), (a.y as number) - (b.y as number));
    return total / (ps.length * (ps.length - 1));
  };
  const liar = await batch(true);
  assert.is(new Set(liar.map((p) => JSON.stringify(p))).size, 8);
  const plain = await batch(false);
  assert.ok(spread(liar) > spread(plain), `spread with liar ${spread(liar)}, without ${spread(plain)}`);
});

test('conditional space: both branches explored, the better branch and its inner params optimised', async () => {
  const sp = compileSpace({
    lr: space.float(0, 1),
    model: space.choice({ a: { x: space.float(0, 1) }, b: { y: space.float(0, 1), z: space.int(1, 8) } }),
  });
  const f = (p: Params): number => {
    const m = p.model as { type: string; x?: number; y?: number; z?: number };
    const base = ((p.lr as number) - 0.5) ** 2;
    return m.type === 'a' ? base + 0.3 + (m.x! - 0.7) ** 2 : base + (m.y! - 0.3) ** 2 + (m.z! - 3) ** 2 / 20;
  };
  const trials = await run(tpe(sp, 1), f, 60);
  const types = trials.map((t) => (t.params.model as { type: string }).type);
  assert.ok(types.includes('a') && types.includes('b'), 'both branches tried');
  const late = trials.slice(30);
  assert.ok(late.filter((t) => (t.params.model as { type: string }).type === 'b').length >= 20, `late trials: ${types.slice(30).join('')}`);
  const best = trials.reduce((a, b) => ((a.value as number) <= (b.value as number) ? a : b));
  const m = best.params.model as { type: string; y: number; z: number };
  assert.is(m.type, 'b');
  assert.ok(Math.abs(m.y - 0.3) < 0.1 && Math.abs(m.z - 3) <= 1, JSON.stringify(best.params));
});

test('resume: a fresh searcher fed the stored trials (any states) gives the same next suggestion as the running one', async () => {
  const s = tpe(everyKind, 3, { startupTrials: 4 });
  const states = ['complete', 'complete', 'pruned', 'failed', 'complete', 'running'] as const;
  const trials: TrialRecord[] = [];
  for (let n = 0; n < 24; n++) {
    const p = params(await s.suggest({ number: n, trials }));
    const state = states[n % states.length]!;
    const t = fakeTrial(n, p, state, (p.layers as number) * 0.1 + n * 0.01);
    trials.push(
      state === 'pruned'
        ? {
            ...t,
            value: 1,
            intermediate: [
              { step: 0, value: 2 },
              { step: 1, value: 1 },
            ],
          }
        : t,
    );
  }
  const next = await s.suggest({ number: 24, trials });
  const fresh = await tpe(everyKind, 3, { startupTrials: 4 }).suggest({ number: 24, trials });
  assert.equal(fresh, next);
});

test('maximize mirrors minimize: negated values give the same suggestions', async () => {
  const told = await run(tpe(quad, 5), quadF, 15);
  const negated = told.map((t) => ({ ...t, value: -(t.value as number) }));
  const a = await tpe(quad, 5).suggest({ number: 15, trials: told });
  const b = await tpe(quad, 5, {}, 'maximize').suggest({ number: 15, trials: negated });
  assert.equal(b, a);
});

test('ranking: complete by value, then pruned by deepest step and value, then running; failed and foreign ignored', () => {
  const sp = compileSpace({ x: space.float(0, 1) });
  const p = (x: number): Params => ({ x });
  const trials: TrialRecord[] = [
    fakeTrial(0, p(0.1), 'complete', 5),
    { ...fakeTrial(1, p(0.2), 'pruned'), intermediate: [{ step: 3, value: 0 }] },
    {
      ...fakeTrial(2, p(0.3), 'pruned'),
      intermediate: [
        { step: 1, value: 9 },
        { step: 7, value: 4 },
      ],
    },
    fakeTrial(3, p(0.4), 'running'),
    fakeTrial(4, p(0.5), 'failed'),
    fakeTrial(5, p(0.6), 'complete', 1),
    fakeTrial(6, p(0.7), 'pruned'),
    fakeTrial(7, { x: 'not a number' }, 'complete', 0), // not a point of the space (e.g. stored before a space change)
  ];
  const obs = collectObservations(trials, new EncodeCache(sp), 'minimize', true);
  assert.is(obs.finished, 5);
  assert.equal(
    Array.from(obs.ranked, (i) => obs.rows[i]![0]),
    [0.6, 0.1, 0.3, 0.2, 0.7, 0.4],
  );
  const noLiar = collectObservations(trials, new EncodeCache(sp), 'maximize', false);
  assert.equal(
    Array.from(noLiar.ranked, (i) => noLiar.rows[i]![0]),
    [0.1, 0.6, 0.3, 0.2, 0.7],
  );
});

test('ramp weights: 1 for the newest 25, a linear ramp from 1/n before them', () => {
  assert.equal(Array.from(rampWeights(3)), [1, 1, 1]);
  const w = rampWeights(35);
  assert.is(w[0], 1 / 35);
  assert.is(w[9], 1);
  assert.ok(w[4]! > w[3]! && w[3]! > w[0]!);
  assert.ok(w.subarray(10).every((v) => v === 1));
});

const cont: CubeDim[] = [{ path: 'x', type: 'continuous', levels: Infinity }];

test('Parzen logpdf integrates to ~1 over [0, 1] (both bandwidth rules, weights, prior only)', () => {
  const pts = [[0.02], [0.3], [0.31], [0.9], [1]];
  const fits = [
    fitParzen(pts, cont),
    fitParzen(pts, cont, { bandwidth: 'neighbors', weights: [0.2, 1, 1, 3, 1], priorWeight: 2 }),
    fitParzen([], cont),
  ];
  for (const est of fits) {
    const N = 20000;
    let sum = 0;
    for (let i = 0; i < N; i++) sum += Math.exp(est.logpdf([(i + 0.5) / N])) / N;
    assert.ok(Math.abs(sum - 1) < 1e-3, `integral ${sum}`);
  }
  // The density is highest near the cluster at 0.3.
  assert.ok(fits[0]!.logpdf([0.3]) > fits[0]!.logpdf([0.6]));
});

test('Parzen over a numeric coordinate and a one-hot block: sums/integrates to 1; samples are valid', () => {
  const dims: CubeDim[] = [cont[0]!, ...[0, 1, 2].map(() => ({ path: 'c', type: 'onehot' as const, levels: 3, group: 1 }))];
  const est = fitParzen(
    [
      [0.2, 0, 1, 0],
      [0.8, 1, 0, 0],
      [NaN, NaN, NaN, NaN],
    ],
    dims,
  );
  let total = 0;
  const N = 4000;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < N; i++) {
      const x = [(i + 0.5) / N, 0, 0, 0];
      x[1 + c] = 1;
      total += Math.exp(est.logpdf(x)) / N;
    }
  }
  assert.ok(Math.abs(total - 1) < 1e-3, `total ${total}`);
  const out = new Float64Array(4);
  let r = 0.123;
  const rng = (): number => (r = ((r * 9301 + 49297) % 233280) / 233280);
  for (let i = 0; i < 200; i++) {
    est.sample(rng, out);
    assert.ok(out[0]! >= 0 && out[0]! <= 1);
    assert.is(out[1]! + out[2]! + out[3]!, 1);
  }
});

test('Parzen: a NaN query coordinate is marginalised out; bad arguments are RangeErrors', () => {
  const dims2: CubeDim[] = [cont[0]!, { path: 'y', type: 'continuous', levels: Infinity }];
  const est = fitParzen(
    [
      [0.2, 0.7],
      [0.25, 0.1],
      [0.9, NaN],
    ],
    dims2,
    { weights: [1, 2, 1] },
  );
  const N = 20000;
  let marginal = 0;
  for (let i = 0; i < N; i++) marginal += Math.exp(est.logpdf([0.3, (i + 0.5) / N])) / N;
  assert.ok(Math.abs(marginal - Math.exp(est.logpdf([0.3, NaN]))) < 1e-4, `${marginal} vs ${Math.exp(est.logpdf([0.3, NaN]))}`);
  assert.throws(() => fitParzen([[0.1]], cont, { weights: [1, 1] }), /one entry per point/);
  assert.throws(() => fitParzen([[0.1]], cont, { weights: [-1] }), /weights\[0\]/);
  const block: CubeDim[] = [0, 1].map(() => ({ path: 'c', type: 'onehot', levels: 2, group: 0 }));
  assert.throws(() => fitParzen([], block, { coords: [1] }), /whole/);
});

test('categorical weights favour the good category (estimator and searcher)', async () => {
  const dims: CubeDim[] = [0, 1, 2].map(() => ({ path: 'c', type: 'onehot', levels: 3, group: 0 }));
  const est = fitParzen(
    [
      [0, 1, 0],
      [0, 1, 0],
      [1, 0, 0],
    ],
    dims,
  );
  const lp = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ].map((x) => est.logpdf(x));
  assert.ok(lp[1]! > lp[0]! && lp[0]! > lp[2]!, lp.join());
  assert.ok(Math.abs(lp.reduce((a, b) => a + Math.exp(b), 0) - 1) < 1e-12);

  const sp = compileSpace({ act: space.choice(['relu', 'gelu', 'tanh', 'elu']), x: space.float(0, 1) });
  const trials = await run(tpe(sp, 3), (p) => (p.act === 'tanh' ? 0 : 1) + (p.x as number) * 0.1, 50);
  const late = trials.slice(20).map((t) => t.params.act as string);
  const count = (a: string): number => late.filter((x) => x === a).length;
  // TPE keeps exploring (every good pick also lands in the bad set g): twice the uniform share, and more than any other.
  assert.ok(count('tanh') >= 15, `tanh in ${count('tanh')} of the last 30`);
  for (const a of ['relu', 'gelu', 'elu']) assert.ok(count('tanh') > count(a), `${a}: ${count(a)}`);
});

test('Parzen sample(component) draws from that observation kernel only; a bad index is a RangeError', () => {
  const est = fitParzen([[0.1], [0.5], [0.9]], cont, { bandwidthFloor: 0 });
  const out = new Float64Array(1);
  let r = 0.321;
  const rng = (): number => (r = ((r * 9301 + 49297) % 233280) / 233280);
  for (let i = 0; i < 300; i++) {
    est.sample(rng, out, 2);
    // Widths are clipped to >= 1/(3+2) = 0.2, so 0.9 +- 0.45 (2.25 sigma) holds all but ~1% of draws; none near 0.1's kernel.
    assert.ok(out[0]! > 0.3, `draw ${out[0]} from component 2`);
  }
  assert.throws(() => est.sample(rng, out, 3), /component must be an integer in \[0, 3\)/);
  assert.throws(() => est.sample(rng, out, 0.5), RangeError);
});

test('incumbent candidates: no effect before 2 x start-up trials, then drawn around the best trial', async () => {
  const dist = (a: Params, b: Params): number => Math.hypot((a.x as number) - (b.x as number), (a.y as number) - (b.y as number));
  const median = (xs: number[]): number => [...xs].sort((u, v) => u - v)[xs.length >> 1]!;
  for (let seed = 0; seed < 4; seed++) {
    const a = await run(tpe(quad, seed), quadF, 30);
    const b = await run(tpe(quad, seed, { incumbentCandidates: 0 }), quadF, 30);
    // Same history up to trial 19: the extra candidates only exist once 20 trials have finished.
    assert.equal(
      a.slice(0, 20).map((t) => t.params),
      b.slice(0, 20).map((t) => t.params),
    );
    assert.not.equal(
      a.slice(20).map((t) => t.params),
      b.slice(20).map((t) => t.params),
    );
  }
  // The mechanism in isolation: one draw from l against 50 from the incumbent's kernel, versus that one draw alone.
  const near: number[] = [];
  const far: number[] = [];
  for (let seed = 0; seed < 4; seed++) {
    for (const [incumbentCandidates, out] of [
      [50, near],
      [0, far],
    ] as const) {
      const trials = await run(tpe(quad, seed, { candidates: 1, incumbentCandidates }), quadF, 40);
      for (let i = 20; i < 40; i++) {
        const best = trials.slice(0, i).reduce((x, y) => ((y.value as number) < (x.value as number) ? y : x));
        out.push(dist(trials[i]!.params, best.params));
      }
    }
  }
  assert.ok(median(near) < 0.7 * median(far), `median distance to the incumbent ${median(near)} vs ${median(far)}`);
});

test('start-up trials come from the Sobol sequence (same as the sobol searcher)', async () => {
  const a = await drive({ type: 'tpe' }, 8, 10, quad);
  const b = await drive('sobol', 8, 10, quad);
  assert.equal(
    a.map((t) => t.params),
    b.map((t) => t.params),
  );
});

test('bad option values are rejected naming the option', () => {
  const init = { space: quad, seed: 1, direction: 'minimize' as const };
  assert.throws(() => createTpeSearcher(init, { gamma: 2 }), /"gamma"/);
  assert.throws(() => createTpeSearcher(init, { priorWeight: 0 }), /"priorWeight"/);
  assert.throws(() => createTpeSearcher(init, { weights: 'flat' }), /"weights"/);
  assert.throws(() => createTpeSearcher(init, { candidates: 0 }), /"candidates"/);
  assert.throws(() => createTpeSearcher(init, { incumbentCandidates: -1 }), /"incumbentCandidates"/);
  assert.throws(() => createTpeSearcher(init, { multivariate: 'yes' }), /"multivariate"/);
});

test.run();
