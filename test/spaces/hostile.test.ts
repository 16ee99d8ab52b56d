/**
 * Hostile spaces: absurd nesting gets a SpaceError with the depth limit and the path (not a stack overflow), and the keys
 * `__proto__`, `constructor`, `prototype` are refused by name, including an own `__proto__` key that JSON.parse creates.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { space, SpaceError, MAX_SPACE_DEPTH, type SpaceTree } from '../../spaces/index.js';

function throws(fn: () => unknown, re: RegExp, path?: string): SpaceError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SpaceError)) throw new Error(`expected a SpaceError, got ${String(e)}`);
    assert.match(e.message, re);
    if (path !== undefined) assert.is(e.path, path);
    return e;
  }
  assert.unreachable(`expected a SpaceError matching ${re}`);
  throw new Error('unreachable');
}

/** `depth` branch parameters, each nested in the previous one's single branch body. */
function nestedBranchJson(depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = { _type: 'float', low: 0, high: 1 };
  for (let i = 0; i < depth; i++) node = { _type: 'branch', branches: { x: { p: node } } };
  return { p: node };
}

/** The root group and `depth` groups nested under it; `leaf` is a bool (a builder node, or its JSON form). */
function nestedGroups(depth: number, leaf: unknown = space.bool()): Record<string, unknown> {
  let g: Record<string, unknown> = { leaf };
  for (let i = 0; i < depth; i++) g = { g: g };
  return g;
}

test('MAX_SPACE_DEPTH is 64 and a space at the limit still compiles', () => {
  assert.is(MAX_SPACE_DEPTH, 64);
  space.fromJSON(nestedGroups(MAX_SPACE_DEPTH - 1, { _type: 'bool' }));
  space.compile(nestedGroups(MAX_SPACE_DEPTH - 1) as SpaceTree);
  throws(() => space.fromJSON(nestedGroups(MAX_SPACE_DEPTH, { _type: 'bool' })), /deeper than 64 levels/);
  throws(() => space.compile(nestedGroups(MAX_SPACE_DEPTH) as SpaceTree), /deeper than 64 levels/);
});

test('5,000-deep branch nesting in JSON: a SpaceError naming the limit and the path, not RangeError', () => {
  const e = throws(
    () => space.fromJSON(nestedBranchJson(5000)),
    /space nesting deeper than 64 levels at "p\.branches\.x\.p\.branches\.x.*\.\.\."; /,
  );
  assert.ok(e.message.length < 600, e.message);
  // Built as text: JSON.stringify itself would overflow on 15,000 nested objects.
  const text = '{"p":' + '{"_type":"branch","branches":{"x":{"p":'.repeat(5000) + '{"_type":"bool"}' + '}}}'.repeat(5000) + '}';
  throws(() => space.fromJSON(text), /deeper than 64 levels/);
});

test('5,000-deep groups through compile: a SpaceError, not a stack overflow', () => {
  throws(() => space.compile(nestedGroups(5000) as SpaceTree), /space nesting deeper than 64 levels at "g\.g\.g/);
  let tree: SpaceTree = { x: space.bool() };
  for (let i = 0; i < 5000; i++) tree = { b: space.choice({ only: tree as Record<string, SpaceTree> }) };
  throws(() => space.compile(tree), /deeper than 64 levels/);
});

test('__proto__ from JSON.parse is refused by name, at the root, in groups and as a branch name', () => {
  throws(
    () => space.fromJSON('{"__proto__": {"_type": "float", "low": 0, "high": 1}}'),
    /the key "__proto__" is not allowed at the root.*rename it/,
    '',
  );
  throws(() => space.fromJSON('{"a": {"__proto__": {"lr": {"_type": "bool"}}}}'), /the key "__proto__" is not allowed in "a"/, 'a');
  throws(() => space.fromJSON('{"m": {"_type": "branch", "branches": {"__proto__": {}}}}'), /"__proto__".*not allowed/);
  throws(() => space.fromJSON(JSON.parse('{"x": {"_type": "bool"}, "__proto__": {"y": {"_type": "bool"}}}')), /"__proto__"/, '');
});

test('constructor and prototype keys are refused by name too (JSON and compile)', () => {
  throws(() => space.fromJSON({ constructor: { _type: 'bool' } }), /the key "constructor" is not allowed at the root/);
  throws(() => space.fromJSON({ g: { prototype: { _type: 'bool' } } }), /the key "prototype" is not allowed in "g"/, 'g');
  throws(() => space.compile({ constructor: space.bool() } as SpaceTree), /"constructor" is not allowed/);
  throws(() => space.compile({ m: space.choice({ prototype: { a: space.bool() } }) }), /"prototype" is not allowed/);
});

test('a __proto__ key inside a choice value (from JSON.parse) is refused by name, not silently dropped', () => {
  const text = '{"c": {"_type": "choice", "values": [2, {"a": [{"__proto__": {"polluted": 1}}]}]}}';
  throws(() => space.fromJSON(text), /choice value 1 of "c" holds a key "__proto__".*rename the key/, 'c');
  throws(() => space.fromJSON(JSON.parse(text)), /"__proto__"/, 'c');
  throws(() => space.choice([JSON.parse('{"__proto__": 1}')]), /choice value 0 of space\.choice holds a key "__proto__"/);
  // constructor / prototype inside a value are plain data
  assert.equal(space.fromJSON({ c: { _type: 'choice', values: [{ constructor: 1 }] } }).decode([0]), { c: { constructor: 1 } });
});

test.run();
