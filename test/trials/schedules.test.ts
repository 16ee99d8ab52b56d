import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeSchedule } from '../../trials/schedules.js';
import { OptionsError } from '../../src/core/errors.js';
import type { ScheduleConfig } from '../../trials/types.js';

function close(actual: number, expected: number, what = '', tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: expected ${expected}, got ${actual}`);
}

const ctx = { baseLr: 0.1, stepsPerEpoch: 25, epochs: 4 }; // 100 steps in all

test('no config means a constant lr; warm-up rises linearly to baseLr', () => {
  const s = makeSchedule(undefined, ctx);
  for (const step of [0, 1, 50, 99, 500]) close(s.lrAt(step), 0.1, `step ${step}`);
  // warm-up 4: lr * (step + 1) / 4 -> 0.025, 0.05, 0.075, 0.1, then 0.1
  const w = makeSchedule({ type: 'constant', warmupSteps: 4 }, ctx);
  [0.025, 0.05, 0.075, 0.1, 0.1, 0.1].forEach((e, step) => close(w.lrAt(step), e, `warm-up step ${step}`));
});

test('step decays by gamma every stepSize batches, on its own clock after warm-up', () => {
  const s = makeSchedule({ type: 'step', stepSize: 10, gamma: 0.5 }, ctx);
  close(s.lrAt(0), 0.1, 'step 0');
  close(s.lrAt(9), 0.1, 'step 9 (last of the first block)');
  close(s.lrAt(10), 0.05, 'step 10');
  close(s.lrAt(25), 0.025, 'step 25 = floor(2.5) -> gamma^2');
  const w = makeSchedule({ type: 'step', stepSize: 10, gamma: 0.5, warmupSteps: 5 }, ctx);
  close(w.lrAt(0), 0.02, 'warm-up step 0 = 0.1 * 1/5');
  close(w.lrAt(14), 0.1, 'step 14 = t 9');
  close(w.lrAt(15), 0.05, 'step 15 = t 10');
});

test('exponential applies gamma once per epoch, smoothly', () => {
  const s = makeSchedule({ type: 'exponential', gamma: 0.5 }, ctx);
  close(s.lrAt(0), 0.1);
  close(s.lrAt(25), 0.05, 'one epoch');
  close(s.lrAt(50), 0.025, 'two epochs');
  close(s.lrAt(12), 0.1 * 0.5 ** (12 / 25), 'mid-epoch');
  assert.ok(s.lrAt(12) < s.lrAt(11) && s.lrAt(12) > s.lrAt(13), 'strictly decreasing per batch');
});

test('cosine goes from baseLr to minLr over the steps after warm-up, with the midpoint at (base + min) / 2', () => {
  const s = makeSchedule({ type: 'cosine', minLr: 0.01 }, ctx);
  close(s.lrAt(0), 0.1, 'start');
  close(s.lrAt(50), 0.055, 'midpoint (0.1 + 0.01) / 2');
  // t = 25 of 100: 0.01 + 0.09 * (1 + cos(pi/4)) / 2 = 0.01 + 0.09 * 0.85355339 = 0.08681981
  close(s.lrAt(25), 0.01 + (0.09 * (1 + Math.SQRT1_2)) / 2, 'quarter');
  close(s.lrAt(100), 0.01, 'end');
  close(s.lrAt(1000), 0.01, 'held at minLr after the end');
  // warm-up 20: cosine spans the remaining 80 steps, midpoint at step 20 + 40 = 60; default minLr 0
  const w = makeSchedule({ type: 'cosine', warmupSteps: 20 }, ctx);
  close(w.lrAt(9), 0.05, 'warm-up step 9 = 0.1 * 10/20');
  close(w.lrAt(20), 0.1, 'first step after warm-up');
  close(w.lrAt(60), 0.05, 'midpoint with minLr 0');
});

test('one_cycle: from maxLr/divFactor up to maxLr at the pctStart*total-th batch, then down to initial/finalDivFactor', () => {
  // total 100, pctStart 0.3: PyTorch OneCycleLR puts the peak at step 0.3 * 100 - 1 = 29 and the end at step 99.
  const s = makeSchedule({ type: 'one_cycle' }, ctx);
  close(s.lrAt(0), 0.1 / 25, 'initial = maxLr / 25');
  close(s.lrAt(29), 0.1, 'peak = maxLr (default baseLr)');
  close(s.lrAt(99), 0.1 / 25 / 1e4, 'final = initial / 1e4');
  close(s.lrAt(150), 0.1 / 25 / 1e4, 'held after the end');
  for (let t = 1; t <= 29; t++) assert.ok(s.lrAt(t) > s.lrAt(t - 1), `rising at ${t}`);
  for (let t = 30; t <= 99; t++) assert.ok(s.lrAt(t) < s.lrAt(t - 1), `falling at ${t}`);
  // pctStart 0.21 -> peak at step 0.21 * 100 - 1 = 20; step 10 is the cosine midpoint of phase 1, (initial + max) / 2:
  // maxLr 1, divFactor 10 -> initial 0.1, midpoint (0.1 + 1) / 2 = 0.55; final = 0.1 / 1e4 = 1e-5. Phase 2 runs over steps
  // 20..99, so step 59 is at pct 39/79: 1e-5 + (1 - 1e-5) * (1 + cos(pi * 39/79)) / 2.
  const o = makeSchedule({ type: 'one_cycle', maxLr: 1, pctStart: 0.21, divFactor: 10, finalDivFactor: 1e4 }, ctx);
  close(o.lrAt(0), 0.1, 'initial');
  close(o.lrAt(10), 0.55, 'phase-1 midpoint');
  close(o.lrAt(20), 1, 'peak');
  close(o.lrAt(59), 1e-5 + ((1 - 1e-5) * (1 + Math.cos((Math.PI * 39) / 79))) / 2, 'phase 2');
  close(o.lrAt(99), 1e-5, 'final');
});

test('plateau reduces after more than `patience` non-improving epochs, resets on improvement, floors at minLr', () => {
  const s = makeSchedule({ type: 'plateau', factor: 0.5, patience: 2, minLr: 0.02 }, ctx);
  const lrs: number[] = [];
  // 1.0 best; 1.0 bad 1; 0.99995 is only a 5e-5 relative gain (< 1e-4): bad 2; 1.0 bad 3 > 2 -> 0.05
  // 0.5 improves (resets); then 3 bad -> 0.025; 3 more bad -> 0.0125, floored at 0.02
  for (const v of [1, 1, 0.99995, 1, 0.5, 0.6, Number.NaN, 0.7, 0.6, 0.6, 0.6]) {
    s.onEpochEnd(v);
    lrs.push(s.lrAt(0 + 30));
  }
  [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02].forEach((e, i) => close(lrs[i]!, e, `after epoch ${i}`));
  // patience 0: the first non-improving epoch reduces; a real improvement (> 1e-4 relative) does not
  const p0 = makeSchedule({ type: 'plateau', factor: 0.1, patience: 0 }, ctx);
  p0.onEpochEnd(2);
  p0.onEpochEnd(1.9);
  close(p0.lrAt(5), 0.1, 'improving');
  p0.onEpochEnd(1.9);
  close(p0.lrAt(5), 0.01, 'first bad epoch');
  // negative monitored values: -1 -> -1.5 is an improvement
  const neg = makeSchedule({ type: 'plateau', factor: 0.5, patience: 0 }, ctx);
  neg.onEpochEnd(-1);
  neg.onEpochEnd(-1.5);
  close(neg.lrAt(0), 0.1, 'negative values improve');
  // warm-up scales the current plateau lr
  const w = makeSchedule({ type: 'plateau', factor: 0.5, patience: 0, warmupSteps: 4 }, ctx);
  close(w.lrAt(1), 0.05, 'warm-up step 1 = 0.1 * 2/4');
});

test('other schedules ignore onEpochEnd', () => {
  const s = makeSchedule({ type: 'cosine' }, ctx);
  const before = s.lrAt(10);
  for (let i = 0; i < 5; i++) s.onEpochEnd(1);
  close(s.lrAt(10), before);
});

test('invalid configs fail with the field named', () => {
  const bad = (config: unknown, re: RegExp, c = ctx): void =>
    assert.throws(
      () => makeSchedule(config as ScheduleConfig, c),
      (e: Error) => e instanceof OptionsError && re.test(e.message),
      String(re),
    );
  bad({ type: 'linear' }, /constant, step, exponential, cosine, plateau, one_cycle.*"linear"/);
  bad({ type: 'step', stepSize: 10, gamma: 0 }, /schedule\.gamma.*\(0, 1\]/);
  bad({ type: 'step', stepSize: 10, gamma: 1.5 }, /schedule\.gamma/);
  bad({ type: 'step', stepSize: 0, gamma: 0.5 }, /schedule\.stepSize/);
  bad({ type: 'exponential' }, /schedule\.gamma/);
  bad({ type: 'plateau', factor: 1, patience: 2 }, /schedule\.factor.*\(0, 1\)/);
  bad({ type: 'plateau', factor: 0.5, patience: 1.5 }, /schedule\.patience.*integer >= 0/);
  bad({ type: 'plateau', factor: 0.5, patience: -1 }, /schedule\.patience/);
  bad({ type: 'cosine', warmupSteps: -1 }, /schedule\.warmupSteps/);
  bad({ type: 'cosine', minLr: 0.5 }, /schedule\.minLr.*baseLr = 0\.1/);
  bad({ type: 'cosine', warmup: 5 }, /schedule\.warmup .*warmupSteps/);
  bad({ type: 'one_cycle', warmupSteps: 5 }, /one_cycle.*pctStart/);
  bad({ type: 'one_cycle', pctStart: 1 }, /schedule\.pctStart/);
  bad(undefined, /ctx\.stepsPerEpoch/, { ...ctx, stepsPerEpoch: 0 });
  bad(undefined, /ctx\.baseLr/, { ...ctx, baseLr: Number.NaN });
  assert.throws(() => makeSchedule(undefined, ctx).lrAt(-1), /integer >= 0/);
});

test.run();
