import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../trials/backend.js';
import { distillationLoss } from '../../../src/deploy/compress/index.js';

test.before(async () => {
  await useBackend('wasm');
});

const value = (t: tf.Tensor): number => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};

test('one row, two classes, T = 2, alpha = 0.5: matches the hand-worked value', () => {
  // teacher [2, 0] / T = [1, 0] -> p = [e/(e+1), 1/(e+1)] = [0.7310586, 0.2689414]
  // student [0, 0] / T = [0, 0] -> q = [0.5, 0.5]
  // KL(p || q) = 0.7310586 * ln(0.7310586 / 0.5) + 0.2689414 * ln(0.2689414 / 0.5)
  //            = 0.7310586 * 0.3798854 + 0.2689414 * (-0.6201145) = 0.2777185 - 0.1667745 = 0.1109441
  // CE(label 0, softmax([0, 0])) = -ln 0.5 = 0.6931472
  // L = 0.5 * 2^2 * 0.1109441 + 0.5 * 0.6931472 = 0.2218881 + 0.3465736 = 0.5684617
  const t = tf.tensor2d([[2, 0]]);
  const s = tf.tensor2d([[0, 0]]);
  const y = tf.tensor2d([[1, 0]]);
  assert.ok(Math.abs(value(distillationLoss(t, s, y, { temperature: 2, alpha: 0.5 })) - 0.5684617) < 1e-5);
  // alpha = 1: only the soft term, 4 * 0.1109441 = 0.4437763; alpha = 0: only the cross-entropy, 0.6931472.
  assert.ok(Math.abs(value(distillationLoss(t, s, y, { temperature: 2, alpha: 1 })) - 0.4437763) < 1e-5);
  assert.ok(Math.abs(value(distillationLoss(t, s, y, { temperature: 2, alpha: 0 })) - 0.6931472) < 1e-5);
  tf.dispose([t, s, y]);
});

test('three classes, T = 1, alpha = 0.25, class-index labels, mean over two rows', () => {
  // Row 1: teacher [0, ln 2, ln 3] -> p = [1/6, 2/6, 3/6]; student [0, 0, 0] -> q = [1/3, 1/3, 1/3]; label 2.
  //   KL = 1/6 ln(1/2) + 2/6 ln(1) + 3/6 ln(3/2) = -0.1155245 + 0 + 0.2027326 = 0.0872081
  //   CE = -ln(1/3) = 1.0986123
  //   L1 = 0.25 * 1 * 0.0872081 + 0.75 * 1.0986123 = 0.0218020 + 0.8239592 = 0.8457612
  // Row 2: teacher = student = [1, 1, 1] -> KL = 0; label 0, CE = ln 3 = 1.0986123; L2 = 0.75 * 1.0986123 = 0.8239592
  // Mean: (0.8457612 + 0.8239592) / 2 = 0.8348602
  const t = tf.tensor2d([
    [0, Math.log(2), Math.log(3)],
    [1, 1, 1],
  ]);
  const s = tf.tensor2d([
    [0, 0, 0],
    [1, 1, 1],
  ]);
  const labels = tf.tensor1d([2, 0]);
  assert.ok(Math.abs(value(distillationLoss(t, s, labels, { temperature: 1, alpha: 0.25 })) - 0.8348602) < 1e-5);
  const oneHot = tf.tensor2d([
    [0, 0, 1],
    [1, 0, 0],
  ]);
  assert.ok(Math.abs(value(distillationLoss(t, s, oneHot, { temperature: 1, alpha: 0.25 })) - 0.8348602) < 1e-5);
  tf.dispose([t, s, labels, oneHot]);
});

test('defaults are T = 4, alpha = 0.7; identical teacher and student leave only the cross-entropy', () => {
  // t = s = [3, -1]: KL = 0. CE(label 1) = -log softmax([3, -1])_1 = ln(1 + e^4) = 4.0181499; L = 0.3 * 4.0181499 = 1.2054450
  const t = tf.tensor2d([[3, -1]]);
  const y = tf.tensor2d([[0, 1]]);
  assert.ok(Math.abs(value(distillationLoss(t, t, y)) - 1.205445) < 1e-5);
  // Explicit defaults give the same number as omitted ones.
  const s = tf.tensor2d([[0.5, 0.2]]);
  assert.ok(Math.abs(value(distillationLoss(t, s, y)) - value(distillationLoss(t, s, y, { temperature: 4, alpha: 0.7 }))) < 1e-7);
  tf.dispose([t, y, s]);
});

test('gradient of the soft term w.r.t. the student logits is T * (q - p) / n', () => {
  // d/ds [T^2 KL(p || softmax(s / T))] = T^2 * (q - p) / T = T (q - p). With the first test's numbers (T = 2, one row):
  // 2 * ([0.5, 0.5] - [0.7310586, 0.2689414]) = [-0.4621172, 0.4621172].
  const t = tf.tensor2d([[2, 0]]);
  const s = tf.tensor2d([[0, 0]]);
  const y = tf.tensor2d([[1, 0]]);
  const g = tf.grad((x: tf.Tensor) => distillationLoss(t, x, y, { temperature: 2, alpha: 1 }))(s);
  const [g0, g1] = g.dataSync();
  assert.ok(Math.abs(g0! + 0.4621172) < 1e-5 && Math.abs(g1! - 0.4621172) < 1e-5, `got ${g0}, ${g1}`);
  tf.dispose([t, s, y, g]);
});

test('large logits stay finite; bad shapes and options are rejected; no tensors leak', () => {
  const before = tf.memory().numTensors;
  const t = tf.tensor2d([[1000, -1000]]);
  const s = tf.tensor2d([[-1000, 1000]]);
  const y = tf.tensor2d([[1, 0]]);
  assert.ok(Number.isFinite(value(distillationLoss(t, s, y, { temperature: 1, alpha: 0.5 }))));
  const wide = tf.tensor2d([[1, 2, 3]]);
  assert.throws(() => distillationLoss(wide, s, y), /equal shapes/);
  assert.throws(() => distillationLoss(t, s, wide), /labels must be one-hot \[1, 2\]/);
  assert.throws(() => distillationLoss(t, s, y, { temperature: 0 }), /temperature must be a finite number > 0/);
  assert.throws(() => distillationLoss(t, s, y, { alpha: 1.5 }), /alpha must be a finite number in \[0, 1\]/);
  tf.dispose([t, s, y, wide]);
  assert.is(tf.memory().numTensors, before);
});

test.run();
