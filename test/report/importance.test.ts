import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeImportance, mergeBranchParams, spearman, treeFractions, type Leaf } from '../../src/report/importance/index.js';
import { flattenSpace } from '../../src/report/flatten.js';
import type { Params, TrialRecord } from '../../src/core/types.js';
import type { SpaceJson } from '../../spaces/types.js';
import { knownStudy, syntheticStudy } from './fixtures.js';

const leaf = (low: number[], high: number[], value: number): Leaf => ({
  low: Float64Array.from(low),
  high: Float64Array.from(high),
  value,
});

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
  // Rank correlations: y acts linearly (+), x symmetrically (x^2: no monotone trend), c is categorical (none).
  const corr = Object.fromEntries(r.params.map((p) => [p.name, p.correlation]));
  assert.ok((corr['y'] as number) > 0.2, String(corr['y']));
  assert.ok(Math.abs(corr['x'] as number) < 0.2, String(corr['x']));
  assert.is(corr['c'], null);
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
  assert.ok(
    r.params.some((p) => p.name === 'model'),
    'the branch choice itself takes part',
  );
  assert.is(r.trials, trials.filter((t) => t.state === 'complete').length);
});

test('a parameter every branch defines takes part merged (optimizer.*.lr), and ranks first when it dominates', () => {
  const space: SpaceJson = {
    optimizer: {
      _type: 'branch',
      branches: {
        adam: { lr: { _type: 'float', low: 1e-4, high: 1e-2, log: true } },
        sgd: { lr: { _type: 'float', low: 1e-3, high: 1e-1, log: true }, momentum: { _type: 'choice', values: [0.9, 0.95] } },
      },
    },
    batchSize: { _type: 'choice', values: [64, 128] },
  };
  const flat = flattenSpace(space);
  const merged = mergeBranchParams(flat);
  assert.equal(
    merged.map((m) => [m.param.name, m.members, m.param.low, m.param.high, m.param.log]),
    [['optimizer.*.lr', ['optimizer.adam.lr', 'optimizer.sgd.lr'], 1e-4, 1e-1, true]],
  );
  const { study, trials } = knownStudy(120, 3);
  let k = 0;
  const withBranches = trials.map((t): TrialRecord => {
    const sgd = k++ % 2 === 1;
    const lr = Math.exp(Math.log(sgd ? 1e-3 : 1e-4) + ((t.params['x'] as number) + 1) * Math.log(10)); // spans each branch's range
    const optimizer: Params = sgd ? { type: 'sgd', lr, momentum: 0.9 } : { type: 'adam', lr };
    return { ...t, params: { optimizer, batchSize: (t.params['y'] as number) > 0 ? 64 : 128 }, value: (Math.log10(lr) + 2.5) ** 2 };
  });
  const r = computeImportance(withBranches, flat, { seed: 1, trees: 32 });
  assert.is(r.params[0]!.name, 'optimizer.*.lr');
  assert.ok(r.params[0]!.importance > 0.5);
  assert.ok(r.excluded.includes('optimizer.adam.lr'));
  assert.ok(study.name.length > 0);
});

test('spearman: +1 for a monotone relation, -1 for a decreasing one, average ranks for ties, null without variation', () => {
  const x = Float64Array.from([1, 2, 3, 4, 4]);
  assert.is(spearman(x, Float64Array.from([10, 20, 30, 40, 40]), 1, 0), 1);
  assert.is(spearman(x, Float64Array.from([5, 4, 3, 2, 2]), 1, 0), -1);
  assert.is(spearman(x, Float64Array.from([1, 1, 1, 1, 1]), 1, 0), null);
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
