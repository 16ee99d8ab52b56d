/**
 * describeValue: a short, truthful description of ANY value (what an objective returned or threw), that never throws and
 * never exceeds 200 characters, whatever the value does to the usual ways of printing it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeValue, describeThrown, DESCRIBE_MAX } from '../../src/core/describe.js';

function ok(v: unknown, re: RegExp): string {
  const s = describeValue(v);
  assert.type(s, 'string');
  assert.ok(s.length <= DESCRIBE_MAX, `${s.length} chars: ${s}`);
  assert.match(s, re);
  return s;
}

test('primitives keep their type visible: a string "0.9" is not the number 0.9', () => {
  ok('0.9', /^the string "0\.9"$/);
  ok(0.9, /^the number 0\.9$/);
  ok(-0, /^the number -0$/);
  ok(NaN, /^the number NaN$/);
  ok(Infinity, /^the number Infinity$/);
  ok(true, /^the boolean true$/);
  ok(null, /^null$/);
  ok(undefined, /^undefined$/);
  ok(12n, /^the bigint 12n$/);
  ok(Symbol('s'), /^the symbol Symbol\(s\)$/);
  ok(function named() {}, /^a function \(named\)$/);
  ok(() => 1, /^a function/);
});

test('objects and arrays show their content, within the limit', () => {
  ok({ valAccuracy: '0.9' }, /^an object \{"valAccuracy":"0\.9"\}$/);
  ok([1, 2], /^an array \[1,2\]$/);
  const big = ok({ s: 'x'.repeat(10_000) }, /\.\.\.$/);
  assert.ok(big.length <= DESCRIBE_MAX);
  ok('y'.repeat(10_000), /^the string "y+\.\.\.$/);
  ok(new Map([[1, 2]]), /Map/);
  ok(new Date(0), /Date/);
  ok(Object.create(null), /object/);
});

test('huge values are described in bounded time: typed arrays, long arrays', () => {
  const typed = new Float32Array(1e7);
  const long = new Array<number>(1e7).fill(1);
  const t0 = performance.now();
  ok(typed, /^a Float32Array of 10000000 values \[0,0,0,.*\.\.\.\]?$/);
  ok(long, /^an array \[1,1,1.*\.\.\.$/);
  ok(new BigInt64Array([1n, -2n]), /^a BigInt64Array of 2 values \[1n,-2n\]$/);
  ok(new DataView(new ArrayBuffer(8)), /^a DataView of 8 bytes$/);
  const holey = [1];
  holey[2] = 3; // index 1 is a hole
  ok(holey, /^an array \[1,,3\]$/);
  assert.ok(performance.now() - t0 < 200, `took ${performance.now() - t0} ms`);
});

test('hostile values: cycles, BigInt inside, throwing toJSON/toString/getters, proxies', () => {
  const cyc: Record<string, unknown> = { a: 1 };
  cyc['self'] = cyc;
  ok(cyc, /object/);
  ok({ n: 1n }, /object/);
  ok(
    {
      toJSON() {
        throw new Error('no');
      },
    },
    /object/,
  );
  ok(
    {
      toString() {
        throw new Error('no');
      },
      toJSON() {
        throw new Error('no');
      },
    },
    /object/,
  );
  ok(
    Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    }),
    /object/,
  );
  const trap = new Proxy(
    {},
    {
      get() {
        throw new Error('trap');
      },
      getPrototypeOf() {
        throw new Error('trap');
      },
      ownKeys() {
        throw new Error('trap');
      },
    },
  );
  ok(trap, /.+/);
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  ok(revocable.proxy, /.+/);
  ok({ [Symbol.toStringTag]: 'Weird' }, /.+/);
  class Boom {
    get [Symbol.toStringTag](): string {
      throw new Error('tag');
    }
  }
  ok(new Boom(), /.+/);
});

test('errors show their class and message; a throwing message getter is survived', () => {
  ok(new TypeError('bad thing'), /^TypeError: bad thing$/);
  const e = new Error('x');
  Object.defineProperty(e, 'message', {
    get() {
      throw new Error('nope');
    },
  });
  ok(e, /Error/);
  ok(new Error('m'.repeat(1000)), /\.\.\.$/);
  class QuotaError extends Error {}
  ok(new QuotaError('over'), /^QuotaError: over$/);
});

test('describeThrown: what a trial stores when the objective threw a non-Error', () => {
  assert.is(describeThrown(undefined), 'the objective threw undefined (throw an Error with a message to say why)');
  assert.match(describeThrown(null), /threw null/);
  assert.match(describeThrown('oops'), /threw the string "oops"/);
  assert.is(describeThrown(new Error('real')), 'real');
  assert.match(describeThrown(new Error('')), /threw Error \(with an empty message\)/);
  assert.ok(describeThrown({ x: 'z'.repeat(1000) }).length <= DESCRIBE_MAX + 80);
});

test.run();
