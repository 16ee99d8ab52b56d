import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../trials/backend.js';
import { loadMnist } from '../../../trials/data/mnist.js';
import { makeLoss } from '../../../trials/losses.js';
import { buildModel } from '../../../trials/models/index.js';
import type { Dataset } from '../../../trials/types.js';
import {
  countSparsity,
  magnitudeMask,
  magnitudeMasks,
  polynomialSparsity,
  prunableKernels,
  prune,
  trainCompact,
} from '../../../src/deploy/compress/index.js';

let data: Dataset;
test.before(async () => {
  await useBackend('wasm');
  data = await loadMnist({ limit: 600, seed: 3 });
});

test('magnitudeMask zeros exactly round(s * n) smallest |w|, ties at the threshold to the lower index', () => {
  const w = Float32Array.from([0.5, -0.1, 0.3, 0.1, -0.9, 0.1, 0.0, 2]);
  // s = 0.5 -> 4 zeros: |w| sorted 0, 0.1, 0.1, 0.1, 0.3... -> index 6 (0), then the 0.1s at indices 1, 3, 5.
  assert.equal([...magnitudeMask(w, 0.5)], [1, 0, 1, 0, 1, 0, 0, 1]);
  // s = 0.3 -> round(2.4) = 2 zeros: index 6, then the first 0.1 tie (index 1).
  assert.equal([...magnitudeMask(w, 0.3)], [1, 0, 1, 1, 1, 1, 0, 1]);
  assert.equal([...magnitudeMask(w, 0)], [1, 1, 1, 1, 1, 1, 1, 1]);
});

test('polynomialSparsity follows s_f + (s_i - s_f)(1 - t/n)^3', () => {
  // n = 4, s_f = 0.8, s_i = 0: t = 1 -> 0.8 - 0.8 * 0.75^3 = 0.8 - 0.3375 = 0.4625; t = 2 -> 0.8 - 0.8 * 0.125 = 0.7;
  // t = 4 -> 0.8.
  assert.ok(Math.abs(polynomialSparsity(1, 4, 0.8) - 0.4625) < 1e-12);
  assert.ok(Math.abs(polynomialSparsity(2, 4, 0.8) - 0.7) < 1e-12);
  assert.is(polynomialSparsity(4, 4, 0.8), 0.8);
  assert.is(polynomialSparsity(0, 4, 0.8, 0.2), 0.2);
});

test('masks re-applied after every optimiser step keep pruned weights at zero while the rest trains', async () => {
  const before = tf.memory().numTensors;
  const { model } = buildModel({ type: 'mlp', units: [32] }, { inputShape: data.inputShape, outputs: 10, seed: 7 });
  const masks = magnitudeMasks(model, 0.6);
  const kernels = prunableKernels(model);
  const zeroAt = kernels.map(({ variable }) =>
    variable
      .read()
      .dataSync()
      .map((v) => (v === 0 ? 1 : 0)),
  );
  const start = kernels.map(({ variable }) => variable.read().dataSync().slice());
  const ce = makeLoss('crossentropy', 'classification');
  await trainCompact(model, data, {
    epochs: 1,
    batchSize: 64,
    optimizer: { type: 'adam', lr: 1e-2 },
    seed: 1,
    loss: (y, out) => ce(y, out),
    afterStep: () => masks.apply(),
  });
  let changed = 0;
  kernels.forEach(({ variable }, k) => {
    const now = variable.read().dataSync();
    for (let i = 0; i < now.length; i++) {
      if (zeroAt[k]![i]) assert.is(now[i], 0, `pruned weight ${i} of kernel ${k} moved`);
      else if (now[i] !== start[k]![i]) changed++;
    }
  });
  assert.ok(changed > 1000, `the unpruned weights should train, ${changed} changed`);
  assert.ok(Math.abs(masks.reached() - 0.6) < 1e-3);
  masks.dispose();
  model.dispose();
  assert.is(tf.memory().numTensors, before);
});

test('prune one-shot: 70% sparsity reached (within 1%) per layer and kept through fine-tuning; caller model untouched', async () => {
  const before = tf.memory().numTensors;
  const { model } = buildModel({ type: 'mlp', units: [32] }, { inputShape: data.inputShape, outputs: 10, seed: 8 });
  const r = await prune(model, data, { sparsity: 0.7, fineTuneEpochs: 2, batchSize: 64, latency: false });
  assert.is(r.mode, 'unstructured');
  assert.ok(Math.abs(r.sparsity - 0.7) < 0.01, `reached ${r.sparsity}`);
  assert.ok(Math.abs(countSparsity(r.model).sparsity - 0.7) < 0.01);
  for (const [layer, s] of Object.entries(r.layerSparsity!)) assert.ok(Math.abs(s - 0.7) < 0.01, `${layer}: ${s}`);
  assert.is(r.fineTune.length, 2);
  assert.ok(r.afterPruning !== undefined);
  // Same shapes (masks, not removal); zeros compress.
  assert.is(r.after.params, r.before.params);
  assert.ok(r.after.gzipBytes < r.before.gzipBytes * 0.6, `${r.after.gzipBytes} vs ${r.before.gzipBytes}`);
  assert.ok(countSparsity(model).sparsity < 0.01, 'the caller model keeps its weights');
  r.model.dispose();
  model.dispose();
  assert.is(tf.memory().numTensors, before);
});

test('prune with a schedule: sparsity rises on the cubic schedule to the target during fine-tuning', async () => {
  const { model } = buildModel({ type: 'mlp', units: [32] }, { inputShape: data.inputShape, outputs: 10, seed: 9 });
  const r = await prune(model, data, { sparsity: 0.8, schedule: { steps: 4 }, fineTuneEpochs: 2, batchSize: 64, latency: false });
  const trace = r.scheduleTrace!;
  // 2 epochs x ceil(420 / 64) = 7 batches = 14 steps; every = floor(14 / 2 / 4) = 1: pruning at steps 0, 1, 2, 3.
  assert.equal(
    trace.map((t) => t.step),
    [0, 1, 2, 3],
  );
  for (let i = 1; i < trace.length; i++) assert.ok(trace[i]!.sparsity > trace[i - 1]!.sparsity);
  assert.ok(Math.abs(trace[0]!.sparsity - 0.4625) < 0.01 && Math.abs(trace.at(-1)!.sparsity - 0.8) < 0.01);
  assert.ok(Math.abs(r.sparsity - 0.8) < 0.01);
  assert.is(r.afterPruning, undefined);
  r.model.dispose();
  model.dispose();
});

test.run();
