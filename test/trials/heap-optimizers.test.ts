/**
 * The wasm optimiser step (trials/heap-optimizers.ts, used by makeOptimizer on wasm) against the TF.js optimisers on cpu:
 * every optimiser type, with and without clipping, AdamW's decay, variables on both sides of HEAP_LOOP_MAX (the JS loop and
 * the TF.js-op path), several steps with a changing lr. Also: the loop and the op path agree element for element, a clone
 * sharing a variable's memory keeps its values, a NaN gradient turns the norm and the clipped weights NaN, nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { useBackend } from '../../trials/backend.js';
import { HEAP_LOOP_MAX, slotCount, updateInto, updateWithOps, type HeapRule, type StepScalars } from '../../trials/heap-optimizers.js';
import { makeOptimizer } from '../../trials/optimizers.js';
import { OptionsError } from '../../src/core/errors.js';
import type { OptimizerConfig } from '../../trials/types.js';

const CONFIGS: OptimizerConfig[] = [
  { type: 'sgd', lr: 0.05 },
  { type: 'sgd', lr: 0.05, momentum: 0.9 },
  { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
  { type: 'adam', lr: 0.01 },
  { type: 'adam', lr: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-5 },
  { type: 'adamw', lr: 0.01, weightDecay: 0.05 },
  { type: 'rmsprop', lr: 0.01 },
  { type: 'rmsprop', lr: 0.01, momentum: 0.5, decay: 0.8 },
];

/** Shapes: a kernel above HEAP_LOOP_MAX (op path), a small kernel and a bias (loop path; the bias is never decayed). */
const SHAPES: Record<string, number[]> = { big: [HEAP_LOOP_MAX / 64 + 3, 64], small: [12, 7], bias: [7] };

function randomArrays(seed: string): { init: Record<string, Float32Array>; grads: Record<string, Float32Array>[] } {
  const rng = seedrandom(seed);
  const fill = (shape: number[], scale: number): Float32Array =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng() - 0.5) * scale);
  const init: Record<string, Float32Array> = {};
  for (const [k, s] of Object.entries(SHAPES)) init[k] = fill(s, 2);
  const grads = Array.from({ length: 4 }, () => {
    const g: Record<string, Float32Array> = {};
    for (const [k, s] of Object.entries(SHAPES)) g[k] = fill(s, 0.2);
    return g;
  });
  return { init, grads };
}

let uid = 0;

/** Runs `steps` optimiser steps on the active backend; returns the final weights and the norms `step` returned. */
function train(
  config: OptimizerConfig,
  clipNorm: number | undefined,
  seed: string,
): { weights: Record<string, Float32Array>; norms: number[] } {
  const { init, grads } = randomArrays(seed);
  uid++;
  const vars: Record<string, tf.Variable> = {};
  for (const [k, s] of Object.entries(SHAPES)) {
    const t = tf.tensor(init[k]!, s);
    vars[k] = tf.variable(t, true, `heapopt${uid}/${k === 'bias' ? 'bias' : `${k}/kernel`}`);
    t.dispose(); // the variable holds its own reference
  }
  const opt = makeOptimizer(config);
  const norms: number[] = [];
  grads.forEach((g, step) => {
    opt.setLearningRate(config.lr * (1 - 0.2 * step));
    const map: tf.NamedTensorMap = {};
    for (const [k, s] of Object.entries(SHAPES)) map[vars[k]!.name] = tf.tensor(g[k]!, s);
    const norm = opt.step(map, clipNorm);
    norms.push(typeof norm === 'number' ? norm : norm.dataSync()[0]!);
    if (typeof norm !== 'number') norm.dispose();
    tf.dispose(Object.values(map));
  });
  const weights: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(vars)) weights[k] = v.dataSync() as Float32Array;
  opt.dispose();
  tf.dispose(Object.values(vars));
  return { weights, norms };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel = 2e-5, abs = 1e-6): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) assert.unreachable(`${what}[${i}]: wasm ${a}, TF.js on cpu ${e}`);
  }
}

test('wasm steps match the TF.js optimisers on cpu: every type, clipped or not, loop and op paths, lr changing', async () => {
  for (const config of CONFIGS) {
    for (const clipNorm of [undefined, 0.5]) {
      const seed = `${JSON.stringify(config)}:${String(clipNorm)}`;
      await useBackend('cpu');
      const before = tf.memory().numTensors;
      const ref = train(config, clipNorm, seed);
      assert.is(tf.memory().numTensors, before, 'cpu path leaks nothing');
      await useBackend('wasm');
      const wasmBefore = tf.memory().numTensors;
      const got = train(config, clipNorm, seed);
      assert.is(tf.memory().numTensors, wasmBefore, `wasm path leaks nothing (${seed})`);
      close(got.norms, ref.norms, `${seed} norms`, 1e-5);
      for (const k of Object.keys(SHAPES)) close(got.weights[k]!, ref.weights[k]!, `${seed} ${k}`);
      // The clip engaged (norms above 0.5) and so did the update: the weights moved.
      if (clipNorm !== undefined)
        assert.ok(
          ref.norms.every((n) => n > clipNorm),
          `${seed}: clipping engaged`,
        );
    }
  }
});

test('the JS loop and the TF.js-op path compute the same update for every rule', async () => {
  await useBackend('wasm');
  const rules: HeapRule[] = [
    { type: 'sgd' },
    { type: 'momentum', momentum: 0.9, nesterov: false },
    { type: 'momentum', momentum: 0.9, nesterov: true },
    { type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    { type: 'rmsprop', decay: 0.9, momentum: 0.3, epsilon: 1e-7 },
  ];
  const rng = seedrandom('paths');
  const n = 257;
  const rand = (s: number): Float32Array => Float32Array.from({ length: n }, () => (rng() - 0.5) * s);
  const s: StepScalars = { lr: 0.03, scale: 0.7, decay: 0.99, correction1: 1 - 0.9 ** 3, correction2: 1 - 0.999 ** 3 };
  for (const rule of rules) {
    const w = rand(2);
    const g = rand(1);
    // Adam's v (slot 1) and RMSProp's mean square (slot 0) are never negative.
    const square = rule.type === 'adam' ? 1 : rule.type === 'rmsprop' ? 0 : -1;
    const slots = Array.from({ length: slotCount(rule) }, (_, i) => (i === square ? rand(1).map(Math.abs) : rand(1)));
    const out = new Float32Array(n);
    const loopSlots = slots.map((a) => a.slice());
    updateInto(rule, w, g, loopSlots, out, s);
    const ops = updateWithOps(
      rule,
      tf.tensor(w),
      tf.tensor(g),
      slots.map((a) => tf.tensor(a)),
      s,
    );
    close(out, ops.weights.dataSync(), `${rule.type} weights`, 1e-5);
    ops.slots.forEach((t, i) => close(loopSlots[i]!, t.dataSync(), `${rule.type} slot ${i}`, 1e-5));
    // The update moved every weight (no rule silently did nothing).
    assert.ok(
      out.every((x, i) => x !== w[i]),
      `${rule.type}: every weight moved`,
    );
    tf.dispose([ops.weights, ...ops.slots]);
  }
  tf.disposeVariables();
});

test('on wasm a clone that shares a variable memory keeps its values through a step', async () => {
  await useBackend('wasm');
  for (const shape of [[4, 3], [HEAP_LOOP_MAX + 1]]) {
    const v = tf.tidy(() => tf.variable(tf.ones(shape), true, `heapopt-clone${shape.length}/kernel`));
    const kept = tf.clone(v); // the wasm Identity patch shares v's buffer
    const opt = makeOptimizer({ type: 'adam', lr: 0.1 });
    opt.step({ [v.name]: tf.onesLike(v) });
    assert.ok(
      kept.dataSync().every((x) => x === 1),
      `clone of [${shape.join(', ')}] unchanged`,
    );
    assert.ok(
      v.dataSync().every((x) => Math.abs(x - 0.9) < 1e-5),
      `variable of [${shape.join(', ')}] stepped by lr`,
    );
    opt.dispose();
    tf.dispose([v, kept]);
  }
});

test('on wasm a NaN gradient makes the returned norm NaN and, clipped, every weight NaN (as TensorFlow does)', async () => {
  await useBackend('wasm');
  const v = tf.tidy(() => tf.variable(tf.tensor([1, 2, 3]), true, 'heapopt-nan/kernel'));
  const opt = makeOptimizer({ type: 'sgd', lr: 0.1 });
  const g = tf.tensor([0.1, NaN, 0.1]);
  const norm = opt.step({ [v.name]: g }, 5);
  assert.ok(typeof norm === 'number' && Number.isNaN(norm));
  assert.ok(Array.from(v.dataSync()).every(Number.isNaN));
  opt.dispose();
  tf.dispose([v, g]);
});

test('on wasm, step names the unknown variable and rejects a bad clipNorm', async () => {
  await useBackend('wasm');
  const opt = makeOptimizer({ type: 'adam', lr: 0.1 });
  const g = tf.ones([2]);
  const fails = (f: () => unknown, re: RegExp): void =>
    assert.throws(f, (e: Error) => e instanceof OptionsError && re.test(e.message), String(re));
  fails(() => opt.step({ heapopt_no_such_variable: g }), /optimizer\.step: no variable named "heapopt_no_such_variable"/);
  for (const bad of [0, -1, NaN, Infinity]) fails(() => opt.step({}, bad), /clipNorm must be a finite number > 0/);
  opt.dispose();
  g.dispose();
});

test.run();
