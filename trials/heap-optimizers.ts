/**
 * Optimiser steps for the wasm backend; `makeOptimizer` uses them there instead of the TF.js optimisers.
 *
 * Why: a TF.js optimiser step is a dozen element-wise ops per variable (Adam 14, global-norm clipping 3 more), each a kernel
 * dispatch (~7 us), a fresh heap buffer and its share of the ~140 MB/s of short-lived JS objects a training worker makes.
 * For the sweep's small models that was a large part of a batch (Adam + clipping, per batch: MLP 784-256-128-10 3.4 of
 * 12.4 ms; a 3-block residual MLP 2.0 of 5.5 ms; a 2-layer attention model with 37 variables 4.3 ms).
 * - The global norm is one read pass over the gradients on the heap (a number: nothing to sync).
 * - A variable of up to HEAP_LOOP_MAX elements is updated by one JS pass that writes the new weights into a fresh heap
 *   buffer. Never in place: the wasm `Identity` patch lets clones (the loop's kept best weights) share a variable's memory.
 *   Its slots (moments, accumulators) are plain Float32Arrays, which nothing else reads.
 * - A larger variable is updated by TF.js ops (SIMD, a fraction of a ns an element against 2-6 ns in scalar JS), with the
 *   clip factor and Adam's bias corrections folded into JS numbers. Its slots are kept tensors.
 *
 * The rules are TF.js 4.22's (tfjs-core/dist/optimizers/*.js), computed in double precision in the loop and stored as
 * float32: they agree with the TF.js optimisers to float rounding, not bit for bit, and are deterministic.
 */
import * as tf from '@tensorflow/tfjs';
import { heapTensor, type HeapBackend } from './wasm-heap.js';

/** One optimiser's update rule and hyperparameters (the lr is passed per step). */
export type HeapRule =
  | { readonly type: 'sgd' }
  | { readonly type: 'momentum'; readonly momentum: number; readonly nesterov: boolean }
  | { readonly type: 'adam'; readonly beta1: number; readonly beta2: number; readonly epsilon: number }
  | { readonly type: 'rmsprop'; readonly decay: number; readonly momentum: number; readonly epsilon: number };

/** Per-step inputs of `updateInto` besides the arrays. */
export interface StepScalars {
  /** The learning rate of this step. */
  readonly lr: number;
  /** Multiplies every gradient (the global-norm clip factor; 1 without clipping). */
  readonly scale: number;
  /** Multiplies the weights before the update (AdamW's 1 - lr * weightDecay; 1 otherwise). */
  readonly decay: number;
  /** Adam's bias corrections 1 - beta1^t and 1 - beta2^t of this step (t counts from 1; unused by the other rules). */
  readonly correction1: number;
  readonly correction2: number;
}

/**
 * Variables up to this many elements are updated by a JS loop, larger ones by TF.js ops. A JS loop costs 2-6 ns an element
 * (scalar code: sgd ~2, adam ~5), a TF.js op ~7 us of dispatch plus a fraction of a ns an element (SIMD): with a dozen ops
 * an update, the loop wins below some tens of thousands of elements.
 */
export const HEAP_LOOP_MAX = 32_768;

/** How many slot arrays each rule keeps per variable. */
export function slotCount(rule: HeapRule): number {
  return rule.type === 'sgd' ? 0 : rule.type === 'momentum' ? 1 : 2;
}

/**
 * Adam's step as lr' * m / (sqrt(v) + eps'): lr * (m / c1) / (sqrt(v / c2) + eps) with the corrections moved out of the
 * element loop (one division and one square root an element instead of three divisions).
 */
function adamFactors(lr: number, epsilon: number, s: StepScalars): { rate: number; eps: number } {
  const root = Math.sqrt(s.correction2);
  return { rate: (lr * root) / s.correction1, eps: epsilon * root };
}

/**
 * Writes the updated weights of one variable into `out` and updates its slots in place. `w`, `g` and `out` have one length;
 * `slots` are `slotCount(rule)` arrays of that length (zeros before the first step). `out` may not alias `w`.
 */
export function updateInto(
  rule: HeapRule,
  w: Float32Array,
  g: Float32Array,
  slots: readonly Float32Array[],
  out: Float32Array,
  s: StepScalars,
): void {
  const n = w.length;
  const { lr, scale, decay } = s;
  switch (rule.type) {
    case 'sgd': {
      const k = lr * scale;
      for (let i = 0; i < n; i++) out[i] = w[i]! * decay - k * g[i]!;
      return;
    }
    case 'momentum': {
      // TF.js MomentumOptimizer: acc = m * acc + g; w += -lr * acc, or with nesterov w += -lr * (g + m * acc).
      const acc = slots[0]!;
      const mu = rule.momentum;
      const nesterov = rule.nesterov;
      for (let i = 0; i < n; i++) {
        const gi = g[i]! * scale;
        const a = mu * acc[i]! + gi;
        acc[i] = a;
        out[i] = w[i]! * decay - lr * (nesterov ? gi + a * mu : a);
      }
      return;
    }
    case 'adam': {
      // TF.js AdamOptimizer: m and v as usual; w += -lr * (m / c1) / (sqrt(v / c2) + eps), eps outside the square root.
      const [m, v] = slots as [Float32Array, Float32Array];
      const { beta1, beta2 } = rule;
      const { rate, eps } = adamFactors(lr, rule.epsilon, s);
      for (let i = 0; i < n; i++) {
        const gi = g[i]! * scale;
        const mi = beta1 * m[i]! + (1 - beta1) * gi;
        const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        out[i] = w[i]! * decay - (rate * mi) / (Math.sqrt(vi) + eps);
      }
      return;
    }
    case 'rmsprop': {
      // TF.js RMSPropOptimizer (not centred): ms = d * ms + (1 - d) * g^2; mom = mu * mom + lr * g / sqrt(ms + eps); w -= mom.
      const [ms, mom] = slots as [Float32Array, Float32Array];
      const { decay: d, momentum: mu, epsilon } = rule;
      for (let i = 0; i < n; i++) {
        const gi = g[i]! * scale;
        const a = d * ms[i]! + (1 - d) * gi * gi;
        const b = mu * mom[i]! + (lr * gi) / Math.sqrt(a + epsilon);
        ms[i] = a;
        mom[i] = b;
        out[i] = w[i]! * decay - b;
      }
      return;
    }
  }
}

/**
 * The same update as `updateInto` with TF.js ops, for variables above HEAP_LOOP_MAX. Returns the new weights and slots (new
 * tensors; the inputs are not disposed).
 */
export function updateWithOps(
  rule: HeapRule,
  w: tf.Tensor,
  g: tf.Tensor,
  slots: readonly tf.Tensor[],
  s: StepScalars,
): { weights: tf.Tensor; slots: tf.Tensor[] } {
  return tf.tidy(() => {
    const gs = s.scale === 1 ? g : tf.mul(g, s.scale);
    const wd = s.decay === 1 ? w : tf.mul(w, s.decay);
    switch (rule.type) {
      case 'sgd':
        return { weights: tf.sub(wd, tf.mul(gs, s.lr)), slots: [] };
      case 'momentum': {
        const acc = tf.add(tf.mul(slots[0]!, rule.momentum), gs);
        const dir = rule.nesterov ? tf.add(gs, tf.mul(acc, rule.momentum)) : acc;
        return { weights: tf.sub(wd, tf.mul(dir, s.lr)), slots: [acc] };
      }
      case 'adam': {
        const { rate, eps } = adamFactors(s.lr, rule.epsilon, s);
        const m = tf.add(tf.mul(slots[0]!, rule.beta1), tf.mul(gs, 1 - rule.beta1));
        const v = tf.add(tf.mul(slots[1]!, rule.beta2), tf.mul(tf.square(gs), 1 - rule.beta2));
        return { weights: tf.sub(wd, tf.div(tf.mul(m, rate), tf.add(tf.sqrt(v), eps))), slots: [m, v] };
      }
      case 'rmsprop': {
        const ms = tf.add(tf.mul(slots[0]!, rule.decay), tf.mul(tf.square(gs), 1 - rule.decay));
        const mom = tf.add(tf.mul(slots[1]!, rule.momentum), tf.div(tf.mul(gs, s.lr), tf.sqrt(tf.add(ms, rule.epsilon))));
        return { weights: tf.sub(wd, mom), slots: [ms, mom] };
      }
    }
  });
}

/** sqrt of the sum of squares over every array, accumulated in double precision (NaN/Inf propagate). */
export function globalNormOf(arrays: readonly Float32Array[]): number {
  // Four partial sums: one sum is a chain of dependent adds, bound by the add latency (~3x slower).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (const a of arrays) {
    const n = a.length;
    const n4 = n - (n & 3);
    let i = 0;
    for (; i < n4; i += 4) {
      const x0 = a[i]!;
      const x1 = a[i + 1]!;
      const x2 = a[i + 2]!;
      const x3 = a[i + 3]!;
      s0 += x0 * x0;
      s1 += x1 * x1;
      s2 += x2 * x2;
      s3 += x3 * x3;
    }
    for (; i < n; i++) s0 += a[i]! * a[i]!;
  }
  return Math.sqrt(s0 + s1 + s2 + s3);
}

/** One variable's part of a step: the variable, its gradient, and whether AdamW's weight decay applies to it. */
export interface HeapTarget {
  readonly variable: tf.Variable;
  readonly gradient: tf.Tensor;
  readonly decayed: boolean;
}

/**
 * The optimiser state of a wasm training run: the rule, the slots per variable name, and Adam's step count. One per
 * `makeOptimizer` call; `dispose` drops the slots.
 */
export class HeapOptimizer {
  /** Slots of the loop-updated variables, by name. */
  private readonly arrays = new Map<string, Float32Array[]>();
  /** Slots of the op-updated variables (kept tensors), by name. */
  private readonly tensors = new Map<string, tf.Tensor[]>();
  private power1 = 1;
  private power2 = 1;

  constructor(
    private readonly rule: HeapRule,
    private readonly heap: HeapBackend,
    private readonly loopMax = HEAP_LOOP_MAX,
  ) {}

  /**
   * The global norm of the gradients (double precision), for the loop's diagnostics and for clipping. Takes views of the heap
   * and allocates nothing while it holds them (a malloc could grow the heap and detach them).
   */
  norm(targets: readonly HeapTarget[]): number {
    return globalNormOf(targets.map((t) => this.heap.typedArrayFromHeap(t.gradient)));
  }

  /**
   * One step for every target: gradients times `scale`, weights of decayed targets times 1 - lr * weightDecay (AdamW), then
   * the rule. Call once per training step, also with no targets: Adam's bias correction counts the calls. Each variable gets
   * a new buffer (`assign`), so tensors that share its old memory keep their values.
   */
  apply(targets: readonly HeapTarget[], lr: number, scale: number, weightDecay: number): void {
    if (this.rule.type === 'adam') {
      // TF.js keeps beta^t as a float32 variable multiplied once per step; the double product differs only in rounding.
      this.power1 *= this.rule.beta1;
      this.power2 *= this.rule.beta2;
    }
    const base = { lr, scale, correction1: 1 - this.power1, correction2: 1 - this.power2 };
    const decayFactor = 1 - lr * weightDecay;
    for (const { variable, gradient, decayed } of targets) {
      if (variable.dtype !== 'float32' || gradient.dtype !== 'float32') {
        throw new Error(`the wasm optimiser step needs float32 variables and gradients, got ${variable.name}: ${variable.dtype}`);
      }
      const scalars = { ...base, decay: decayed ? decayFactor : 1 };
      if (variable.size > this.loopMax) this.applyOps(variable, gradient, scalars);
      else this.applyLoop(variable, gradient, scalars);
    }
  }

  /** Drops every slot. */
  dispose(): void {
    this.arrays.clear();
    for (const slots of this.tensors.values()) tf.dispose(slots);
    this.tensors.clear();
  }

  private applyLoop(variable: tf.Variable, gradient: tf.Tensor, scalars: StepScalars): void {
    let slots = this.arrays.get(variable.name);
    if (slots === undefined) {
      slots = Array.from({ length: slotCount(this.rule) }, () => new Float32Array(variable.size));
      this.arrays.set(variable.name, slots);
    }
    const next = heapTensor(this.heap, variable.shape, (out) =>
      updateInto(this.rule, this.heap.typedArrayFromHeap(variable), this.heap.typedArrayFromHeap(gradient), slots, out, scalars),
    );
    variable.assign(next);
    next.dispose();
  }

  private applyOps(variable: tf.Variable, gradient: tf.Tensor, scalars: StepScalars): void {
    let slots = this.tensors.get(variable.name);
    if (slots === undefined) {
      slots = Array.from({ length: slotCount(this.rule) }, () => tf.keep(tf.zerosLike(variable)));
      this.tensors.set(variable.name, slots);
    }
    const next = updateWithOps(this.rule, variable, gradient, slots, scalars);
    variable.assign(next.weights);
    next.weights.dispose();
    tf.dispose(slots);
    this.tensors.set(
      variable.name,
      next.slots.map((t) => tf.keep(t)),
    );
  }
}
