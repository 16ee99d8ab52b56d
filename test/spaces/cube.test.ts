/** The unit-cube transform: decode stays in bounds and is uniform, branches, encode/decode round trips, validate. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import seedrandom from 'seedrandom';
import { space, SpaceError, type Params, type SearchSpace } from '../../spaces/index.js';

const points = (s: SearchSpace, n: number, seed: string): number[][] => {
  const rng = seedrandom(seed);
  return Array.from({ length: n }, () => s.dims.map(() => rng()));
};

function throws(fn: () => unknown, re: RegExp, path: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, SpaceError);
    assert.match((e as Error).message, re);
    assert.is((e as SpaceError).path, path);
    return;
  }
  assert.unreachable(`expected a SpaceError matching ${re}`);
}

const kinds = {
  f: space.float(-2, 3),
  flog: space.float(1e-4, 0.1, { log: true }),
  fstep: space.float(0.05, 0.95, { step: 0.1 }),
  i: space.int(-3, 4),
  istep: space.int(16, 256, { step: 16 }),
  ilog: space.int(1, 1000, { log: true }),
  b: space.bool(),
  c: space.choice(['adam', 'sgd', { name: 'rms', rho: 0.9 }]),
};

test('every kind decodes in bounds on 2000 seeded points, and on edges/out-of-cube/NaN coordinates', () => {
  const s = space.compile(kinds);
  const extra = [s.dims.map(() => 0), s.dims.map(() => 1), s.dims.map(() => -5), s.dims.map(() => 7), s.dims.map(() => NaN)];
  for (const x of [...points(s, 2000, 'bounds'), ...extra]) {
    const p = s.decode(x);
    s.validate(p); // every decoded point is a valid point
    for (const [k, lo, hi] of [
      ['f', -2, 3],
      ['flog', 1e-4, 0.1],
      ['fstep', 0.05, 0.95],
      ['i', -3, 4],
      ['istep', 16, 256],
      ['ilog', 1, 1000],
    ] as const) {
      const v = p[k] as number;
      assert.ok(v >= lo && v <= hi, `${k}=${v} outside [${lo}, ${hi}]`);
    }
    assert.ok(Number.isInteger(p.i) && Number.isInteger(p.ilog) && (p.istep as number) % 16 === 0);
    // stepped floats are exact decimals: 0.35, never 0.35000000000000003
    assert.match(String(p.fstep as number), /^0\.\d5$/);
    assert.type(p.b, 'boolean');
  }
  assert.equal(s.decode(extra[0]), { f: -2, flog: 1e-4, fstep: 0.05, i: -3, istep: 16, ilog: 1, b: false, c: 'adam' });
  assert.equal({ ...s.decode(extra[1]), c: null }, { f: 3, flog: 0.1, fstep: 0.95, i: 4, istep: 256, ilog: 1000, b: true, c: null });
});

test('uniformity: every level of small ints, steps, bools and choices appears about equally often', () => {
  const s = space.compile({
    i: space.int(1, 5),
    st: space.float(0, 1, { step: 0.25 }),
    b: space.bool(),
    c: space.choice(['a', 'b', 'c', 'd']),
  });
  const counts: Record<string, Map<unknown, number>> = { i: new Map(), st: new Map(), b: new Map(), c: new Map() };
  for (const x of points(s, 2000, 'uniform')) {
    const p = s.decode(x);
    for (const k of Object.keys(counts)) counts[k].set(p[k], (counts[k].get(p[k]) ?? 0) + 1);
  }
  for (const [k, levels] of [
    ['i', 5],
    ['st', 5],
    ['b', 2],
    ['c', 4],
  ] as const) {
    assert.is(counts[k].size, levels, `${k} levels`);
    const expected = 2000 / levels; // binomial sd <= ~22 here; 25% is a loose (> 4 sd) bound
    for (const [v, n] of counts[k])
      assert.ok(Math.abs(n - expected) < 0.25 * expected, `${k}=${String(v)} seen ${n} times, expected ~${expected}`);
  }
  assert.equal([...counts.st.keys()].sort(), [0, 0.25, 0.5, 0.75, 1]);
});

test('log scales: a log float is uniform in log space; a log int favours small values but reaches every one', () => {
  const s = space.compile({ lr: space.float(1e-4, 1, { log: true }), n: space.int(1, 8, { log: true }) });
  const ps = points(s, 2000, 'log').map((x) => s.decode(x));
  const below = ps.filter((p) => (p.lr as number) < 1e-2).length / ps.length; // the geometric midpoint
  assert.ok(Math.abs(below - 0.5) < 0.05, `fraction below 1e-2: ${below}`);
  const ns = new Map<number, number>();
  for (const p of ps) ns.set(p.n as number, (ns.get(p.n as number) ?? 0) + 1);
  assert.equal(
    [...ns.keys()].sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  // Optuna's scheme: P(n=1) = log(1.5/0.5)/log(8.5/0.5) ~ 0.39, P(n=8) = log(8.5/7.5)/log(17) ~ 0.044
  assert.ok(Math.abs(ns.get(1)! / 2000 - Math.log(3) / Math.log(17)) < 0.05);
  assert.ok(ns.get(8)! < ns.get(1)! / 4);
});

const nested = {
  optimizer: { lr: space.float(1e-5, 1e-1, { log: true }), momentum: space.float(0, 0.99), nesterov: space.bool() },
  model: space.choice({
    mlp: { units: space.int(16, 128, { step: 16 }), act: space.choice(['relu', 'tanh']), deep: { layers: space.int(1, 4) } },
    cnn: { filters: space.int(8, 64, { log: true }), dropout: space.float(0, 0.5, { step: 0.05 }) },
    linear: {},
  }),
  batch: space.choice([32, 64, 128]),
};

test('dims: depth-first, branch one-hot block first, then every body in branch order', () => {
  const s = space.compile(nested);
  const d = (path: string, type: string, levels: number, group?: number) =>
    group === undefined ? { path, type, levels } : { path, type, levels, group };
  assert.equal(s.dims, [
    d('optimizer.lr', 'continuous', Infinity),
    d('optimizer.momentum', 'continuous', Infinity),
    d('optimizer.nesterov', 'ordinal', 2),
    d('model', 'onehot', 3, 3),
    d('model', 'onehot', 3, 3),
    d('model', 'onehot', 3, 3),
    d('model.mlp.units', 'ordinal', 8),
    d('model.mlp.act', 'onehot', 2, 7),
    d('model.mlp.act', 'onehot', 2, 7),
    d('model.mlp.deep.layers', 'ordinal', 4),
    d('model.cnn.filters', 'ordinal', 57),
    d('model.cnn.dropout', 'ordinal', 11),
    d('batch', 'onehot', 3, 12),
    d('batch', 'onehot', 3, 12),
    d('batch', 'onehot', 3, 12),
  ]);
});

test("branches decode to { type, ...only that branch's params }, and every branch is reached", () => {
  const s = space.compile(nested);
  const bodyKeys: Record<string, string[]> = { mlp: ['units', 'act', 'deep'], cnn: ['filters', 'dropout'], linear: [] };
  const seen = new Set<string>();
  for (const x of points(s, 600, 'branches')) {
    const m = s.decode(x).model as Params;
    seen.add(m.type as string);
    assert.equal(Object.keys(m), ['type', ...bodyKeys[m.type as string]]);
  }
  assert.equal([...seen].sort(), ['cnn', 'linear', 'mlp']);
  const x = new Array(s.dims.length).fill(0.5);
  // tie between cnn and linear: the first wins
  x[3] = 0.1;
  x[4] = 0.9;
  x[5] = 0.9;
  assert.is((s.decode(x).model as Params).type, 'cnn');
});

test('decode(encode(p)) deep-equals p for random p (nested groups, branches) and for hand-typed values', () => {
  const s = space.compile(nested);
  for (const x of points(s, 1000, 'roundtrip')) {
    const p = s.decode(x);
    assert.equal(s.decode(s.encode(p)), p);
  }
  const rng = seedrandom('typed');
  for (let i = 0; i < 500; i++) {
    // values a user would type: 3 significant digits, in range
    const lr = Number((1e-5 * 10 ** (4 * rng())).toPrecision(3));
    const momentum = Number((0.99 * rng()).toPrecision(3));
    const p: Params = { optimizer: { lr, momentum, nesterov: rng() < 0.5 }, model: { type: 'linear' }, batch: 64 };
    assert.equal(s.decode(s.encode(p)), p);
  }
  const k = space.compile(kinds);
  const typed: Params = { f: 0.3, flog: 0.001, fstep: 0.35, i: -3, istep: 240, ilog: 999, b: true, c: { rho: 0.9, name: 'rms' } };
  assert.equal(k.decode(k.encode(typed)), typed);
});

test('encode: levels at their centres, one-hot blocks, NaN on inactive branches', () => {
  const s = space.compile(nested);
  const p: Params = {
    optimizer: { lr: 1e-3, momentum: 0.9, nesterov: true },
    model: { type: 'cnn', filters: 32, dropout: 0.25 },
    batch: 128,
  };
  const u = s.encode(p);
  assert.is(u.length, s.dims.length);
  assert.equal(u.slice(2, 6), [0.75, 0, 1, 0]); // nesterov=true centre, model one-hot on cnn
  assert.ok(u.slice(6, 10).every(Number.isNaN), 'mlp coordinates must be NaN');
  assert.is(u[11], (5 + 0.5) / 11); // dropout level 5 of 11
  assert.equal(u.slice(12), [0, 0, 1]);
  assert.ok(u.filter((_, i) => i < 6 || i >= 10).every(Number.isFinite));
  const lin = s.encode({ ...p, model: { type: 'linear' } });
  assert.ok(lin.slice(6, 12).every(Number.isNaN), 'linear: every body coordinate is inactive');
  const ints = space.compile({ n: space.int(0, 9) });
  assert.equal(ints.encode({ n: 3 }), [0.35]);
});

test('validate: missing/extra keys, ranges, steps, ints, branches, choices, types', () => {
  const s = space.compile(nested);
  const ok: Params = {
    optimizer: { lr: 1e-3, momentum: 0.9, nesterov: false },
    model: { type: 'mlp', units: 32, act: 'relu', deep: { layers: 2 } },
    batch: 32,
  };
  s.validate(ok);
  const w = (patch: (p: Params) => void): Params => {
    const p = structuredClone(ok);
    patch(p);
    return p;
  };
  throws(() => s.validate(w((p) => delete (p.optimizer as Params).lr)), /"optimizer\.lr" is missing/, 'optimizer.lr');
  throws(
    () => s.validate(w((p) => ((p.optimizer as Params).lrr = 1))),
    /"optimizer\.lrr" is not a parameter.*known keys at "optimizer": lr, momentum, nesterov/,
    'optimizer.lrr',
  );
  throws(
    () => s.validate(w((p) => ((p.optimizer as Params).lr = 0.5))),
    /"optimizer\.lr" must be a number in \[0\.00001, 0\.1\], got 0\.5/,
    'optimizer.lr',
  );
  throws(() => s.validate(w((p) => ((p.optimizer as Params).momentum = '0.5'))), /must be a number in.*got "0\.5"/, 'optimizer.momentum');
  throws(
    () => s.validate(w((p) => ((p.optimizer as Params).nesterov = 1))),
    /"optimizer\.nesterov" must be true or false/,
    'optimizer.nesterov',
  );
  throws(
    () => s.validate(w((p) => ((p.model as Params).units = 40))),
    /"model\.mlp\.units" must be on the grid 16 \+ k\*16/,
    'model.mlp.units',
  );
  throws(
    () => s.validate(w((p) => (((p.model as Params).deep as Params).layers = 2.5))),
    /"model\.mlp\.deep\.layers" must be an integer in \[1, 4\]/,
    'model.mlp.deep.layers',
  );
  throws(
    () => s.validate(w((p) => ((p.model as Params).type = 'rnn'))),
    /"model\.type" must be one of "mlp", "cnn", "linear".*got "rnn"/,
    'model.type',
  );
  throws(() => s.validate(w((p) => ((p.model as Params).filters = 8))), /"model\.mlp\.filters" is not a parameter/, 'model.mlp.filters');
  throws(() => s.validate(w((p) => (p.model = 'mlp'))), /"model" must be an object \{ type/, 'model');
  throws(() => s.validate(w((p) => (p.batch = 48))), /"batch" must be one of 32, 64, 128, got 48/, 'batch');
  throws(
    () => s.validate(w((p) => ((p.model as Params).act = 'gelu'))),
    /"model\.mlp\.act" must be one of "relu", "tanh"/,
    'model.mlp.act',
  );
  throws(() => s.validate(null as unknown as Params), /params must be an object of parameters/, '');
  const st = space.compile({ d: space.float(0, 1, { step: 0.1 }) });
  throws(() => st.validate({ d: 0.33 }), /"d" must be on the grid 0 \+ k\*0\.1 \(nearest: 0\.3\), got 0\.33/, 'd');
  // a computed grid value is on the step (within 1e-9 of it); encode snaps it, decode gives the canonical decimal
  st.validate({ d: 0.1 + 0.2 });
  assert.equal(st.decode(st.encode({ d: 0.1 + 0.2 })), { d: 0.3 });
  throws(() => st.encode({ d: 1.1 }), /"d" must be a number in \[0, 1\]/, 'd'); // encode validates first
});

test('decode checks the point length and hands out fresh objects', () => {
  const s = space.compile({ c: space.choice([{ layers: [64, 32] }, { layers: [8] }]) });
  throws(() => s.decode([1]), /decode needs a point with 2 coordinates.*got 1/, '');
  const a = s.decode(new Float64Array([1, 0]));
  ((a.c as Params).layers as number[]).push(1);
  assert.equal(s.decode([1, 0]), { c: { layers: [64, 32] } });
});

test.run();
