import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { searcherContract, discrete, drive, everyKind, fakeTrial } from './contract.js';
import { createSearcher, gridSize, registerSearcher, searcherTypes } from '../../searchers/index.js';
import { paramsKey } from '../../searchers/grid.js';
import { compileSpace, space } from '../../spaces/index.js';
import type { Params, TrialRecord } from '../../src/core/types.js';

searcherContract('random');
searcherContract('sobol');
searcherContract('grid', { sp: discrete, count: 60 });

test('grid visits exactly the Cartesian product once, then is exhausted', async () => {
  assert.is(gridSize(discrete), 60);
  const trials = await drive('grid', 1, 1000, discrete);
  assert.is(trials.length, 60);
  const keys = new Set(trials.map((t) => paramsKey(t.params)));
  assert.is(keys.size, 60, 'no point twice');
  // Every combination is present: check by enumerating the product by hand.
  let expected = 0;
  for (const a of [false, true])
    for (const b of ['x', 'y', 'z'])
      for (const c of [0, 1]) {
        for (const d of [
          { type: 'p', q: 1 },
          { type: 'p', q: 2 },
          { type: 'r', s: 1 },
          { type: 'r', s: 2 },
          { type: 'r', s: 3 },
        ] as Params[]) {
          assert.ok(keys.has(paramsKey({ a, b, c, d })), `missing ${JSON.stringify({ a, b, c, d })}`);
          expected++;
        }
      }
  assert.is(expected, 60);
  const s = createSearcher('grid', { space: discrete, seed: 1, direction: 'minimize' });
  assert.equal(await s.suggest({ number: 60, trials }), { kind: 'exhausted' });
});

test('grid order is a seeded shuffle, not declaration order', async () => {
  const a = await drive('grid', 1, 60, discrete);
  const b = await drive('grid', 2, 60, discrete);
  assert.not.equal(
    a.map((t) => t.params),
    b.map((t) => t.params),
  );
  assert.equal(new Set(a.map((t) => paramsKey(t.params))), new Set(b.map((t) => paramsKey(t.params))));
});

test('grid resume never repeats a point, whatever state the stored trials are in', async () => {
  const first = await drive('grid', 9, 25, discrete);
  // Mix states: failed, pruned and running points are visited too; a user-enqueued point is skipped by the grid.
  const stored: TrialRecord[] = first.map((t, i) =>
    fakeTrial(t.number, t.params, (['complete', 'failed', 'pruned', 'running'] as const)[i % 4]),
  );
  const s = createSearcher('grid', { space: discrete, seed: 9, direction: 'minimize' });
  const seen = new Set(stored.map((t) => paramsKey(t.params)));
  for (let n = stored.length; ; n++) {
    const r = await s.suggest({ number: n, trials: stored });
    if (r.kind === 'exhausted') break;
    assert.is(r.kind, 'suggest');
    if (r.kind !== 'suggest') return;
    const k = paramsKey(r.params);
    assert.not.ok(seen.has(k), `repeated ${k}`);
    seen.add(k);
    stored.push(fakeTrial(n, r.params));
  }
  assert.is(seen.size, 60);
});

test('grid refuses floats without step, naming the parameter and the fix', () => {
  const sp = compileSpace({ lr: space.float(0, 1), n: space.int(1, 3) });
  assert.throws(() => createSearcher('grid', { space: sp, seed: 1, direction: 'minimize' }), /"lr".*step/);
});

test('random draws cover the space: every level of small discrete params appears', async () => {
  const trials = await drive('random', 4, 400);
  const acts = new Set(trials.map((t) => t.params['act']));
  assert.equal([...acts].sort(), ['gelu', 'relu', 'tanh']);
  const models = new Set(trials.map((t) => (t.params['model'] as { type: string }).type));
  assert.equal([...models].sort(), ['cnn', 'linear', 'mlp']);
  const layers = new Set(trials.map((t) => t.params['layers']));
  assert.equal([...layers].sort(), [1, 2, 3, 4]);
  const lrs = trials.map((t) => t.params['lr'] as number);
  // log-uniform: about half the draws below the geometric midpoint 10^-2.5.
  const below = lrs.filter((v) => v < 10 ** -2.5).length / lrs.length;
  assert.ok(below > 0.4 && below < 0.6, `fraction below geometric midpoint ${below}`);
  void everyKind;
});

test('unknown searcher and malformed specs name the known types', () => {
  const init = { space: discrete, seed: 1, direction: 'minimize' as const };
  assert.throws(
    () => createSearcher('bayes-magic', init),
    /unknown searcher "bayes-magic"; known types: (.*, )?grid, (.*, )?random, (.*, )?sobol/,
  );
  assert.throws(() => createSearcher({ nope: 1 } as never, init), /type name or \{ type/);
});

test('registerSearcher adds a type the registry can build', async () => {
  registerSearcher('constant-test', (init) => ({
    type: 'constant-test',
    suggest: () => ({ kind: 'suggest', params: init.space.decode(new Array(init.space.dims.length).fill(0.5)) }),
  }));
  assert.ok(searcherTypes().includes('constant-test'));
  const s = createSearcher('constant-test', { space: discrete, seed: 1, direction: 'minimize' });
  const r = await s.suggest({ number: 0, trials: [] });
  assert.is(r.kind, 'suggest');
  assert.throws(() => registerSearcher('Bad Name', () => s), /must match/);
});

test.run();
