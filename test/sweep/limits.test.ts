/**
 * Numbers a sweep file may hold are bounded (issue: workers 1e9 died of OOM, trials 1e308 ran forever, workerMemoryMb 1 killed
 * the controller), names fit a directory name, and absurdly deep JSON is a listed problem instead of a stack overflow.
 * Every problem names the field, the range and the fix.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { jsonProblems, LIMITS, limitProblem, validateSweep } from '../../src/sweep/spec.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/pool/', import.meta.url));
const base = {
  name: 'limits',
  trainable: { module: './trainable.ts' },
  space: { x: { _type: 'float', low: 0, high: 1 } },
  objective: { metric: 'loss' },
  budget: { trials: 3 },
};

function problems(over: Record<string, unknown>): readonly string[] {
  const r = validateSweep({ ...base, ...over }, { baseDir: FIXTURES });
  return r.ok ? [] : r.problems;
}

function one(over: Record<string, unknown>, at: string, re: RegExp): void {
  const list = problems(over);
  const p = list.find((x) => x.startsWith(`${at}:`));
  assert.ok(p, `a problem at ${at} in:\n${list.join('\n')}`);
  assert.match(p!, re);
}

test('LIMITS: documented values, workers scale with the cores', () => {
  assert.is(LIMITS.trials.max, 1_000_000);
  assert.is(LIMITS.workers.max, 4 * os.availableParallelism());
  assert.is(LIMITS.workerMemoryMb.min, 128);
  assert.is(LIMITS.nameLength, 100);
  assert.ok(Object.isFrozen(LIMITS));
  assert.equal(problems({}), []);
  assert.equal(problems({ workers: LIMITS.workers.max, budget: { trials: LIMITS.trials.max }, workerMemoryMb: 128 }), []);
});

test('workers: 1e9 is refused with the range and the fix', () => {
  const max = LIMITS.workers.max;
  one(
    { workers: 1e9 },
    'workers',
    new RegExp(`\`1 <= workers <= ${max}\` must hold \\(${max} = 4 x the ${os.availableParallelism()} cores`),
  );
  one({ workers: 1e9 }, 'workers', /got 1000000000; .*at most/);
  one({ workers: 0 }, 'workers', /`1 <= workers/);
  one({ workers: 2.5 }, 'workers', /integer/);
});

test("budget.trials: 1e308 is refused; budget.seconds and trialTimeout stay below setTimeout's limit", () => {
  one({ budget: { trials: 1e308 } }, 'budget.trials', /`1 <= budget\.trials <= 1000000` must hold, got 1e\+308/);
  one({ budget: { trials: 1e308 } }, 'budget.trials', /split the sweep|lower/);
  one({ budget: { trials: 3, seconds: 1e308 } }, 'budget.seconds', /`0 < budget\.seconds <= 2147483` must hold/);
  one({ trialTimeout: 1e12 }, 'trialTimeout', /`0 < trialTimeout <= 2147483` must hold/);
  one({ budget: { trials: 3, epochs: 1e12 } }, 'budget.epochs', /`1 <= budget\.epochs <= 100000` must hold/);
  one({ trialsPerDevice: 1e9 }, 'trialsPerDevice', /`1 <= trialsPerDevice <= 64` must hold/);
});

test('workerMemoryMb below what a TF.js worker starts with is refused', () => {
  one({ workerMemoryMb: 1 }, 'workerMemoryMb', /`workerMemoryMb >= 128` must hold .*got 1; /);
  one({ workerMemoryMb: 1 }, 'workerMemoryMb', /omit it|raise it/);
  one({ workerMemoryMb: 'lots' }, 'workerMemoryMb', /got "lots"/);
});

test('limitProblem: the same checks for CLI flags and pool options', () => {
  assert.is(limitProblem('workers', 2), undefined);
  assert.match(limitProblem('workers', 1e9) ?? '', /`1 <= workers <= \d+` must hold/);
  assert.match(limitProblem('trials', 1e308) ?? '', /`1 <= trials <= 1000000`/);
  assert.match(limitProblem('workerMemoryMb', 1) ?? '', /`workerMemoryMb >= 128`/);
  assert.match(limitProblem('trials', 1e308, '--trials') ?? '', /`1 <= --trials <= 1000000`/);
});

test('name: at most 100 characters of directory-safe characters', () => {
  one({ name: 'n'.repeat(300) }, 'name', /at most 100 characters.*got 300 characters/);
  one({ name: 'a/b' }, 'name', /letters, digits/);
  one({ name: 'CON' }, 'name', /reserved/);
  assert.equal(problems({ name: 'n'.repeat(100) }), []);
});

test('deep JSON: a problem naming the path prefix and the limit, not a stack overflow', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 20_000; i++) deep = { d: deep };
  const list = jsonProblems({ defaults: deep });
  assert.is(list.length, 1);
  assert.match(list[0]!, /^defaults\.d\.d.*: nests deeper than 256 levels/);
  assert.ok(list[0]!.length < 700);
  const v = validateSweep({ ...base, dataset: deep }, { baseDir: FIXTURES });
  assert.not.ok(v.ok);
});

test('a __proto__ key anywhere in a sweep (JSON.parse makes it an own key) is a problem naming its path', () => {
  const raw = JSON.parse('{"name": "p", "defaults": {"optimizer": {"__proto__": {"lr": 1}}}, "__proto__": {}}') as unknown;
  const list = jsonProblems(raw);
  assert.equal(list.length, 2, list.join('\n'));
  assert.match(list[0]!, /^defaults\.optimizer\.__proto__: a key named "__proto__" is not allowed/);
  assert.match(list[1]!, /^__proto__: /);
});

test.run();
