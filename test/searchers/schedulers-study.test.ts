/**
 * A composed searcher (searcher + scheduler) driven by the real study controller, unchanged: registered as a searcher type,
 * it runs `optimize` at concurrency 1 and 3; promotions reach the objective as `ctx.continueFrom` with the same params and a
 * larger budget, and PBT steps continue from a checkpoint with `interval` more steps. (Decisions rebuilt from stored trials:
 * determinism.test.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSpace, space } from '../../spaces/index.js';
import { registerSearcher } from '../../searchers/index.js';
import { composeSearcher, type ComposeSpec } from '../../searchers/schedulers/index.js';
import { createStudy } from '../../src/study/open.js';
import type { Params } from '../../src/core/types.js';

const sp = compileSpace({ a: space.float(0, 1), b: space.float(0, 1), n: space.int(1, 8) });
const curve = (p: Params, step: number) =>
  ((p['a'] as number) - 0.7) ** 2 + ((p['b'] as number) - 0.2) ** 2 + (p['n'] as number) * 0.01 + 0.5 / Math.sqrt(step);

const combos: Record<string, ComposeSpec> = {
  'tpe-asha-test': { searcher: 'tpe', scheduler: 'asha' },
  'gp-hyperband-test': { searcher: 'gp', scheduler: { type: 'hyperband', eta: 3 } },
  'random-pbt-test': { searcher: 'random', scheduler: { type: 'pbt', interval: 3, population: 4 } },
};
for (const [type, spec] of Object.entries(combos)) registerSearcher(type, (init) => composeSearcher(spec, init));

for (const type of Object.keys(combos)) {
  for (const concurrency of [1, 3]) {
    test(`${type}: optimize at concurrency ${concurrency} through the unchanged controller`, async () => {
      const study = await createStudy({ name: `${type}-${concurrency}`, space: sp, searcher: type, budget: { min: 1, max: 9 }, seed: 2 });
      const seen: { number: number; budget: number; from?: number }[] = [];
      const res = await study.optimize(
        async (p, ctx) => {
          const budget = ctx.budget!;
          seen.push({ number: ctx.number, budget, ...(ctx.continueFrom !== undefined ? { from: ctx.continueFrom } : {}) });
          const start = ctx.continueFrom !== undefined ? ((await study.trial(ctx.continueFrom))?.budget ?? 0) : 0;
          assert.ok(start < budget, 'a continuation trains more steps than its checkpoint');
          for (let step = start + 1; step <= budget; step++) {
            await ctx.report(step, curve(p as Params, step));
            await new Promise((r) => setImmediate(r));
          }
          return curve(p as Params, budget);
        },
        { trials: 24, concurrency },
      );
      assert.ok(res.stoppedBy === 'budget' || (type.includes('pbt') && res.stoppedBy === 'exhausted'), `stopped by ${res.stoppedBy}`);
      const trials = await study.trials();
      assert.ok(
        seen.some((x) => x.from !== undefined),
        'some trials continued from a checkpoint',
      );
      for (const x of seen) {
        if (x.from === undefined) continue;
        const from = trials[x.from]!;
        assert.ok(from.budget! < x.budget, 'it runs to a larger budget');
        if (!type.includes('pbt')) assert.equal(from.params, trials[x.number]!.params, 'a promotion keeps the params');
        else assert.is(x.budget - from.budget!, 3, 'a PBT step trains `interval` more steps');
      }
      await study.close();
    });
  }
}

for (const type of ['asha', 'hyperband']) {
  test(`createStudy({ searcher: 'tpe', scheduler: { type: '${type}', mode: 'stop' } }): the stop rule prunes through the study's pruner`, async () => {
    const study = await createStudy({
      name: `stop-${type}`,
      space: sp,
      searcher: 'tpe',
      scheduler: { type, mode: 'stop' },
      budget: { min: 1, max: 9 },
      seed: 4,
    });
    await study.optimize(
      async (p, ctx) => {
        assert.is(ctx.budget, 9, 'every configuration gets the full budget');
        let v = NaN;
        for (let step = 1; step <= 9; step++) {
          v = curve(p as Params, step);
          if ((await ctx.report(step, v)) === 'prune') break;
        }
        return v;
      },
      { trials: 30 },
    );
    const trials = await study.trials();
    const pruned = trials.filter((t) => t.state === 'pruned');
    assert.ok(pruned.length >= 5, `${pruned.length} pruned`);
    assert.ok(
      pruned.every((t) => t.reason?.includes(`${type}: not in the top`)),
      pruned.map((t) => t.reason).join('; '),
    );
    assert.ok(
      trials.some((t) => t.state === 'complete' && t.intermediate.length === 9),
      'some ran to the end',
    );
    await study.close();
  });
}

test.run();
