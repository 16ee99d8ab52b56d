import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { LayerNorm, MultiHeadSelfAttention, PositionalEmbedding, SeededDropout } from '../../../trials/models/index.js';
import { SUPPORTED_ACTIVATIONS } from '../../../src/deploy/export/activations.js';
import { oneLayer, parity, randomInputs, randomizeWeights, setup } from './helpers.js';

type Sym = tf.SymbolicTensor;
type Body = (x: Sym) => Sym;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

interface Case {
  readonly shape: readonly number[];
  readonly body: Body;
  readonly opset?: number;
  /** Checks on the emitted op list (e.g. a folded batch norm leaves no BatchNormalization node). */
  readonly ops?: (ops: readonly string[]) => void;
}

const conv = (cfg: Partial<Parameters<typeof tf.layers.conv2d>[0]> = {}): tf.layers.Layer =>
  tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', ...cfg });
const has = (op: string) => (ops: readonly string[]) => assert.ok(ops.includes(op), `expected a ${op} node in ${ops.join(',')}`);
const lacks = (op: string) => (ops: readonly string[]) => assert.not.ok(ops.includes(op), `expected no ${op} node in ${ops.join(',')}`);
const count = (op: string, n: number) => (ops: readonly string[]) =>
  assert.is(ops.filter((o) => o === op).length, n, `${op} count in ${ops.join(',')}`);
const branches =
  (merge: tf.layers.Layer): Body =>
  (x) =>
    apply(merge, [apply(tf.layers.dense({ units: 5 }), x), apply(tf.layers.dense({ units: 5, activation: 'tanh' }), x)]);

const CASES: Record<string, Case> = {
  'dense on rank 3 (MatMul + Add)': { shape: [4, 6], body: (x) => apply(tf.layers.dense({ units: 3 }), x), ops: has('MatMul') },
  'dense without bias': { shape: [6], body: (x) => apply(tf.layers.dense({ units: 3, useBias: false }), x), ops: has('Gemm') },
  'conv2d valid 3x3': { shape: [7, 9, 3], body: (x) => apply(conv({ padding: 'valid' }), x), ops: has('Conv') },
  'conv2d same, stride 2, non-square [12, 20, 3]': { shape: [12, 20, 3], body: (x) => apply(conv({ strides: 2 }), x) },
  'conv2d same, rectangular kernel and strides': { shape: [9, 8, 2], body: (x) => apply(conv({ kernelSize: [2, 3], strides: [2, 1] }), x) },
  'conv2d dilated': { shape: [9, 10, 2], body: (x) => apply(conv({ dilationRate: 2, activation: 'relu' }), x) },
  depthwiseConv2d: {
    shape: [7, 6, 3],
    body: (x) => apply(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }), x),
  },
  separableConv2d: {
    shape: [7, 6, 3],
    body: (x) => apply(tf.layers.separableConv2d({ filters: 5, kernelSize: 3, depthMultiplier: 2, padding: 'same' }), x),
  },
  'maxPooling2d same, pool 3 stride 2': {
    shape: [7, 9, 2],
    body: (x) => apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), x),
  },
  'maxPooling2d valid': { shape: [7, 9, 2], body: (x) => apply(tf.layers.maxPooling2d({ poolSize: 2, padding: 'valid' }), x) },
  'averagePooling2d same (padding excluded)': {
    shape: [7, 9, 2],
    body: (x) => apply(tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same' }), x),
  },
  'globalAveragePooling2d on the NHWC input': {
    shape: [5, 6, 3],
    body: (x) => apply(tf.layers.globalAveragePooling2d({}), x),
    ops: lacks('Transpose'),
  },
  'globalAveragePooling2d after conv': {
    shape: [5, 6, 3],
    body: (x) => apply(tf.layers.globalAveragePooling2d({}), apply(conv(), x)),
    ops: has('GlobalAveragePool'),
  },
  'globalMaxPooling2d after conv': { shape: [5, 6, 3], body: (x) => apply(tf.layers.globalMaxPooling2d({}), apply(conv(), x)) },
  globalAveragePooling1d: { shape: [5, 4], body: (x) => apply(tf.layers.globalAveragePooling1d(), x) },
  globalMaxPooling1d: { shape: [5, 4], body: (x) => apply(tf.layers.globalMaxPooling1d(), x) },
  'globalAveragePooling1d at opset 18 (axes as an input)': {
    shape: [5, 4],
    opset: 18,
    body: (x) => apply(tf.layers.globalAveragePooling1d(), x),
    ops: has('ReduceMean'),
  },
  'globalMaxPooling2d on the NHWC input at opset 21': {
    shape: [5, 6, 3],
    opset: 21,
    body: (x) => apply(tf.layers.globalMaxPooling2d({}), x),
    ops: has('ReduceMax'),
  },
  'batchNormalization alone (rank 2)': {
    shape: [6],
    body: (x) => apply(tf.layers.batchNormalization(), x),
    ops: has('BatchNormalization'),
  },
  'batchNormalization folded into dense': {
    shape: [6],
    body: (x) => apply(tf.layers.batchNormalization({ epsilon: 0.01 }), apply(tf.layers.dense({ units: 4, useBias: false }), x)),
    ops: lacks('BatchNormalization'),
  },
  'batchNormalization folded into conv': {
    shape: [6, 5, 2],
    body: (x) => apply(tf.layers.batchNormalization(), apply(conv(), x)),
    ops: lacks('BatchNormalization'),
  },
  'batchNormalization after conv + relu (NCHW op)': {
    shape: [6, 5, 2],
    body: (x) => apply(tf.layers.batchNormalization(), apply(conv({ activation: 'relu' }), x)),
    ops: has('BatchNormalization'),
  },
  'batchNormalization on an NHWC input (Mul + Add)': {
    shape: [4, 5, 3],
    body: (x) => apply(tf.layers.batchNormalization(), x),
    ops: lacks('BatchNormalization'),
  },
  'batchNormalization on rank 3': { shape: [5, 4], body: (x) => apply(tf.layers.batchNormalization(), x) },
  layerNormalization: { shape: [5, 4], body: (x) => apply(tf.layers.layerNormalization(), x), ops: has('LayerNormalization') },
  'layerNormalization over two axes': { shape: [3, 4, 2], body: (x) => apply(tf.layers.layerNormalization({ axis: [-2, -1] }), x) },
  TunekitLayerNorm: { shape: [5, 8], body: (x) => apply(new LayerNorm({ epsilon: 1e-5 }), x) },
  TunekitPositionalEmbedding: { shape: [5, 8], body: (x) => apply(new PositionalEmbedding({ seed: 3 }), x) },
  TunekitMultiHeadSelfAttention: {
    shape: [5, 8],
    body: (x) => apply(new MultiHeadSelfAttention({ dim: 8, heads: 2, seed: 4 }), x),
    ops: has('Softmax'),
  },
  'dropout layers vanish': {
    shape: [6],
    body: (x) =>
      apply(
        new SeededDropout({ rate: 0.5, seed: 1 }),
        apply(tf.layers.gaussianNoise({ stddev: 1 }), apply(tf.layers.dropout({ rate: 0.5 }), apply(tf.layers.dense({ units: 4 }), x))),
      ),
    ops: (ops) => assert.equal(ops, ['Gemm', 'Identity']),
  },
  'flatten after conv (back to NHWC order)': {
    shape: [4, 6, 2],
    body: (x) => apply(tf.layers.dense({ units: 3 }), apply(tf.layers.flatten(), apply(conv(), x))),
    ops: count('Transpose', 2),
  },
  'reshape with -1': {
    shape: [4, 6],
    body: (x) => apply(tf.layers.dense({ units: 2 }), apply(tf.layers.reshape({ targetShape: [2, -1, 3] }), x)),
  },
  permute: { shape: [2, 3, 4], body: (x) => apply(tf.layers.permute({ dims: [3, 1, 2] }), x) },
  add: { shape: [6], body: branches(tf.layers.add()) },
  multiply: { shape: [6], body: branches(tf.layers.multiply()) },
  maximum: { shape: [6], body: branches(tf.layers.maximum()) },
  minimum: { shape: [6], body: branches(tf.layers.minimum()) },
  average: { shape: [6], body: branches(tf.layers.average()) },
  concatenate: { shape: [6], body: branches(tf.layers.concatenate()) },
  'residual add of two conv branches stays NCHW': {
    shape: [5, 7, 2],
    body: (x) => apply(tf.layers.flatten(), apply(tf.layers.add(), [apply(conv(), x), apply(conv({ activation: 'relu' }), x)])),
    ops: count('Transpose', 2),
  },
  'activation layer': { shape: [6], body: (x) => apply(tf.layers.activation({ activation: 'selu' }), x) },
  'reLU with maxValue': { shape: [6], body: (x) => apply(tf.layers.reLU({ maxValue: 0.7 }), x) },
  leakyReLU: { shape: [6], body: (x) => apply(tf.layers.leakyReLU({ alpha: 0.1 }), x) },
  'elu layer': { shape: [6], body: (x) => apply(tf.layers.elu(), x) },
  'softmax layer': { shape: [4], body: (x) => apply(tf.layers.softmax(), x) },
  'gelu as the opset-20 Gelu op': {
    shape: [6],
    opset: 20,
    body: (x) => apply(tf.layers.dense({ units: 4, activation: 'gelu' }), x),
    ops: has('Gelu'),
  },
  'gelu_new (tanh form) at opset 20': {
    shape: [6],
    opset: 20,
    body: (x) => apply(tf.layers.dense({ units: 4, activation: 'gelu_new' as 'gelu' }), x),
    ops: has('Gelu'),
  },
};

for (const act of SUPPORTED_ACTIVATIONS) {
  CASES[`dense + ${act}`] = { shape: [6], body: (x) => apply(tf.layers.dense({ units: 5, activation: act as 'relu' }), x) };
}

const layers = suite('export: one-layer parity');
layers.before(setup);

for (const [name, c] of Object.entries(CASES)) {
  layers(name, async () => {
    const model = oneLayer(c.shape, c.body);
    randomizeWeights(model);
    const x = randomInputs(c.shape, 6);
    const r = await parity(model, x, 6, c.opset);
    model.dispose();
    assert.ok(r.maxAbsDiff < 1e-4, `max abs diff ${r.maxAbsDiff} >= 1e-4 (ops ${r.ops.join(',')})`);
    c.ops?.(r.ops);
  });
}

layers.run();
