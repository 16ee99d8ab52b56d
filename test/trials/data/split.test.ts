import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kFold, sampleIndices, splitIndices, takeRows } from '../../../trials/data/split.js';
import type { Dataset, Split } from '../../../trials/types.js';

/** Imbalanced labels: class 0 x 50, class 1 x 31, class 2 x 7 (88 rows), interleaved. */
function labels(): Float32Array {
  const l: number[] = [];
  for (let i = 0; i < 50; i++) l.push(0);
  for (let i = 0; i < 31; i++) l.push(1);
  for (let i = 0; i < 7; i++) l.push(2);
  return Float32Array.from(l.map((_, i) => l[(i * 37) % l.length]!));
}

function partition(n: number, parts: ArrayLike<number>[]): void {
  const seen = new Uint8Array(n);
  for (const p of parts)
    for (const i of Array.from(p)) {
      assert.ok(i >= 0 && i < n, `index ${i} in range`);
      assert.is(seen[i], 0, `index ${i} appears once`);
      seen[i] = 1;
    }
  assert.ok(
    seen.every((s) => s === 1),
    'every index assigned',
  );
}

test('splitIndices: partition with exact sizes, unstratified', () => {
  const s = splitIndices(101, { val: 0.2, test: 0.1, seed: 3 });
  partition(101, [s.train, s.val, s.test]);
  assert.is(s.val.length, Math.round(101 * 0.2));
  assert.is(s.test.length, Math.round(101 * 0.1));
});

test('splitIndices: stratified per class within one row of exact', () => {
  const y = labels();
  const s = splitIndices(y.length, { val: 0.15, test: 0.25, seed: 1, labels: y });
  partition(y.length, [s.train, s.val, s.test]);
  assert.is(s.val.length, Math.round(y.length * 0.15));
  assert.is(s.test.length, Math.round(y.length * 0.25));
  for (const cls of [0, 1, 2]) {
    const total = y.filter((v) => v === cls).length;
    const inVal = Array.from(s.val).filter((i) => y[i] === cls).length;
    const inTest = Array.from(s.test).filter((i) => y[i] === cls).length;
    assert.ok(Math.abs(inVal - total * 0.15) < 1, `class ${cls} val ${inVal} vs ${total * 0.15}`);
    assert.ok(Math.abs(inTest - total * 0.25) < 1, `class ${cls} test ${inTest} vs ${total * 0.25}`);
  }
});

test('splitIndices: seeded determinism', () => {
  const y = labels();
  const a = splitIndices(y.length, { val: 0.2, test: 0.2, seed: 11, labels: y });
  const b = splitIndices(y.length, { val: 0.2, test: 0.2, seed: 11, labels: y });
  const c = splitIndices(y.length, { val: 0.2, test: 0.2, seed: 12, labels: y });
  assert.equal(Array.from(a.val), Array.from(b.val));
  assert.equal(Array.from(a.train), Array.from(b.train));
  assert.not.equal(Array.from(a.val), Array.from(c.val));
});

test('splitIndices: edge cases and bad options', () => {
  const one = splitIndices(1, { val: 0.4, test: 0.4, seed: 0 });
  assert.is(one.train.length, 1, 'train never empty');
  const none = splitIndices(0, { val: 0.1, test: 0.1, seed: 0 });
  assert.is(none.train.length + none.val.length + none.test.length, 0);
  const noTest = splitIndices(20, { val: 0.25, test: 0, seed: 0 });
  assert.is(noTest.test.length, 0);
  assert.throws(() => splitIndices(10, { val: 0.5, test: 0.5, seed: 0 }), /val \+ test < 1/);
  assert.throws(() => splitIndices(10, { val: -0.1, test: 0, seed: 0 }), /`val`/);
  assert.throws(() => splitIndices(10, { val: 0.1, test: 0, seed: 0, labels: [1, 2] }), /labels/);
});

test('sampleIndices: stratified, seeded, sorted', () => {
  const y = labels();
  const s = sampleIndices(y.length, 44, 5, y);
  assert.is(s.length, 44);
  assert.equal(
    Array.from(s),
    Array.from(s).sort((a, b) => a - b),
  );
  for (const cls of [0, 1, 2]) {
    const total = y.filter((v) => v === cls).length;
    const got = Array.from(s).filter((i) => y[i] === cls).length;
    assert.ok(Math.abs(got - total / 2) < 1, `class ${cls}`);
  }
  assert.equal(Array.from(sampleIndices(y.length, 44, 5, y)), Array.from(s));
  assert.throws(() => sampleIndices(10, 11, 0), /limit/);
});

/** x holds the row id in both features, so rows can be traced through folds. */
function dataset(n: number, task: 'classification' | 'regression'): Dataset {
  const split = (from: number, count: number): Split => ({
    x: Float32Array.from({ length: count * 2 }, (_, k) => from + Math.floor(k / 2)),
    y: Float32Array.from({ length: count }, (_, k) => (task === 'classification' ? (from + k) % 3 : (from + k) * 0.5)),
    n: count,
  });
  return {
    name: 'toy',
    task,
    inputShape: [2],
    numClasses: task === 'classification' ? 3 : 1,
    train: split(0, n - 20),
    val: split(n - 20, 10),
    test: split(n - 10, 10),
  };
}

test('takeRows gathers copies and rejects bad indices', () => {
  const d = dataset(40, 'regression');
  const t = takeRows(d.train, 2, [3, 0, 3]);
  assert.equal(Array.from(t.x), [3, 3, 0, 0, 3, 3]);
  assert.equal(Array.from(t.y), [1.5, 0, 1.5]);
  t.x[0] = 99;
  assert.is(d.train.x[6], 3, 'source not aliased');
  assert.throws(() => takeRows(d.train, 2, [20]), /\[0, 20\)/);
});

for (const task of ['classification', 'regression'] as const) {
  test(`kFold (${task}): folds partition train+val, each row validated once, test unchanged`, () => {
    const d = dataset(60, task);
    const folds = kFold(d, 4, 9);
    assert.is(folds.length, 4);
    const pooled = d.train.n + d.val.n; // ids 0..49
    const validated = new Array<number>(pooled).fill(0);
    for (const f of folds) {
      assert.is(f.test, d.test);
      assert.is(f.train.n + f.val.n, pooled);
      assert.ok(Math.abs(f.val.n - pooled / 4) < 1, `fold size ${f.val.n}`);
      const trainIds = new Set(Array.from({ length: f.train.n }, (_, i) => f.train.x[i * 2]!));
      for (let i = 0; i < f.val.n; i++) {
        const id = f.val.x[i * 2]!;
        validated[id]!++;
        assert.not.ok(trainIds.has(id), `row ${id} not in its own fold's train`);
        // labels travel with their rows
        assert.is(f.val.y[i], task === 'classification' ? id % 3 : id * 0.5);
      }
      if (task === 'classification') {
        for (const cls of [0, 1, 2]) {
          const total = Array.from({ length: pooled }, (_, i) => i % 3).filter((c) => c === cls).length;
          const got = Array.from(f.val.y).filter((c) => c === cls).length;
          assert.ok(Math.abs(got - total / 4) < 1, `fold class ${cls}: ${got}`);
        }
      }
    }
    assert.ok(
      validated.every((v) => v === 1),
      'every pooled row validated exactly once',
    );
    assert.equal(Array.from(kFold(d, 4, 9)[2]!.val.x), Array.from(folds[2]!.val.x), 'seeded');
  });
}

test('kFold rejects k outside [2, n]', () => {
  const d = dataset(30, 'classification');
  assert.throws(() => kFold(d, 1, 0), /`k`/);
  assert.throws(() => kFold(d, 21, 0), /\[2, 20\]/);
});

test.run();
