import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createStudy } from '../../src/study/open.js';
import { space } from '../../spaces/index.js';
import type { Pruner } from '../../src/pruners/index.js';
import { formatFront, formatLeaderboard } from '../../src/cli/report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const schema = JSON.parse(fs.readFileSync(path.join(root, 'schema/leaderboard.schema.json'), 'utf8')) as object;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(schema);

async function makeStudy(file?: string) {
  const pruner: Pruner = {
    type: 'halfway',
    decide: ({ trial, step }) =>
      trial.number % 5 === 4 && step >= 1 ? { action: 'prune', reason: 'scripted prune' } : { action: 'continue' },
  };
  const study = await createStudy({
    name: 'lb',
    space: {
      lr: space.float(1e-4, 1e-1, { log: true }),
      arch: space.choice({ mlp: { units: space.int(8, 64) }, cnn: { filters: space.choice([8, 16]) } }),
    },
    direction: 'maximize',
    seed: 4,
    pruner,
    ...(file ? { storage: file } : {}),
  });
  await study.optimize(
    async (p, ctx) => {
      if (ctx.number === 7) throw new Error('out of memory');
      for (let s = 0; s < 3; s++) if ((await ctx.report(s, p.lr * s)) === 'prune') return 0;
      return { value: Math.log10(p.lr), metrics: { acc: 0.5, nanMetric: NaN } };
    },
    { trials: 12 },
  );
  return study;
}

test('leaderboard: real output validates against the JSON Schema, ranks and summarises', async () => {
  const study = await makeStudy();
  const lb = await study.leaderboard();
  const ok = validate(lb);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  assert.is(lb.schemaVersion, 2);
  assert.is(lb.study.searcher, 'random');
  assert.is(lb.summary.trials, 12);
  assert.equal(lb.summary.states, { waiting: 0, running: 0, complete: 9, pruned: 2, failed: 1 });
  const complete = lb.trials.filter((t) => t.state === 'complete');
  assert.equal(
    complete.map((t) => t.rank),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  for (let i = 1; i < complete.length; i++)
    assert.ok((complete[i - 1]?.value as number) >= (complete[i]?.value as number), 'maximize: best first');
  assert.is(lb.summary.best?.number, complete[0]?.number);
  assert.is(lb.trials.find((t) => t.state === 'pruned')?.reason, 'scripted prune');
  assert.is(lb.trials.find((t) => t.state === 'failed')?.error, 'out of memory');
  assert.is(complete[0]?.metrics['nanMetric'], null, 'NaN written as null');
  assert.ok(lb.trials.every((t) => t.durationMs === null || t.durationMs >= 0));
  assert.is((await study.leaderboard({ top: 3 })).trials.length, 3);
  // The schema is strict enough to catch a broken document.
  assert.not.ok(validate({ ...lb, schemaVersion: 1 }));
  assert.not.ok(validate({ ...lb, trials: [{ ...lb.trials[0], state: 'done' }] }));
});

test('leaderboard v2: a constrained multi-objective study validates; front, ranks, crowding and violated constraints', async () => {
  const study = await createStudy({
    name: 'mo',
    space: { x: space.float(-2, 2), y: space.float(0, 1) },
    directions: ['minimize', 'maximize'],
    metrics: ['loss', 'acc'],
    searcher: 'nsga2',
    seed: 3,
    constraints: (m) => [m['latencyMs']! - 5],
    userAttrs: { sweep: { constraints: ['latencyMs <= 5'] } },
  });
  await study.optimize((p) => ({ loss: p.x * p.x, acc: p.y - Math.abs(p.x - 1), latencyMs: 10 * p.y }), { trials: 30 });
  const lb = await study.leaderboard();
  assert.ok(validate(lb), JSON.stringify(validate.errors, null, 2));
  assert.equal(lb.study.directions, ['minimize', 'maximize']);
  assert.equal(lb.study.metrics, ['loss', 'acc']);
  assert.equal(lb.study.constraints, ['latencyMs <= 5']);
  assert.is(lb.summary.best, null, 'no single best for several objectives');
  assert.equal(
    [...lb.summary.front].sort((a, b) => a - b),
    study.bestTrials.map((t) => t.number).sort((a, b) => a - b),
  );
  const complete = lb.trials.filter((t) => t.state === 'complete');
  assert.equal(
    complete.map((t) => t.rank),
    complete.map((_, i) => i + 1),
  );
  for (let i = 1; i < complete.length; i++) {
    const [a, b] = [complete[i - 1]!, complete[i]!];
    assert.ok((a.violation ?? 0) === 0 || (b.violation ?? 0) > 0, 'feasible trials rank before infeasible ones');
    if (a.violation === 0 && b.violation === 0) assert.ok(a.paretoRank! <= b.paretoRank!, 'fronts in order');
  }
  const infeasible = complete.filter((t) => t.violation! > 0);
  assert.ok(infeasible.length > 0 && infeasible.length < complete.length);
  for (const t of infeasible) assert.equal(t.violated, ['latencyMs <= 5']);
  for (const t of complete.filter((t) => t.violation === 0)) assert.equal(t.violated, []);
  const front = complete.filter((t) => lb.summary.front.includes(t.number));
  assert.ok(front.every((t) => t.paretoRank === 0 && t.values!.length === 2));
  // The two extremes of a front of 2+ have infinite crowding, written as null.
  if (front.length >= 2) assert.is(front.filter((t) => t.crowding === null).length >= 2, true);
  assert.not.ok(validate({ ...lb, trials: [{ ...lb.trials[0], paretoRank: -1 }] }));
  const text = formatFront(lb);
  assert.match(text, new RegExp(`^Pareto front: ${front.length} trials? \\(minimize loss, maximize acc; constraints: latencyMs <= 5\\)`));
  const rows = text
    .split('\n')
    .slice(2)
    .map((l) => Number(l.trim().split(/\s+/)[0]));
  assert.equal(rows, [...lb.summary.front]);
  assert.match(formatLeaderboard(lb), /violates latencyMs <= 5/);
});

test('tunekit report prints the table and writes JSON that validates', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-report-'));
  const file = path.join(dir, 'study.json');
  const study = await makeStudy(file);
  // Read-only: works while the study (and its lock) is still open.
  const cli = path.join(root, 'src/cli/main.ts');
  const out = path.join(dir, 'lb.json');
  const text = execFileSync(process.execPath, ['--import', 'tsx', cli, 'report', dir, '--json', out, '--top', '5'], { encoding: 'utf8' });
  assert.match(text, /study lb \(maximize, searcher random, seed 4\)/);
  assert.match(text, /complete 9\s+pruned 2\s+failed 1/);
  const json = JSON.parse(fs.readFileSync(out, 'utf8')) as { trials: unknown[] };
  assert.ok(validate(json), JSON.stringify(validate.errors));
  assert.is(json.trials.length, 5);
  await study.close();
  const missing = spawnSync(process.execPath, ['--import', 'tsx', cli, 'report', path.join(dir, 'nope.json')], { encoding: 'utf8' });
  assert.is(missing.status, 2);
  assert.match(missing.stderr, /no storage file at .*nope\.json/);
});

test.run();
