import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CubeDim, SearchSpace } from '../../spaces/types.js';
import type { Params } from '../../src/core/types.js';
import type { Suggestion } from '../../searchers/types.js';
import { createSobolSearcher, SOBOL_MAX_DIM, SOBOL_MAX_INDEX, SobolSequence } from '../../searchers/sobol/index.js';
import { readDirectionTable, sobolDirections } from '../../searchers/sobol/sequence.js';

/** A stand-in space (the real one is built elsewhere): `dims` continuous coordinates, decode = identity into { x0, x1, ... }. */
function fakeSpace(dims: number): SearchSpace & { decoded: number[][] } {
  const cube: CubeDim[] = Array.from({ length: dims }, (_, i) => ({ path: `x${i}`, type: 'continuous', levels: Infinity }));
  const decoded: number[][] = [];
  return {
    tree: {},
    dims: cube,
    decoded,
    decode(x) {
      decoded.push(Array.from(x));
      const p: Params = {};
      for (let i = 0; i < dims; i++) p[`x${i}`] = x[i]!;
      return p;
    },
    encode: (p) => cube.map((d) => p[d.path] as number),
    validate: () => undefined,
    toJSON: () => ({}),
  };
}

const params = (s: Suggestion): Params => {
  if (s.kind !== 'suggest') throw new Error(`expected a suggestion, got ${s.kind}`);
  return s.params;
};

test('unscrambled first points equal the known Sobol values (Gray-code order, as scipy)', () => {
  // Derived by hand: dim 1 m=1,1,1 (van der Corput); dim 2 x+1, m=1,3 -> m3=5; dim 3 x^2+x+1, m=1,3 -> m3=3.
  const expected = [
    [0, 0, 0],
    [0.5, 0.5, 0.5],
    [0.75, 0.25, 0.25],
    [0.25, 0.75, 0.75],
    [0.375, 0.375, 0.625],
    [0.875, 0.875, 0.125],
    [0.625, 0.125, 0.875],
    [0.125, 0.625, 0.375],
  ];
  const s3 = new SobolSequence(3, { scramble: false });
  const s2 = new SobolSequence(2, { scramble: false });
  expected.forEach((row, n) => {
    assert.equal(Array.from(s3.point(n)), row, `point ${n}`);
    assert.equal(Array.from(s2.point(n)), row.slice(0, 2), `2-D point ${n}`);
  });
});

test('unscrambled points in far dimensions match scipy.stats.qmc.Sobol(4096, scramble=False, bits=32)', () => {
  // Reference numerators (coordinate * 2^32) printed by scipy 1.17.1; they check the packed table and the recurrence.
  const dims = [0, 1, 2, 3, 9, 99, 1110, 2047, 4095];
  const ref: [number, number[]][] = [
    [100, [1778384896, 1107296256, 3321888768, 3120562176, 2986344448, 3791650816, 1979711488, 1509949440, 100663296]],
    [1023, [4194304, 3233808384, 2629828608, 624951296, 3653238784, 2277507072, 2529165312, 1035993088, 3359637504]],
    [12345, [2752774144, 3493593088, 688652288, 2262564864, 1845231616, 2314469376, 1851523072, 3151757312, 2695102464]],
    [999999, [80154624, 3856265216, 1576505344, 152186880, 3407900672, 380817408, 1772965888, 1194627072, 2733805568]],
  ];
  const s = new SobolSequence(SOBOL_MAX_DIM, { scramble: false });
  for (const [n, want] of ref) {
    const p = s.point(n);
    assert.equal(
      dims.map((d) => p[d]! * 2 ** 32),
      want,
      `point ${n}`,
    );
  }
  // The last index (scipy's direction integers, Gray-code XOR): 32-bit direction numbers reach 2^32 - 1.
  const last = s.point(SOBOL_MAX_INDEX);
  assert.equal(
    [0, 5, 1110, 4095].map((d) => last[d]! * 2 ** 32),
    [1, 1086045115, 654311485, 2713527013],
  );
});

test('all 4096 x 32 direction numbers match scipy (weighted checksums)', () => {
  // sum_d (d+1) * v_j[d] mod 2^31-1 for j = 1..32, computed from scipy 1.17.1's `Sobol(4096, scramble=False, bits=32)._sv`;
  // a single wrong bit anywhere in the packed table changes one of them.
  const want = [
    8390656, 8384103, 8590845, 545291092, 276730960, 813723204, 880859612, 1786682889, 1417699191, 679441489, 1052660583, 318652848,
    1683001110, 1791525589, 1469355712, 215308843, 1140877550, 1658786031, 1397260433, 2040822595, 1215259138, 522453292, 478097965,
    1580978755, 176775992, 1828853690, 170086844, 414905851, 493099263, 228199401, 54016174, 809754274,
  ];
  const P = 2 ** 31 - 1;
  const sums = new Array<number>(32).fill(0);
  for (let d = 0; d < SOBOL_MAX_DIM; d++) {
    sobolDirections(d).forEach((v, j) => (sums[j] = (sums[j]! + v * (d + 1)) % P)); // < 2^53: exact
  }
  assert.equal(sums, want);
});

test('packed table decodes to valid Joe-Kuo rows', () => {
  const t = readDirectionTable();
  assert.is(t.length, SOBOL_MAX_DIM - 1);
  // First rows of new-joe-kuo-6.21201 ("d s a m_i"), and row 299.
  assert.equal(t[0], { s: 1, a: 0, m: [1] });
  assert.equal(t[1], { s: 2, a: 1, m: [1, 3] });
  assert.equal(t[11], { s: 5, a: 14, m: [1, 3, 5, 5, 31] });
  assert.equal(t[297], { s: 11, a: 787, m: [1, 3, 7, 11, 31, 43, 13, 209, 27, 1017, 501] });
  const seen = new Set<string>();
  let prev = 0;
  t.forEach((row, i) => {
    assert.ok(row.s >= prev && row.a < 2 ** (row.s - 1) && row.m.length === row.s, `row ${i}`);
    row.m.forEach((m, k) => assert.ok(m % 2 === 1 && m < 2 ** (k + 1), `row ${i} m_${k + 1}=${m}`));
    assert.not.ok(seen.has(`${row.s}/${row.a}`), `row ${i} repeats a polynomial`);
    seen.add(`${row.s}/${row.a}`);
    prev = row.s;
  });
  // v_j = m_j * 2^(32-j) with m_j odd and below 2^j, also past the table (the recurrence keeps it): the generator matrix is
  // triangular with a unit diagonal, hence invertible.
  for (const d of [0, 1, 7, 500, SOBOL_MAX_DIM - 1]) {
    sobolDirections(d).forEach((v, j) => {
      const m = v / 2 ** (31 - j);
      assert.ok(Number.isInteger(m) && m % 2 === 1 && m < 2 ** (j + 1), `dim ${d} v_${j + 1}`);
    });
  }
});

test('every point is in [0,1), scrambled or not, up to the last index', () => {
  for (const scramble of [false, true]) {
    const s = new SobolSequence(8, { scramble, seed: 3 });
    const pts = s.fill(0, 4096);
    assert.ok(
      pts.every((x) => x >= 0 && x < 1),
      `scramble=${scramble}`,
    );
    for (const n of [SOBOL_MAX_INDEX - 1, SOBOL_MAX_INDEX]) assert.ok(s.point(n).every((x) => x >= 0 && x < 1));
  }
});

test('fill (Gray-code fast path) equals point, from any start', () => {
  const s = new SobolSequence(6, { seed: 11 });
  for (const start of [0, 5, 1000, SOBOL_MAX_INDEX - 40]) {
    const flat = s.fill(start, 41);
    for (let i = 0; i < 41; i++) assert.equal(Array.from(flat.subarray(i * 6, i * 6 + 6)), Array.from(s.point(start + i)));
  }
});

/** Asserts each of the first 2^m points' coordinate d falls in a distinct one of 2^m equal bins. */
function assertOneDimNet(pts: Float64Array, dim: number, m: number, label: string): void {
  const n = 2 ** m;
  for (let d = 0; d < dim; d++) {
    const bins = new Uint8Array(n);
    for (let i = 0; i < n; i++) bins[Math.floor(pts[i * dim + d]! * n)]++;
    assert.ok(
      bins.every((c) => c === 1),
      `${label}: dim ${d} is not a (0,${m},1)-net`,
    );
  }
}

test('(0,m,1)-net: the first 2^m points hit every 1/2^m bin of each coordinate once', () => {
  const dim = 24;
  const m = 10;
  assertOneDimNet(new SobolSequence(dim, { scramble: false }).fill(0, 2 ** m), dim, m, 'plain');
  for (const seed of [0, 1, 12345]) assertOneDimNet(new SobolSequence(dim, { seed }).fill(0, 2 ** m), dim, m, `seed ${seed}`);
  // Any aligned block of 2^m consecutive indices is a net too.
  assertOneDimNet(new SobolSequence(dim, { seed: 7 }).fill(2 ** m * 5, 2 ** m), dim, m, 'block 5');
});

test('(0,m,2)-net: dims (0,1) put one point in every elementary box of area 2^-m', () => {
  for (const opts of [{ scramble: false }, { seed: 0 }, { seed: 99 }]) {
    const pts = new SobolSequence(2, opts).fill(0, 2 ** 10);
    for (let m = 1; m <= 10; m++) {
      for (let a = 0; a <= m; a++) {
        const nx = 2 ** a;
        const ny = 2 ** (m - a);
        const boxes = new Uint16Array(nx * ny);
        for (let i = 0; i < 2 ** m; i++) boxes[Math.floor(pts[2 * i]! * nx) * ny + Math.floor(pts[2 * i + 1]! * ny)]++;
        assert.ok(
          boxes.every((c) => c === 1),
          `${JSON.stringify(opts)} m=${m} boxes ${nx}x${ny}`,
        );
      }
    }
  }
});

test('seed determinism: same seed same points, different seed different points, unscrambled ignores the seed', () => {
  const a = new SobolSequence(5, { seed: 42 }).fill(0, 64);
  const b = new SobolSequence(5, { seed: 42 }).fill(0, 64);
  const c = new SobolSequence(5, { seed: 43 }).fill(0, 64);
  assert.equal(Array.from(a), Array.from(b));
  assert.not.equal(Array.from(a), Array.from(c));
  assert.ok(a.some((x, i) => x !== c[i]));
  assert.not.equal(Array.from(a), Array.from(new SobolSequence(5, { scramble: false }).fill(0, 64)));
  assert.equal(
    Array.from(new SobolSequence(3, { scramble: false, seed: 1 }).point(9)),
    Array.from(new SobolSequence(3, { scramble: false, seed: 2 }).point(9)),
  );
  // Scrambled point 0 is the random shift, not the origin.
  assert.ok(new SobolSequence(5, { seed: 42 }).point(0).some((x) => x !== 0));
  // The first k coordinates do not depend on how many dimensions follow.
  assert.equal(
    Array.from(new SobolSequence(3, { seed: 42 }).point(17)),
    Array.from(new SobolSequence(5, { seed: 42 }).point(17).subarray(0, 3)),
  );
});

test('discrepancy sanity: mean of prod(x) over 1,024 scrambled 5-D points is within 0.002 of 1/32', () => {
  for (const seed of [0, 1, 2, 3, 4]) {
    const pts = new SobolSequence(5, { seed }).fill(0, 1024);
    let sum = 0;
    for (let i = 0; i < 1024; i++) {
      let p = 1;
      for (let d = 0; d < 5; d++) p *= pts[i * 5 + d]!;
      sum += p;
    }
    const err = Math.abs(sum / 1024 - 1 / 32);
    assert.ok(err < 0.002, `seed ${seed}: error ${err}`);
  }
});

test('out-of-range dimensions and indices throw RangeErrors naming the limit', () => {
  assert.throws(
    () => new SobolSequence(SOBOL_MAX_DIM + 1),
    (e: unknown) => e instanceof RangeError && /4096/.test(e.message),
  );
  assert.throws(() => new SobolSequence(2.5), RangeError);
  assert.throws(() => new SobolSequence(2, { seed: Number.NaN }), RangeError);
  const s = new SobolSequence(2);
  for (const bad of [-1, 1.5, SOBOL_MAX_INDEX + 1])
    assert.throws(
      () => s.point(bad),
      (e: unknown) => e instanceof RangeError && /2\^32-1/.test(e.message),
    );
  assert.throws(() => s.fill(SOBOL_MAX_INDEX, 2), RangeError);
  assert.throws(() => s.fill(0, 4, new Float64Array(7)), RangeError);
  assert.is(new SobolSequence(SOBOL_MAX_DIM, { scramble: false }).dim, SOBOL_MAX_DIM);
  assert.is(new SobolSequence(0).point(3).length, 0);
});

test('searcher: trial n gets decode(point(n)), whatever the call order or instance', async () => {
  const init = { seed: 5, direction: 'minimize' as const };
  const ref = new SobolSequence(4, { seed: 5 });
  const inOrder = createSobolSearcher({ ...init, space: fakeSpace(4) }, {});
  assert.is(inOrder.type, 'sobol');
  const forward: Params[] = [];
  for (let n = 0; n < 20; n++) forward.push(params(await inOrder.suggest({ number: n, trials: [] })));
  const shuffled = createSobolSearcher({ ...init, space: fakeSpace(4) }, { scramble: true });
  for (const n of [13, 2, 19, 0, 7, 7, 18, 1]) {
    const p = params(await shuffled.suggest({ number: n, trials: [] }));
    assert.equal(p, forward[n], `trial ${n}`);
    assert.equal(Object.values(p), Array.from(ref.point(n)));
  }
  const other = createSobolSearcher({ ...init, seed: 6, space: fakeSpace(4) }, {});
  assert.not.equal(params(await other.suggest({ number: 3, trials: [] })), forward[3]);
});

test('searcher: scramble=false starts at the origin; 0 dims gives {}; never waits', async () => {
  const space = fakeSpace(3);
  const plain = createSobolSearcher({ seed: 9, direction: 'maximize', space }, { scramble: false });
  assert.equal(params(await plain.suggest({ number: 0, trials: [] })), { x0: 0, x1: 0, x2: 0 });
  assert.equal(params(await plain.suggest({ number: 2, trials: [] })), { x0: 0.75, x1: 0.25, x2: 0.25 });
  assert.equal(space.decoded.length, 2);
  const empty = createSobolSearcher({ seed: 9, direction: 'maximize', space: fakeSpace(0) }, {});
  for (const n of [0, 1, 1000]) assert.equal(await empty.suggest({ number: n, trials: [] }), { kind: 'suggest', params: {} });
  for (let n = 0; n < 50; n++) assert.is((await plain.suggest({ number: n, trials: [] })).kind, 'suggest');
});

test('searcher: unknown options and bad types are TypeErrors naming the key; too many dims is a RangeError', () => {
  const init = { seed: 1, direction: 'minimize' as const, space: fakeSpace(2) };
  assert.throws(
    () => createSobolSearcher(init, { scrambel: true }),
    (e: unknown) => e instanceof TypeError && /scrambel/.test(e.message),
  );
  assert.throws(
    () => createSobolSearcher(init, { scramble: 'yes' }),
    (e: unknown) => e instanceof TypeError && /scramble/.test(e.message),
  );
  assert.throws(
    () => createSobolSearcher({ ...init, space: fakeSpace(SOBOL_MAX_DIM + 1) }, {}),
    (e: unknown) => e instanceof RangeError && /4096/.test(e.message),
  );
});

test.run();
