import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadMnist } from '../../../trials/data/mnist.js';
import type { Dataset, Split } from '../../../trials/types.js';

const PIXELS = 784;

function classCounts(s: Split): number[] {
  const c = new Array<number>(10).fill(0);
  for (const v of s.y) c[v]!++;
  return c;
}

// One full load shared by the tests below: the JSON parse is the slow part and is cached inside the module anyway.
let full: Dataset;
test.before(async () => {
  full = await loadMnist();
});

test('loads 10,000 digits with shapes, labels 0-9 and pixels in [0, 1]', () => {
  assert.equal(full.inputShape, [28, 28, 1]);
  assert.is(full.task, 'classification');
  assert.is(full.numClasses, 10);
  assert.equal(full.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.is(full.train.n + full.val.n + full.test.n, 10000);
  let min = Infinity;
  let max = -Infinity;
  for (const s of [full.train, full.val, full.test]) {
    assert.is(s.x.length, s.n * PIXELS);
    assert.is(s.y.length, s.n);
    for (const v of s.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    for (const l of s.y) assert.ok(Number.isInteger(l) && l >= 0 && l <= 9, `label ${l}`);
    assert.ok(
      classCounts(s).every((c) => c > 0),
      'every class present in every split',
    );
  }
  assert.is(min, 0);
  assert.is(max, 1);
  // Real digits, not blank images: every image has some ink.
  for (let i = 0; i < full.val.n; i++) {
    let ink = 0;
    for (let p = 0; p < PIXELS; p++) ink += full.val.x[i * PIXELS + p]!;
    assert.ok(ink > 10, `val image ${i} has ink ${ink}`);
  }
});

test('default split is 70/15/15 and stratified (per-class counts within 1 of exact)', () => {
  assert.is(full.val.n, 1500);
  assert.is(full.test.n, 1500);
  assert.is(full.train.n, 7000);
  const tr = classCounts(full.train);
  const va = classCounts(full.val);
  const te = classCounts(full.test);
  for (let c = 0; c < 10; c++) {
    const total = tr[c]! + va[c]! + te[c]!;
    assert.ok(Math.abs(va[c]! - total * 0.15) < 1, `class ${c}: val ${va[c]} vs ${total * 0.15}`);
    assert.ok(Math.abs(te[c]! - total * 0.15) < 1, `class ${c}: test ${te[c]} vs ${total * 0.15}`);
  }
});

test('custom fractions, test: 0 gives an empty test split', async () => {
  const d = await loadMnist({ val: 0.2, test: 0 });
  assert.is(d.val.n, 2000);
  assert.is(d.test.n, 0);
  assert.is(d.test.x.length, 0);
  assert.is(d.train.n, 8000);
});

test('same seed gives the same split, another seed a different one', async () => {
  const a = await loadMnist({ seed: 7, limit: 1000 });
  const b = await loadMnist({ seed: 7, limit: 1000 });
  const c = await loadMnist({ seed: 8, limit: 1000 });
  assert.equal(Array.from(a.train.y), Array.from(b.train.y));
  assert.ok(Buffer.from(a.train.x.buffer).equals(Buffer.from(b.train.x.buffer)));
  assert.ok(Buffer.from(a.val.x.buffer).equals(Buffer.from(b.val.x.buffer)));
  assert.not.ok(Buffer.from(a.train.x.buffer).equals(Buffer.from(c.train.x.buffer)));
  // The full default load is deterministic too (seed 0).
  const again = await loadMnist();
  assert.ok(Buffer.from(again.test.x.buffer).equals(Buffer.from(full.test.x.buffer)));
});

test('limit takes a stratified subset; datasets never share arrays', async () => {
  const d = await loadMnist({ limit: 500, val: 0.2, test: 0.2 });
  assert.is(d.train.n + d.val.n + d.test.n, 500);
  assert.is(d.val.n, 100);
  const total = (s: Dataset): number[] => classCounts(s.train).map((c, k) => c + classCounts(s.val)[k]! + classCounts(s.test)[k]!);
  const sub = total(d);
  const whole = total(full);
  // 500 of 10,000 = 5% of each class, rounded down or up.
  sub.forEach((c, k) => assert.ok(Math.abs(c - whole[k]! * 0.05) < 1, `class ${k}: ${c} vs ${whole[k]! * 0.05}`));
  const e = await loadMnist({ limit: 500, val: 0.2, test: 0.2 });
  e.train.x.fill(0.5);
  assert.not.equal(d.train.x[0], 0.5);
});

test('bad options are rejected with the field name', async () => {
  try {
    await loadMnist({ val: 0.6, test: 0.5 });
    assert.unreachable('should throw');
  } catch (e) {
    assert.match((e as Error).message, /val \+ test < 1/);
  }
  try {
    await loadMnist({ limit: 0 });
    assert.unreachable('should throw');
  } catch (e) {
    assert.match((e as Error).message, /limit/);
  }
});

test.run();
