import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { makeLoss } from '../../trials/losses.js';
import { OptionsError } from '../../src/core/errors.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

function close(actual: number, expected: number, tol = 1e-5, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected}, got ${actual}`);
}

/** Evaluates a loss on plain arrays and checks that it leaves no tensors behind. */
function value(fn: ReturnType<typeof makeLoss>, yTrue: number[][], yPred: number[][], aux?: number[][]): number {
  const t = tf.tensor2d(yTrue);
  const p = tf.tensor2d(yPred);
  const a = aux ? tf.tensor2d(aux) : undefined;
  const before = tf.memory().numTensors;
  const out = fn(t, p, a);
  assert.equal(out.rank, 0, 'loss is a scalar');
  const v = out.dataSync()[0]!;
  out.dispose();
  assert.is(tf.memory().numTensors, before, 'no intermediate tensors left');
  tf.dispose([t, p, ...(a ? [a] : [])]);
  return v;
}

// Row 1: logits [2,1,0], one-hot [1,0,0]. L = log(e^2 + e + 1) = log(11.10733793) = 2.40760596;
//   log-softmax = [2-L, 1-L, -L] = [-0.40760596, -1.40760596, -2.40760596]; CE = 0.40760596.
// Row 2: logits [0,0,0], one-hot [0,1,0]: p = 1/3 each, CE = log 3 = 1.09861229.
const Y = [
  [1, 0, 0],
  [0, 1, 0],
];
const Z = [
  [2, 1, 0],
  [0, 0, 0],
];
const CE1 = 0.40760596444438;
const LOG3 = 1.0986122886681098;

test('crossentropy matches the hand value and averages over the batch', () => {
  close(value(makeLoss('crossentropy', 'classification'), [Y[0]!], [Z[0]!]), CE1);
  // mean(0.40760596, 1.09861229) = 0.75310913
  close(value(makeLoss({ type: 'crossentropy' }, 'classification'), Y, Z), (CE1 + LOG3) / 2);
});

test('crossentropy is stable for huge logits and its gradient is softmax - y', () => {
  // logits [1000, 0, -1000], target class 2: CE = LSE - (-1000) = 1000 + 1000 = 2000 (log(softmax) would give Inf).
  close(value(makeLoss('crossentropy', 'classification'), [[0, 0, 1]], [[1000, 0, -1000]]), 2000, 1e-2);
  // d CE / d z = softmax(z) - y = [0.66524096 - 1, 0.24472847, 0.09003057] for row 1.
  const loss = makeLoss('crossentropy', 'classification');
  const y = tf.tensor2d([Y[0]!]);
  const g = tf.grad((z: tf.Tensor) => loss(y, z as tf.Tensor2D))(tf.tensor2d([Z[0]!]));
  const gv = Array.from(g.dataSync());
  [0.665240955774822 - 1, 0.24472847105479767, 0.09003057317038046].forEach((e, i) => close(gv[i]!, e, 1e-6, `grad[${i}]`));
  tf.dispose([y, g]);
});

test('label smoothing mixes targets with the uniform distribution', () => {
  // s = 0.3, k = 3: row 1 target [0.7 + 0.1, 0.1, 0.1] = [0.8, 0.1, 0.1];
  //   CE = 0.8 * 0.40760596 + 0.1 * 1.40760596 + 0.1 * 2.40760596 = 0.70760596.
  // Row 2 has uniform logits: CE = log 3 whatever the target. Mean = (0.70760596 + 1.09861229) / 2.
  const fn = makeLoss({ type: 'label_smoothing', smoothing: 0.3 }, 'classification');
  close(value(fn, [Y[0]!], [Z[0]!]), 0.7076059644443802);
  close(value(fn, Y, Z), (0.7076059644443802 + LOG3) / 2);
  // smoothing 0 is plain cross-entropy
  close(value(makeLoss({ type: 'label_smoothing', smoothing: 0 }, 'classification'), Y, Z), (CE1 + LOG3) / 2);
});

test('focal with gamma 0 equals cross-entropy; gamma 2 and alpha match hand values', () => {
  close(value(makeLoss({ type: 'focal', gamma: 0 }, 'classification'), Y, Z), value(makeLoss('crossentropy', 'classification'), Y, Z));
  // Row 1: p = e^2 / 11.10733793 = 0.66524096, (1-p)^2 = 0.11206362, loss = 0.11206362 * 0.40760596 = 0.04567780.
  // Row 2: p = 1/3, (2/3)^2 = 0.44444444, loss = 0.44444444 * 1.09861229 = 0.48827213. Mean = 0.26697497.
  const fl = (0.04567779896788483 + (4 / 9) * LOG3) / 2;
  close(value(makeLoss({ type: 'focal' }, 'classification'), Y, Z), fl, 1e-6, 'default gamma is 2');
  close(value(makeLoss({ type: 'focal', gamma: 2, alpha: 0.25 }, 'classification'), Y, Z), 0.25 * fl, 1e-6);
});

test('focal has a finite gradient even when p rounds to 1 (gamma < 1)', () => {
  const loss = makeLoss({ type: 'focal', gamma: 0.5 }, 'classification');
  const y = tf.tensor2d([[1, 0]]);
  const g = tf.grad((z: tf.Tensor) => loss(y, z as tf.Tensor2D))(tf.tensor2d([[100, 0]]));
  assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `gradient ${Array.from(g.dataSync()).join(',')}`);
  tf.dispose([y, g]);
});

test('mse: raw values for regression, softmax probabilities for classification', () => {
  // errors 1.5 - 1 = 0.5 and 0 - 2 = -2: mean(0.25, 4) = 2.125
  close(value(makeLoss('mse', 'regression'), [[1], [2]], [[1.5], [0]]), 2.125);
  // softmax([0, 0]) = [0.5, 0.5] vs [1, 0]: mean(0.25, 0.25) = 0.25
  close(value(makeLoss({ type: 'mse' }, 'classification'), [[1, 0]], [[0, 0]]), 0.25);
});

test('huber is quadratic inside delta and linear outside', () => {
  // delta 1: |0.5| <= 1 -> 0.5 * 0.25 = 0.125; |-2| > 1 -> 1 * (2 - 0.5) = 1.5. Mean = 0.8125.
  close(value(makeLoss('huber', 'regression'), [[1], [2]], [[1.5], [0]]), 0.8125);
  // delta 3: both inside -> 0.125 and 0.5 * 4 = 2. Mean = 1.0625.
  close(value(makeLoss({ type: 'huber', delta: 3 }, 'regression'), [[1], [2]], [[1.5], [0]]), 1.0625);
  // delta 0.5: |e| = 2 -> 0.5 * (2 - 0.25) = 0.875; |e| = 0.5 (on the boundary) -> 0.125. Mean = 0.5.
  close(value(makeLoss({ type: 'huber', delta: 0.5 }, 'regression'), [[1], [2]], [[1.5], [0]]), 0.5);
});

test('combined adds alpha * mse of the aux head', () => {
  // main CE on row 1 = 0.40760596; aux logits [0,0,0] -> softmax [1/3,1/3,1/3] vs [1,0,0]:
  //   mse = ((2/3)^2 + (1/3)^2 + (1/3)^2) / 3 = (6/9) / 3 = 0.22222222; total = 0.40760596 + 0.5 * 0.22222222 = 0.51871708.
  const fn = makeLoss({ type: 'combined', main: 'crossentropy', alpha: 0.5 }, 'classification');
  close(value(fn, [Y[0]!], [Z[0]!], [[0, 0, 0]]), 0.5187170755554913);
  // regression: main mse = 2.125 (above); aux [[1], [1]] vs [[1], [2]] -> mse 0.5; alpha 2 -> 2.125 + 1 = 3.125
  const reg = makeLoss({ type: 'combined', main: { type: 'mse' }, alpha: 2 }, 'regression');
  close(value(reg, [[1], [2]], [[1.5], [0]], [[1], [1]]), 3.125);
  const t = tf.tensor2d([Y[0]!]);
  const p = tf.tensor2d([Z[0]!]);
  assert.throws(
    () => fn(t, p),
    (e: Error) => e instanceof OptionsError && /aux/.test(e.message),
  );
  tf.dispose([t, p]);
});

test('configuration errors are clear', () => {
  const throwsLike = (f: () => unknown, re: RegExp): void =>
    assert.throws(f, (e: Error) => e instanceof OptionsError && re.test(e.message), String(re));
  throwsLike(() => makeLoss('crossentropy', 'regression'), /use mse or huber for regression/);
  throwsLike(() => makeLoss({ type: 'focal' }, 'regression'), /use mse or huber for regression/);
  throwsLike(() => makeLoss({ type: 'combined', main: 'crossentropy', alpha: 1 }, 'regression'), /loss\.main.*use mse or huber/);
  throwsLike(() => makeLoss('hinge' as never, 'classification'), /crossentropy, label_smoothing, focal, mse, huber, combined.*"hinge"/);
  throwsLike(() => makeLoss({ type: 'label_smoothing', smoothing: 1 } as never, 'classification'), /loss\.smoothing.*\[0, 1\)/);
  throwsLike(() => makeLoss({ type: 'huber', delat: 2 } as never, 'regression'), /loss\.delat.*delta/);
  throwsLike(() => makeLoss({ type: 'huber', delta: 0 }, 'regression'), /loss\.delta/);
  throwsLike(() => makeLoss({ type: 'focal', gamma: -1 }, 'classification'), /loss\.gamma/);
  throwsLike(() => makeLoss({ type: 'combined', main: 'mse' } as never, 'regression'), /loss\.alpha/);
  const fn = makeLoss('crossentropy', 'classification');
  const t = tf.tensor2d([[1, 0]]);
  const p = tf.tensor2d([[1, 0, 0]]);
  throwsLike(() => fn(t, p), /\[1, 2\].*\[1, 3\]/);
  tf.dispose([t, p]);
});

test.run();
