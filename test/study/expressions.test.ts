import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileConstraint, compileExpression } from '../../src/study/expressions.js';
import { OptionsError } from '../../src/core/errors.js';

const METRICS = ['latencyMs', 'valAccuracy', 'paramCount', 'modelBytes'];

function refused(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, OptionsError);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an OptionsError matching ${pattern}`);
}

test('constraints: a <= b gives a - b, a >= b gives b - a (<= 0 satisfied); params readable', () => {
  const le = compileConstraint('latencyMs <= 5', METRICS);
  assert.is(le({ latencyMs: 3 }), -2);
  assert.is(le({ latencyMs: 7.5 }), 2.5);
  const ge = compileConstraint('valAccuracy >= 0.9', METRICS);
  assert.ok(Math.abs(ge({ valAccuracy: 0.95 }) - -0.05) < 1e-12);
  const both = compileConstraint('(modelBytes / 1e6 <= 0.5 * log10(paramCount))', METRICS);
  assert.ok(Math.abs(both({ modelBytes: 2e6, paramCount: 1e4 }) - 0) < 1e-12);
  const withParam = compileConstraint('latencyMs * layers <= 10', METRICS, ['layers', 'bn']);
  assert.is(withParam({ latencyMs: 2 }, { layers: 3, bn: true }), -4);
  const plain = compileConstraint('latencyMs - 5', METRICS);
  assert.is(plain({ latencyMs: 6 }), 1);
});

test('expressions: arithmetic and whitelisted functions give plain numbers', () => {
  const f = compileExpression('valAccuracy - 0.01 * log10(paramCount)', METRICS);
  assert.ok(Math.abs(f({ valAccuracy: 0.9, paramCount: 1e5 }) - 0.85) < 1e-12);
  const g = compileExpression('max(latencyMs, 1) ^ 2 + sqrt(abs(-4)) + log(e) + pi - pi', METRICS);
  assert.ok(Math.abs(g({ latencyMs: 3 }) - 12) < 1e-12);
  // predictable: log of a negative is NaN, never a complex number
  assert.ok(Number.isNaN(compileExpression('log(latencyMs)', METRICS)({ latencyMs: -1 })));
});

test('unknown names are refused at compile time, naming the name and the known metrics', () => {
  refused(
    () => compileConstraint('latncyMs <= 5', METRICS),
    /unknown name "latncyMs".*known metrics: latencyMs, valAccuracy, paramCount, modelBytes/,
  );
  refused(() => compileExpression('valAccuracy + 3 cm', METRICS), /unknown name "cm"/);
});

test('syntax errors name the expression and the position', () => {
  refused(() => compileConstraint('latencyMs <= ', METRICS), /constraint "latencyMs <= " has a syntax error at character \d+/);
  refused(() => compileExpression('valAccuracy * (2', METRICS), /expression "valAccuracy \* \(2" has a syntax error/);
  refused(() => compileExpression('', METRICS), /non-empty string/);
});

test('attempts to reach mathjs internals or JavaScript objects are refused', () => {
  const attacks = [
    'import({x: 1}, {override: true})',
    'evaluate("1+1")',
    'parse("1")',
    'createUnit("foo")',
    'simplify("x")',
    'derivative("x^2", "x")',
    'compile("1")',
    'resolve(x)',
    'latencyMs.constructor',
    'latencyMs["constructor"]',
    'latencyMs.__proto__',
    'constructor',
    '__proto__',
    'f(x) = x',
    'x = 5',
    '"string"',
    '[1, 2]',
    '{a: 1}',
    '1:3',
    'latencyMs > 1 ? 1 : 0',
    'latencyMs; valAccuracy',
    'cos.constructor("return process")()',
    'latencyMs <= 5 <= 6',
    'latencyMs == 5',
    'not latencyMs',
    'latencyMs!',
    '(latencyMs <= 5) + 1',
  ];
  for (const a of attacks) {
    refused(() => compileConstraint(a, METRICS), /not allowed|unknown name|syntax error/);
    refused(() => compileExpression(a, METRICS), /not allowed|unknown name|syntax error/);
  }
  // A comparison is not an expression.
  refused(() => compileExpression('latencyMs <= 5', METRICS), /comparison/);
});

test('at run time: a missing or non-numeric name is an error naming it; inherited properties are never read', () => {
  const le = compileConstraint('latencyMs <= 5', METRICS);
  refused(() => le({ valAccuracy: 1 }), /needs "latencyMs", which this trial did not report/);
  refused(() => le({ latencyMs: 'fast' }), /needs "latencyMs" to be a number/);
  const withProto = compileExpression('valAccuracy', ['valAccuracy', 'toString']);
  assert.is(withProto({ valAccuracy: 2 }), 2);
  refused(() => compileExpression('toString', ['toString'])({}), /needs "toString"/);
});

test.run();
