/**
 * Diagnostic pruners on real TF.js training: a small MNIST subset (600 digits), an MLP trained by `runTrial` inside
 * `study.optimize`, each epoch reported as `epochSignals(e)`. A learning rate of 10 (sgd, no clipping) blows up and is pruned
 * before its last epoch, NaN pixels in the data and an objective reporting a NaN val loss are pruned as NaN, and a sane
 * configuration completes. Also checks that the stored reason reaches the leaderboard.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { space } from '../../spaces/index.js';
import { any, diverging, exploding, nanGuard } from '../../src/pruners/index.js';
import { createStudy } from '../../src/study/open.js';
import { loadMnist, runTrial, useBackend } from '../../trials/index.js';
import { epochSignals } from '../../trials/signals.js';
import type { Dataset, TrialConfig } from '../../trials/types.js';

const EPOCHS = 4;
const CASES = ['sane', 'lr10', 'nan_data', 'nan_report'] as const;

function config(lr: number): TrialConfig {
  // ELU rather than the default ReLU: at lr 10 a ReLU MLP does not blow up, its units die (loss stuck at chance).
  return {
    model: { type: 'mlp', units: [64, 32], activation: 'elu' },
    optimizer: { type: 'sgd', lr },
    loss: 'crossentropy',
    epochs: EPOCHS,
    batchSize: 32,
    seed: 3,
  };
}

/** The same data with the first training image's pixels replaced by NaN (a broken preprocessing step). */
function withNaN(data: Dataset): Dataset {
  const x = data.train.x.slice();
  x.fill(NaN, 0, 28 * 28);
  return { ...data, train: { ...data.train, x } };
}

test('real training: lr 10 and NaN trials are pruned with their reasons, a sane trial completes', async () => {
  await useBackend('wasm');
  const data = await loadMnist({ limit: 600, seed: 1 });
  const broken = withNaN(data);
  const study = await createStudy({
    name: 'tfjs-pruners',
    space: { case: space.choice([...CASES]) },
    seed: 1,
    metric: 'valLoss',
    pruner: any([nanGuard(), exploding(), diverging()]),
  });
  for (const c of CASES) await study.enqueue({ case: c });
  await study.optimize(
    async (p, ctx) => {
      const r = await runTrial(config(p.case === 'lr10' ? 10 : 0.1), p.case === 'nan_data' ? broken : data, {
        signal: ctx.signal,
        report: async (e) => {
          const s = epochSignals(e);
          if (p.case === 'nan_report' && e.epoch === 2) s['valLoss'] = NaN;
          return (await ctx.report(e.epoch, s)) === 'prune' ? 'stop' : 'continue';
        },
      });
      return epochSignals(r.history[r.history.length - 1]!);
    },
    { trials: CASES.length },
  );
  const trials = await study.trials();
  const byCase = Object.fromEntries(trials.map((t) => [t.params['case'] as (typeof CASES)[number], t]));
  for (const t of trials)
    console.log(
      `  ${(t.params['case'] as (typeof CASES)[number]).padEnd(10)} ${t.state} after ${t.intermediate.length} epochs${t.reason ? `: ${t.reason}` : ''}`,
    );

  const sane = byCase['sane']!;
  assert.is(sane.state, 'complete');
  assert.is(sane.intermediate.length, EPOCHS);
  assert.ok(sane.intermediate.every((p) => p.metrics?.['nonFinite'] === 0 && Number.isFinite(p.value)));

  const lr10 = byCase['lr10']!;
  assert.is(lr10.state, 'pruned');
  assert.ok(lr10.intermediate.length < EPOCHS, `pruned after ${lr10.intermediate.length} epochs`);
  assert.match(
    lr10.reason ?? '',
    /^(exploding gradients: global norm \S+ at epoch \d|diverging: trainLoss rose|NaN loss at epoch \d|infinite loss at epoch \d|non-finite values at epoch \d)/,
  );

  const nanData = byCase['nan_data']!;
  assert.is(nanData.state, 'pruned');
  assert.is(nanData.intermediate.length, 1);
  assert.match(nanData.reason ?? '', /^NaN loss at epoch 1 \(trainLoss=NaN/);

  const nanReport = byCase['nan_report']!;
  assert.is(nanReport.state, 'pruned');
  assert.is(nanReport.intermediate.length, 2);
  assert.is(nanReport.reason, 'NaN loss at epoch 2 (valLoss=NaN)');

  const board = JSON.stringify(await study.leaderboard());
  assert.ok(board.includes('NaN loss at epoch 2 (valLoss=NaN)'), 'the leaderboard shows the reason');
  await study.close();
});

test.run();
