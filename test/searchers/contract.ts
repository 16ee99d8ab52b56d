/**
 * The contract every searcher passes (registered over each implementation in searchers.test.ts): valid suggestions, seeded
 * determinism, independence from concurrency/call order, state rebuilt from stored trials, option validation.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSpace, space } from '../../spaces/index.js';
import { createSearcher, type SearcherSpec } from '../../searchers/index.js';
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
  model: space.choice({ mlp: { units: space.int(8, 64, { step: 8 }) }, cnn: { filters: space.choice([8, 16]), pool: space.bool() }, linear: {} }),
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
    assert.equal(a.map((x) => x.params), b.map((x) => x.params));
    assert.not.equal(a.map((x) => x.params), c.map((x) => x.params));
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
    assert.equal(trials.map((x) => x.params), seq.map((x) => x.params));
  });

  t('unknown options are rejected with the key named', () => {
    assert.throws(() => createSearcher({ type: name, bogusOption: 1 }, { space: sp, seed: 1, direction: 'minimize' }), /bogusOption/);
  });

  t.run();
}
