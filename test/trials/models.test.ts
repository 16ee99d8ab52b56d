import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { buildModel, LayerNorm, MODEL_TYPES, MultiHeadSelfAttention } from '../../trials/models/index.js';
import { dropoutMask } from '../../trials/models/layers.js';
import type { ModelConfig, ModelSpec } from '../../trials/types.js';

test.before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const IMAGE: ModelSpec = { inputShape: [28, 28, 1], outputs: 10, seed: 1 };
const TABULAR: ModelSpec = { inputShape: [8], outputs: 3, seed: 1 };

const CONFIGS: Record<string, ModelConfig> = {
  mlp: { type: 'mlp', units: [6, 5], activation: 'gelu', batchNorm: true },
  residual_mlp: { type: 'residual_mlp', blocks: 2, units: 6, activation: 'swish', batchNorm: true },
  cnn: { type: 'cnn', filters: [3, 4], batchNorm: true, dense: 5 },
  attention: { type: 'attention', dim: 8, heads: 2, layers: 1, patch: 7 },
};

/** Seeded random inputs and one-hot labels. */
function batch(spec: ModelSpec, n: number, seed: number): { x: tf.Tensor; y: tf.Tensor2D } {
  const rng = seedrandom(`data:${seed}`);
  const size = spec.inputShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n * size }, () => rng() * 2 - 1);
  const labels = Int32Array.from({ length: n }, () => Math.floor(rng() * spec.outputs));
  return { x: tf.tensor(x, [n, ...spec.inputShape]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), spec.outputs).toFloat() as tf.Tensor2D };
}

/** Just the inputs of `batch` (labels disposed). */
function inputs(spec: ModelSpec, n: number, seed: number): tf.Tensor {
  const { x, y } = batch(spec, n, seed);
  y.dispose();
  return x;
}

function lossOf(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor2D): tf.Scalar {
  const out = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
  const outs = Array.isArray(out) ? out : [out];
  return outs.map((o) => tf.losses.softmaxCrossEntropy(y, o as tf.Tensor2D)).reduce((a, b) => tf.add(a, b)) as tf.Scalar;
}

/**
 * A few full-batch SGD steps through `tf.variableGrads` (as the trial loop does). Checks every trainable weight gets a finite,
 * non-zero gradient and that no step leaks tensors; returns the losses.
 */
function train(model: tf.LayersModel, spec: ModelSpec, steps: number): number[] {
  const { x, y } = batch(spec, 8, 7);
  const opt = tf.train.sgd(0.05);
  // LayerVariable.read() is typed as Tensor but returns the backing tf.Variable.
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const losses: number[] = [];
  let before = -1;
  for (let s = 0; s < steps; s++) {
    const { value, grads } = tf.variableGrads(() => lossOf(model, x, y), vars);
    losses.push(value.dataSync()[0]);
    if (s === 0) {
      for (const v of vars) {
        const g = grads[v.name];
        assert.ok(g, `gradient for ${v.name}`);
        const a = g.abs().dataSync();
        assert.ok(a.every(Number.isFinite), `finite gradient for ${v.name}`);
        assert.ok(Math.max(...a) > 0, `non-zero gradient for ${v.name}`);
      }
    }
    opt.applyGradients(grads);
    tf.dispose([value, grads]);
    if (before >= 0) assert.is(tf.memory().numTensors, before, `no tensors leaked by step ${s}`);
    before = tf.memory().numTensors;
  }
  tf.dispose([x, y]);
  opt.dispose();
  return losses;
}

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

for (const [name, config] of Object.entries(CONFIGS)) {
  test(`${name}: image [28,28,1] -> 10 logits, trains`, () => {
    const { model, paramCount } = buildModel(config, IMAGE);
    assert.is(paramCount, model.countParams());
    assert.ok(paramCount > 0);
    const x = inputs(IMAGE, 2, 1);
    const out = model.predict(x) as tf.Tensor;
    assert.equal(out.shape, [2, 10]);
    const losses = train(model, IMAGE, 4);
    assert.ok(losses[losses.length - 1] < losses[0], `loss decreases: ${losses.join(' -> ')}`);
    tf.dispose([x, out]);
    model.dispose();
  });

  if (name !== 'cnn') {
    test(`${name}: tabular [8] -> 3 logits, trains`, () => {
      const { model } = buildModel(config, TABULAR);
      const x = inputs(TABULAR, 3, 2);
      const out = model.predict(x) as tf.Tensor;
      assert.equal(out.shape, [3, 3]);
      const losses = train(model, TABULAR, 4);
      assert.ok(losses[losses.length - 1] < losses[0], `loss decreases: ${losses.join(' -> ')}`);
      tf.dispose([x, out]);
      model.dispose();
    });
  }

  test(`${name}: same seed -> same initial weights, other seed -> different`, () => {
    const spec = name === 'cnn' ? IMAGE : TABULAR;
    const a = buildModel(config, { ...spec, seed: 5 }).model;
    const b = buildModel(config, { ...spec, seed: 5 }).model;
    const c = buildModel(config, { ...spec, seed: 6 }).model;
    const [wa, wb, wc] = [weightsOf(a), weightsOf(b), weightsOf(c)];
    assert.is(wa.length, wb.length);
    wa.forEach((w, i) => assert.equal(Array.from(w), Array.from(wb[i]), `weight ${i} equal for equal seeds`));
    const differs = wa.filter((w, i) => w.some((v, j) => v !== wc[i][j])).length;
    // Every seeded kernel differs; constant-initialised ones (biases, BN, LN) are equal for any seed.
    assert.ok(differs >= 2, `${differs} weights differ for a different seed`);
    [a, b, c].forEach((m) => m.dispose());
  });

  test(`${name}: build + predict + dispose leaks no tensors`, () => {
    const spec = name === 'cnn' ? IMAGE : TABULAR;
    const x = inputs(spec, 2, 3);
    const baseline = tf.memory().numTensors;
    const { model } = buildModel({ ...config, dropout: 0.2 } as ModelConfig, spec);
    tf.dispose(model.predict(x) as tf.Tensor);
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
    model.dispose();
    assert.is(tf.memory().numTensors, baseline);
    x.dispose();
  });
}

test('mlp paramCount matches a hand count', () => {
  const spec: ModelSpec = { inputShape: [4], outputs: 3, seed: 0 };
  assert.is(buildModel({ type: 'mlp', units: 8 }, spec).paramCount, 4 * 8 + 8 + (8 * 3 + 3));
  // units repeated depth times
  assert.is(buildModel({ type: 'mlp', units: 8, depth: 2 }, spec).paramCount, 4 * 8 + 8 + (8 * 8 + 8) + (8 * 3 + 3));
  // batch norm: dense loses its bias, BN adds gamma, beta, moving mean and variance
  assert.is(buildModel({ type: 'mlp', units: [8], batchNorm: true }, spec).paramCount, 4 * 8 + 4 * 8 + (8 * 3 + 3));
  // aux head: a second 8 -> 3 dense
  assert.is(buildModel({ type: 'mlp', units: 8 }, { ...spec, auxHead: true }).paramCount, 4 * 8 + 8 + 2 * (8 * 3 + 3));
});

test('auxHead gives two outputs [logits, aux] of the same width, both trainable', () => {
  for (const config of [CONFIGS.mlp, CONFIGS.attention]) {
    const spec = { ...TABULAR, auxHead: true };
    const { model } = buildModel(config, spec);
    assert.equal(model.outputNames.length, 2);
    const x = inputs(spec, 2, 4);
    const outs = model.predict(x) as tf.Tensor[];
    assert.ok(Array.isArray(outs));
    assert.equal(
      outs.map((o) => o.shape),
      [
        [2, 3],
        [2, 3],
      ],
    );
    assert.not.equal(Array.from(outs[0].dataSync()), Array.from(outs[1].dataSync()));
    train(model, spec, 2);
    tf.dispose([x, ...outs]);
    model.dispose();
  }
});

test('cnn on tabular data fails with a clear error', () => {
  assert.throws(() => buildModel(CONFIGS.cnn, TABULAR), /tabular.*use "mlp", "residual_mlp" or "attention"/);
});

test('invalid configs fail up front with the field named', () => {
  assert.throws(
    () => buildModel({ type: 'transformer' } as unknown as ModelConfig, TABULAR),
    (e: Error) => MODEL_TYPES.every((t) => e.message.includes(t)) && e.message.includes('transformer'),
  );
  assert.throws(() => buildModel({ type: 'mlp', units: 0 }, TABULAR), /model\.units must be a positive integer/);
  assert.throws(() => buildModel({ type: 'mlp', units: [4, -1] }, TABULAR), /model\.units\[1\]/);
  assert.throws(() => buildModel({ type: 'mlp', units: 4, dropout: 1 }, TABULAR), /model\.dropout.*\[0, 1\)/);
  assert.throws(() => buildModel({ type: 'residual_mlp', blocks: 1, units: 4, dropout: -0.1 }, TABULAR), /model\.dropout/);
  assert.throws(() => buildModel({ type: 'cnn', blocks: [{ filters: 4, pool: 'min' as 'max' }] }, IMAGE), /model\.blocks\[0\]\.pool/);
  assert.throws(() => buildModel({ type: 'attention', dim: 10, heads: 3 }, TABULAR), /dim % heads === 0.*dim=10, heads=3/);
  assert.throws(() => buildModel({ type: 'attention', dim: 8, heads: 2, patch: 5 }, IMAGE), /patch=5.*28x28/);
  assert.throws(() => buildModel({ type: 'mlp', units: 4 }, { ...TABULAR, outputs: 0 }), /spec\.outputs/);
});

test('attention: 28x28 with patch 7 gives 16 tokens; default patch is 7 too', () => {
  for (const patch of [7, undefined]) {
    const { model } = buildModel({ type: 'attention', dim: 4, heads: 2, patch }, IMAGE);
    const mhsa = model.layers.find((l) => l instanceof MultiHeadSelfAttention);
    assert.ok(mhsa);
    assert.equal(mhsa.outputShape, [null, 16, 4]);
    model.dispose();
  }
});

test('attention patch embedding groups each patch into one token, row-major', () => {
  // 4x6 two-channel image, patch 2 -> 2x3 = 6 tokens of 2*2*2 values. Pixel value = its patch index, so every value of token t
  // must equal t if the reshape/permute cuts real patches in row-major order.
  const spec: ModelSpec = { inputShape: [4, 6, 2], outputs: 2, seed: 0 };
  const { model } = buildModel({ type: 'attention', dim: 4, heads: 1, patch: 2 }, spec);
  const flat = model.layers.filter((l) => l.getClassName() === 'Reshape')[1];
  const patcher = tf.model({ inputs: model.inputs, outputs: flat.output as tf.SymbolicTensor });
  const img = Float32Array.from({ length: 4 * 6 * 2 }, (_, i) => {
    const [row, col] = [Math.floor(i / 12), Math.floor((i % 12) / 2)];
    return Math.floor(row / 2) * 3 + Math.floor(col / 2);
  });
  const x = tf.tensor(img, [1, 4, 6, 2]);
  const tokens = patcher.predict(x) as tf.Tensor;
  assert.equal(tokens.shape, [1, 6, 8]);
  const rows = tokens.arraySync() as number[][][];
  rows[0].forEach((token, t) =>
    assert.ok(
      token.every((v) => v === t),
      `token ${t}: ${token.join(',')}`,
    ),
  );
  tf.dispose([x, tokens]);
  model.dispose();
});

test('LayerNorm matches tf.layers.layerNormalization and normalises the last axis', () => {
  const input = tf.input({ shape: [3, 6] });
  const ours = tf.model({ inputs: input, outputs: new LayerNorm({ epsilon: 1e-3 }).apply(input) as tf.SymbolicTensor });
  const theirs = tf.model({ inputs: input, outputs: tf.layers.layerNormalization({ epsilon: 1e-3 }).apply(input) as tf.SymbolicTensor });
  const rng = seedrandom('ln');
  const x = tf.tensor3d(
    Float32Array.from({ length: 2 * 3 * 6 }, () => rng() * 4 - 1),
    [2, 3, 6],
  );
  const a = ours.predict(x) as tf.Tensor;
  const b = theirs.predict(x) as tf.Tensor;
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]) < 1e-5);
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.mean(a, -1))).dataSync()[0]) < 1e-5);
  tf.dispose([x, a, b]);
  ours.dispose();
  theirs.dispose();
});

test('MultiHeadSelfAttention: shape, permutation equivariance, mixes tokens, validates heads', () => {
  const layer = new MultiHeadSelfAttention({ dim: 8, heads: 2, seed: 3 });
  const input = tf.input({ shape: [5, 8] });
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  assert.equal(layer.computeOutputShape([null, 5, 8]), [null, 5, 8]);
  const rng = seedrandom('mhsa');
  const x = tf.tensor3d(
    Float32Array.from({ length: 2 * 5 * 8 }, () => rng() - 0.5),
    [2, 5, 8],
  );
  tf.tidy(() => {
    const y = model.predict(x) as tf.Tensor;
    assert.equal(y.shape, [2, 5, 8]);
    // Without positions, attention is permutation-equivariant: permuting tokens permutes the output rows the same way.
    const perm = tf.tensor1d([4, 2, 0, 1, 3], 'int32');
    const yPerm = model.predict(tf.gather(x, perm, 1)) as tf.Tensor;
    assert.ok(tf.max(tf.abs(tf.sub(yPerm, tf.gather(y, perm, 1)))).dataSync()[0] < 1e-5);
    // Each output token depends on other tokens: changing token 0 changes output token 3.
    const x2 = tf.concat([tf.zeros([2, 1, 8]), x.slice([0, 1, 0], [2, 4, 8])], 1);
    const y2 = model.predict(x2) as tf.Tensor;
    assert.ok(tf.max(tf.abs(tf.sub(y2.slice([0, 3, 0], [2, 1, 8]), y.slice([0, 3, 0], [2, 1, 8])))).dataSync()[0] > 1e-4);
  });
  x.dispose();
  const config = layer.getConfig();
  assert.is(config['dim'], 8);
  assert.is(config['heads'], 2);
  assert.throws(() => new MultiHeadSelfAttention({ dim: 6, heads: 4, seed: 0 }), /divisible/);
  model.dispose();
});

test('dropout: active only when training, masks differ per step yet repeat for the same seed', () => {
  const config: ModelConfig = { type: 'mlp', units: 16, dropout: 0.5 };
  const run = (): number[][] => {
    const { model } = buildModel(config, TABULAR);
    const x = inputs(TABULAR, 2, 5);
    const outs = [
      model.predict(x) as tf.Tensor,
      model.predict(x) as tf.Tensor,
      model.apply(x, { training: true }) as tf.Tensor,
      model.apply(x, { training: true }) as tf.Tensor,
    ];
    const values = outs.map((t) => Array.from(t.dataSync()));
    tf.dispose([x, ...outs]);
    model.dispose();
    return values;
  };
  const [inferA, inferB, trainA, trainB] = run();
  assert.equal(inferA, inferB);
  assert.not.equal(trainA, inferA);
  assert.not.equal(trainA, trainB);
  const again = run();
  assert.equal(again[2], trainA);
  assert.equal(again[3], trainB);
});

test('dropoutMask: units are 0 or 1/(1-rate), kept at rate 1-rate, independent of their neighbours, fixed by the seed', () => {
  const n = 1_000_000;
  for (const rate of [0.1, 0.3, 0.5]) {
    const keep = 1 - rate;
    const m = dropoutMask(n, rate, [rate * 1000, 2, 3, 4]);
    let kept = 0;
    let keptPairs = 0;
    for (let i = 0; i < n; i++) {
      const v = m[i]!;
      assert.ok(v === 0 || v === Math.fround(1 / keep), `unit ${i} is ${v}`);
      if (v !== 0) kept++;
      if (i > 0 && v !== 0 && m[i - 1] !== 0) keptPairs++;
    }
    // 5 standard deviations of a binomial count: a biased or stuck generator fails, an honest one essentially never does.
    const sd = Math.sqrt(n * keep * (1 - keep));
    assert.ok(Math.abs(kept - n * keep) < 5 * sd, `rate ${rate}: kept ${kept} of ${n}`);
    const pairSd = Math.sqrt((n - 1) * keep * keep * (1 - keep * keep));
    assert.ok(Math.abs(keptPairs - (n - 1) * keep * keep) < 5 * pairSd, `rate ${rate}: ${keptPairs} kept neighbour pairs`);
  }
  assert.equal(dropoutMask(1000, 0.3, [5, 6, 7, 8]), dropoutMask(1000, 0.3, [5, 6, 7, 8]));
  assert.not.equal(dropoutMask(1000, 0.3, [5, 6, 7, 8]), dropoutMask(1000, 0.3, [5, 6, 7, 9]));
  // The all-zero state would emit zeros forever (every unit below the threshold, i.e. kept): it is replaced.
  const zero = dropoutMask(10_000, 0.5, [0, 0, 0, 0]);
  const zeroKept = zero.reduce((k, v) => k + (v !== 0 ? 1 : 0), 0);
  assert.ok(zeroKept > 4500 && zeroKept < 5500, `all-zero seed kept ${zeroKept} of 10000`);
  assert.ok(dropoutMask(10, 0, [1, 2, 3, 4]).every((v) => v === 1));
  assert.throws(() => dropoutMask(10, 1, [1, 2, 3, 4]), /\[0, 1\)/);
});

test.run();
