import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { makeOptimizer } from '../../trials/optimizers.js';
import { makeLoss } from '../../trials/losses.js';
import { makeSchedule } from '../../trials/schedules.js';
import { clipByGlobalNorm } from '../../trials/clip.js';
import { OptionsError } from '../../src/core/errors.js';
import type { OptimizerConfig } from '../../trials/types.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

// Variable names are global in the TF.js engine: every test makes fresh, unique ones and disposes them.
let uid = 0;
function vars(spec: Record<string, number[] | number[][]>): Record<string, tf.Variable> {
  uid += 1;
  const out: Record<string, tf.Variable> = {};
  for (const [key, init] of Object.entries(spec)) {
    const t = tf.tensor(init);
    out[key] = tf.variable(t, true, `t${uid}_${key}`);
    t.dispose(); // the variable holds its own reference to the data
  }
  return out;
}
const values = (v: tf.Tensor): number[] => Array.from(v.dataSync());
function closeAll(actual: number[], expected: number[], tol = 1e-6, what = ''): void {
  assert.is(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol, `${what}[${i}]: expected ${expected[i]}, got ${a}`));
}

const ALL: OptimizerConfig[] = [
  { type: 'sgd', lr: 0.1 },
  { type: 'sgd', lr: 0.1, momentum: 0.9 },
  { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true },
  { type: 'adam', lr: 0.1 },
  { type: 'adamw', lr: 0.1, weightDecay: 0.01 },
  { type: 'rmsprop', lr: 0.1 },
  { type: 'rmsprop', lr: 0.1, momentum: 0.5 },
];
const label = (c: OptimizerConfig): string => JSON.stringify(c);

/** One step from w0 = [1, -2] with gradient g = [0.5, 1] after setLearningRate(lr); returns the update w0 - w1. */
function firstUpdate(config: OptimizerConfig, lr: number): number[] {
  const { w } = vars({ w: [1, -2] });
  const opt = makeOptimizer(config);
  opt.setLearningRate(lr);
  const g = tf.tensor([0.5, 1]);
  opt.applyGradients({ [w!.name]: g });
  const upd = values(w!).map((x, i) => [1, -2][i]! - x);
  opt.dispose();
  tf.dispose([w!, g]);
  return upd;
}

test('a changed learning rate takes effect for every optimiser (update scales with lr)', () => {
  for (const c of ALL) {
    // All were built with lr 0.1; the loop overrides it before the step. On a first step every update is proportional to lr
    // (sgd: lr*g; momentum: lr*g; nesterov: lr*(1+m)*g; adam: ~lr*sign(g); rmsprop: lr*g/sqrt(0.1 g^2 + eps)).
    // AdamW here decays w too (by lr*wd*w), also proportional to lr.
    const a = firstUpdate(c, 0.01);
    const b = firstUpdate(c, 0.03);
    assert.ok(
      a.every((x) => Math.abs(x) > 1e-4),
      `${label(c)}: non-zero update ${a.join(',')}`,
    );
    closeAll(
      b,
      a.map((x) => 3 * x),
      1e-5,
      label(c),
    );
  }
});

test('setLearningRate(0) mid-run freezes the weights for every optimiser without momentum in the lr', () => {
  // rmsprop with momentum is excluded here: TF.js folds lr into its momentum buffer (see the next test).
  for (const c of ALL.filter((o) => !(o.type === 'rmsprop' && (o.momentum ?? 0) > 0))) {
    const { w } = vars({ w: [1, -2] });
    const opt = makeOptimizer(c);
    const g = tf.tensor([0.5, 1]);
    opt.applyGradients({ [w!.name]: g });
    const after1 = values(w!);
    assert.ok(after1[0] !== 1, `${label(c)} moved on step 1`);
    opt.setLearningRate(0);
    opt.applyGradients({ [w!.name]: g });
    closeAll(values(w!), after1, 0, `${label(c)} step 2 with lr 0`);
    opt.dispose();
    tf.dispose([w!, g]);
  }
});

test('rmsprop with momentum: a new lr scales only the new contribution (TF/Keras form, lr inside the buffer)', () => {
  // buf2 = m * buf1 + lr2 * g / sqrt(ms2 + eps): with lr2 = 0 the step is exactly m * (first update).
  const { w } = vars({ w: [1, -2] });
  const opt = makeOptimizer({ type: 'rmsprop', lr: 0.1, momentum: 0.5 });
  const g = tf.tensor([0.5, 1]);
  opt.applyGradients({ [w!.name]: g });
  const w1 = values(w!);
  opt.setLearningRate(0);
  opt.applyGradients({ [w!.name]: g });
  const first = w1.map((x, i) => [1, -2][i]! - x);
  closeAll(
    values(w!),
    w1.map((x, i) => x - 0.5 * first[i]!),
    1e-6,
  );
  opt.dispose();
  tf.dispose([w!, g]);
});

test('sgd: plain, momentum and nesterov follow their update rules and nesterov differs', () => {
  // lr 0.1, m 0.9, g = [0.5, 1] twice from w = [1, -2].
  // momentum: acc1 = g, w1 = w - 0.1 g; acc2 = 0.9 g + g = 1.9 g, w2 = w1 - 0.19 g -> w - 0.29 g = [0.855, -2.29]
  // nesterov: acc1 = g, w1 = w - 0.1 (g + 0.9 g) = w - 0.19 g; acc2 = 1.9 g, w2 = w1 - 0.1 (g + 0.9 * 1.9 g) = w1 - 0.271 g
  //   -> w - 0.461 g = [0.7695, -2.461]; plain: w - 0.2 g = [0.9, -2.2]
  const run = (c: OptimizerConfig): number[] => {
    const { w } = vars({ w: [1, -2] });
    const opt = makeOptimizer(c);
    const g = tf.tensor([0.5, 1]);
    opt.applyGradients({ [w!.name]: g });
    opt.applyGradients({ [w!.name]: g });
    const out = values(w!);
    opt.dispose();
    tf.dispose([w!, g]);
    return out;
  };
  closeAll(run({ type: 'sgd', lr: 0.1 }), [0.9, -2.2]);
  closeAll(run({ type: 'sgd', lr: 0.1, momentum: 0.9 }), [0.855, -2.29]);
  closeAll(run({ type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }), [0.7695, -2.461]);
});

test('adamw decays kernels by lr*wd*w per step with zero gradient and leaves biases and norm parameters alone', () => {
  const v = vars({
    kernel: [
      [1, 2],
      [3, 4],
    ],
    bias: [1, 1],
    gamma: [[1, 1]],
  });
  const opt = makeOptimizer({ type: 'adamw', lr: 0.1, weightDecay: 0.5 });
  const grads = () => ({
    [v.kernel!.name]: tf.zerosLike(v.kernel!),
    [v.bias!.name]: tf.zerosLike(v.bias!),
    [v.gamma!.name]: tf.zerosLike(v.gamma!),
  });
  for (let s = 0; s < 3; s++) {
    const g = grads();
    opt.applyGradients(g);
    tf.dispose(Object.values(g));
  }
  // zero gradient -> the Adam part is 0 / (0 + eps) = 0; decay: w *= (1 - 0.1 * 0.5) each step -> w * 0.95^3 = w * 0.857375
  closeAll(
    values(v.kernel!),
    [1, 2, 3, 4].map((x) => x * 0.857375),
    1e-6,
    'kernel',
  );
  closeAll(values(v.bias!), [1, 1], 0, 'bias (rank 1)');
  closeAll(values(v.gamma!), [1, 1], 0, 'gamma (rank 2 but a norm parameter name)');
  opt.dispose();
  tf.dispose(Object.values(v));
});

test('adamw = adam step on the decayed weights; with weightDecay 0 it is exactly adam', () => {
  const step = (c: OptimizerConfig): number[] => {
    const { k } = vars({ k: [[1, -2]] });
    const opt = makeOptimizer(c);
    const g = tf.tensor([[0.5, 1]]);
    opt.applyGradients({ [k!.name]: g });
    const out = values(k!);
    opt.dispose();
    tf.dispose([k!, g]);
    return out;
  };
  const adam = step({ type: 'adam', lr: 0.01 });
  // first Adam step moves each weight by ~lr * sign(g) = 0.01
  closeAll(adam, [0.99, -2.01], 1e-5);
  // decoupled decay: w * (1 - 0.01 * 0.1) - adam update
  closeAll(step({ type: 'adamw', lr: 0.01, weightDecay: 0.1 }), [1 * 0.999 - 0.01, -2 * 0.999 - 0.01], 1e-5);
  closeAll(step({ type: 'adamw', lr: 0.01, weightDecay: 0 }), adam, 0);
});

test('optimiser state follows variable names, not the key order of the gradient map', () => {
  // Reference: momentum with the keys always in the same order; then the same gradients with the order swapped and one
  // key missing in the middle step. TF.js alone keys its slots by position, which would swap the two accumulators.
  const run = (orders: ('a' | 'b')[][]): number[] => {
    const v = vars({ a: [1], b: [1] });
    const ga = tf.tensor([1]);
    const gb = tf.tensor([-3]);
    const opt = makeOptimizer({ type: 'sgd', lr: 0.1, momentum: 0.9 });
    for (const keys of orders) {
      const map: tf.NamedTensorMap = {};
      for (const k of keys) map[v[k]!.name] = k === 'a' ? ga : gb;
      opt.applyGradients(map);
    }
    const out = [...values(v.a!), ...values(v.b!)];
    opt.dispose();
    tf.dispose([...Object.values(v), ga, gb]);
    return out;
  };
  // a: acc 1, 1.9 (no b), 2.71 -> a = 1 - 0.1 (1 + 1.9 + 2.71) = 0.439
  // b: acc -3, (skipped), -5.7 -> b = 1 + 0.1 (3 + 5.7) = 1.87
  closeAll(run([['a', 'b'], ['a'], ['b', 'a']]), [0.439, 1.87], 1e-5);
});

test('no tensors leak over a loop of steps, and dispose() frees every slot', () => {
  for (const c of ALL) {
    const baseline = tf.memory().numTensors;
    const v = vars({
      kernel: [
        [1, 2],
        [3, 4],
      ],
      bias: [0, 0],
    });
    const withVars = tf.memory().numTensors;
    const opt = makeOptimizer(c);
    for (let s = 0; s < 5; s++) {
      opt.setLearningRate(0.1 / (s + 1));
      const g = { [v.kernel!.name]: tf.onesLike(v.kernel!), [v.bias!.name]: tf.onesLike(v.bias!) };
      opt.applyGradients(g);
      tf.dispose(Object.values(g));
    }
    const afterSteps = tf.memory().numTensors;
    const opt2 = makeOptimizer(c);
    const g = { [v.kernel!.name]: tf.onesLike(v.kernel!), [v.bias!.name]: tf.onesLike(v.bias!) };
    opt2.applyGradients(g);
    opt2.setLearningRate(0.05);
    opt2.applyGradients(g);
    tf.dispose(Object.values(g));
    assert.is(tf.memory().numTensors, afterSteps + (afterSteps - withVars), `${label(c)}: slots grow only once, not per step`);
    opt2.dispose();
    opt.dispose();
    assert.is(tf.memory().numTensors, withVars, `${label(c)}: dispose() frees all optimiser tensors`);
    tf.dispose(Object.values(v));
    assert.is(tf.memory().numTensors, baseline, label(c));
  }
});

test('with a layers model: adamw + loss + schedule + clipping lower the loss and leak nothing', () => {
  const baseline = tf.memory().numTensors;
  // 3 separable classes in 2-D; deterministic initialisers so the run is reproducible
  const xs = tf.tensor2d([
    [2, 0],
    [2.2, 0.3],
    [1.8, -0.2],
    [0, 2],
    [0.3, 2.1],
    [-0.2, 1.9],
    [-2, -2],
    [-2.1, -1.7],
    [-1.8, -2.2],
  ]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 0, 0, 1, 1, 1, 2, 2, 2], 'int32'), 3).toFloat() as tf.Tensor2D);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, inputShape: [2], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), biasInitializer: 'ones' }),
    ],
  });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const bias = vars.find((v) => v.name.endsWith('bias') && v.shape[0] === 3)!;
  const loss = makeLoss('crossentropy', 'classification');
  const opt = makeOptimizer({ type: 'adamw', lr: 0.05, weightDecay: 0.1 });
  const sched = makeSchedule({ type: 'cosine', warmupSteps: 5 }, { baseLr: 0.05, stepsPerEpoch: 10, epochs: 4 });
  const lossAt = (): number => tf.tidy(() => loss(ys, model.predict(xs) as tf.Tensor2D).dataSync()[0]!);
  const first = lossAt();
  const afterSetup = tf.memory().numTensors;
  for (let step = 0; step < 40; step++) {
    opt.setLearningRate(sched.lrAt(step));
    const { value, grads } = tf.variableGrads(() => loss(ys, model.apply(xs, { training: true }) as tf.Tensor2D), vars);
    const clipped = clipByGlobalNorm(grads, 1);
    opt.applyGradients(clipped.grads);
    tf.dispose([value, clipped.norm, ...Object.values(grads), ...Object.values(clipped.grads)]);
  }
  const last = lossAt();
  assert.ok(last < first * 0.5, `loss fell from ${first} to ${last}`);
  // the only new tensors are Adam's two slots (m, v) per variable, made on the first step
  assert.is(tf.memory().numTensors, afterSetup + 2 * vars.length, 'no per-step growth');
  // AdamW's exclusion rule matches TF.js layer names such as "dense_Dense2/bias"
  assert.ok(bias.name.includes('/bias'), `TF.js layer variable names look like ${bias.name}`);
  opt.dispose();
  model.dispose();
  tf.dispose([xs, ys]);
  assert.is(tf.memory().numTensors, baseline, 'everything freed');
});

test('configuration and usage errors are clear', () => {
  const throwsLike = (f: () => unknown, re: RegExp): void =>
    assert.throws(f, (e: Error) => e instanceof OptionsError && re.test(e.message), String(re));
  throwsLike(() => makeOptimizer({ type: 'adagrad', lr: 0.1 } as never), /adam, adamw, sgd, rmsprop.*"adagrad"/);
  throwsLike(() => makeOptimizer({ type: 'adam', lr: 0 }), /optimizer\.lr.*> 0/);
  throwsLike(() => makeOptimizer({ type: 'adam', lr: 0.1, beta1: 1 }), /optimizer\.beta1.*\[0, 1\)/);
  throwsLike(() => makeOptimizer({ type: 'sgd', lr: 0.1, momentun: 0.9 } as never), /optimizer\.momentun.*momentum/);
  throwsLike(() => makeOptimizer({ type: 'adamw', lr: 0.1 } as never), /optimizer\.weightDecay/);
  throwsLike(() => makeOptimizer({ type: 'adamw', lr: 1, weightDecay: 2 }), /lr \* weightDecay < 1/);
  const opt = makeOptimizer({ type: 'adam', lr: 0.1 });
  throwsLike(() => opt.setLearningRate(Number.NaN), /finite lr >= 0/);
  const g = tf.tensor([1]);
  throwsLike(() => opt.applyGradients({ no_such_variable_xyz: g }), /"no_such_variable_xyz"/);
  opt.dispose();
  throwsLike(() => opt.setLearningRate(0.1), /after dispose/);
  g.dispose();
});

test.run();
