import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { useBackend } from '../../../trials/backend.js';
import { buildModel } from '../../../trials/models/index.js';
import type { Dataset, ModelConfig, Split } from '../../../trials/types.js';
import { channelScores, keepIndices, prune, shrinkModel } from '../../../src/deploy/compress/index.js';

test.before(async () => {
  await useBackend('wasm');
});

const rng = seedrandom('structured-test');
const randn = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng() * 2 - 1);

/** A seeded subset of `count` indices out of `n` (not contiguous, so index bookkeeping is exercised). */
function subset(n: number, count: number): Set<number> {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return new Set(idx.slice(0, count));
}

/**
 * Randomises every weight of `model`, then makes the outputs `dead` of the named Dense/Conv2D layers exactly 0 whatever the
 * input: zero kernel slice and bias, and for a following BatchNormalization beta = moving mean = 0 (gamma, variance random),
 * so BN gives 0 and the activation (relu / gelu) gives 0.
 */
function plant(model: tf.LayersModel, dead: Map<string, Set<number>>): void {
  const layers = model.layers;
  layers.forEach((layer, li) => {
    const ws = layer.getWeights();
    if (ws.length === 0) return;
    const values = ws.map((w) => {
      const v = randn(w.size);
      if (layer.getClassName() === 'BatchNormalization') {
        // gamma, beta, mean, variance: variance must be positive.
        return v.map((x) => Math.abs(x) + 0.5);
      }
      return v;
    });
    const own = dead.get(layer.name);
    if (own) {
      const units = ws[0]!.shape.at(-1)!;
      for (const v of values) for (let i = 0; i < v.length; i++) if (own.has(i % units)) v[i] = 0;
    }
    // A BN right after a planted layer: beta (index 1) and moving mean (index 2) zero for the dead channels.
    const prev = layers[li - 1];
    if (layer.getClassName() === 'BatchNormalization' && prev && dead.has(prev.name)) {
      for (const c of dead.get(prev.name)!) {
        values[1]![c] = 0;
        values[2]![c] = 0;
      }
    }
    const tensors = values.map((v, i) => tf.tensor(v, ws[i]!.shape));
    layer.setWeights(tensors);
    tf.dispose(tensors);
  });
}

function maxDiff(a: tf.LayersModel, b: tf.LayersModel, inputShape: number[]): number {
  return tf.tidy(() => {
    const x = tf.tensor(randn(16 * inputShape.reduce((p, q) => p * q, 1)), [16, ...inputShape]);
    const ya = a.predict(x) as tf.Tensor;
    const yb = b.predict(x) as tf.Tensor;
    return tf.max(tf.abs(tf.sub(ya, yb))).dataSync()[0]!;
  });
}

const names = (model: tf.LayersModel, cls: string): string[] => model.layers.filter((l) => l.getClassName() === cls).map((l) => l.name);

test('channel scores and keep indices: L1 / L2 per output, highest kept, ties to the lower index, ascending', () => {
  // Dense kernel [2 in, 3 out] row-major: column j = outputs of unit j. Bias counts too.
  const kernel = Float32Array.from([1, -2, 0, 3, 0, 0]);
  const s1 = channelScores(kernel, 3, Float32Array.from([0, 0, 1]), 'l1'); // |1|+|3|, |-2|+0, 0+0+|1|
  assert.equal([...s1], [4, 2, 1]);
  const s2 = channelScores(kernel, 3, undefined, 'l2'); // sqrt(1 + 9), 2, 0
  assert.ok(Math.abs(s2[0]! - Math.sqrt(10)) < 1e-12 && s2[1] === 2 && s2[2] === 0);
  assert.equal([...keepIndices(Float64Array.from([1, 5, 5, 0, 3]), 3)], [1, 2, 4]);
  assert.equal([...keepIndices(Float64Array.from([2, 2, 2, 2]), 2)], [0, 1]);
});

test('mlp with batch norm: hidden layers halve, the logits keep their 3 outputs, predictions equal when the removed neurons were dead', async () => {
  const before = tf.memory().numTensors;
  const { model } = buildModel({ type: 'mlp', units: [16, 8], batchNorm: true }, { inputShape: [6], outputs: 3, seed: 1 });
  const [d1, d2] = names(model, 'Dense');
  plant(
    model,
    new Map([
      [d1!, subset(16, 8)],
      [d2!, subset(8, 4)],
    ]),
  );
  const out = await shrinkModel(model, 0.5);
  assert.is(out.sparsity, 0.5);
  const widths = Object.fromEntries(out.layers.map((l) => [l.layer, [l.width.before, l.width.after, l.pruned]]));
  assert.equal(widths[d1!], [16, 8, true]);
  assert.equal(widths[d2!], [8, 4, true]);
  assert.equal(widths['logits'], [3, 3, false]);
  const bn = out.layers.filter((l) => l.className === 'BatchNormalization').map((l) => l.shapes.after);
  assert.equal(bn, [
    [[8], [8], [8], [8]],
    [[4], [4], [4], [4]],
  ]);
  // 6*8 (no bias: BN) + 4*8 BN + 8*4 + 4*4 BN + 4*3 + 3 = 48 + 32 + 32 + 16 + 15 = 143
  assert.is(out.model.countParams(), 143);
  assert.ok(out.model.countParams() < model.countParams());
  assert.ok(maxDiff(model, out.model, [6]) < 1e-4, 'same function');
  assert.ok(out.skipped.some((s) => s.layer === 'logits'));
  out.model.dispose();
  model.dispose();
  assert.is(tf.memory().numTensors, before);
});

test('cnn with batch norm and a dense layer: filters and units halve through the Flatten, same predictions', async () => {
  const config: ModelConfig = { type: 'cnn', filters: [4, 6], dense: 8, batchNorm: true };
  const { model } = buildModel(config, { inputShape: [8, 8, 1], outputs: 3, seed: 2 });
  const [c1, c2] = names(model, 'Conv2D');
  const [dense] = names(model, 'Dense');
  plant(
    model,
    new Map([
      [c1!, subset(4, 2)],
      [c2!, subset(6, 3)],
      [dense!, subset(8, 4)],
    ]),
  );
  const out = await shrinkModel(model, 0.5, 'l2');
  const shapes = Object.fromEntries(out.layers.map((l) => [l.layer, l.shapes.after[0]]));
  assert.equal(shapes[c1!], [3, 3, 1, 2]);
  assert.equal(shapes[c2!], [3, 3, 2, 3]);
  // 8x8 -> pool -> 4x4 -> pool -> 2x2, 3 filters: the flattened input shrinks from 2*2*6 = 24 to 12.
  assert.equal(shapes[dense!], [12, 4]);
  assert.equal(shapes['logits'], [4, 3]);
  assert.ok(maxDiff(model, out.model, [8, 8, 1]) < 1e-4, 'same function');
  out.model.dispose();
  model.dispose();
});

test('residual_mlp: only the first Dense of each block shrinks (the Adds fix the rest); attention: only the FFN hidden layer', async () => {
  const { model } = buildModel({ type: 'residual_mlp', blocks: 2, units: 8 }, { inputShape: [5], outputs: 2, seed: 3 });
  const dense = names(model, 'Dense'); // projection, b1.inner, b1.outer, b2.inner, b2.outer, logits
  plant(
    model,
    new Map([
      [dense[1]!, subset(8, 4)],
      [dense[3]!, subset(8, 4)],
    ]),
  );
  const out = await shrinkModel(model, 0.5);
  const pruned = out.layers.filter((l) => l.pruned).map((l) => l.layer);
  assert.equal(pruned, [dense[1], dense[3]]);
  assert.equal(out.skipped.map((s) => s.layer).sort(), [dense[0], dense[2], dense[4], 'logits'].sort());
  assert.match(out.skipped.find((s) => s.layer === dense[0])!.reason, /Add/);
  assert.ok(maxDiff(model, out.model, [5]) < 1e-4);
  out.model.dispose();
  model.dispose();

  const att = buildModel({ type: 'attention', dim: 8, heads: 2, mlpRatio: 2 }, { inputShape: [4], outputs: 2, seed: 4 }).model;
  const hidden = att.layers.find((l) => l.getClassName() === 'Dense' && (l.getConfig().activation as string) === 'gelu')!;
  plant(att, new Map([[hidden.name, subset(16, 8)]]));
  const small = await shrinkModel(att, 0.5);
  assert.equal(
    small.layers.filter((l) => l.pruned).map((l) => [l.layer, l.width.after]),
    [[hidden.name, 8]],
  );
  assert.ok(maxDiff(att, small.model, [4]) < 1e-4);
  small.model.dispose();
  att.dispose();
});

function toyData(n: number, seed: string): Dataset {
  const r = seedrandom(seed);
  const split = (m: number): Split => {
    const x = new Float32Array(m * 6);
    const y = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < 6; j++) x[i * 6 + j] = r() * 2 - 1;
      y[i] = x[i * 6]! + x[i * 6 + 1]! > 0 ? 1 : 0;
    }
    return { x, y, n: m };
  };
  return { name: 'toy', task: 'classification', inputShape: [6], numClasses: 2, train: split(n), val: split(64), test: split(64) };
}

test('prune({ structured: true }) reports smaller params, file size and layer shapes; rejects a schedule', async () => {
  const before = tf.memory().numTensors;
  const data = toyData(256, 'toy');
  const { model } = buildModel({ type: 'mlp', units: [32, 16] }, { inputShape: [6], outputs: 2, seed: 5 });
  const weights = model.getWeights().map((w) => w.dataSync().slice());
  const r = await prune(model, data, { sparsity: 0.5, structured: true, fineTuneEpochs: 1, latency: { runs: 2 } });
  assert.is(r.mode, 'structured');
  assert.is(r.sparsity, 0.5);
  assert.ok(r.after.params < r.before.params && r.after.fileBytes < r.before.fileBytes);
  assert.equal(
    r.model.layers.filter((l) => l.getClassName() === 'Dense').map((l) => l.getConfig().units),
    [16, 8, 2],
  );
  assert.ok(r.after.latencyMs!.batch1 > 0 && r.after.latencyMs!.batch256 > 0);
  assert.is(r.fineTune.length, 1);
  assert.ok(r.afterPruning && Number.isFinite(r.afterPruning.accuracy));
  // The caller's model is untouched.
  model.getWeights().forEach((w, i) => assert.equal(w.dataSync(), weights[i]));
  r.model.dispose();
  await prune(model, data, { sparsity: 0.5, structured: true, schedule: { steps: 3 } }).then(
    () => assert.unreachable('a schedule with structured pruning must be rejected'),
    (err: Error) => assert.match(err.message, /schedule is for unstructured pruning only/),
  );
  await prune(model, data, { sparsity: 1 }).then(
    () => assert.unreachable('sparsity 1 must be rejected'),
    (err: Error) => assert.match(err.message, /prune\.sparsity must be a finite number in \[0, 1\)/),
  );
  model.dispose();
  assert.is(tf.memory().numTensors, before);
});

test.run();
