/**
 * Metric-based pruners (Optuna semantics): median/percentile against completed trials at the same step, with startup trials,
 * warm-up, interval, minTrials and direction; threshold; patience (alone and wrapped). Expected cut-offs are worked out by
 * hand in the comments; bench/pruners.ts compares against Optuna itself on random histories.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isFirstInInterval, median, nanPercentile, patience, percentile, threshold } from '../../src/pruners/index.js';
import { completed, prunedWith, replay, trialWith } from './helpers.js';

/** Six completed trials: trial i has value 1 - 0.1*step + 0.1*i at steps 0..4, so the median at step s is 1.25 - 0.1*s. */
const six = completed([0, 1, 2, 3, 4, 5].map((i) => [0, 1, 2, 3, 4].map((s) => 1 - 0.1 * s + 0.1 * i)));

test('nanPercentile interpolates linearly like numpy and ignores NaN', () => {
  assert.is(nanPercentile([3, 1, 2], 50), 2);
  assert.ok(Math.abs(nanPercentile([1, 2, 3, 4], 50) - 2.5) < 1e-12);
  assert.ok(Math.abs(nanPercentile([1, 2, 3, 4, 5, 6], 25) - 2.25) < 1e-12);
  assert.is(nanPercentile([NaN, 5, NaN], 10), 5);
  assert.ok(Number.isNaN(nanPercentile([NaN], 50)));
  assert.ok(Number.isNaN(nanPercentile([], 50)));
});

test('isFirstInInterval follows Optuna: judged at the first report of each interval window after warm-up', () => {
  const judged = (steps: number[], warmup: number, interval: number) =>
    steps.filter((s, i) => isFirstInInterval(s, steps.slice(0, i + 1), warmup, interval));
  assert.equal(judged([0, 1, 2, 3, 4, 5, 6], 0, 3), [0, 3, 6]);
  assert.equal(judged([1, 5, 7], 0, 3), [1, 5, 7]);
  assert.equal(judged([2, 3, 4, 5, 6, 7], 2, 2), [2, 4, 6]);
});

test('median prunes a trial whose best value is worse than the median at that step; reason carries the values', async () => {
  const d = await replay(median(), [1.2, 1.2, 1.2], { others: six });
  assert.is(d.length, 2, 'step 0: 1.2 < median 1.25 continues; step 1: 1.2 > median 1.15 prunes');
  assert.is(prunedWith(d), 'median: best value 1.2 up to step 1 is worse than the median 1.15 of 6 completed trials at step 1 (minimize)');
  // A trial better than the median at every step is spared.
  assert.is(prunedWith(await replay(median(), [1.0, 0.9, 0.8, 0.7, 0.6], { others: six })), undefined);
  // Optuna compares the best value so far: one early good value protects the trial.
  assert.is(prunedWith(await replay(median(), [0.5, 5, 5, 5, 5], { others: six })), undefined);
});

test('median respects startupTrials: no pruning until that many trials completed', async () => {
  assert.is(prunedWith(await replay(median({ startupTrials: 7 }), [9, 9, 9], { others: six })), undefined);
  assert.is(prunedWith(await replay(median(), [9, 9, 9], { others: six.slice(0, 4) })), undefined, 'default startup 5 > 4 completed');
  assert.ok(prunedWith(await replay(median({ startupTrials: 4 }), [9, 9, 9], { others: six.slice(0, 4) })));
  // Running, pruned and failed trials do not count as completed.
  const mixed = six.map((t, i) => (i < 3 ? t : { ...t, state: i === 3 ? ('pruned' as const) : ('failed' as const) }));
  assert.is(prunedWith(await replay(median({ startupTrials: 4 }), [9, 9, 9], { others: mixed })), undefined);
});

test('median respects warmupSteps and interval', async () => {
  assert.is((await replay(median(), [2, 2, 2, 2, 2], { others: six })).length, 1);
  assert.is((await replay(median({ warmupSteps: 3 }), [2, 2, 2, 2, 2], { others: six })).length, 4, 'first judged at step 3');
  assert.is((await replay(median({ interval: 2 }), [1.2, 1.2, 1.2, 1.2], { others: six })).length, 3, 'step 1 skipped, pruned at 2');
  assert.is((await replay(median({ warmupSteps: 1, interval: 3 }), [2, 2, 2, 2, 2], { others: six })).length, 2, 'judged at 1, 4');
});

test('median is direction aware', async () => {
  // Maximize: the median at step s is still 1.25 - 0.1*s, but now lower is worse.
  const low = await replay(median(), [1.2, 1.3], { others: six, direction: 'maximize' });
  assert.is(low.length, 1);
  assert.match(prunedWith(low) ?? '', /best value 1.2 up to step 0 is worse than the median 1.25 .*\(maximize\)/);
  assert.is(prunedWith(await replay(median(), [1.3, 1.3, 1.3, 1.3, 1.3], { others: six, direction: 'maximize' })), undefined);
  assert.is((await replay(median(), [1.3, 1.3], { others: six, direction: 'minimize' })).length, 1);
});

test('median: minTrials, steps no completed trial reported, and an all-NaN trial', async () => {
  const short = completed([0, 1, 2, 3, 4, 5].map((i) => [1 + 0.1 * i, 1 + 0.1 * i]));
  assert.is(
    prunedWith(await replay(median(), [1.2, 1.2, 9, 9], { others: short, steps: [0, 5, 6, 7] })),
    undefined,
    'no values at steps 5-7',
  );
  assert.is(prunedWith(await replay(median({ minTrials: 7 }), [9, 9], { others: six })), undefined);
  assert.is(prunedWith(await replay(median(), [NaN], { others: six })), 'median: every value up to step 0 is NaN');
});

test('percentile keeps the best p% at each step, in both directions', async () => {
  // Step 0 values 1.0..1.5: the 25th percentile is 1.125 (minimize); maximize uses the 75th, 1.375.
  assert.is(prunedWith(await replay(percentile({ percentile: 25 }), [1.12], { others: six })), undefined);
  const r = prunedWith(await replay(percentile({ percentile: 25 }), [1.13], { others: six }));
  assert.is(
    r,
    'percentile: best value 1.13 up to step 0 is outside the best 25% of 6 completed trials at step 0 (cut-off 1.125, minimize)',
  );
  assert.ok(prunedWith(await replay(percentile({ percentile: 25 }), [1.37], { others: six, direction: 'maximize' })));
  assert.is(prunedWith(await replay(percentile({ percentile: 25 }), [1.38], { others: six, direction: 'maximize' })), undefined);
  assert.throws(
    () => percentile({} as never),
    (e: Error) => e instanceof TypeError && /needs `percentile`/.test(e.message),
  );
  assert.throws(
    () => percentile({ percentile: 120 }),
    /option "percentile" of pruner "percentile" must be a finite number in \[0, 100\], got 120/,
  );
});

test('threshold prunes values outside [lower, upper] and NaN', async () => {
  assert.is(prunedWith(await replay(threshold({ upper: 2 }), [1, 1.5, 2.5, 1])), 'threshold: value 2.5 at step 2 is above upper 2');
  assert.is(prunedWith(await replay(threshold({ lower: 0.5 }), [1, 0.4])), 'threshold: value 0.4 at step 1 is below lower 0.5');
  assert.is(prunedWith(await replay(threshold({ lower: 0, upper: 3 }), [1, 2, 3])), undefined);
  assert.is(prunedWith(await replay(threshold({ upper: 3 }), [1, NaN])), 'threshold: value NaN at step 1');
  assert.is((await replay(threshold({ upper: 2, warmupSteps: 2 }), [5, 5, 5])).length, 3);
  assert.throws(() => threshold({}), /needs `lower` or `upper`/);
  assert.throws(() => threshold({ lower: 5, upper: 1 }), /`lower <= upper` must hold for pruner "threshold", got lower=5, upper=1/);
});

test('patience (Optuna): prunes once the best of the last patience+1 values is worse than the best before them', async () => {
  const curve = [5, 4, 4.5, 4.2, 4.1, 3];
  const d = await replay(patience({ patience: 2 }), curve);
  assert.is(d.length, 5, 'step 4: best after (4.1) is worse than best before (4)');
  assert.match(
    prunedWith(d) ?? '',
    /^patience: no improvement in the last 3 reports \(steps 2-4\): best 4\.1 vs 4 before \(minimize, minDelta 0\)$/,
  );
  assert.is(prunedWith(await replay(patience({ patience: 2, minDelta: 0.2 }), curve)), undefined, '4.1 is within minDelta of 4');
  assert.is(prunedWith(await replay(patience({ patience: 2 }), [5, 4, 3, 2, 1, 0])), undefined);
  const max = await replay(patience({ patience: 1 }), [1, 2, 1.5, 1.9, 3], { direction: 'maximize' });
  assert.is(max.length, 4, 'maximize: best of steps 2-3 (1.9) is worse than 2');
  // Wrapped: prune only when the wrapped pruner agrees; its reason is appended.
  assert.is(prunedWith(await replay(patience({ patience: 2, wrapped: threshold({ upper: 100 }) }), curve)), undefined);
  const both = prunedWith(await replay(patience({ patience: 2, wrapped: threshold({ upper: 4.05 }) }), curve));
  assert.match(both ?? '', /^patience: .*; threshold: value 4\.1 at step 4 is above upper 4\.05$/);
  assert.throws(() => patience({} as never), /needs `patience`/);
  assert.throws(() => patience({ patience: 1, wrapped: 3 as never }), /option "wrapped" of pruner "patience" must be a pruner/);
});

test('option validation: TypeErrors naming the option and listing the known ones', () => {
  assert.throws(
    () => median({ startupTrials: -1 }),
    (e: Error) => e instanceof TypeError && /option "startupTrials" of pruner "median" must be an integer in \[0, /.test(e.message),
  );
  assert.throws(() => median({ interval: 0 }), /option "interval" of pruner "median" must be an integer in \[1, /);
  assert.throws(
    () => median({ startup: 3 } as never),
    /unknown option "startup" for pruner "median"; known options: startupTrials, warmupSteps, interval, minTrials/,
  );
  assert.throws(() => median(5 as never), /options of pruner "median" must be an object, got 5/);
});

test('decisions read only stored records: the same request gives the same decision, pruners hold no state', async () => {
  const p = median();
  const trial = trialWith(6, [1.2, 1.2], { state: 'running' });
  const req = { trial, step: 1, trials: [...six, trial], direction: 'minimize' as const };
  const a = await p.decide(req);
  const b = await median().decide(req);
  assert.equal(a, b);
  assert.equal(await p.decide(req), a);
});

test.run();
