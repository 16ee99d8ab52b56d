import { test } from 'uvu';
import * as assert from 'uvu/assert';
import seedrandom from 'seedrandom';
import { compileSpace, space } from '../../spaces/index.js';
import {
  createGpEhviSearcher,
  createGpSearcher,
  createMultiTpeSearcher,
  createSearcher,
  createTpeSearcher,
  registerSearcher,
  searcherCapabilities,
  type SearcherFactory,
  type SearcherSpec,
} from '../../searchers/index.js';
import { eliteSelect, tournament } from '../../searchers/nsga2/index.js';
import { polynomialMutation, sbx } from '../../searchers/nsga2/variation.js';
import { expectedHvi, hviBoxes } from '../../searchers/gp/ehvi.js';
import { hFast } from '../../searchers/gp/ehvi-math.js';
import { logH } from '../../searchers/gp/acquisition.js';
import { selectGood } from '../../searchers/tpe/multi.js';
import { paretoRanking } from '../../searchers/objectives.js';
import { hypervolume } from '../../searchers/pareto.js';
import { OptionsError } from '../../src/core/errors.js';
import type { Direction, Params, TrialRecord } from '../../src/core/types.js';
import { discrete, everyKind, searcherContract } from './contract.js';

// tpe.test.ts and gp.test.ts (same process under uvu) register their single-objective factories over the built-in 'tpe' and
// 'gp' entries at import time; restore entries equivalent to the built-in ones (same dispatch as searchers/index.ts) first.
test.before(() => {
  const multi = (init: Parameters<SearcherFactory>[0]): boolean => (init.directions?.length ?? 1) > 1 || init.constraints === true;
  const caps = { multiObjective: true, constraints: true };
  registerSearcher('tpe', (init, o) => (multi(init) ? createMultiTpeSearcher(init, o) : createTpeSearcher(init, o)), caps);
  registerSearcher('gp', (init, o) => (multi(init) ? createGpEhviSearcher(init, o) : createGpSearcher(init, o)), caps);
});

const sp = compileSpace({ x: space.float(0, 1), y: space.float(0, 1), k: space.choice(['a', 'b']), n: space.int(1, 5) });

/** Two objectives (minimise both) with a trade-off in x, and one constraint: y <= 0.6 (c = y - 0.6). */
function evaluate(p: Params): { values: number[]; constraints: number[] } {
  const x = p.x as number;
  const y = p.y as number;
  const pen = (p.k === 'b' ? 0.2 : 0) + ((p.n as number) - 3) ** 2 * 0.05;
  return { values: [x + y * 0.5 + pen, 1 - Math.sqrt(x) + (1 - y) * 0.5 + pen], constraints: [y - 0.6] };
}

function record(number: number, params: Params, state: TrialRecord['state'] = 'complete', constrained = true): TrialRecord {
  const ts = new Date(Date.UTC(2026, 0, 1) + number).toISOString();
  const base = { number, state, params, intermediate: [], userAttrs: {}, system: {}, created: ts };
  if (state !== 'complete') return base;
  const { values, constraints } = evaluate(params);
  return { ...base, value: values[0]!, values, ...(constrained ? { constraints } : {}) };
}

async function drive(
  spec: SearcherSpec,
  seed: number,
  count: number,
  opts: { directions?: Direction[]; constraints?: boolean } = {},
): Promise<TrialRecord[]> {
  const directions = opts.directions ?? ['minimize', 'minimize'];
  const s = createSearcher(spec, { space: sp, seed, direction: directions[0]!, directions, constraints: opts.constraints ?? true });
  const trials: TrialRecord[] = [];
  for (let i = 0; i < count; i++) {
    const r = await s.suggest({ number: i, trials });
    if (r.kind !== 'suggest') throw new Error(r.kind);
    sp.validate(r.params);
    trials.push(record(i, r.params, 'complete', opts.constraints ?? true));
  }
  return trials;
}

const MO: { spec: SearcherSpec; count: number }[] = [
  { spec: { type: 'nsga2', populationSize: 8 }, count: 30 },
  { spec: { type: 'tpe', startupTrials: 6 }, count: 30 },
  { spec: { type: 'gp', initialTrials: 5, candidates: 128, fitRestarts: 1 }, count: 14 },
];

for (const { spec, count } of MO) {
  const name = typeof spec === 'string' ? spec : spec.type;
  test(`${name} (2 objectives + a constraint): rebuilt from storage, the same history gives the same next suggestion`, async () => {
    const full = await drive(spec, 9, count);
    const half = full.slice(0, count - 3);
    for (let round = 0; round < 2; round++) {
      const fresh = createSearcher(spec, {
        space: sp,
        seed: 9,
        direction: 'minimize',
        directions: ['minimize', 'minimize'],
        constraints: true,
      });
      const r = await fresh.suggest({ number: half.length, trials: half });
      assert.is(r.kind, 'suggest');
      if (r.kind === 'suggest') assert.equal(r.params, full[half.length]!.params);
    }
    // And another seed gives another sequence (the seed reaches every random choice).
    const other = await drive(spec, 10, count);
    assert.not.equal(
      other.map((t) => t.params),
      full.map((t) => t.params),
    );
  });
}

test('a single-objective searcher is refused for several objectives, with the multi-objective ones named', () => {
  const init = { space: sp, seed: 1, direction: 'minimize' as const, directions: ['minimize', 'maximize'] as Direction[] };
  for (const type of ['hyperband', 'asha', 'bohb']) {
    try {
      createSearcher(type, init);
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, OptionsError);
      assert.match(
        (e as Error).message,
        `searcher '${type}' optimises one objective; this study has 2 (directions ["minimize","maximize"])`,
      );
      assert.match((e as Error).message, /'nsga2'/);
      assert.match((e as Error).message, /'sobol'/);
    }
  }
  for (const type of ['random', 'grid', 'sobol', 'tpe', 'gp', 'nsga2']) {
    assert.ok(searcherCapabilities(type)?.multiObjective, type);
    createSearcher(type, { ...init, space: discrete });
  }
  assert.throws(() => createSearcher('random', { ...init, direction: 'maximize' }), /direction === directions\[0\]/);
});

test('gp refuses single-objective-only options in a multi-objective study, naming the option', () => {
  const init = { space: sp, seed: 1, direction: 'minimize' as const, directions: ['minimize', 'minimize'] as Direction[] };
  assert.throws(() => createSearcher({ type: 'gp', acquisition: 'ucb' }, init), /option "acquisition" of searcher "gp" must be "logei"/);
  assert.throws(() => createSearcher({ type: 'gp', fantasy: 'constant_liar' }, init), /fantasy/);
});

test('NSGA-II elite selection: whole fronts by rank, the cut front by crowding; infeasible after feasible', () => {
  // Front 0: (0,4) (1,3) (2,2.5) (4,0); front 1: (2,4) (3,3); infeasible: (0,0) violation 1.
  const losses = [
    [0, 4],
    [1, 3],
    [2, 2.5],
    [4, 0],
    [2, 4],
    [3, 3],
    [0, 0],
  ];
  const viol = [0, 0, 0, 0, 0, 0, 1];
  const all = eliteSelect(losses, viol, 7);
  assert.equal(
    all.map((m) => m.rank),
    [0, 0, 0, 0, 1, 1, 2],
  );
  // Keep 3: the cut front 0 keeps its two extremes (infinite crowding) and the most isolated interior point.
  // Interior crowding: (1,3): (2-0)/4 + (4-2.5)/4 = 0.875; (2,2.5): (4-1)/4 + (3-0)/4 = 1.5.
  const three = eliteSelect(losses, viol, 3);
  assert.equal(three.map((m) => m.index).sort(), [0, 2, 3]);
  assert.ok(three.every((m) => m.rank === 0));
  // Crowded tournament: with two members, the lower rank always wins.
  const pop = eliteSelect(losses, viol, 7).filter((m) => m.index === 4 || m.index === 6);
  const rng = seedrandom.alea('t');
  for (let i = 0; i < 20; i++) assert.is(tournament(pop, rng).index, 4);
});

test('SBX and polynomial mutation stay in [0, 1] and keep children near the parents', () => {
  const rng = seedrandom.alea('var');
  let far = 0;
  for (let i = 0; i < 2000; i++) {
    const a = rng();
    const b = rng();
    const c = sbx(a, b, 15, rng);
    const m = polynomialMutation(a, 20, rng);
    assert.ok(c >= 0 && c <= 1 && m >= 0 && m <= 1);
    if (Math.abs(c - a) > Math.abs(b - a) + 0.3 && Math.abs(c - b) > Math.abs(b - a) + 0.3) far++;
  }
  assert.ok(far < 40, `${far} children far from both parents`);
  assert.is(sbx(0.3, 0.3, 15, rng), 0.3);
});

test('EHVI by box decomposition equals Monte Carlo, and the deterministic improvement as sigma -> 0', () => {
  const rng = seedrandom.alea('ehvi');
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  for (const m of [1, 2, 3]) {
    const front = Array.from({ length: 6 }, () => Array.from({ length: m }, () => rng()));
    const ref = Array<number>(m).fill(1.2);
    const boxes = hviBoxes(front, ref);
    const dirs = Array<Direction>(m).fill('minimize');
    const base = hypervolume(front, ref, dirs);
    const mu = Array.from({ length: m }, () => 0.3 + 0.4 * rng());
    const sigma = Array.from({ length: m }, () => 0.1 + 0.2 * rng());
    let mc = 0;
    const S = 20000;
    for (let s = 0; s < S; s++) {
      const y = mu.map((v, j) => v + sigma[j]! * gauss());
      mc += hypervolume([...front, y], ref, dirs) - base;
    }
    mc /= S;
    const exact = expectedHvi(boxes, mu, sigma);
    assert.ok(Math.abs(exact - mc) < 0.03 * Math.max(mc, 1e-3) + 2e-4, `m=${m}: exact ${exact} vs MC ${mc}`);
    const tiny = sigma.map(() => 1e-9);
    assert.ok(Math.abs(expectedHvi(boxes, mu, tiny) - (hypervolume([...front, mu], ref, dirs) - base)) < 1e-7);
  }
});

test('the fast h(z) = phi(z) + z Phi(z) of the EHVI stays within 0.2% of the exact log-space one', () => {
  for (let z = -40; z < 10; z += 0.013) {
    const exact = Math.exp(logH(z).value);
    assert.ok(Math.abs(hFast(z) - exact) <= 2e-3 * exact, `z=${z}: ${hFast(z)} vs ${exact}`);
  }
});

test('paretoRanking: feasible front first (extremes before the middle), then dominated, then infeasible by violation', () => {
  const mk = (number: number, values: number[], constraints?: number[]): TrialRecord => ({
    number,
    state: 'complete',
    params: {},
    value: values[0]!,
    values,
    ...(constraints ? { constraints } : {}),
    intermediate: [],
    userAttrs: {},
    system: {},
    created: new Date(number).toISOString(),
  });
  const trials = [
    mk(0, [1, 0.9], [0]), // front, interior (2nd objective maximised)
    mk(1, [0, 0.5], [-1]), // front, extreme
    mk(2, [2, 1], [0]), // front, extreme
    mk(3, [3, 3], [1]), // infeasible, violation 1
    mk(4, [0, 5], [0.5]), // infeasible, violation 0.5
    mk(5, [1.5, 0.5], [0]), // dominated by 0
    mk(6, [0, 9]), // no constraints stored: infeasible (Infinity)
    { ...mk(7, [0, 0]), state: 'running' as const },
  ];
  const places = paretoRanking(trials, ['minimize', 'maximize'], true);
  assert.equal(
    places.map((p) => p.number),
    [1, 2, 0, 5, 4, 3, 6],
  );
  assert.equal(
    places.map((p) => p.rank),
    [0, 0, 0, 1, 2, 3, 4],
  );
  assert.equal(
    places.map((p) => p.violation),
    [0, 0, 0, 0, 0.5, 1, Infinity],
  );
  assert.is(places[0]!.crowding, Infinity);
});

test('MOTPE good set: whole fronts, the cut front by hypervolume, infeasible ones last by violation', () => {
  const losses = [
    [0, 1],
    [1, 0],
    [0.5, 0.5],
    [0.9, 0.9],
    [0.95, 0.95],
    [0, 0],
  ];
  const viol = [0, 0, 0, 0, 0, 2];
  assert.equal(selectGood(losses, viol, 3).sort(), [0, 1, 2]);
  assert.equal(selectGood(losses, viol, 4).sort(), [0, 1, 2, 3]);
  assert.is(selectGood(losses, viol, 6)[5], 5);
  // A cut front: of (0,1) (1,0) (0.5,0.5), one point: the one adding most hypervolume w.r.t. Optuna's reference (1.1, 1.1).
  assert.equal(selectGood(losses.slice(0, 3), [0, 0, 0], 1), [2]);
});

/**
 * On a single-objective toy whose unconstrained optimum (x = 0.9) is infeasible (x <= 0.5 is feasible; the constrained optimum
 * is on the boundary): the share of trials 20..39 that are clearly infeasible (x > 0.6), and the best feasible value.
 */
async function feasibleShare(spec: SearcherSpec, constraints: boolean, seed: number): Promise<{ share: number; bestFeasible: number }> {
  const space1 = compileSpace({ x: space.float(0, 1), z: space.float(0, 1) });
  const s = createSearcher(spec, { space: space1, seed, direction: 'minimize', constraints });
  const trials: TrialRecord[] = [];
  let feas = 0;
  let best = Infinity;
  for (let i = 0; i < 40; i++) {
    const r = await s.suggest({ number: i, trials });
    if (r.kind !== 'suggest') throw new Error(r.kind);
    const x = r.params.x as number;
    const z = r.params.z as number;
    const value = (x - 0.9) ** 2 + (z - 0.5) ** 2; // optimum x = 0.9, but only x <= 0.5 is feasible
    const c = x - 0.5;
    if (i >= 20 && x > 0.6) feas++;
    if (c <= 0) best = Math.min(best, value);
    const ts = new Date(Date.UTC(2026, 0, 1) + i).toISOString();
    trials.push({
      number: i,
      state: 'complete',
      params: r.params,
      value,
      constraints: [c],
      intermediate: [],
      userAttrs: {},
      system: {},
      created: ts,
    });
  }
  return { share: feas / 20, bestFeasible: best };
}

for (const spec of [
  { type: 'tpe', startupTrials: 8 },
  { type: 'gp', candidates: 256, fitRestarts: 1 },
] as SearcherSpec[]) {
  const name = typeof spec === 'string' ? spec : spec.type;
  test(`constrained ${name} prefers the feasible region on a toy whose unconstrained optimum is infeasible`, async () => {
    let withC = 0;
    let without = 0;
    let best = 0;
    for (const seed of [1, 2]) {
      const a = await feasibleShare(spec, true, seed);
      withC += a.share / 2;
      best = Math.max(best, a.bestFeasible);
      without += (await feasibleShare(spec, false, seed)).share / 2;
    }
    // Clearly infeasible suggestions: rare with the constraints known, the majority without (the optimum lies there).
    assert.ok(withC <= 0.25, `clearly infeasible share with constraints ${withC}`);
    assert.ok(without >= withC + 0.3, `with ${withC} vs without ${without}`);
    assert.ok(best < 0.2, `best feasible value ${best} (optimum on the boundary: 0.16)`);
  });
}

test('old single-objective trials (value only) still drive the multi-objective code paths', async () => {
  const s = createSearcher('nsga2', { space: everyKind, seed: 3, direction: 'minimize' });
  const trials: TrialRecord[] = [];
  for (let i = 0; i < 45; i++) {
    const r = await s.suggest({ number: i, trials });
    if (r.kind !== 'suggest') throw new Error(r.kind);
    everyKind.validate(r.params);
    const ts = new Date(Date.UTC(2026, 0, 1) + i).toISOString();
    trials.push({
      number: i,
      state: 'complete',
      params: r.params,
      value: Math.log10(r.params.lr as number) ** 2,
      intermediate: [],
      userAttrs: {},
      system: {},
      created: ts,
    });
  }
  // After two generations of selection, the children cluster nearer the optimum lr (1e-0... the smallest |log10 lr|).
  const early = trials
    .slice(0, 20)
    .map((t) => t.value!)
    .sort((a, b) => a - b)[10]!;
  const late = trials
    .slice(40)
    .map((t) => t.value!)
    .sort((a, b) => a - b)[2]!;
  assert.ok(late < early, `median value of generation 0 ${early}, of generation 2 ${late}`);
});

test('multi-objective searchers give valid points of a space with every kind of parameter (branches included)', async () => {
  for (const spec of [
    { type: 'nsga2', populationSize: 6 },
    { type: 'tpe', startupTrials: 5 },
    { type: 'gp', candidates: 64, fitRestarts: 1 },
  ] as SearcherSpec[]) {
    const s = createSearcher(spec, {
      space: everyKind,
      seed: 4,
      direction: 'minimize',
      directions: ['minimize', 'maximize'],
      constraints: true,
    });
    const trials: TrialRecord[] = [];
    for (let i = 0; i < 16; i++) {
      const r = await s.suggest({ number: i, trials });
      if (r.kind !== 'suggest') throw new Error(r.kind);
      everyKind.validate(r.params);
      const lr = Math.log10(r.params.lr as number);
      const ts = new Date(Date.UTC(2026, 0, 1) + i).toISOString();
      // A trial whose constraint function failed (no constraints) and a NaN objective must not break anything.
      const values = [lr ** 2, i === 7 ? NaN : (r.params.layers as number)];
      trials.push({
        number: i,
        state: 'complete',
        params: r.params,
        value: values[0]!,
        values,
        ...(i === 9 ? {} : { constraints: [lr + 2] }),
        intermediate: [],
        userAttrs: {},
        system: {},
        created: ts,
      });
    }
  }
});

test('gp with 4 objectives stays bounded (the front is thinned for the box decomposition) and gives valid points', async () => {
  const s = createSearcher(
    { type: 'gp', candidates: 64, fitRestarts: 1, initialTrials: 4 },
    { space: sp, seed: 2, direction: 'minimize', directions: ['minimize', 'minimize', 'minimize', 'minimize'] },
  );
  const trials: TrialRecord[] = [];
  const rng = seedrandom.alea('4d');
  for (let i = 0; i < 40; i++) {
    // A random 4-objective front-like history: most points mutually non-dominated.
    const w = [rng(), rng(), rng(), rng()];
    const norm = Math.hypot(...w);
    const values = w.map((v) => v / norm);
    const params = sp.decode(sp.dims.map(() => rng()));
    trials.push({
      number: i,
      state: 'complete',
      params,
      value: values[0]!,
      values,
      intermediate: [],
      userAttrs: {},
      system: {},
      created: new Date(i).toISOString(),
    });
  }
  const t0 = performance.now();
  const r = await s.suggest({ number: 40, trials });
  assert.is(r.kind, 'suggest');
  if (r.kind === 'suggest') sp.validate(r.params);
  assert.ok(performance.now() - t0 < 60_000);
});

// The contract's in-flight check asks 8 trials: all of generation 0 with the default population (20). Later generations
// depend on which earlier trials have finished, by design (their parents), which the rebuild test above covers.
searcherContract('nsga2');

test.run();
