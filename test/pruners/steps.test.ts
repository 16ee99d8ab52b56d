/**
 * The step index of completed trials (src/pruners/steps.ts) that median/percentile compare with: built incrementally in any
 * order it must hold exactly what a pass over the stored trials finds (the oracle below is that pass, written out), and a
 * pruner must decide the same with the study's index as with the one it builds from `req.trials`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import seedrandom from 'seedrandom';
import type { TrialRecord } from '../../src/core/types.js';
import { StepIndex, completedSteps, median, nanPercentile, percentile } from '../../src/pruners/index.js';
import { sortedPercentile } from '../../src/pruners/metric.js';
import { trialWith } from './helpers.js';

/** Random stored trials: mixed states, gaps in the steps, NaN and repeated values. */
function history(seed: string, n: number): TrialRecord[] {
  const rng = seedrandom(seed);
  const states = ['complete', 'complete', 'complete', 'pruned', 'running', 'failed'] as const;
  return Array.from({ length: n }, (_, i) => {
    const steps = [0, 1, 2, 3, 4, 5, 6, 7].filter(() => rng() < 0.7);
    const values = steps.map(() => (rng() < 0.08 ? NaN : Math.round(rng() * 20) / 10));
    return trialWith(i, values, { state: states[Math.floor(rng() * states.length)]!, steps });
  });
}

/** The oracle: what completed trials reported at `step`, from a pass over every trial. */
function oracle(trials: readonly TrialRecord[], step: number): { reported: number; sorted: number[] } {
  const at = trials.filter((t) => t.state === 'complete').flatMap((t) => t.intermediate.filter((p) => p.step === step).slice(0, 1));
  return {
    reported: at.length,
    sorted: at
      .map((p) => p.value)
      .filter((v) => !Number.isNaN(v))
      .sort((a, b) => a - b),
  };
}

test('an index built in any order, with repeats and unfinished trials, holds what a pass over the trials finds', () => {
  for (const seed of ['a', 'b', 'c', 'd']) {
    const trials = history(seed, 60);
    const rng = seedrandom(`order-${seed}`);
    const index = new StepIndex();
    // Shuffled, every trial added twice, running versions of complete trials first (as a mirror sees them over time).
    const order = [...trials, ...trials].sort(() => rng() - 0.5);
    for (const t of order) index.add(t.state === 'complete' && rng() < 0.3 ? { ...t, state: 'running' } : t);
    for (const t of trials) index.add(t);
    assert.is(index.count, trials.filter((t) => t.state === 'complete').length, seed);
    for (let step = 0; step < 9; step++) assert.equal({ ...index.at(step), sorted: [...index.at(step).sorted] }, oracle(trials, step));
  }
});

test('sortedPercentile of the index equals nanPercentile of the raw values', () => {
  const rng = seedrandom('pct');
  for (let k = 0; k < 200; k++) {
    const values = Array.from({ length: 1 + Math.floor(rng() * 30) }, () => (rng() < 0.1 ? NaN : rng() * 10 - 5));
    const q = Math.round(rng() * 100);
    const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
    const a = nanPercentile(values, q);
    const b = sortedPercentile(sorted, q);
    assert.ok(Object.is(a, b), `q=${q}: ${a} vs ${b}`);
  }
});

test("median and percentile decide the same with the study's index as with one built from req.trials", async () => {
  const pruners = [
    median(),
    median({ startupTrials: 20, minTrials: 4 }),
    percentile({ percentile: 25, warmupSteps: 1 }),
    percentile({ percentile: 80, interval: 2 }),
  ];
  let prunes = 0;
  for (const seed of ['e', 'f', 'g']) {
    const trials = history(seed, 80);
    const index = StepIndex.of(trials);
    assert.is(completedSteps({ trial: trials[0]!, step: 0, trials, direction: 'minimize' }).count, index.count);
    for (const t of trials.filter((x) => x.state === 'running')) {
      for (const point of t.intermediate) {
        const trial = { ...t, intermediate: t.intermediate.filter((p) => p.step <= point.step) };
        for (const direction of ['minimize', 'maximize'] as const) {
          for (const p of pruners) {
            const plain = await p.decide({ trial, step: point.step, trials, direction });
            const indexed = await p.decide({ trial, step: point.step, trials, direction, completed: index });
            assert.equal(indexed, plain, `${seed} trial ${t.number} step ${point.step} ${direction} ${p.type}`);
            if (plain.action === 'prune') prunes++;
          }
        }
      }
    }
  }
  assert.ok(prunes > 20, `the histories exercise pruning (${prunes} prune decisions)`);
});

test.run();
