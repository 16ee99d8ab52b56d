import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeImportance, treeFractions, type Leaf } from '../../src/report/importance/index.js';
import { flattenSpace } from '../../src/report/flatten.js';
import { knownStudy, syntheticStudy } from './fixtures.js';

const leaf = (low: number[], high: number[], value: number): Leaf => ({ low: Float64Array.from(low), high: Float64Array.from(high), value });

test('treeFractions: exact variance shares of a hand-built additive tree', () => {
  // f(a, b) = 2 * [a > 0.5] + 1 * [b > 0.5] on [0,1]^2: Var(a part) = 1, Var(b part) = 0.25, total 1.25 (additive).
  const leaves = [leaf([0, 0], [0.5, 0.5], 0), leaf([0, 0.5], [0.5, 1], 1), leaf([0.5, 0], [1, 0.5], 2), leaf([0.5, 0.5], [1, 1], 3)];
  const f = treeFractions(leaves, [
    [0, 1],
    [0, 1],
  ])!;
  assert.ok(Math.abs(f[0]! - 0.8) < 1e-12, String(f[0]));
  assert.ok(Math.abs(f[1]! - 0.2) < 1e-12, String(f[1]));
  assert.is(treeFractions([leaf([0], [1], 3)], [[0, 1]]), undefined, 'a constant tree explains nothing');
});

test('the dominant parameter ranks first with importance > 0.5; the dead one is last', () => {
  const { study, trials } = knownStudy(200, 1);
  const r = computeImportance(trials, flattenSpace(study.space), { seed: 1 });
  assert.is(r.params[0]!.name, 'x');
  assert.ok(r.params[0]!.importance > 0.5, String(r.params[0]!.importance));
  assert.is(r.params[1]!.name, 'y');
  assert.ok(r.params.find((p) => p.name === 'z')!.importance < 0.02);
  const sum = r.params.reduce((a, p) => a + p.importance, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9, 'normalised');
  for (const p of r.params) assert.ok(p.min <= p.importance && p.importance <= p.max);
});

test('seeded: the same seed gives the same importances, another seed other refits', () => {
  const { study, trials } = knownStudy(80, 2);
  const flat = flattenSpace(study.space);
  const a = computeImportance(trials, flat, { seed: 3, trees: 16 });
  assert.equal(computeImportance(trials, flat, { seed: 3, trees: 16 }), a);
  assert.not.equal(computeImportance(trials, flat, { seed: 4, trees: 16 }).params, a.params);
});

test('conditional parameters not set in every trial are excluded and named; lr dominates the synthetic study', () => {
  const { study, trials } = syntheticStudy({ trials: 120, seed: 9 });
  const r = computeImportance(trials, flattenSpace(study.space), { seed: 1, trees: 32 });
  assert.is(r.params[0]!.name, 'lr');
  assert.ok(r.excluded.includes('model.cnn.filters') && r.excluded.includes('model.mlp.dropout'));
  assert.ok(r.params.some((p) => p.name === 'model'), 'the branch choice itself takes part');
  assert.is(r.trials, trials.filter((t) => t.state === 'complete').length);
});

test('fewer than 2 complete trials: no importances, no error', () => {
  const { study, trials } = knownStudy(1, 1);
  assert.equal(computeImportance(trials, flattenSpace(study.space)).params, []);
});

test('maxTrials bounds the work with a seeded sample', () => {
  const { study, trials } = knownStudy(300, 5);
  const r = computeImportance(trials, flattenSpace(study.space), { maxTrials: 100, trees: 8, refits: 1 });
  assert.is(r.trials, 100);
  assert.is(r.params[0]!.name, 'x');
});

test.run();
