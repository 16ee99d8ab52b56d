import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapRatioCi, mannWhitneyGreater, median, pairedRatioCi } from '../../bench/stats.js';

const A = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
const B = [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4];

test('median of odd and even lists', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
});

test('Mann-Whitney p-values match scipy.stats.mannwhitneyu(alternative="greater", method="asymptotic") with ties', () => {
  // Reference values printed by scipy 1.10 (Debian python3-scipy) for these lists.
  assert.ok(Math.abs(mannWhitneyGreater(A, B) - 0.6522920174639031) < 1e-6);
  assert.ok(Math.abs(mannWhitneyGreater(B, A) - 0.37435865172058425) < 1e-6);
});

test('a clearly larger sample is credibly worse, the reverse is not', () => {
  const small = Array.from({ length: 30 }, (_, i) => 1 + i / 100);
  const large = Array.from({ length: 30 }, (_, i) => 2 + i / 100);
  assert.ok(mannWhitneyGreater(large, small) < 1e-6);
  assert.ok(mannWhitneyGreater(small, large) > 0.999);
});

test('bootstrap interval brackets the ratio of medians, is deterministic, and excludes 1 for separated samples', () => {
  const [lo, hi] = bootstrapRatioCi(A, B);
  const r = median(A) / median(B);
  assert.ok(lo <= r && r <= hi, `${lo} <= ${r} <= ${hi}`);
  assert.equal(bootstrapRatioCi(A, B), [lo, hi]);
  const small = Array.from({ length: 30 }, (_, i) => 1 + i / 100);
  const large = Array.from({ length: 30 }, (_, i) => 2 + i / 100);
  const [l2, h2] = bootstrapRatioCi(small, large);
  assert.ok(h2 < 1 && l2 > 0.4, `[${l2}, ${h2}]`);
});

test('paired ratio interval matches the scipy t-interval on log ratios, narrows with agreeing pairs, needs 2 pairs', () => {
  // scipy 1.10: r = log([1.83, 1.77, 1.76, 1.64]); exp(r.mean() -/+ t.ppf(0.975, 3) * r.std(ddof=1) / 2)
  const ci = pairedRatioCi([1.83, 1.77, 1.76, 1.64]);
  assert.ok(Math.abs(ci.mean - 1.748619100615824) < 1e-9, String(ci.mean));
  assert.ok(Math.abs(ci.lo - 1.6249763328855664) < 1e-6, String(ci.lo));
  assert.ok(Math.abs(ci.hi - 1.8816697186037228) < 1e-6, String(ci.hi));
  const tight = pairedRatioCi([1.81, 1.8, 1.79, 1.8, 1.81, 1.79]);
  assert.ok(tight.hi - tight.lo < 0.05 && tight.lo < 1.8 && tight.hi > 1.8, JSON.stringify(tight));
  assert.throws(() => pairedRatioCi([1.8]), /2 or more ratios, got 1/);
});

test.run();
