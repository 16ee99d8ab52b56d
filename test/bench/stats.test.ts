import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapRatioCi, mannWhitneyGreater, median } from '../../bench/stats.js';

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

test.run();
