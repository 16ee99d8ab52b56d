import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { buildModel } from '../../../trials/models/index.js';
import type { ModelConfig, ModelSpec } from '../../../trials/types.js';
import { exportOnnx, readMetadata } from '../../../src/deploy/export/index.js';
import { predictTf } from '../../../src/deploy/export/verify.js';
import { parity, randomInputs, randomizeWeights, setup } from './helpers.js';

const IMAGE: ModelSpec = { inputShape: [28, 28, 1], outputs: 10, seed: 1, auxHead: true };
const TABULAR: ModelSpec = { inputShape: [9], outputs: 3, seed: 2 };
const NON_SQUARE: ModelSpec = { inputShape: [12, 20, 3], outputs: 4, seed: 3 };

const CASES: Record<string, { config: ModelConfig; spec: ModelSpec }> = {
  'mlp + batchNorm + dropout (image, aux head)': {
    config: { type: 'mlp', units: [16, 8], batchNorm: true, dropout: 0.3, activation: 'gelu' },
    spec: IMAGE,
  },
  'residual_mlp + batchNorm + dropout (tabular)': {
    config: { type: 'residual_mlp', blocks: 2, units: 8, batchNorm: true, dropout: 0.2, activation: 'selu' },
    spec: TABULAR,
  },
  'cnn + batchNorm + max pooling': {
    config: { type: 'cnn', filters: [4, 6], batchNorm: true, pool: 'max', dense: 8, dropout: 0.1 },
    spec: IMAGE,
  },
  'cnn + avg pooling, stride 2, non-square input [12, 20, 3]': {
    config: {
      type: 'cnn',
      blocks: [
        { filters: 4, stride: 2, pool: 'avg' },
        { filters: 5, kernel: 5, batchNorm: true },
      ],
    },
    spec: NON_SQUARE,
  },
  'attention, 2 blocks (image, aux head)': { config: { type: 'attention', dim: 8, heads: 2, layers: 2, dropout: 0.1 }, spec: IMAGE },
  'attention (tabular)': { config: { type: 'attention', dim: 8, heads: 4 }, spec: TABULAR },
};

/** A few Adam steps on random data (so BN statistics, biases and embeddings move away from their initial values). */
async function trainBriefly(model: tf.LayersModel, spec: ModelSpec): Promise<void> {
  const n = 32;
  const x = tf.tensor(randomInputs(spec.inputShape, n, 11), [n, ...spec.inputShape]);
  const labels = tf.tensor1d(
    Int32Array.from({ length: n }, (_, i) => i % spec.outputs),
    'int32',
  );
  const y = tf.oneHot(labels, spec.outputs).toFloat();
  model.compile({ optimizer: tf.train.adam(0.01), loss: tf.losses.softmaxCrossEntropy });
  await model.fit(x, spec.auxHead ? [y, y] : y, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
  tf.dispose([x, labels, y]);
}

const arch = suite('export: buildModel architectures');
arch.before(setup);

for (const [name, { config, spec }] of Object.entries(CASES)) {
  arch(`${name}: random weights`, async () => {
    const { model } = buildModel(config, spec);
    randomizeWeights(model);
    const r = await parity(model, randomInputs(spec.inputShape, 5), 5);
    model.dispose();
    assert.ok(r.maxAbsDiff < 1e-4, `max abs diff ${r.maxAbsDiff}`);
    assert.is(r.argmaxAgreement, 1);
  });
  arch(`${name}: briefly trained`, async () => {
    const { model } = buildModel(config, spec);
    await trainBriefly(model, spec);
    const r = await parity(model, randomInputs(spec.inputShape, 5, 2), 5);
    model.dispose();
    assert.ok(r.maxAbsDiff < 1e-4, `max abs diff ${r.maxAbsDiff}`);
  });
}

arch('NHWC input: one transpose to NCHW before the first conv and one back before the flatten', async () => {
  const { model } = buildModel(CASES['cnn + avg pooling, stride 2, non-square input [12, 20, 3]']!.config, NON_SQUARE);
  randomizeWeights(model);
  const r = await parity(model, randomInputs(NON_SQUARE.inputShape, 3), 3);
  model.dispose();
  assert.is(r.ops.filter((op) => op === 'Transpose').length, 2);
  assert.is(r.ops.filter((op) => op === 'Conv').length, 2);
  assert.ok(r.maxAbsDiff < 1e-4);
});

const file = suite('export: exportOnnx file');
let dir = '';
file.before(async () => {
  await setup();
  dir = mkdtempSync(join(tmpdir(), 'tunekit-export-'));
});
file.after(() => rmSync(dir, { recursive: true, force: true }));

file('writes named inputs/outputs, metadata and producer; the batch dimension is dynamic (batch 1 and 7)', async () => {
  const { model } = buildModel({ type: 'cnn', filters: [3], batchNorm: true, dense: 6 }, { ...IMAGE, inputShape: [10, 14, 2] });
  randomizeWeights(model);
  const path = join(dir, 'cnn.onnx');
  const report = await exportOnnx(model, path, { metadata: { 'trial.config': '{"lr":0.01}' } });
  assert.equal(report.outputs, ['logits', 'aux']);
  assert.is(report.foldedBatchNorms.length, 1);
  assert.ok(report.parity && report.parity.fp32.maxAbsDiff < 1e-4 && report.parity.data === 'random');
  const bytes = readFileSync(path);
  assert.is(bytes.length, report.bytes);
  const meta = readMetadata(bytes);
  assert.is(meta['trial.config'], '{"lr":0.01}');
  assert.is(meta['tunekit.input_layout'], 'NHWC');
  assert.is(meta['tunekit.input_shape'], '[10,14,2]');
  const decoded = onnxProto.onnx.ModelProto.decode(bytes);
  assert.is(decoded.producerName, 'tunekit');
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.is(decoded.producerVersion, pkg.version);
  assert.is(decoded.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam, 'batch');

  const session = await ort.InferenceSession.create(path);
  assert.equal(session.inputNames, ['input']);
  assert.equal(session.outputNames, ['logits', 'aux']);
  for (const n of [1, 7]) {
    const x = randomInputs([10, 14, 2], n, 40 + n);
    const res = await session.run({ input: new ort.Tensor('float32', x, [n, 10, 14, 2]) });
    const [logits, aux] = predictTf(model, x, n);
    assert.equal(res['logits']!.dims, [n, 10]);
    const diff = Math.max(...Array.from(logits!, (v, i) => Math.abs(v - (res['logits']!.data as Float32Array)[i]!)));
    const diffAux = Math.max(...Array.from(aux!, (v, i) => Math.abs(v - (res['aux']!.data as Float32Array)[i]!)));
    assert.ok(diff < 1e-4 && diffAux < 1e-4, `batch ${n}: diffs ${diff}, ${diffAux}`);
  }
  await session.release();
  model.dispose();
});

file('a checkpoint directory exports like the model itself (opset 20 uses the Gelu op)', async () => {
  const { saveModel } = await import('../../../trials/checkpoint.js');
  const { model } = buildModel({ type: 'attention', dim: 8, heads: 2 }, TABULAR);
  randomizeWeights(model);
  await saveModel(model, join(dir, 'ckpt'));
  model.dispose();
  const report = await exportOnnx(join(dir, 'ckpt'), join(dir, 'att.onnx'), { opset: 20 });
  assert.is(report.opset, 20);
  assert.ok((report.ops['Gelu'] ?? 0) === 1, JSON.stringify(report.ops));
  assert.ok(report.parity!.fp32.maxAbsDiff < 1e-4);
});

arch.run();
file.run();
