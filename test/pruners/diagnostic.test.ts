/**
 * Diagnostic pruners on scripted per-epoch signals: each prunes the broken curve it is for (at the right epoch, with the
 * triggering values in the reason) and spares healthy and borderline ones; missing signals never prune; metric names are
 * configurable. Also `epochSignals`, which produces those signals from an EpochReport.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diverging, exploding, nanGuard, overfitting, plateau, vanishing } from '../../src/pruners/index.js';
import { epochSignals } from '../../trials/signals.js';
import type { EpochReport } from '../../trials/types.js';
import { prunedWith, replay, sig, type Report } from './helpers.js';

const healthy: Report[] = [1, 2, 3, 4, 5, 6].map((e) => sig(e));
/** Signals with one field scripted along the epochs (epoch numbers start at 1, steps at 0). */
const along = (field: string, values: readonly number[], extra: (i: number) => Record<string, number> = () => ({})): Report[] =>
  values.map((v, i) => sig(i + 1, { [field]: v, ...extra(i) }));

test('every diagnostic spares a healthy run (falling losses, steady gradients)', async () => {
  for (const p of [nanGuard(), exploding(), vanishing(), diverging(), overfitting(), plateau()]) {
    assert.is(prunedWith(await replay(p, healthy)), undefined, p.type);
  }
});

test('nanGuard: NaN/Inf loss, the nonFinite flag or a non-finite objective prune at once', async () => {
  const nanVal = await replay(nanGuard(), [sig(1), sig(2), sig(3, { valLoss: NaN }), sig(4)]);
  assert.is(nanVal.length, 3);
  assert.is(prunedWith(nanVal), 'NaN loss at epoch 3 (valLoss=NaN)');
  assert.is(
    prunedWith(await replay(nanGuard(), [sig(1), sig(2, { trainLoss: Infinity })])),
    'infinite loss at epoch 2 (trainLoss=Infinity)',
  );
  const flagged = await replay(nanGuard(), [sig(1), sig(2, { nonFinite: 1, gradNorm: Infinity })]);
  assert.is(prunedWith(flagged), 'non-finite values at epoch 2 (nonFinite=1, gradNorm=Infinity)');
  // Plain-number objectives: the value itself (steps, no epoch metric).
  assert.is(prunedWith(await replay(nanGuard(), [1, NaN])), 'NaN objective value at step 1 (value=NaN)');
  assert.is(prunedWith(await replay(nanGuard({ objective: false }), [1, NaN])), undefined);
  // Configurable names: a custom loss metric; the default names are then not checked.
  const custom = [
    { loss: 1, acc: 0.5 },
    { loss: NaN, acc: 0.5 },
  ];
  assert.is(
    prunedWith(await replay(nanGuard({ losses: ['loss'], objective: false }), custom, { metric: 'acc' })),
    'NaN loss at step 1 (loss=NaN)',
  );
  assert.is(
    prunedWith(
      await replay(nanGuard({ losses: ['trainLoss'], flag: 'bad' }), [sig(1, { valLoss: NaN, nonFinite: 1 })], { metric: 'valAccuracy' }),
    ),
    undefined,
  );
});

test('exploding: a norm above maxNorm or a growth spike prunes, with the norm and growth in the reason', async () => {
  const spike = await replay(exploding(), along('gradNorm', [1, 3, 3.1e4, 5]));
  assert.is(spike.length, 3);
  assert.is(
    prunedWith(spike),
    'exploding gradients: global norm 3.1e4 at epoch 3, x3.1e4 in 2 epochs (above maxNorm 1000; growth over x100)',
  );
  const growth = await replay(exploding(), along('gradNorm', [0.5, 2, 60]));
  assert.is(prunedWith(growth), 'exploding gradients: global norm 60 at epoch 3, x120 in 2 epochs (growth over x100)');
  assert.is(
    prunedWith(await replay(exploding(), along('gradNorm', [2000]))),
    'exploding gradients: global norm 2000 at epoch 1 (above maxNorm 1000)',
  );
  assert.match(prunedWith(await replay(exploding(), along('gradNorm', [1, Infinity]))) ?? '', /global norm Infinity at epoch 2/);
  // Steady x5 growth per epoch stays under x100 within a 2-epoch window; a 3-epoch window catches x120.
  const steady = along('gradNorm', [1, 5, 25, 125, 625]);
  assert.is(prunedWith(await replay(exploding({ maxNorm: 1e4 }), steady)), undefined);
  assert.is(
    prunedWith(await replay(exploding({ maxNorm: 1e4, window: 3 }), steady)),
    'exploding gradients: global norm 125 at epoch 4, x125 in 3 epochs (growth over x100)',
  );
  assert.is(
    prunedWith(await replay(exploding({ maxNorm: 1e4 }), along('gradNorm', [1, 5000]))),
    'exploding gradients: global norm 5000 at epoch 2, x5000 in 1 epoch (growth over x100)',
  );
});

test('exploding: NaN norms are left to nanGuard; other metric names are configurable', async () => {
  assert.is(prunedWith(await replay(exploding(), along('gradNorm', [1, NaN, 2]))), undefined);
  const custom = await replay(exploding({ metric: 'gradNormMean', maxNorm: 10 }), along('gradNormMean', [1, 11]));
  assert.is(prunedWith(custom), 'exploding gradients: gradNormMean 11 at epoch 2, x11 in 1 epoch (above maxNorm 10)');
  assert.is(prunedWith(await replay(exploding(), [1, 2, 3])), undefined, 'no metrics: never prunes');
});

test('vanishing: a norm below minNorm for `patience` epochs in a row', async () => {
  const dead = await replay(vanishing(), along('gradNorm', [1e-3, 1e-8, 1e-9, 1e-9]));
  assert.is(dead.length, 3);
  assert.is(prunedWith(dead), 'vanishing gradients: global norm 1e-9 at epoch 3, below minNorm 1e-7 for 2 epochs (1e-8 -> 1e-9)');
  assert.is(prunedWith(await replay(vanishing(), along('gradNorm', [1e-8, 1e-3, 1e-8, 1e-2]))), undefined);
  assert.is((await replay(vanishing({ patience: 1, minNorm: 1e-2 }), along('gradNorm', [1, 1e-3]))).length, 2);
  assert.is(
    prunedWith(await replay(vanishing(), along('gradNorm', [0, 0]))),
    'vanishing gradients: global norm 0 at epoch 2, below minNorm 1e-7 for 2 epochs (0 -> 0)',
  );
});

test('diverging: the loss rising `epochs` times in a row', async () => {
  const up = await replay(diverging(), along('trainLoss', [1, 0.8, 0.9, 1.2, 2.3, 5]));
  assert.is(up.length, 5);
  assert.is(prunedWith(up), 'diverging: trainLoss rose 3 epochs in a row to 2.3 at epoch 5 (0.8 -> 0.9 -> 1.2 -> 2.3)');
  assert.is(prunedWith(await replay(diverging(), along('trainLoss', [1, 1.1, 1.0, 1.2, 1.1, 1.3]))), undefined, 'noisy');
  assert.is(
    prunedWith(await replay(diverging({ minDelta: 0.2 }), along('trainLoss', [1, 0.8, 0.9, 1.2, 2.3]))),
    undefined,
    'first rise 0.1 < minDelta',
  );
  assert.is((await replay(diverging({ epochs: 1, metric: 'valLoss' }), along('valLoss', [1, 2]))).length, 2);
  assert.match(prunedWith(await replay(diverging({ epochs: 2 }), along('trainLoss', [1, 2, Infinity]))) ?? '', /to Infinity at epoch 3/);
});

test('overfitting: val loss rising while train loss falls, gap over tolerance', async () => {
  const train = [1, 0.7, 0.5, 0.4, 0.3];
  const over = along('valLoss', [1.1, 0.8, 0.85, 0.9, 0.95], (i) => ({ trainLoss: train[i]! }));
  const d = await replay(overfitting(), over);
  assert.is(d.length, 4);
  assert.is(
    prunedWith(d),
    'overfitting: valLoss rose 2 epochs in a row (0.8 -> 0.85 -> 0.9) while trainLoss fell (0.7 -> 0.5 -> 0.4); gap 0.5 > tolerance 0.1 at epoch 4',
  );
  assert.is(
    prunedWith(await replay(overfitting({ tolerance: 0.7 }), over)),
    undefined,
    'gaps 0.5 (epoch 4) and 0.65 (epoch 5) are not over 0.7',
  );
  // Val rising with the train loss also rising is divergence, not overfitting; a small gap is tolerated.
  const both = along('valLoss', [1, 1.1, 1.2, 1.3], (i) => ({ trainLoss: 0.9 + 0.1 * i }));
  assert.is(prunedWith(await replay(overfitting(), both)), undefined);
  const small = along('valLoss', [0.7, 0.75, 0.78, 0.79], (i) => ({ trainLoss: 1 - 0.1 * i }));
  assert.is(prunedWith(await replay(overfitting(), small)), undefined);
  const rel = await replay(overfitting({ relative: true, tolerance: 1.5 }), over);
  assert.is(
    prunedWith(rel),
    'overfitting: valLoss rose 2 epochs in a row (0.85 -> 0.9 -> 0.95) while trainLoss fell (0.5 -> 0.4 -> 0.3); relative gap 2.167 > tolerance 1.5 at epoch 5',
  );
});

test('plateau: no improvement of the objective for `patience` reports, direction aware', async () => {
  const flat = [1, 0.8, 0.81, 0.8, 0.82, 0.7];
  const d = await replay(plateau(), flat);
  assert.is(d.length, 5);
  assert.is(
    prunedWith(d),
    'plateau: no improvement of the objective for 3 steps (steps 2-4: 0.81, 0.8, 0.82; best 0.8 at step 1; minimize, minDelta 0)',
  );
  assert.is(prunedWith(await replay(plateau(), [1, 0.9, 0.8, 0.7, 0.6, 0.5])), undefined);
  assert.is(
    prunedWith(await replay(plateau({ patience: 2, minDelta: 0.05 }), [1, 0.97, 0.96, 0.9])),
    'plateau: no improvement of the objective for 2 steps (steps 1-2: 0.97, 0.96; best 1 at step 0; minimize, minDelta 0.05)',
  );
  assert.is((await replay(plateau(), flat, { direction: 'maximize' })).length, 4, 'maximize: nothing beats 1');
  const withEpochs = await replay(plateau({ patience: 2 }), along('valLoss', [1, 0.5, 0.6, 0.55]));
  assert.match(prunedWith(withEpochs) ?? '', /for 2 epochs \(epochs 3-4: 0.6, 0.55; best 0.5 at epoch 2/);
});

test('bad options are TypeErrors naming the pruner and option', () => {
  assert.throws(
    () => exploding({ maxNorm: -1 }),
    (e: Error) => e instanceof TypeError && /option "maxNorm" of pruner "exploding" must be a finite number > 0, got -1/.test(e.message),
  );
  assert.throws(
    () => exploding({ growth: 0.5 }),
    /option "growth" of pruner "exploding" must be a finite number in \[1, Infinity\], got 0.5/,
  );
  assert.throws(() => vanishing({ patience: 0 }), /option "patience" of pruner "vanishing" must be an integer in \[1, /);
  assert.throws(
    () => diverging({ epoch: 3 } as never),
    /unknown option "epoch" for pruner "diverging"; known options: epochs, metric, minDelta/,
  );
  assert.throws(
    () => nanGuard({ losses: 'valLoss' as never }),
    /option "losses" of pruner "nan_guard" must be an array of non-empty strings/,
  );
  assert.throws(() => overfitting({ val: '' }), /option "val" of pruner "overfitting" must be a non-empty string/);
  assert.throws(() => plateau({ minDelta: -0.1 }), /option "minDelta" of pruner "plateau" must be a finite number in \[0, Infinity\]/);
});

test('epochSignals flattens an EpochReport: val metrics, losses, lr, grad norms, nonFinite as 1/0', () => {
  const e: EpochReport = {
    epoch: 3,
    trainLoss: 0.5,
    valLoss: 0.6,
    metrics: { valAccuracy: 0.8, valF1Macro: 0.75 },
    lr: 0.01,
    gradNorm: { mean: 1.5, max: 4 },
    layerGradNorms: { dense1: 3, dense2: 4 },
    layerWeightNorms: { dense1: 3, dense2: 4 },
    nonFinite: false,
    samplesPerSec: 1000,
    epochMs: 20,
    liveTensors: 10,
  };
  assert.equal(epochSignals(e), {
    epoch: 3,
    valAccuracy: 0.8,
    valF1Macro: 0.75,
    trainLoss: 0.5,
    valLoss: 0.6,
    lr: 0.01,
    gradNorm: 4,
    gradNormMean: 1.5,
    layerGradNormMax: 4,
    weightNorm: 5,
    nonFinite: 0,
    samplesPerSec: 1000,
  });
  const bad = epochSignals({ ...e, valLoss: NaN, nonFinite: true, layerGradNorms: { a: 1, b: NaN }, layerWeightNorms: {} });
  assert.is(bad['nonFinite'], 1);
  assert.ok(Number.isNaN(bad['valLoss']) && Number.isNaN(bad['layerGradNormMax']));
  assert.not.ok('weightNorm' in bad);
  assert.ok(Object.values(bad).every((v) => typeof v === 'number'));
});

test.run();
