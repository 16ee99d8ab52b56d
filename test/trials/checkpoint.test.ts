import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, readFile, rm, truncate, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { fileHandler, loadModel, saveModel } from '../../trials/checkpoint.js';
import { buildModel } from '../../trials/models/index.js';
import type { ModelConfig, ModelSpec } from '../../trials/types.js';
import { rejects } from '../helpers/rejects.js';

let root = '';
test.before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  root = await mkdtemp(join(tmpdir(), 'tunekit-ckpt-'));
});
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

function input(spec: ModelSpec, n: number): tf.Tensor {
  const rng = seedrandom('ckpt');
  const size = spec.inputShape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n * size }, () => rng() * 2 - 1),
    [n, ...spec.inputShape],
  );
}

function maxAbsDiff(a: tf.Tensor | tf.Tensor[], b: tf.Tensor | tf.Tensor[]): number {
  const as = Array.isArray(a) ? a : [a];
  const bs = Array.isArray(b) ? b : [b];
  assert.is(as.length, bs.length);
  return Math.max(...as.map((t, i) => tf.max(tf.abs(tf.sub(t, bs[i]))).dataSync()[0]));
}

const IMAGE: ModelSpec = { inputShape: [28, 28, 1], outputs: 10, seed: 3 };
const CASES: [string, ModelConfig, ModelSpec][] = [
  ['mlp', { type: 'mlp', units: [6, 4], dropout: 0.1, batchNorm: true }, { inputShape: [8], outputs: 3, seed: 3 }],
  ['cnn', { type: 'cnn', filters: [3, 4], batchNorm: true, dense: 5, dropout: 0.1 }, IMAGE],
  ['attention', { type: 'attention', dim: 8, heads: 2, patch: 7, dropout: 0.1 }, { ...IMAGE, auxHead: true }],
  ['tabular attention', { type: 'attention', dim: 4, heads: 1, layers: 2 }, { inputShape: [8], outputs: 3, seed: 3 }],
  ['residual_mlp', { type: 'residual_mlp', blocks: 1, units: 4, batchNorm: true }, { inputShape: [8], outputs: 3, seed: 3 }],
];

for (const [name, config, spec] of CASES) {
  test(`${name}: saved model reloads with the same predictions`, async () => {
    const { model } = buildModel(config, spec);
    const x = input(spec, 4);
    // One training-mode pass moves the batch-norm statistics off their defaults, so the check covers non-trainable weights.
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]);
    const dir = join(root, name.replace(/\W+/g, '_'));
    const result = await saveModel(model, dir);
    assert.ok(result.modelArtifactsInfo.weightDataBytes && result.modelArtifactsInfo.weightDataBytes > 0);
    assert.equal((await readdir(dir)).sort(), ['model.json', 'weights.bin']);

    const loaded = await loadModel(dir);
    const before = model.predict(x) as tf.Tensor | tf.Tensor[];
    const after = loaded.predict(x) as tf.Tensor | tf.Tensor[];
    assert.ok(maxAbsDiff(before, after) < 1e-5);
    assert.is(loaded.countParams(), model.countParams());
    tf.dispose([x, before, after]);
    model.dispose();
    loaded.dispose();
  });
}

test('model.json has the TF.js layout and weights.bin the manifest size', async () => {
  const { model } = buildModel({ type: 'mlp', units: 5 }, { inputShape: [4], outputs: 2, seed: 1 });
  const dir = join(root, 'layout');
  await saveModel(model, dir);
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  assert.is(json.format, 'layers-model');
  assert.ok(json.modelTopology);
  assert.equal(json.weightsManifest[0].paths, ['weights.bin']);
  assert.equal(
    json.weightsManifest[0].weights.map((w) => w.shape),
    [[4, 5], [5], [5, 2], [2]],
  );
  const bin = await readFile(join(dir, 'weights.bin'));
  assert.is(bin.byteLength, (4 * 5 + 5 + 5 * 2 + 2) * 4);
  model.dispose();
});

test('save accepts weightData split in several ArrayBuffers and load joins them', async () => {
  const dir = join(root, 'split');
  const handler = fileHandler(dir);
  const specs: tf.io.WeightsManifestEntry[] = [
    { name: 'a', shape: [2], dtype: 'float32' },
    { name: 'b', shape: [3], dtype: 'float32' },
  ];
  await handler.save({
    modelTopology: { class_name: 'x' },
    weightSpecs: specs,
    weightData: [new Float32Array([1, 2]).buffer, new Float32Array([3, 4, 5]).buffer],
  });
  const back = await handler.load();
  assert.equal(back.weightSpecs, specs);
  assert.ok(back.weightData instanceof ArrayBuffer);
  assert.equal(Array.from(new Float32Array(back.weightData as ArrayBuffer)), [1, 2, 3, 4, 5]);
});

test('missing or truncated files give errors naming the file', async () => {
  await rejects(() => loadModel(join(root, 'nowhere')), /model\.json is missing/);
  const { model } = buildModel({ type: 'mlp', units: 3 }, { inputShape: [2], outputs: 2, seed: 1 });
  const dir = join(root, 'broken');
  await saveModel(model, dir);
  await truncate(join(dir, 'weights.bin'), 8);
  await rejects(() => loadModel(dir), /hold 8 bytes but model\.json describes/);
  await unlink(join(dir, 'weights.bin'));
  await rejects(() => loadModel(dir), /weights\.bin.*is missing/);
  model.dispose();
});

test.run();
