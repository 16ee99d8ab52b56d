/** JSON form: exact round trips (object and string), canonical output, and equal behaviour of the rebuilt space. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import seedrandom from 'seedrandom';
import { compileSpace, isSearchSpace, space, type SearchSpace } from '../../spaces/index.js';

const tree = {
  optimizer: { lr: space.float(1e-4, 0.1, { log: true }), momentum: space.float(0, 0.9, { step: 0.1 }) },
  units: space.int(1, 8),
  width: space.int(1, 1024, { log: true }),
  model: space.choice({
    mlp: { layers: space.int(1, 4, { step: 3 }), act: space.choice(['relu', null, [1, 2], { a: { b: 1 } }]) },
    lin: {},
  }),
  flag: space.bool(),
};

test('toJSON gives the documented canonical form', () => {
  assert.equal(space.compile(tree).toJSON(), {
    optimizer: {
      lr: { _type: 'float', low: 1e-4, high: 0.1, log: true },
      momentum: { _type: 'float', low: 0, high: 0.9, log: false, step: 0.1 },
    },
    units: { _type: 'int', low: 1, high: 8, log: false, step: 1 },
    width: { _type: 'int', low: 1, high: 1024, log: true, step: 1 },
    model: {
      _type: 'branch',
      branches: {
        mlp: {
          layers: { _type: 'int', low: 1, high: 4, log: false, step: 3 },
          act: { _type: 'choice', values: ['relu', null, [1, 2], { a: { b: 1 } }] },
        },
        lin: {},
      },
    },
    flag: { _type: 'bool' },
  });
});

function sameSpace(a: SearchSpace, b: SearchSpace, seed: string): void {
  assert.equal(b.toJSON(), a.toJSON());
  assert.equal(b.dims, a.dims);
  const rng = seedrandom(seed);
  for (let i = 0; i < 300; i++) {
    const x = a.dims.map(() => rng());
    const p = a.decode(x);
    assert.equal(b.decode(x), p);
    assert.equal(b.encode(p), a.encode(p));
  }
}

test('tree -> JSON -> space round-trips (object, string, after a stringify/parse trip)', () => {
  const s = space.compile(tree);
  const json = s.toJSON();
  sameSpace(s, space.fromJSON(json), 'obj');
  sameSpace(s, space.fromJSON(JSON.stringify(json)), 'str');
  sameSpace(s, space.fromJSON(JSON.parse(JSON.stringify(json))), 'parsed');
  assert.equal(space.fromJSON(space.fromJSON(json).toJSON()).toJSON(), json);
  assert.ok(isSearchSpace(space.fromJSON(json)));
});

test('fromJSON fills defaults (log false, int step 1) and the result re-serialises canonically', () => {
  const s = space.fromJSON('{"a": {"_type": "int", "low": 1, "high": 8}, "b": {"_type": "float", "low": 0, "high": 1}}');
  assert.equal(s.toJSON(), {
    a: { _type: 'int', low: 1, high: 8, log: false, step: 1 },
    b: { _type: 'float', low: 0, high: 1, log: false },
  });
  assert.equal(
    s.dims.map((d) => d.type),
    ['ordinal', 'continuous'],
  );
  const empty = space.fromJSON({});
  assert.equal(empty.dims, []);
  assert.equal(empty.decode([]), {});
});

test('toJSON returns a fresh copy; the compiled tree is frozen and normalised', () => {
  const s = compileSpace(tree);
  const j = s.toJSON();
  (j.units as { high: number }).high = 99;
  assert.is((s.toJSON().units as { high: number }).high, 8);
  assert.ok(Object.isFrozen(s.tree) && Object.isFrozen((s.tree as Record<string, object>).optimizer));
  assert.not.ok(isSearchSpace(tree));
  assert.not.ok(isSearchSpace(null));
});

test.run();
