/**
 * runTrial end to end on the wasm backend with real data (MNIST digits from the `mnist` package, penguins from vega-datasets):
 * accuracy on the full 8,000/2,000 MNIST split, every architecture, tabular classification and regression, report 'stop',
 * abort within one batch, determinism, tensor hygiene over many trials, checkpoint round trip, best-epoch restore, early
 * stopping, clipping, combined loss, feature maps and config validation. Printed figures go to stdout for the record.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildModel, loadMnist, loadModel, loadTabular, makeLoss, runTrial, useBackend, vegaDatasetPath } from '../../trials/index.js';
import { evaluateSplit, scoreSplit, targetsFor } from '../../trials/epoch.js';
import type { Dataset, EpochReport, ModelConfig, TrialConfig } from '../../trials/types.js';

const base: TrialConfig = {
  model: { type: 'mlp', units: [64] },
  optimizer: { type: 'adam', lr: 1e-3 },
  loss: 'crossentropy',
  epochs: 1,
  batchSize: 64,
  seed: 7,
};

let small: Dataset; // 600 digits: 420 train / 90 val / 90 test
test.before(async () => {
  await useBackend('wasm');
  small = await loadMnist({ limit: 600, seed: 1 });
});

const REPORT_NUMBERS = ['epoch', 'trainLoss', 'valLoss', 'lr', 'samplesPerSec', 'epochMs', 'liveTensors'] as const;

function assertComplete(r: EpochReport, what: string): void {
  for (const k of REPORT_NUMBERS) assert.type(r[k], 'number', `${what}: ${k}`);
  assert.ok(Number.isFinite(r.trainLoss) && Number.isFinite(r.valLoss), `${what}: finite losses ${r.trainLoss} ${r.valLoss}`);
  assert.ok(r.gradNorm.mean > 0 && r.gradNorm.max >= r.gradNorm.mean, `${what}: grad norm ${JSON.stringify(r.gradNorm)}`);
  assert.ok(Object.keys(r.layerGradNorms).length > 0, `${what}: layerGradNorms`);
  assert.equal(Object.keys(r.layerGradNorms).sort(), Object.keys(r.layerWeightNorms).sort(), `${what}: same layers`);
  assert.ok(
    Object.values(r.layerWeightNorms).every((v) => v > 0 && Number.isFinite(v)),
    `${what}: weight norms`,
  );
  assert.is(r.nonFinite, false, `${what}: nonFinite`);
  assert.ok(r.samplesPerSec > 0 && r.epochMs > 0, `${what}: timing`);
}

test('MNIST MLP 784-256-128-10, 5 epochs on 8,000/2,000: validation accuracy >= 0.90', async () => {
  const data = await loadMnist({ val: 0.2, test: 0, seed: 0 });
  assert.is(data.train.n, 8000);
  assert.is(data.val.n, 2000);
  const config: TrialConfig = { ...base, model: { type: 'mlp', units: [256, 128] }, epochs: 5, batchSize: 128 };
  const r = await runTrial(config, data);
  for (const e of r.history) {
    console.log(
      `  mnist mlp epoch ${e.epoch}: train ${e.trainLoss.toFixed(4)} val ${e.valLoss.toFixed(4)} acc ${e.metrics['valAccuracy']!.toFixed(4)} ` +
        `f1 ${e.metrics['valF1Macro']!.toFixed(4)} |g| ${e.gradNorm.mean.toFixed(3)}/${e.gradNorm.max.toFixed(3)} ${(e.epochMs / 1000).toFixed(2)} s/epoch`,
    );
  }
  assert.is(r.history.length, 5);
  assert.is(r.stopReason, 'completed');
  assert.is(r.paramCount, 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  assert.equal(r.test, {}, 'empty test split -> no test metrics');
  assert.is(r.confusion, undefined);
  const best = r.history[r.bestEpoch - 1]!;
  assert.ok(best.metrics['valAccuracy']! >= 0.9, `val accuracy ${best.metrics['valAccuracy']}`);
});

test('every architecture trains one epoch with finite losses and a complete report', async () => {
  const models: ModelConfig[] = [
    { type: 'mlp', units: [64, 32], dropout: 0.1, batchNorm: true },
    { type: 'residual_mlp', blocks: 2, units: 32 },
    { type: 'cnn', filters: [8, 16], dense: 32 },
    { type: 'attention', patch: 7, dim: 32, heads: 4 },
  ];
  for (const model of models) {
    const r = await runTrial({ ...base, model }, small);
    assert.is(r.history.length, 1);
    assertComplete(r.history[0]!, model.type);
    assert.ok(Number.isFinite(r.test['loss']) && r.test['accuracy']! >= 0, `${model.type} test ${JSON.stringify(r.test)}`);
    assert.is(
      r.confusion!.flat().reduce((a, b) => a + b, 0),
      small.test.n,
      'confusion counts every test sample',
    );
    const e = r.history[0]!;
    console.log(
      `  ${model.type}: ${r.paramCount} params, val acc ${e.metrics['valAccuracy']!.toFixed(3)}, ${e.samplesPerSec.toFixed(0)} samples/s`,
    );
  }
});

test('tabular: penguins classification (loadTabular) and a hand-made regression', async () => {
  const penguins = await loadTabular({ source: vegaDatasetPath('penguins'), target: 'Species', seed: 0 });
  const c = await runTrial(
    { ...base, model: { type: 'mlp', units: [32] }, optimizer: { type: 'adam', lr: 0.01 }, epochs: 10, batchSize: 32 },
    penguins,
  );
  const acc = c.history[c.bestEpoch - 1]!.metrics['valAccuracy']!;
  console.log(`  penguins species: val acc ${acc.toFixed(3)}, test ${JSON.stringify(c.test)}`);
  assert.ok(acc > 0.8, `penguins val accuracy ${acc}`);
  assert.is(c.confusion!.length, penguins.numClasses);

  // y = 2 x0 - x1 + 0.5 x2 x3 + noise, features ~ N(0, 1)
  const rng = seedrandom('reg');
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const make = (n: number): Dataset['train'] => {
    const x = new Float32Array(n * 4).map(gauss);
    const y = new Float32Array(n).map((_, i) => 2 * x[i * 4]! - x[i * 4 + 1]! + 0.5 * x[i * 4 + 2]! * x[i * 4 + 3]! + 0.1 * gauss());
    return { x, y, n };
  };
  const reg: Dataset = {
    name: 'synthetic',
    task: 'regression',
    inputShape: [4],
    numClasses: 1,
    train: make(400),
    val: make(100),
    test: make(100),
  };
  const r = await runTrial(
    { ...base, model: { type: 'mlp', units: [32, 32] }, loss: 'mse', optimizer: { type: 'adam', lr: 0.01 }, epochs: 15, batchSize: 32 },
    reg,
  );
  const last = r.history.at(-1)!;
  console.log(
    `  regression: val rmse ${last.metrics['valRmse']!.toFixed(3)} r2 ${last.metrics['valR2']!.toFixed(3)}, test ${JSON.stringify(r.test)}`,
  );
  assert.equal(Object.keys(last.metrics).sort(), ['valMae', 'valR2', 'valRmse']);
  assert.ok(r.test['r2']! > 0.8, `test r2 ${r.test['r2']}`);
  assert.is(r.confusion, undefined);
});

test("report answering 'stop' after epoch 1 ends the trial at once", async () => {
  let calls = 0;
  const r = await runTrial({ ...base, epochs: 5 }, small, { report: () => (++calls === 1 ? 'stop' : 'continue') });
  assert.is(calls, 1);
  assert.is(r.history.length, 1);
  assert.is(r.stopReason, 'stopped');
  assert.is(r.bestEpoch, 1);
});

test('abort: stops within one batch, returns the history so far, frees every tensor', async () => {
  const before = tf.memory().numTensors;
  // A signal whose `aborted` turns true on its 6th read: the loop reads it once before each batch, so exactly 5 batches run.
  let reads = 0;
  const counting = {
    get aborted() {
      return ++reads >= 6;
    },
  } as unknown as AbortSignal;
  const r = await runTrial({ ...base, batchSize: 4 }, small, { signal: counting }); // 105 batches per epoch
  assert.is(reads, 6, 'no batch runs after the abort is seen');
  assert.is(r.stopReason, 'aborted');
  assert.equal(r.history, []);
  assert.equal(r.test, {});
  assert.is(tf.memory().numTensors, before);

  // A real AbortController fired from inside report (epoch 1) and one fired by a timer mid-run.
  const ac = new AbortController();
  const r2 = await runTrial({ ...base, epochs: 4 }, small, { signal: ac.signal, report: () => (ac.abort(), 'continue') });
  assert.is(r2.stopReason, 'aborted');
  assert.is(r2.history.length, 1);
  const timer = new AbortController();
  setTimeout(() => timer.abort(), 50);
  const r3 = await runTrial({ ...base, epochs: 500, batchSize: 8 }, small, { signal: timer.signal });
  assert.is(r3.stopReason, 'aborted', 'the loop yields between batches, so a timer can abort it');
  assert.ok(r3.history.length < 500);
  assert.is(tf.memory().numTensors, before);
});

test('determinism: identical config + seed give identical per-epoch numbers (dropout, augmentation, shuffles)', async () => {
  const config: TrialConfig = {
    ...base,
    model: { type: 'mlp', units: [64, 32], dropout: 0.2 },
    augment: { noise: { p: 0.5, std: 0.1 }, affine: { p: 0.5, shift: 0.1, rotate: 10 } },
    epochs: 2,
  };
  const strip = (h: readonly EpochReport[]): unknown => h.map(({ samplesPerSec, epochMs, ...rest }) => rest);
  const a = await runTrial(config, small);
  const b = await runTrial(config, small);
  assert.equal(strip(b.history), strip(a.history));
  assert.equal(b.test, a.test);
  const c = await runTrial({ ...config, seed: 8 }, small);
  assert.not.equal(c.history[0]!.trainLoss, a.history[0]!.trainLoss, 'another seed gives other numbers');
});

test('no tensor leaks: count back to baseline after each trial, flat over 20 trials (RSS printed)', async () => {
  const before = tf.memory().numTensors;
  const rss0 = process.memoryUsage().rss;
  const counts: number[] = [];
  for (let i = 0; i < 20; i++) {
    await runTrial({ ...base, model: { type: 'mlp', units: [32] }, seed: i, batchSize: 128 }, small);
    counts.push(tf.memory().numTensors);
  }
  const rss1 = process.memoryUsage().rss;
  console.log(
    `  20 trials: numTensors ${before} -> ${String(counts.at(-1))}, RSS ${(rss0 / 2 ** 20).toFixed(0)} -> ${(rss1 / 2 ** 20).toFixed(0)} MiB`,
  );
  assert.ok(
    counts.every((n) => n === before),
    `numTensors after each trial: ${counts.join(',')} (baseline ${before})`,
  );
});

test('checkpoint: the saved best model reloads and predicts exactly the reported test metrics', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tunekit-run-'));
  try {
    const r = await runTrial({ ...base, epochs: 2 }, small, { outDir: dir });
    assert.is(r.checkpoint, dir);
    const model = await loadModel(dir);
    const ev = evaluateSplit(
      model,
      makeLoss('crossentropy', 'classification'),
      small.test,
      targetsFor(small.test, 'classification', 10),
      [28, 28, 1],
      10,
      256,
    );
    const scores = scoreSplit('classification', small.test, ev.outputs, 10);
    model.dispose();
    assert.equal({ loss: ev.loss, ...scores.metrics }, r.test);
    assert.equal(scores.confusion, r.confusion);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('early stopping triggers after `patience` epochs and the best epoch weights are restored', async () => {
  // Maximising train loss: it falls every epoch, so epoch 1 stays best and patience 2 stops after epoch 3. Test = val makes the
  // restored model's test loss equal to epoch 1's validation loss exactly.
  const data: Dataset = { ...small, test: small.val };
  const r = await runTrial(
    { ...base, epochs: 10, earlyStopping: { patience: 2 }, objective: { metric: 'trainLoss', direction: 'maximize' } },
    data,
  );
  assert.is(r.stopReason, 'early_stopped');
  assert.is(r.history.length, 3);
  assert.is(r.bestEpoch, 1);
  assert.is(r.test['loss'], r.history[0]!.valLoss);
  assert.is.not(r.history[2]!.valLoss, r.history[0]!.valLoss);
});

test('clipNorm bounds every step; the reported grad norm is the pre-clip norm', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tunekit-clip-'));
  try {
    const lr = 0.5;
    const clipNorm = 0.01;
    const config: TrialConfig = { ...base, optimizer: { type: 'sgd', lr }, clipNorm, batchSize: 128 }; // 4 steps
    const r = await runTrial(config, small, { outDir: dir });
    const after = await loadModel(dir);
    const { model: before } = buildModel(config.model, { inputShape: [28, 28, 1], outputs: 10, seed: config.seed });
    const moved = Math.sqrt(
      after.getWeights().reduce((s, w, i) => s + tf.tidy(() => tf.sum(tf.square(tf.sub(w, before.getWeights()[i]!))).dataSync()[0]!), 0),
    );
    after.dispose();
    before.dispose();
    console.log(
      `  clipNorm ${clipNorm}: weights moved ${moved.toExponential(3)} in 4 SGD steps; reported |g| mean ${r.history[0]!.gradNorm.mean.toFixed(3)}`,
    );
    assert.ok(moved <= 4 * lr * clipNorm * (1 + 1e-3), `moved ${moved} > 4 * lr * clipNorm`);
    assert.ok(r.history[0]!.gradNorm.mean > clipNorm, 'pre-clip norm is reported');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('combined loss adds an aux head; cnn feature maps; NaN divergence is flagged', async () => {
  const plain = await runTrial(base, small);
  const combined = await runTrial({ ...base, loss: { type: 'combined', main: 'crossentropy', alpha: 0.5 } }, small);
  assert.is(combined.paramCount, plain.paramCount + 64 * 10 + 10, 'aux dense head 64 -> 10');
  assert.ok(Number.isFinite(combined.history[0]!.valLoss));

  const cnn = await runTrial({ ...base, model: { type: 'cnn', filters: [4, 8] }, featureMaps: { channels: 2 } }, small);
  const maps = Object.values(cnn.featureMaps!);
  assert.equal(
    maps.map((m) => m.shape),
    [
      [2, 28, 28],
      [2, 14, 14],
    ],
  );
  assert.ok(maps.every((m) => m.data.length === m.shape.reduce((a, b) => a * b, 1) && m.data.every(Number.isFinite)));

  const nan = await runTrial({ ...base, optimizer: { type: 'sgd', lr: 1e12 } }, small);
  assert.is(nan.history[0]!.nonFinite, true);
});

test('config and dataset validation fail fast with the field named, leaving no tensors', async () => {
  const before = tf.memory().numTensors;
  const bad: [Partial<Record<string, unknown>>, RegExp][] = [
    [{ epochs: 0 }, /epochs must be a positive integer/],
    [{ batchSize: 1.5 }, /batchSize must be a positive integer/],
    [{ batchsize: 32 }, /unknown field "batchsize"/],
    [{ clipNorm: -1 }, /clipNorm must be a finite number > 0/],
    [{ earlyStopping: { patience: 0 } }, /earlyStopping.patience/],
    [{ objective: { metric: 'valRmse', direction: 'minimize' } }, /objective.metric must be one of valLoss, trainLoss, valAccuracy/],
    [{ optimizer: { type: 'adam', lr: -1 } }, /optimizer.lr/],
    [{ model: { type: 'mlp', units: [0] } }, /units/],
  ];
  for (const [patch, re] of bad) {
    try {
      await runTrial({ ...base, ...patch } as TrialConfig, small);
      assert.unreachable(`${JSON.stringify(patch)} should be rejected`);
    } catch (err) {
      assert.match((err as Error).message, re);
    }
  }
  const noVal: Dataset = { ...small, val: { x: new Float32Array(0), y: new Float32Array(0), n: 0 } };
  try {
    await runTrial(base, noVal);
    assert.unreachable('an empty validation split is rejected');
  } catch (err) {
    assert.match((err as Error).message, /dataset.val.n must be an integer >= 1/);
  }
  assert.is(tf.memory().numTensors, before);
});

test.run();
