/** Every bad form of a space (builders, compile, JSON) is rejected with a SpaceError whose message names the rule and path. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { space, SpaceError, type FloatParam, type SpaceTree } from '../../spaces/index.js';

function throws(fn: () => unknown, re: RegExp, path?: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, SpaceError);
    assert.instance(e, TypeError);
    assert.match((e as Error).message, re);
    if (path !== undefined) assert.is((e as SpaceError).path, path);
    return;
  }
  assert.unreachable(`expected a SpaceError matching ${re}`);
}

/** A hand-built node skips the builders, so only compile can catch it (and name its path). */
const raw = (fields: Record<string, unknown>): SpaceTree => ({ __tunekit: 'param', ...fields }) as unknown as FloatParam;
const untyped = space as unknown as Record<string, (...args: unknown[]) => unknown>;

test('float/int bounds: order, log, integers, finiteness', () => {
  throws(() => space.float(5, 1), /`low <= high` must hold for space\.float, got low=5, high=1; swap them/, '');
  throws(() => space.int(9, 2), /`low <= high`.*low=9, high=2/);
  throws(() => space.float(0, 1, { log: true }), /`low > 0` must hold for a log parameter.*low=0/);
  throws(() => space.float(-1, 1, { log: true }), /`low > 0`.*drop log/);
  throws(() => space.int(0, 10, { log: true }), /`low >= 1` must hold for a log int parameter.*low=0/);
  throws(() => space.int(0.5, 3), /`low` and `high` must be integers.*low=0\.5.*space\.float/);
  throws(() => space.int(0, 3.2), /integers.*high=3\.2/);
  throws(() => space.float(NaN, 1), /`low` must be a finite number.*got NaN/);
  throws(() => space.float(0, Infinity), /`high` must be a finite number.*got Infinity/);
  throws(() => space.int(-Infinity, 3), /`low` must be a finite number/);
  throws(() => space.float(-1.7e308, 1.7e308), /`high - low` must be finite/);
});

test('step: positive, divides the range (suggesting a high), not with log', () => {
  throws(() => space.float(0, 1, { step: 0 }), /`step > 0` must hold.*step=0/);
  throws(() => space.float(0, 1, { step: -0.1 }), /`step > 0`.*step=-0\.1/);
  throws(() => space.float(0, 1, { step: 0.3 }), /`step` must divide `high - low`.*step=0\.3; use high=0\.9 or high=1\.2/);
  throws(() => space.int(0, 10, { step: 3 }), /must divide.*use high=9 or high=12/);
  throws(() => space.int(0, 10, { step: 1.5 }), /step must be an integer.*step=1\.5/);
  throws(() => space.float(1e-3, 1, { log: true, step: 0.001 }), /`step` cannot be combined with `log`/);
  throws(() => space.int(1, 64, { log: true, step: 2 }), /cannot be combined with `log`/);
  // tolerance: 0.6 / 0.2 is 2.9999999999999996 in floating point, which must still count as dividing
  assert.is(space.float(0.1, 0.7, { step: 0.2 }).step, 0.2);
  assert.is(space.int(1, 64, { log: true, step: 1 }).step, 1);
});

test('options and argument types from plain JS', () => {
  throws(() => untyped.float(0, 1, { lgo: true }), /unknown option "lgo" for space\.float; known options: log, step/);
  throws(() => untyped.int(0, 1, { steps: 2 }), /unknown option "steps" for space\.int/);
  throws(() => untyped.float(0, 1, 5), /options of space\.float must be an object/);
  throws(() => untyped.float('0', 1), /`low` must be a finite number for space\.float, got "0"/);
  throws(() => untyped.float(0), /`high` must be a finite number.*it is missing/);
  throws(() => untyped.float(0, 1, { log: 'yes' }), /`log` must be true or false.*"yes"/);
  throws(() => untyped.int(0, 4, { step: '1' }), /`step` must be a finite number/);
  throws(() => untyped.choice(5), /space\.choice takes an array of values or an object of named branches/);
  throws(() => untyped.choice(space.bool()), /space\.choice takes/);
});

test('choice values: non-empty, distinct by canonical JSON, JSON only', () => {
  throws(() => space.choice([]), /a choice needs at least one value/);
  throws(() => space.choice(['adam', 'sgd', 'adam']), /choice values must be distinct.*"adam" twice \(indexes 0 and 2\)/);
  throws(
    () =>
      space.choice([
        { a: 1, b: 2 },
        { b: 2, a: 1 },
      ]),
    /distinct.*\{"a":1,"b":2\} twice/,
  );
  throws(() => space.choice([1, NaN]), /choice values must be JSON.*NaN at index 1/);
  throws(() => untyped.choice([1, undefined]), /must be JSON.*undefined at index 1/);
  throws(() => untyped.choice([new Date(0)]), /must be JSON/);
  throws(() => untyped.choice([[1, () => 2]]), /must be JSON/);
  assert.equal(space.choice([null, true, 'x', [1], { a: [2] }]).values, [null, true, 'x', [1], { a: [2] }]);
});

test('branches: non-empty names, group bodies, no `type` key', () => {
  throws(() => space.choice({}), /at least one branch/);
  throws(() => space.choice({ '': {} }), /branch names must be non-empty/);
  throws(() => space.choice({ mlp: { type: space.int(1, 2) } }), /branch "mlp".*may not have a parameter named `type`/);
  throws(() => untyped.choice({ mlp: 5 }), /branch "mlp".*must be a group.*got 5/);
  throws(() => untyped.choice({ mlp: space.int(1, 3) }), /branch "mlp".*must be a group/);
});

test('compile names the full dotted path, through groups and branches', () => {
  throws(
    () => space.compile({ optimizer: { lr: raw({ kind: 'float', low: 5, high: 1, log: false }) } }),
    /`low <= high` must hold for "optimizer\.lr", got low=5, high=1/,
    'optimizer.lr',
  );
  throws(
    () => space.compile({ model: space.choice({ mlp: { units: raw({ kind: 'int', low: 1, high: 9, log: false, step: 3 }) } }) }),
    /must divide.*"model\.mlp\.units".*use high=7 or high=10/,
    'model.mlp.units',
  );
  throws(() => space.compile({ a: raw({ kind: 'choice', values: [1, 1] }) }), /distinct for "a"/, 'a');
  throws(() => space.compile({ a: raw({ kind: 'branch', branches: { x: { type: space.bool() } } }) }), /`type`/, 'a');
  throws(() => space.compile({ a: { b: raw({ kind: 'float', low: 0, high: 1, log: 'no' }) } }), /`log` must be true or false for "a\.b"/);
  throws(() => space.compile({ a: raw({ kind: 'flaot' }) }), /"a" has unknown parameter kind "flaot"/, 'a');
});

test('compile: tree shape rules', () => {
  throws(() => space.compile(space.float(0, 1)), /root of a space must be a group.*a float parameter; wrap it/);
  throws(() => untyped.compile([space.bool()]), /root of a space must be a group/);
  throws(
    () => space.compile({ a: 5 } as unknown as SpaceTree),
    /"a" must be a parameter.*or a group object, got 5.*space\.choice\(\[value\]\)/,
  );
  throws(() => space.compile({ a: {} }), /group "a" has no parameters/, 'a');
  throws(() => space.compile({ x: space.bool(), a: { b: {} } }), /group "a\.b" has no parameters/, 'a.b');
  throws(() => space.compile({ 'a.b': space.bool() }), /may not contain "\."/);
  throws(() => space.compile({ m: space.choice({ 'x.y': {} }) }), /may not contain "\.".*"x\.y"/);
  throws(() => space.compile({ '': space.bool() }), /keys must be non-empty/);
  throws(() => space.compile({ g: { _type: space.bool() } }), /"_type" is reserved/);
  throws(() => space.compile(space.compile({}) as unknown as SpaceTree), /already compiled/);
  // empty root and empty branch bodies are fine
  assert.equal(space.compile({}).decode([]), {});
  assert.equal(space.compile({ m: space.choice({ a: {}, b: {} }) }).decode([0, 1]), { m: { type: 'b' } });
});

test('fromJSON: unknown keys and _type, wrong field types, JSON paths', () => {
  throws(
    () => space.fromJSON({ optimizer: { lr: { _type: 'float', low: 0, high: 1, lgo: true } } }),
    /unknown key "lgo" in the float parameter at "optimizer\.lr"; known keys: _type, low, high, log, step/,
    'optimizer.lr',
  );
  throws(() => space.fromJSON({ a: { _type: 'flaot' } }), /unknown _type "flaot" at "a"; known: float, int, choice, bool, branch/, 'a');
  throws(() => space.fromJSON({ a: { _type: 7 } }), /unknown _type 7/);
  throws(() => space.fromJSON({ a: { _type: 'float', low: '0.1', high: 1 } }), /`low` must be a finite number for "a", got "0\.1"/);
  throws(() => space.fromJSON({ a: { _type: 'int', low: 1 } }), /`high` must be a finite number for "a", it is missing/);
  throws(() => space.fromJSON({ a: { _type: 'float', low: 1, high: 2, log: 1 } }), /`log` must be true or false for "a"/);
  throws(() => space.fromJSON({ a: { _type: 'choice', values: 'abc' } }), /`values` must be an array.*"a"/);
  throws(() => space.fromJSON({ a: { _type: 'bool', values: [] } }), /unknown key "values" in the bool parameter/);
  throws(() => space.fromJSON({ m: { _type: 'branch', branches: [] } }), /`branches` must be an object of named groups at "m"/);
  throws(
    () => space.fromJSON({ m: { _type: 'branch', branches: { mlp: { units: { _type: 'int', low: 3, high: 1 } } } } }),
    /`low <= high` must hold for "m\.branches\.mlp\.units"/,
    'm.branches.mlp.units',
  );
  throws(
    () => space.fromJSON({ m: { _type: 'branch', branches: { mlp: { _type: 'bool' } } } }),
    /"m\.branches\.mlp" must be a group object/,
  );
  throws(() => space.fromJSON({ g: { h: 3 } }), /"g\.h" must be a parameter object.*got 3/, 'g.h');
  throws(() => space.fromJSON('{"a": '), /space JSON must be valid JSON/);
  throws(() => space.fromJSON({ _type: 'bool' }), /root of space JSON must be a group/);
  throws(() => space.fromJSON([1]), /root of space JSON must be a group/);
});

test.run();
