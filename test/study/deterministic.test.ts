/**
 * Reproducible parallel search: with `deterministic: true`, the same seed and concurrency give identical trials (params,
 * budgets, values, pruning decisions) run after run, for every registered searcher, whichever trial happens to finish first
 * (the objective's timing is jittered at random), in process and in the worker pool.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { createStudy, medianPruner, searcherTypes, space } from '../../src/index.js';
import type { TrialRecord } from '../../src/index.js';

const sp = { x: space.float(-2, 2), y: space.float(-2, 2), k: space.choice(['a', 'b', 'c']) };
const MODULE = fileURLToPath(new URL('../fixtures/pool/trainable.ts', import.meta.url));

/** Everything a rerun must reproduce, per trial. */
const fingerprint = (ts: readonly TrialRecord[]) =>
  JSON.stringify(
    ts.map((t) => [t.number, t.state, t.params, t.budget ?? null, t.value ?? null, t.system['continueFrom'] ?? null, t.reason ?? null]),
  );

const f = (p: { x: number; y: number; k: string }) => (p.x - 0.5) ** 2 + (p.y + 0.3) ** 2 + (p.k === 'b' ? 0 : 0.5);

async function runOnce(searcher: string, jitterSeed: number): Promise<string> {
  const study = await createStudy({
    name: `det-${searcher}`,
    space: sp,
    searcher: searcher === 'gp' ? { type: 'gp', initialTrials: 4 } : searcher,
    seed: 11,
    deterministic: true,
    pruner: medianPruner({ startupTrials: 3 }),
    // Budget bounds for the multi-fidelity searchers (and any scheduling type another test registered); others ignore them.
    budget: { min: 1, max: 9 },
  });
  let r = jitterSeed;
  const jitter = () => ((r = (r * 1103515245 + 12345) % 2 ** 31) % 15) + 1;
  await study.optimize(
    async (p, ctx) => {
      const steps = ctx.budget ?? 4;
      for (let s = 0; s < steps; s++) {
        await new Promise((res) => setTimeout(res, jitter()));
        if ((await ctx.report(s, f(p) + 1 / (s + 1))) === 'prune') break;
      }
      return f(p);
    },
    { trials: 16, concurrency: 3 },
  );
  const out = fingerprint(await study.trials());
  await study.close();
  return out;
}

test('deterministic: every registered searcher proposes the same trials with the same values in two runs with different timing', async () => {
  // The built-in single-objective types (other test files register their own toy searchers in the same process; the
  // suggestion-level determinism of every registered type is test/searchers/determinism.test.ts's contract).
  const types = ['random', 'sobol', 'tpe', 'gp', 'hyperband', 'asha', 'bohb'];
  for (const t of types) assert.ok(searcherTypes().includes(t), `${t} is not registered`);
  for (const type of types) {
    const a = await runOnce(type, 1);
    const b = await runOnce(type, 987654);
    assert.is(a, b, `searcher ${type} was not reproducible`);
  }
});

test('deterministic in the worker pool: same trials and values whichever worker finishes first', async () => {
  const run = async (ms: number) => {
    const study = await createStudy({
      name: 'det-pool',
      space: { mode: space.choice(['ok']), x: space.float(-1, 1) },
      searcher: 'tpe',
      seed: 5,
      metric: 'loss',
      deterministic: true,
    });
    await study.optimize({ module: MODULE, defaults: { steps: 2, ms } }, { trials: 12, workers: 2 });
    const out = fingerprint(await study.trials());
    await study.close();
    return out;
  };
  assert.is(await run(3), await run(11));
});

test('a searcher with a scheduler: TPE proposes, ASHA sets budgets and promotions (continue-from), from storage', async () => {
  const study = await createStudy({
    name: 'tpe-asha',
    space: sp,
    searcher: 'tpe',
    scheduler: { type: 'asha', eta: 3 },
    budget: { min: 1, max: 9 },
    seed: 3,
  });
  await study.optimize(async (p, ctx) => f(p) + 1 / (ctx.budget ?? 1), { trials: 30, concurrency: 2 });
  const trials = await study.trials();
  const budgets = new Set(trials.map((t) => t.budget));
  assert.ok(budgets.has(1) && budgets.has(3), `budgets ${[...budgets].join(', ')}`);
  assert.ok(
    trials.some((t) => typeof t.system['continueFrom'] === 'number'),
    'no promotion continued from a checkpoint',
  );
  assert.equal(study.record.scheduler, { type: 'asha', eta: 3 });
});

test.run();
