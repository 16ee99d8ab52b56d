/**
 * The contract every searcher passes (registered over each implementation in searchers.test.ts): valid suggestions, seeded
 * determinism, independence from concurrency/call order, state rebuilt from stored trials, option validation.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSpace, space } from '../../spaces/index.js';
import { createSearcher, type SearcherSpec } from '../../searchers/index.js';
import type { Searcher, Suggestion } from '../../searchers/types.js';
import type { SearchSpace } from '../../spaces/types.js';
import type { Params, TrialRecord } from '../../src/core/types.js';

/** A space with every kind: stepped and log floats, ints (plain, stepped, log), bool, choice, nested group, branches. */
export const everyKind = compileSpace({
  lr: space.float(1e-4, 1e-1, { log: true }),
  dropout: space.float(0, 0.5, { step: 0.1 }),
  layers: space.int(1, 4),
  width: space.int(16, 256, { log: true }),
  batch: space.int(32, 256, { step: 32 }),
  bn: space.bool(),
  act: space.choice(['relu', 'gelu', 'tanh']),
  opt: { momentum: space.choice([0.9, 0.99]) },
  model: space.choice({
    mlp: { units: space.int(8, 64, { step: 8 }) },
    cnn: { filters: space.choice([8, 16]), pool: space.bool() },
    linear: {},
  }),
});

/** A small all-discrete space (grid-able) with 2*3*2*(2+3) = 60 points. */
export const discrete = compileSpace({
  a: space.bool(),
  b: space.choice(['x', 'y', 'z']),
  c: space.float(0, 1, { step: 1 }),
  d: space.choice({ p: { q: space.int(1, 2) }, r: { s: space.choice([1, 2, 3]) } }),
});

let clock = 0;
/** A stored-looking trial record for feeding searchers. */
export function fakeTrial(number: number, params: Params, state: TrialRecord['state'] = 'complete', value = number): TrialRecord {
  const ts = new Date(Date.UTC(2026, 0, 1) + clock++).toISOString();
  return { number, state, params, intermediate: [], userAttrs: {}, system: {}, created: ts, ...(state === 'complete' ? { value } : {}) };
}

/** Runs `count` sequential suggestions, storing each as a finished trial. */
export async function drive(spec: SearcherSpec, seed: number, count: number, sp = everyKind): Promise<TrialRecord[]> {
  const s = createSearcher(spec, { space: sp, seed, direction: 'minimize' });
  const trials: TrialRecord[] = [];
  for (let i = 0; i < count; i++) {
    const r = await s.suggest({ number: i, trials });
    if (r.kind !== 'suggest') break;
    trials.push(fakeTrial(i, r.params));
  }
  return trials;
}

export function searcherContract(spec: SearcherSpec, opts: { sp?: typeof everyKind; count?: number } = {}): void {
  const name = typeof spec === 'string' ? spec : spec.type;
  const sp = opts.sp ?? everyKind;
  const count = opts.count ?? 40;
  const t = suite(`searcher contract: ${name}`);

  t('every suggestion is a valid point of the space', async () => {
    const trials = await drive(spec, 7, count, sp);
    assert.ok(trials.length >= Math.min(count, 20), `got ${trials.length} suggestions`);
    for (const tr of trials) sp.validate(tr.params);
  });

  t('same seed gives the same sequence; another seed another one', async () => {
    const a = await drive(spec, 11, count, sp);
    const b = await drive(spec, 11, count, sp);
    const c = await drive(spec, 12, count, sp);
    assert.equal(
      a.map((x) => x.params),
      b.map((x) => x.params),
    );
    assert.not.equal(
      a.map((x) => x.params),
      c.map((x) => x.params),
    );
  });

  t('state is rebuilt from stored trials: a fresh searcher continues where the old one stopped', async () => {
    const full = await drive(spec, 5, count, sp);
    const half = full.slice(0, Math.floor(full.length / 2));
    const fresh = createSearcher(spec, { space: sp, seed: 5, direction: 'minimize' });
    const r = await fresh.suggest({ number: half.length, trials: half });
    assert.is(r.kind, 'suggest');
    if (r.kind === 'suggest') assert.equal(r.params, full[half.length]?.params);
  });

  t('suggestions do not depend on how many trials are in flight', async () => {
    // Sequential, fully told history vs. the same numbers asked while earlier trials are still running.
    const seq = await drive(spec, 3, 8, sp);
    const s = createSearcher(spec, { space: sp, seed: 3, direction: 'minimize' });
    const trials: TrialRecord[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await s.suggest({ number: i, trials });
      if (r.kind !== 'suggest') throw new Error(`unexpected ${r.kind}`);
      trials.push(fakeTrial(i, r.params, 'running'));
    }
    assert.equal(
      trials.map((x) => x.params),
      seq.map((x) => x.params),
    );
  });

  t('a searcher that says it ignores results proposes the same whatever the outcomes (ignoresResults)', async () => {
    const s = createSearcher(spec, { space: sp, seed: 9, direction: 'minimize' });
    if (s.ignoresResults !== true) return; // the claim is optional; only a searcher making it is held to it
    const told = await drive(spec, 9, 12, sp);
    // The same params, with other outcomes: failed, pruned with reports, running, other values.
    const states = ['failed', 'pruned', 'running', 'complete'] as const;
    const other = told.map((t, i) => {
      const state = states[i % 4]!;
      return {
        ...fakeTrial(t.number, t.params, state, -1000 * i),
        ...(state === 'pruned' ? { value: i, intermediate: [{ step: 1, value: i }] } : {}),
        system: t.system,
      };
    });
    for (const k of [4, 8, 12]) {
      const a = await createSearcher(spec, { space: sp, seed: 9, direction: 'minimize' }).suggest({ number: k, trials: told.slice(0, k) });
      const b = await createSearcher(spec, { space: sp, seed: 9, direction: 'minimize' }).suggest({ number: k, trials: other.slice(0, k) });
      assert.equal(b, a, `${name}: trial ${k} depends on the outcomes of earlier trials`);
    }
  });

  t('unknown options are rejected with the key named', () => {
    assert.throws(() => createSearcher({ type: name, bogusOption: 1 }, { space: sp, seed: 1, direction: 'minimize' }), /bogusOption/);
  });

  t.run();
}

/**
 * Per-trial determinism, for every registered searcher and every registered scheduler (composed with every plain searcher):
 * the suggestion for trial k depends only on (seed, k, the trials given), never on call order, earlier unrelated calls or
 * process-local caches. A history is grown by the searcher itself (budgets and system fields stored as the study stores them,
 * up to 3 trials in flight, values from a fixed function of the params and budget); then the answer at several k is compared
 * between two fresh instances, and an instance that first served another study's history and later k's.
 */
export interface DeterminismCase {
  readonly name: string;
  /** Builds a fresh instance (same seed every time). */
  readonly make: () => Searcher;
  readonly sp: SearchSpace;
}

/** A smooth objective of the unit-cube point (inactive coordinates ignored) that improves with the budget. */
function valueOf(sp: SearchSpace, params: Params, budget: number | undefined, shift: number): number {
  const x = sp.encode(params);
  let v = 0;
  x.forEach((u, i) => {
    if (!Number.isNaN(u)) v += (u - 0.3 - 0.05 * ((i + shift) % 3)) ** 2;
  });
  return v + (budget === undefined ? 0 : 1 / Math.sqrt(budget));
}

/** Grows a history of up to `count` trials with `s` (concurrency 3; a 'wait' finishes the oldest running trial). */
export async function grow(s: Searcher, sp: SearchSpace, count: number, shift = 0): Promise<TrialRecord[]> {
  const trials: TrialRecord[] = [];
  const running: number[] = [];
  const finishOldest = (): boolean => {
    const n = running.shift();
    if (n === undefined) return false;
    const t = trials[n]!;
    // Every 7th trial fails, to exercise failed-trial handling.
    trials[n] = n % 7 === 6 ? { ...t, state: 'failed' } : { ...t, state: 'complete', value: valueOf(sp, t.params, t.budget, shift) };
    return true;
  };
  let guard = 0;
  while (trials.length < count && guard++ < count * 4) {
    if (running.length >= 3) finishOldest();
    const r = await s.suggest({ number: trials.length, trials: trials.slice() });
    if (r.kind === 'exhausted') break;
    if (r.kind === 'wait') {
      if (!finishOldest()) break;
      continue;
    }
    const t = fakeTrial(trials.length, r.params, 'running');
    trials.push({ ...t, ...(r.budget !== undefined ? { budget: r.budget } : {}), system: r.system ?? {} });
    running.push(t.number);
  }
  return trials;
}

export function determinismContract(cases: readonly DeterminismCase[], count = 36): void {
  const t = suite('determinism per trial: every registered searcher and scheduler');
  for (const c of cases) {
    t(`${c.name}: the suggestion for trial k depends only on (seed, k, trials)`, async () => {
      const history = await grow(c.make(), c.sp, count);
      const other = await grow(c.make(), c.sp, count, 1); // another study's history (other values, so other decisions)
      assert.ok(history.length >= 8, `${c.name} grew only ${history.length} trials`);
      const ks = [...new Set([history.length, Math.floor(history.length / 2), Math.floor(history.length / 4), 1])];
      const ask = (s: Searcher, k: number) => s.suggest({ number: k, trials: history.slice(0, k) });
      const fresh: Suggestion[] = [];
      for (const k of ks) fresh.push(await ask(c.make(), k));
      for (const [i, k] of ks.entries()) assert.equal(await ask(c.make(), k), fresh[i], `${c.name}: two fresh instances differ at k=${k}`);
      // One instance: another study first, then the ks in decreasing order (a resume sees shorter histories later).
      const used = c.make();
      for (let k = 0; k < other.length; k += 5) await used.suggest({ number: k, trials: other.slice(0, k) });
      for (const [i, k] of ks.entries()) assert.equal(await ask(used, k), fresh[i], `${c.name}: after unrelated calls, k=${k} differs`);
      // And in increasing order interleaved with the other study (concurrent studies in one process).
      for (let i = ks.length - 1; i >= 0; i--) {
        await used.suggest({ number: other.length, trials: other });
        assert.equal(await ask(used, ks[i]!), fresh[i], `${c.name}: interleaved with another study, k=${ks[i]} differs`);
      }
    });
  }
  t.run();
}
