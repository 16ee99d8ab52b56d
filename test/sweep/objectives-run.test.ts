/**
 * A sweep file's derived objective and constraints through runSweep (a module trainable, no TF.js): the study gets the
 * expression's value per trial, the constraints per trial, a feasible best, and the leaderboard names violated constraints.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateSweep } from '../../src/sweep/spec.js';
import { runSweep } from '../../src/sweep/runner.js';

const TRAINABLE = fileURLToPath(new URL('../fixtures/pool/trainable.ts', import.meta.url));

test('runSweep: objective.expression and constraints reach the study; best is feasible; violated constraints are named', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-sweep-objectives-'));
  const r = validateSweep(
    {
      name: 'derived',
      trainable: { module: TRAINABLE },
      defaults: { mode: 'fast', steps: 1 },
      space: { x: { _type: 'float', low: -1, high: 1 } },
      objective: { expression: 'sqrt(loss)', direction: 'minimize' },
      constraints: ['loss >= 0.09'],
      searcher: 'random',
      budget: { trials: 12 },
      workers: 1,
      seed: 5,
    },
    { baseDir: process.cwd() },
  );
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  if (!r.ok) return;
  const sink = { write: () => true, isTTY: false };
  const result = await runSweep(r.sweep, { out, sink, prebuilt: { searcher: r.searcher, pruner: r.pruner } });
  const lb = result.leaderboard;
  assert.is(lb.summary.states.complete, 12);
  assert.equal(lb.study.constraints, ['loss >= 0.09']);
  const complete = lb.trials.filter((t) => t.state === 'complete');
  for (const t of complete) {
    const loss = t.metrics['loss']!;
    assert.ok(Math.abs(t.value! - Math.sqrt(loss)) < 1e-12, 'the value is the expression');
    assert.equal(t.constraints, [0.09 - loss]);
    assert.equal(t.violated, loss >= 0.09 ? [] : ['loss >= 0.09']);
  }
  const feasible = complete.filter((t) => t.violation === 0);
  assert.ok(feasible.length > 0 && feasible.length < complete.length, 'both kinds occurred');
  assert.is(lb.summary.best!.number, feasible[0]!.number);
  assert.is(lb.summary.best!.value, Math.min(...feasible.map((t) => t.value!)));
  assert.ok(
    complete.some((t) => t.violation! > 0 && t.value! < lb.summary.best!.value),
    'an infeasible trial had a better value',
  );
  fs.rmSync(out, { recursive: true, force: true });
});

test.run();
