/**
 * Pruners hold no state: a study on file storage that is closed halfway and reopened (a restart) prunes exactly the trials an
 * uninterrupted one prunes, with the same reasons; and every stored decision is recomputed identically from the reloaded
 * records (NaN metrics included, which the file storage encodes as strings).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { space } from '../../spaces/index.js';
import { createPruner, type PrunerSpec } from '../../src/pruners/index.js';
import { FileStorage } from '../../src/storage/index.js';
import { createStudy } from '../../src/study/open.js';
import type { Metrics, TrialRecord } from '../../src/core/types.js';
import { sig } from './helpers.js';

const SPEC: PrunerSpec = { type: 'any', of: ['nan_guard', { type: 'median', startupTrials: 2 }, 'exploding', 'diverging'] };
const TRIALS = 10;
const EPOCHS = 5;

/** How much worse than the best curve each trial is: the median pruner catches the clearly worse ones. */
const OFFSETS = [0, 0.1, 0.05, 0.15, 0.02, 0, 0.12, 0, 0.03, 0.2];

/** Scripted per-epoch signals of trial `n`: mostly healthy curves of varying quality, some broken. */
function curve(n: number): Metrics[] {
  return Array.from({ length: EPOCHS }, (_, i) => {
    const e = i + 1;
    const valLoss = 1 / e + (OFFSETS[n] ?? 0);
    if (n === 5 && e === 3) return sig(e, { valLoss: NaN, nonFinite: 1 });
    if (n === 7 && e === 2) return sig(e, { valLoss, gradNorm: 5000 });
    return sig(e, { valLoss });
  });
}

async function sweep(file: string, from: number, to: number): Promise<void> {
  const study = await createStudy({
    name: 'restart',
    space: { x: space.float(0, 1) },
    seed: 3,
    storage: file,
    loadIfExists: true,
    metric: 'valLoss',
    pruner: createPruner(SPEC), // a fresh pruner after every (re)start
  });
  try {
    assert.is((await study.trials()).length, from);
    await study.optimize(
      async (_p, ctx) => {
        const c = curve(ctx.number);
        for (let i = 0; i < c.length; i++) if ((await ctx.report(i, c[i]!)) === 'prune') return c[i]!;
        return c[c.length - 1]!;
      },
      { trials: to },
    );
  } finally {
    await study.close();
  }
}

async function stored(file: string): Promise<readonly TrialRecord[]> {
  const s = await FileStorage.openReadOnly(file);
  try {
    return await s.getTrials('restart');
  } finally {
    await s.close();
  }
}

const outcome = (t: TrialRecord) => ({ number: t.number, state: t.state, reason: t.reason, steps: t.intermediate.length });

test('a restarted study prunes the same trials with the same reasons as an uninterrupted one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-pruners-'));
  try {
    const straight = path.join(dir, 'straight.json');
    const restarted = path.join(dir, 'restarted.json');
    await sweep(straight, 0, TRIALS);
    await sweep(restarted, 0, 4);
    await sweep(restarted, 4, TRIALS);
    const a = await stored(straight);
    const b = await stored(restarted);
    assert.equal(b.map(outcome), a.map(outcome));
    const pruned = a.filter((t) => t.state === 'pruned');
    // The scripted breakages and some below-median trials are pruned, the rest complete.
    assert.ok(pruned.length >= 3 && pruned.length < TRIALS, `pruned ${pruned.map((t) => t.number).join(',')}`);
    assert.is(a[5]?.reason, 'NaN loss at epoch 3 (valLoss=NaN)');
    assert.match(a[7]?.reason ?? '', /^exploding gradients: global norm 5000 at epoch 2, x2500 in 1 epoch/);
    assert.ok(
      pruned.some((t) => t.reason?.startsWith('median: ')),
      'median pruned something',
    );
    assert.ok(
      a.some((t) => t.state === 'complete' && t.number >= 2),
      'later trials complete too',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every decision is recomputed identically from the reloaded records', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-pruners-'));
  try {
    const file = path.join(dir, 'study.json');
    await sweep(file, 0, TRIALS);
    const trials = await stored(file);
    const pruner = createPruner(SPEC);
    for (const t of trials) {
      // Sequential sweep: when trial n ran, trials before it had finished and later ones did not exist.
      const before = trials.slice(0, t.number);
      let decided: string | undefined;
      for (const p of t.intermediate) {
        const running: TrialRecord = { ...t, state: 'running', intermediate: t.intermediate.filter((q) => q.step <= p.step) };
        const d = await pruner.decide({
          trial: running,
          step: p.step,
          trials: [...before, running],
          direction: 'minimize',
          ...(p.metrics ? { metrics: p.metrics } : {}),
        });
        assert.is(decided, undefined, `trial ${t.number} reported after a prune decision`);
        if (d.action === 'prune') decided = d.reason;
      }
      assert.is(decided, t.state === 'pruned' ? t.reason : undefined, `trial ${t.number}`);
    }
    assert.ok(Number.isNaN(trials[5]?.intermediate[2]?.metrics?.['valLoss']), 'NaN survives the file round trip');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
