/**
 * The report path reads what changed, not the study (src/study/mirror.ts): with a storage that reads incrementally, reports
 * judged by `median` never read every stored trial, yet a pruner that reads `req.trials` still gets every trial, fresh, and
 * median decides exactly as it does from the full list.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStudy } from '../../src/study/open.js';
import { space } from '../../spaces/index.js';
import { median, type Pruner, type PruneRequest } from '../../src/pruners/index.js';
import { InMemoryStorage } from '../../src/storage/index.js';
import type { TrialRecord } from '../../src/core/types.js';

/** An in-memory storage that counts full reads. */
class CountingStorage extends InMemoryStorage {
  fullReads = 0;
  override getTrials(study: string, states?: Parameters<InMemoryStorage['getTrials']>[1]): Promise<readonly TrialRecord[]> {
    this.fullReads++;
    return super.getTrials(study, states);
  }
}

/** Runs 30 trials of 6 reports each, sequentially through ask/report/tell; returns each trial's stored state and reason. */
async function run(storage: InMemoryStorage, pruner: Pruner): Promise<string[]> {
  const study = await createStudy({ name: 'r', space: { x: space.float(0, 1) }, seed: 5, storage, pruner });
  for (let i = 0; i < 30; i++) {
    const t = await study.ask();
    for (let step = 0; step < 6; step++) if ((await study.report(t.number, step, (t.params.x + 0.1) / (step + 1))) === 'prune') break;
    await study.tell(t.number, t.params.x);
  }
  return (await study.trials()).map((t) => `${t.number} ${t.state} ${t.reason ?? ''}`);
}

test('median reports never read every stored trial when the storage reads incrementally', async () => {
  const storage = new CountingStorage();
  const study = await createStudy({ name: 'r', space: { x: space.float(0, 1) }, seed: 5, storage, pruner: median({ startupTrials: 2 }) });
  const t0 = await study.ask();
  await study.tell(t0.number, 0.5);
  const t = await study.ask();
  const before = storage.fullReads;
  for (let step = 0; step < 20; step++) await study.report(t.number, step, 1);
  assert.is(storage.fullReads - before, 0, 'reports read only what changed');
});

test('median decides exactly as from the full list (storage without incremental reads)', async () => {
  const incremental = await run(new InMemoryStorage(), median({ startupTrials: 3 }));
  class FullOnly extends InMemoryStorage {}
  const full = new FullOnly();
  Object.defineProperty(full, 'getTrialsSince', { value: undefined });
  assert.ok(!('getTrialsSince' in full) || (full as { getTrialsSince?: unknown }).getTrialsSince === undefined);
  const plain = await run(full, median({ startupTrials: 3 }));
  assert.equal(incremental, plain);
  assert.ok(
    incremental.some((s) => s.includes('pruned median:')),
    'some trials were pruned',
  );
});

test('a pruner reading req.trials gets every stored trial as of the report, its own new value included', async () => {
  const seen: { count: number; states: string[]; own: number[] }[] = [];
  const spy: Pruner = {
    type: 'spy',
    decide(req: PruneRequest) {
      seen.push({
        count: req.trials.length,
        states: req.trials.map((t) => t.state),
        own: req.trials[req.trial.number]!.intermediate.map((p) => p.value),
      });
      return { action: 'continue' };
    },
  };
  const study = await createStudy({ name: 'r', space: { x: space.float(0, 1) }, seed: 5, pruner: spy });
  const a = await study.ask();
  const b = await study.ask();
  await study.report(a.number, 0, 0.9);
  await study.tell(b.number, 0.3);
  await study.report(a.number, 1, 0.8);
  assert.equal(seen, [
    { count: 2, states: ['running', 'running'], own: [0.9] },
    { count: 2, states: ['running', 'complete'], own: [0.9, 0.8] },
  ]);
});

test.run();
