import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { searcherContract, fakeTrial } from './contract.js';
import { createSearcher, registerSearcher } from '../../searchers/index.js';
import {
  cholesky,
  cholInverse,
  cholSolve,
  createGpSearcher,
  erfcx,
  expectedImprovement,
  fitKernel,
  GpPosterior,
  logEiAcquisition,
  logH,
  MIN_NOISE,
  solveLower,
  solveUpper,
  transformTargets,
} from '../../searchers/gp/index.js';
import { compileSpace, space } from '../../spaces/index.js';
import type { SearchSpace } from '../../spaces/types.js';
import type { Params, TrialRecord } from '../../src/core/types.js';
import type { SearcherSpec } from '../../searchers/index.js';

registerSearcher('gp', createGpSearcher);
// initialTrials 8: the contract's in-flight test asks 8 trials with none finished, which only a pure design can match; the
// other contract tests (24 trials) then exercise the model from trial 8 on, including the rebuild-from-history check at 12.
searcherContract({ type: 'gp', initialTrials: 8 }, { count: 24 });

const plane = compileSpace({ x: space.float(0, 1), y: space.float(0, 1) });
const quadratic = (p: Params): number => ((p.x as number) - 0.3) ** 2 + ((p.y as number) - 0.7) ** 2;

/** Sequential run storing each suggestion as a finished trial with the objective's value. */
async function run(spec: SearcherSpec, sp: SearchSpace, seed: number, count: number, f: (p: Params) => number): Promise<TrialRecord[]> {
  const s = createSearcher(spec, { space: sp, seed, direction: 'minimize' });
  const trials: TrialRecord[] = [];
  for (let i = 0; i < count; i++) {
    const r = await s.suggest({ number: i, trials });
    if (r.kind !== 'suggest') throw new Error(`unexpected ${r.kind}`);
    trials.push(fakeTrial(i, r.params, 'complete', f(r.params)));
  }
  return trials;
}

const best = (trials: TrialRecord[]): number => Math.min(...trials.map((t) => t.value!));

test('Cholesky, triangular solves, inverse and log-det on a hand 3x3 example', () => {
  // A = L L^T with L = [[2,0,0],[6,1,0],[-8,5,3]] (the textbook example); x = (1, 2, 3) gives b = A x = (-20, -43, 192).
  const a = Float64Array.from([4, 12, -16, 12, 37, -43, -16, -43, 98]);
  const l = a.slice();
  assert.ok(cholesky(l, 3));
  const lower = [l[0], l[3], l[4], l[6], l[7], l[8]];
  assert.equal(lower, [2, 6, 1, -8, 5, 3]);
  const b = Float64Array.from([-20, -43, 192]);
  const z = solveLower(l, 3, b.slice()); // L z = b: z = (-10, 17, 9)
  [-10, 17, 9].forEach((v, i) => assert.ok(Math.abs(z[i]! - v) < 1e-12, `z[${i}] = ${z[i]}`));
  const x = solveUpper(l, 3, z);
  [1, 2, 3].forEach((v, i) => assert.ok(Math.abs(x[i]! - v) < 1e-12, `x[${i}] = ${x[i]}`));
  const x2 = cholSolve(l, 3, b.slice());
  [1, 2, 3].forEach((v, i) => assert.ok(Math.abs(x2[i]! - v) < 1e-12));
  const inv = cholInverse(l, 3);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += inv[i * 3 + k]! * a[k * 3 + j]!;
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-10, `(A^-1 A)[${i}][${j}] = ${s}`);
    }
  }
  assert.not.ok(cholesky(Float64Array.from([1, 2, 2, 1]), 2), 'an indefinite matrix is refused');
});

test('log h / log EI: equals log(EI) where EI is finite, stays finite and increasing where EI underflows', () => {
  for (const [mean, sigma] of [
    [0.3, 1],
    [-2, 0.5],
    [1, 2],
    [-5, 1],
    [0, 0.05],
  ] as const) {
    const ei = expectedImprovement(mean, sigma, 0.2);
    const log = logEiAcquisition(0.2).value(mean, sigma * sigma);
    assert.ok(
      ei > 0 && Math.abs(log - Math.log(ei)) < 1e-9 * Math.max(1, Math.abs(log)),
      `mean ${mean} sigma ${sigma}: ${log} vs ${Math.log(ei)}`,
    );
  }
  assert.is(expectedImprovement(-40, 1, 0), 0, 'EI underflows at z = -40');
  const at40 = logH(-40).value;
  assert.ok(Number.isFinite(at40) && at40 < -800 && at40 > -810, `log h(-40) = ${at40}`);
  let prev = -Infinity;
  for (let z = -1e4; z < 5; z = z < -100 ? z / 1.5 : z + 0.01) {
    const v = logH(z).value;
    assert.ok(Number.isFinite(v) && v > prev, `log h not finite/increasing at z = ${z}`);
    prev = v;
  }
  // Slope d log h / dz against central differences on both sides of the branch switches (-1, -10).
  for (const z of [-30, -10.5, -9.5, -3, -1.2, -0.8, 0.5, 4]) {
    const fd = (logH(z + 1e-6).value - logH(z - 1e-6).value) / 2e-6;
    assert.ok(Math.abs(fd - logH(z).slope) < 1e-5 * Math.max(1, Math.abs(fd)), `slope at ${z}: ${logH(z).slope} vs ${fd}`);
  }
  // erfcx against values of e^{x^2} erfc(x) computed in double precision elsewhere (Python's math.erfc).
  for (const [x, v] of [
    [0.5, 0.6156903441929259],
    [1.5, 0.32158541645431754],
    [2.5, 0.21080636406114356],
    [10, 0.05614099274382259],
  ]) {
    assert.ok(Math.abs(erfcx(x) - v) < 1e-13, `erfcx(${x}) = ${erfcx(x)}`);
  }
});

test('the GP posterior interpolates noiseless points and its variance shrinks there', () => {
  const n = 12;
  const d = 2;
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i * d] = (i * 0.618034) % 1;
    x[i * d + 1] = (i * 0.414214 + 0.1) % 1;
    y[i] = Math.sin(4 * x[i * d]!) + x[i * d + 1]! ** 2;
  }
  const mean = new Float64Array(n);
  const variance = new Float64Array(n);
  const check = (post: GpPosterior, what: string): void => {
    post.predict(x, n, mean, variance);
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(mean[i]! - y[i]!) < 1e-3, `${what}: mean ${mean[i]} vs y ${y[i]} at point ${i}`);
      assert.ok(variance[i]! < 1e-3 * post.params.s2, `${what}: variance ${variance[i]} at data point ${i}`);
    }
    const far = new Float64Array(1);
    post.predict(Float64Array.from([3, -2]), 1, new Float64Array(1), far); // far outside the data: prior variance
    assert.ok(far[0]! > 0.9 * post.params.s2, `${what}: far variance ${far[0]} vs s2 ${post.params.s2}`);
  };
  check(new GpPosterior(x, y, n, d, { ls: Float64Array.from([0.3, 0.3]), s2: 1, sn2: 1e-6 }), 'fixed');
  // Fitted hyperparameters on noiseless data: the noise is small (its prior allows a little), and with the fitted length
  // scales and the noise at its floor the posterior interpolates.
  const fitted = fitKernel(x, y, n, d, { restarts: 2, rng: () => 0.5 });
  assert.ok(fitted.sn2 < 1e-3, `fitted noise ${fitted.sn2}`);
  check(new GpPosterior(x, y, n, d, { ...fitted, sn2: MIN_NOISE }), 'fitted');
  // Gradients of mean and variance match finite differences.
  const post = new GpPosterior(x, y, n, d, fitted);
  const p0 = Float64Array.from([0.37, 0.52]);
  const gm = new Float64Array(d);
  const gv = new Float64Array(d);
  post.predictWithGradient(p0, gm, gv);
  for (let c = 0; c < d; c++) {
    const hi = p0.slice();
    const lo = p0.slice();
    hi[c]! += 1e-6;
    lo[c]! -= 1e-6;
    const a = post.predictWithGradient(hi, new Float64Array(d), new Float64Array(d));
    const b = post.predictWithGradient(lo, new Float64Array(d), new Float64Array(d));
    assert.ok(Math.abs((a.mean - b.mean) / 2e-6 - gm[c]!) < 1e-4 * Math.max(1, Math.abs(gm[c]!)), `dmean/dx${c}`);
    assert.ok(Math.abs((a.variance - b.variance) / 2e-6 - gv[c]!) < 1e-4 * Math.max(1, Math.abs(gv[c]!)), `dvar/dx${c}`);
  }
});

test('target transform: order-preserving; log-warps only heavy tails', () => {
  const light = transformTargets([-3, -2.5, -1, -0.5, -0.2]);
  const heavy = transformTargets([-0.4, -0.5, -0.6, -0.45, -300]);
  for (const y of [light, heavy]) {
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    assert.ok(Math.abs(mean) < 1e-12, 'standardised');
  }
  // Light tail: linear, so equal gaps stay equal after standardising.
  assert.ok(Math.abs(light[4]! - light[3]! - (light[3]! - light[2]!) * (0.3 / 0.5)) < 1e-12);
  // Heavy tail: the four good points are not squashed together by the one catastrophic value.
  assert.ok(heavy[0]! > heavy[3]! && heavy[3]! > heavy[1]! && heavy[1]! > heavy[2]! && heavy[2]! > heavy[4]!);
  // Unwarped, the 0.2 spread of the good points would be 0.2 / 120 (the standard deviation) = 0.002 after standardising.
  assert.ok(heavy[0]! - heavy[2]! > 0.1, `good points spread: ${heavy[0]! - heavy[2]!}`);
});

test('gp beats random search on a 2-D quadratic (fixed seeds)', async () => {
  for (const seed of [1, 2, 3]) {
    const gp = best(await run('gp', plane, seed, 20, quadratic));
    const random = best(await run('random', plane, seed, 20, quadratic));
    assert.ok(gp < random && gp < 1e-3, `seed ${seed}: gp ${gp} vs random ${random}`);
  }
});

test('mixed space: suggestions respect int / step / log / choice and the model finds the good region', async () => {
  const sp = compileSpace({
    lr: space.float(1e-4, 1, { log: true }),
    drop: space.float(0, 0.5, { step: 0.1 }),
    units: space.int(8, 512, { log: true }),
    layers: space.int(1, 6),
    act: space.choice(['relu', 'tanh', 'gelu']),
  });
  const f = (p: Params): number =>
    Math.abs(Math.log10(p.lr as number) + 2) +
    Math.abs((p.drop as number) - 0.2) +
    Math.abs((p.layers as number) - 4) * 0.2 +
    (p.act === 'tanh' ? 0 : 0.5) +
    Math.abs(Math.log2(p.units as number) - 6) * 0.1;
  const trials = await run({ type: 'gp', initialTrials: 6 }, sp, 4, 24, f);
  for (const t of trials) {
    sp.validate(t.params);
    const { lr, drop, units, layers } = t.params as { lr: number; drop: number; units: number; layers: number };
    assert.ok(lr >= 1e-4 && lr <= 1);
    assert.ok(Number.isInteger(units) && units >= 8 && units <= 512 && Number.isInteger(layers));
    assert.ok(Math.abs(drop * 10 - Math.round(drop * 10)) < 1e-9, `drop on its grid: ${drop}`);
  }
  const random = best(await run('random', sp, 4, 24, f));
  assert.ok(best(trials) < random, `gp ${best(trials)} vs random ${random}`);
});

test('conditional spaces: branches stay valid and the better branch is found', async () => {
  const sp = compileSpace({
    model: space.choice({ a: { x: space.float(0, 1) }, b: { k: space.int(1, 5), flag: space.bool() } }),
    lr: space.float(0, 1),
  });
  const f = (p: Params): number => {
    const m = p.model as Params;
    const base = ((p.lr as number) - 0.5) ** 2;
    return m.type === 'a' ? base + ((m.x as number) - 0.25) ** 2 : 0.3 + base + (m.k as number) * 0.01;
  };
  const trials = await run({ type: 'gp', initialTrials: 5 }, sp, 2, 20, f);
  for (const t of trials) sp.validate(t.params);
  const late = trials.slice(-6).filter((t) => (t.params.model as Params).type === 'a').length;
  assert.ok(late >= 4, `late trials on branch a: ${late} of 6`);
  assert.ok(best(trials) < 0.01, `best ${best(trials)}`);
});

test('same seed, same suggestions; resume gives the same next suggestion, with pending trials too', async () => {
  const a = await run('gp', plane, 7, 12, quadratic);
  const b = await run('gp', plane, 7, 12, quadratic);
  assert.equal(
    a.map((t) => t.params),
    b.map((t) => t.params),
  );
  // A fresh searcher (a resumed process) given the first 10 stored trials proposes what the original run proposed at 10.
  const fresh = createGpSearcher({ space: plane, seed: 7, direction: 'minimize' }, {});
  const r = await fresh.suggest({ number: 10, trials: a.slice(0, 10) });
  assert.equal(r.kind === 'suggest' && r.params, a[10]!.params);
  // With two trials still running: two fresh instances agree.
  const history = [...a.slice(0, 9), fakeTrial(9, a[9]!.params, 'running'), fakeTrial(10, a[10]!.params, 'running')];
  const s1 = await createGpSearcher({ space: plane, seed: 7, direction: 'minimize' }, {}).suggest({ number: 11, trials: history });
  const s2 = await createGpSearcher({ space: plane, seed: 7, direction: 'minimize' }, {}).suggest({ number: 11, trials: history });
  assert.equal(s1, s2);
});

test('concurrent asks with running trials are distinct (both fantasy strategies)', async () => {
  const done = await run('gp', plane, 3, 10, quadratic);
  for (const fantasy of ['constant_liar', 'kriging_believer']) {
    const s = createGpSearcher({ space: plane, seed: 3, direction: 'minimize' }, { fantasy });
    const trials = [...done];
    const asked: Params[] = [];
    for (let i = 10; i < 14; i++) {
      const r = await s.suggest({ number: i, trials });
      if (r.kind !== 'suggest') throw new Error(r.kind);
      asked.push(r.params);
      trials.push(fakeTrial(i, r.params, 'running'));
    }
    for (let i = 0; i < asked.length; i++) {
      for (let j = 0; j < i; j++) {
        const dist = Math.hypot((asked[i]!.x as number) - (asked[j]!.x as number), (asked[i]!.y as number) - (asked[j]!.y as number));
        assert.ok(dist > 1e-3, `${fantasy}: asks ${i} and ${j} coincide (${dist})`);
      }
    }
  }
});

test('options: validated with the key named; ucb and maxObservations subsets work', async () => {
  const init = { space: plane, seed: 1, direction: 'minimize' as const };
  assert.throws(
    () => createGpSearcher(init, { acquisiton: 'ucb' }),
    (e: Error) => e instanceof TypeError && /acquisiton/.test(e.message),
  );
  assert.throws(() => createGpSearcher(init, { acquisition: 'ei' }), /acquisition.*"logei", "ucb"/);
  assert.throws(() => createGpSearcher(init, { beta: 2 }), /beta.*only applies to acquisition "ucb"/);
  assert.throws(() => createGpSearcher(init, { acquisition: 'ucb', beta: -1 }), /beta/);
  assert.throws(() => createGpSearcher(init, { fantasy: 'optimist' }), /fantasy/);
  assert.throws(() => createGpSearcher(init, { initialTrials: 0 }), /initialTrials/);
  const ucb = await run({ type: 'gp', acquisition: 'ucb', beta: 1 }, plane, 5, 16, quadratic);
  assert.ok(best(ucb) < 0.01, `ucb best ${best(ucb)}`);
  // maxObservations below the history: the fit uses a subset, suggestions stay valid and deterministic.
  const spec = { type: 'gp', maxObservations: 8, initialTrials: 5 } as const;
  const x = await run(spec, plane, 6, 14, quadratic);
  const y = await run(spec, plane, 6, 14, quadratic);
  assert.equal(
    x.map((t) => t.params),
    y.map((t) => t.params),
  );
  assert.ok(best(x) < 0.05, `subset best ${best(x)}`);
});

test('maximize direction, failed, pruned and NaN-valued trials', async () => {
  const s = createGpSearcher({ space: plane, seed: 2, direction: 'maximize' }, {});
  const trials: TrialRecord[] = [];
  for (let i = 0; i < 16; i++) {
    const r = await s.suggest({ number: i, trials });
    if (r.kind !== 'suggest') throw new Error(r.kind);
    const state = i === 6 ? 'failed' : i === 7 ? 'pruned' : 'complete';
    trials.push(fakeTrial(i, r.params, state, i === 8 ? NaN : -quadratic(r.params))); // 8: a diverged run
    if (state === 'pruned') trials[i] = { ...trials[i]!, value: -quadratic(r.params) - 0.1 };
  }
  const top = Math.max(...trials.filter((t) => t.state === 'complete' && Number.isFinite(t.value)).map((t) => t.value!));
  assert.ok(top > -0.01, `maximising -quadratic reached ${top}`);
});

test.run();
