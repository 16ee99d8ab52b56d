/**
 * Sweep files with several objectives, a derived objective and constraints: parsed with src/study/expressions.ts at
 * validation time (unknown metric names and syntax errors are listed problems naming the metric list), refused pairs
 * (a single-objective searcher or a value-comparing pruner with several objectives), and the study options they become.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateSweep } from '../../src/sweep/spec.js';
import { sweepMetricNames, sweepStudyOptions } from '../../src/sweep/objectives.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/mnist-pareto.json', import.meta.url));
const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as { [key: string]: unknown };
const baseDir = process.cwd();

function problems(changes: { [key: string]: unknown }): readonly string[] {
  const r = validateSweep({ ...example, ...changes }, { baseDir });
  assert.not.ok(r.ok, `expected problems for ${JSON.stringify(changes)}`);
  return r.ok ? [] : r.problems;
}

test('examples/mnist-pareto.json is valid: two objectives and a constraint, resolved and kept', () => {
  const r = validateSweep(example, { baseDir });
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  if (!r.ok) return;
  assert.equal(r.sweep.objectives, [
    { metric: 'valAccuracy', direction: 'maximize' },
    { metric: 'latencyMs', direction: 'minimize' },
  ]);
  assert.equal(r.sweep.objective, { metric: 'valAccuracy', direction: 'maximize' }, 'the first objective, for older readers');
  assert.equal(r.sweep.constraints, ['paramCount <= 5e5']);
  assert.is(r.searcher.type, 'nsga2');
});

test('constraints and expressions: an unknown metric names the metric list; a syntax error its position', () => {
  const unknown = problems({ constraints: ['latencyMs <= 5', 'latncyMs <= 5'] });
  assert.is(unknown.length, 1);
  assert.match(
    unknown[0]!,
    /^constraints\[1\]: constraint "latncyMs <= 5" uses the unknown name "latncyMs"; known metrics: .*paramCount.*latencyMs/,
  );
  const syntax = problems({ constraints: ['latencyMs <= (5'] });
  assert.match(syntax[0]!, /^constraints\[0\]: constraint "latencyMs <= \(5" has a syntax error/);
  const expr = problems({
    objectives: undefined,
    objective: { expression: 'valAccuracy - 0.01 * log10(paramCnt)', direction: 'maximize' },
  });
  assert.match(expr[0]!, /^objective\.expression: expression .* uses the unknown name "paramCnt"; known metrics: .*paramCount/);
  const hostile = problems({ constraints: ['import("fs") <= 1'] });
  assert.match(hostile[0]!, /^constraints\[0\]: .*not allowed/);
  const metric = problems({
    objectives: [
      { metric: 'valAccuracy', direction: 'maximize' },
      { metric: 'latency', direction: 'minimize' },
    ],
  });
  assert.match(metric[0]!, /^objectives\[1\]\.metric: the built-in trainer reports .*latencyMs.*; got "latency"/);
  assert.match(problems({ objectives: [{ metric: 'valAccuracy' }] })[0]!, /^objectives: must list 2 or more/);
  assert.match(problems({ objective: { metric: 'valLoss' } })[0]!, /give `objective` \(one\) or `objectives` \(several\), not both/);
  assert.match(
    problems({ objectives: [{ metric: 'latencyMs' }, { metric: 'valAccuracy', direction: 'maximize' }] })[0]!,
    /^objectives\[0\]\.metric: the built-in trainer reports the first objective every epoch/,
  );
});

test('several objectives refuse a single-objective searcher and a value-comparing pruner, as listed problems', () => {
  const ps = problems({ searcher: 'hyperband', pruner: { type: 'any', of: ['nan_guard', 'median'] } });
  assert.ok(
    ps.some((p) => /^searcher: searcher 'hyperband' optimises one objective/.test(p)),
    ps.join('\n'),
  );
  assert.ok(
    ps.some((p) => /^pruner: pruner "median" compares trials by one objective value/.test(p)),
    ps.join('\n'),
  );
});

test('a derived objective and constraints become the study options: values computed from final metrics', () => {
  const r = validateSweep(
    {
      ...example,
      objectives: undefined,
      objective: { expression: 'valAccuracy - 0.01 * log10(paramCount)', direction: 'maximize' },
      constraints: ['latencyMs <= 5', 'paramCount <= 2e5'],
    },
    { baseDir },
  );
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  if (!r.ok) return;
  assert.equal(r.sweep.objective, {
    metric: 'valAccuracy - 0.01 * log10(paramCount)',
    direction: 'maximize',
    expression: 'valAccuracy - 0.01 * log10(paramCount)',
  });
  const o = sweepStudyOptions(r.sweep, sweepMetricNames(r.sweep));
  assert.is(o.metric, 'valAccuracy - 0.01 * log10(paramCount)');
  const m = { valAccuracy: 0.9, paramCount: 1e4, latencyMs: 7 };
  assert.ok(Math.abs(o.derivedMetrics![o.metric!]!(m) - 0.86) < 1e-12);
  assert.equal(o.constraints!(m, {}), [2, 1e4 - 2e5]);
  assert.throws(() => o.constraints!({ valAccuracy: 1 }, {}), /needs "latencyMs", which this trial did not report/);
});

test('module trainables: expression names are taken from the expressions (checked when trials report)', () => {
  const r = validateSweep(
    {
      name: 'mod',
      trainable: { module: fileURLToPath(new URL('../fixtures/pool/trainable.ts', import.meta.url)) },
      space: { x: { _type: 'float', low: 0, high: 1 } },
      objectives: [{ metric: 'loss' }, { metric: 'cost', direction: 'minimize' }],
      constraints: ['cost * 2 <= 1e3', 'max(loss, 1) >= 0'],
      searcher: 'tpe',
      budget: { trials: 3 },
    },
    { baseDir },
  );
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  if (!r.ok) return;
  const o = sweepStudyOptions(r.sweep, sweepMetricNames(r.sweep));
  assert.equal(o.directions, ['minimize', 'minimize']);
  assert.equal(o.metrics, ['loss', 'cost']);
  assert.equal(o.constraints!({ loss: 3, cost: 100 }, {}), [200 - 1e3, 0 - 3]);
});

test.run();
