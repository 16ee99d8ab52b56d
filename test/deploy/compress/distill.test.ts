import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../trials/backend.js';
import { loadModel } from '../../../trials/checkpoint.js';
import { loadMnist } from '../../../trials/data/mnist.js';
import { runTrial } from '../../../trials/loop.js';
import { buildModel } from '../../../trials/models/index.js';
import type { Dataset, ModelConfig } from '../../../trials/types.js';
import { distill, halfConfig, inferModelConfig } from '../../../src/deploy/compress/index.js';

let data: Dataset;
let dir = '';
test.before(async () => {
  await useBackend('wasm');
  data = await loadMnist({ limit: 2000 });
  dir = await mkdtemp(join(tmpdir(), 'tunekit-distill-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('MNIST: a [256, 128] teacher (2 epochs, from its checkpoint dir) distils into a [32] student; both student accuracies reported', async () => {
  const trained = await runTrial(
    {
      model: { type: 'mlp', units: [256, 128] },
      optimizer: { type: 'adam', lr: 1e-3 },
      loss: 'crossentropy',
      epochs: 2,
      batchSize: 64,
      seed: 1,
    },
    data,
    { outDir: join(dir, 'teacher') },
  );
  const before = tf.memory().numTensors;
  const r = await distill(join(dir, 'teacher'), data, { student: { type: 'mlp', units: [32] }, epochs: 2, seed: 2, latency: { runs: 2 } });
  assert.ok(r.accuracy.teacher > 0.6, `teacher accuracy ${r.accuracy.teacher}`);
  // Same test split as runTrial's, same weights: the teacher figure is the trial's test accuracy.
  assert.ok(Math.abs(r.accuracy.teacher - trained.test.accuracy!) < 1e-9);
  for (const acc of [r.accuracy.student, r.accuracy.studentWithoutTeacher!]) assert.ok(acc > 0.3 && acc <= 1, `student accuracy ${acc}`);
  assert.equal(r.params, { teacher: 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10, student: 784 * 32 + 32 + 32 * 10 + 10 });
  assert.ok(r.after.fileBytes < r.before.fileBytes / 5);
  assert.ok(r.before.latencyMs!.batch256 > 0 && r.after.latencyMs!.batch1 > 0);
  assert.is(r.history.withTeacher.length, 2);
  assert.is(r.history.withoutTeacher!.length, 2);
  assert.equal(r.studentConfig, { type: 'mlp', units: [32] });
  const shape = tf.tidy(() => (r.student.predict(tf.zeros([3, 28, 28, 1])) as tf.Tensor).shape);
  assert.equal(shape, [3, 10]);
  r.student.dispose();
  // The teacher loaded from the directory was disposed by distill; nothing else is left behind.
  assert.is(tf.memory().numTensors, before);
});

test("student 'half' from an in-memory teacher infers its config; alpha = 0 gives exactly the label-only baseline", async () => {
  const teacher = await loadModel(join(dir, 'teacher'));
  assert.equal(inferModelConfig(teacher), { type: 'mlp', units: [256, 128], activation: 'relu' });
  const before = tf.memory().numTensors;
  const r = await distill(teacher, data, { student: 'half', epochs: 1, alpha: 0, latency: false });
  assert.equal(r.studentConfig, { type: 'mlp', units: [128, 64], activation: 'relu' });
  assert.is(r.params.student, 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
  // alpha = 0 is the cross-entropy alone, with the same initial weights and batch order as the baseline run.
  assert.is(r.accuracy.student, r.accuracy.studentWithoutTeacher);
  assert.is(r.after.metrics.loss, r.withoutTeacher!.metrics.loss);
  r.student.dispose();
  assert.is(tf.memory().numTensors, before);
  // The given teacher is still usable (not disposed).
  assert.equal(
    tf.tidy(() => (teacher.predict(tf.zeros([1, 28, 28, 1])) as tf.Tensor).shape),
    [1, 10],
  );
  teacher.dispose();
});

test('halfConfig halves widths per model type; bad options are named', async () => {
  const cnn: ModelConfig = { type: 'cnn', filters: [16, 32], dense: 64 };
  assert.equal(halfConfig(cnn), { type: 'cnn', filters: [8, 16], dense: 32 });
  assert.equal(halfConfig({ type: 'residual_mlp', blocks: 2, units: 65 }), { type: 'residual_mlp', blocks: 2, units: 33 });
  assert.equal(halfConfig({ type: 'attention', dim: 32, heads: 4 }), { type: 'attention', dim: 16, heads: 4 });
  const cnnModel = buildModel(
    { type: 'cnn', filters: [4], pool: 'avg', dense: 8 },
    { inputShape: [28, 28, 1], outputs: 10, seed: 1 },
  ).model;
  assert.equal(inferModelConfig(cnnModel), {
    type: 'cnn',
    blocks: [{ filters: 4, kernel: 3, stride: 1, pool: 'avg', batchNorm: false, dropout: 0 }],
    activation: 'relu',
    dense: 8,
  });
  await distill(cnnModel, data, { student: 'half', temperature: -1 }).then(
    () => assert.unreachable('a negative temperature must be rejected'),
    (err: Error) => assert.match(err.message, /distill\.temperature must be a finite number > 0/),
  );
  await distill(cnnModel, data, { student: 'half', epoch: 3 } as never).then(
    () => assert.unreachable('an unknown option must be rejected'),
    (err: Error) => assert.match(err.message, /distill\.epoch is not an option/),
  );
  cnnModel.dispose();
});

test.run();
