/**
 * Batch plumbing for the training loop: per-epoch shuffled copies of the training split built in JS, targets in the width the
 * model outputs, the forward pass, and batched evaluation of a split.
 *
 * Why JS arrays and not tensor slicing: on the wasm backend `tf.slice`/`tf.gather` of 128 rows from a 10,000 x 784 tensor costs
 * 20-40 ms, while `tf.tensor(float32Array.subarray(...))` costs ~0.15 ms. So each epoch copies the rows into a shuffled order
 * once (~10 ms for MNIST) and every batch is a contiguous subarray of that copy.
 */
import * as tf from '@tensorflow/tfjs';
import type seedrandom from 'seedrandom';
import { argmaxRows, confusionMatrix, metricsFromConfusion, regressionMetrics } from './metrics.js';
import type { LossFn, Split, Task } from './types.js';

/**
 * The y rows the model is trained against: one-hot [n, outputs] for classification (labels are validated integers), a copy of
 * the targets [n, 1] for regression. Built once per split per trial.
 */
export function targetsFor(split: Split, task: Task, outputs: number): Float32Array {
  if (task === 'regression') return Float32Array.from(split.y);
  const out = new Float32Array(split.n * outputs);
  for (let i = 0; i < split.n; i++) out[i * outputs + split.y[i]!] = 1;
  return out;
}

/** A seeded Fisher-Yates permutation of 0..n-1 drawn from `rng` (advances it by n - 1 draws). */
export function permutation(n: number, rng: seedrandom.PRNG): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * Fills `into` (allocated once per trial, see `epochBuffers`) with the split's rows and target rows in a new seeded order, for
 * one epoch. The buffers are reused because first-touching a fresh 30 MB array costs ~115 ms of page faults on this VM versus
 * ~2 ms to overwrite a warm one. The augmenter may modify batch subarrays in place: each epoch rewrites every row, and the
 * dataset itself is never touched.
 */
export function shuffledEpoch(
  split: Split,
  rowSize: number,
  targets: Float32Array,
  outputs: number,
  rng: seedrandom.PRNG,
  into: { x: Float32Array; y: Float32Array } = epochBuffers(split.n, rowSize, outputs),
): { x: Float32Array; y: Float32Array } {
  const order = permutation(split.n, rng);
  const { x, y } = into;
  const sx = split.x;
  // Wide input rows: subarray + set (a memcpy) beats an index loop (~10 vs ~20 ms for MNIST); narrow target rows: a loop
  // (no view object per row).
  for (let i = 0; i < split.n; i++) {
    const r = order[i]!;
    x.set(sx.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
    for (let k = 0, src = r * outputs, dst = i * outputs; k < outputs; k++) y[dst + k] = targets[src + k]!;
  }
  return { x, y };
}

/** Buffers for `shuffledEpoch`: n rows of `rowSize` inputs and `outputs` targets. */
export function epochBuffers(n: number, rowSize: number, outputs: number): { x: Float32Array; y: Float32Array } {
  return { x: new Float32Array(n * rowSize), y: new Float32Array(n * outputs) };
}

/** Runs the model on a batch: the main head and, for a two-output model (aux head), the aux head. */
export function forward(model: tf.LayersModel, x: tf.Tensor, training: boolean): { main: tf.Tensor2D; aux?: tf.Tensor2D } {
  const out = model.apply(x, { training }) as tf.Tensor | tf.Tensor[];
  if (Array.isArray(out)) return { main: out[0] as tf.Tensor2D, aux: out[1] as tf.Tensor2D | undefined };
  return { main: out as tf.Tensor2D };
}

/** Loss and raw main-head outputs of a whole split, evaluated in inference mode. */
export interface SplitEval {
  /** Mean loss over the split (each batch's mean loss weighted by its size); NaN for an empty split. */
  readonly loss: number;
  /** [n, outputs] logits (classification) or predictions (regression), row-major. */
  readonly outputs: Float32Array;
}

/**
 * Evaluates `split` in batches of `batchSize` (contiguous subarrays, no shuffling) with `training: false` (dropout off,
 * batch norm on moving statistics). One sync per batch to collect the outputs; leaves no tensors behind.
 */
export function evaluateSplit(
  model: tf.LayersModel,
  lossFn: LossFn,
  split: Split,
  targets: Float32Array,
  inputShape: readonly number[],
  outputs: number,
  batchSize: number,
): SplitEval {
  const rowSize = inputShape.reduce((a, b) => a * b, 1);
  const preds = new Float32Array(split.n * outputs);
  let lossSum = 0;
  for (let lo = 0; lo < split.n; lo += batchSize) {
    const hi = Math.min(split.n, lo + batchSize);
    const n = hi - lo;
    const [main, loss] = tf.tidy(() => {
      const x = tf.tensor(split.x.subarray(lo * rowSize, hi * rowSize), [n, ...inputShape]);
      const y = tf.tensor2d(targets.subarray(lo * outputs, hi * outputs), [n, outputs]);
      const out = forward(model, x, false);
      return [out.main, lossFn(y, out.main, out.aux)];
    });
    preds.set(main.dataSync(), lo * outputs);
    lossSum += loss.dataSync()[0]! * n;
    main.dispose();
    loss.dispose();
  }
  return { loss: split.n > 0 ? lossSum / split.n : NaN, outputs: preds };
}

/**
 * Metrics of evaluated outputs against the split's labels (names without prefix) and, for classification, the confusion
 * matrix (`k = outputs` classes).
 */
export function scoreSplit(
  task: Task,
  split: Split,
  outputs: Float32Array,
  k: number,
): { metrics: Record<string, number>; confusion?: number[][] } {
  if (task === 'regression') return { metrics: { ...regressionMetrics(split.y, outputs) } };
  const predicted = argmaxRows(outputs, k);
  const confusion = confusionMatrix(split.y, predicted, k);
  return { metrics: { ...metricsFromConfusion(confusion) }, confusion };
}

/**
 * An epoch's sum of batch losses and the sum and max of its gradient norms. A norm the optimiser returns as a number (wasm,
 * where the step computes it on the heap) is summed in JS with the batch loss read at once (~5 us on wasm); a norm returned
 * as a scalar tensor is summed on the device, so a GPU backend never syncs per batch. `add` runs inside the batch's tidy.
 */
export class BatchStats {
  private loss = 0;
  private normSum = 0;
  private normMax = 0;
  /** Device sums: loss, norm sum, norm max (kept out of every tidy). */
  private device: tf.Scalar[] | undefined;

  add(loss: tf.Scalar, norm: number | tf.Scalar): void {
    if (typeof norm === 'number') {
      this.loss += loss.dataSync()[0]!;
      this.normSum += norm;
      // NaN must stick (the non-finite flag reads it); Math.max propagates NaN.
      this.normMax = Math.max(this.normMax, norm);
      return;
    }
    const prev = this.device ?? [tf.scalar(0), tf.scalar(0), tf.scalar(0)];
    this.device = [tf.add(prev[0]!, loss), tf.add(prev[1]!, norm), tf.maximum(prev[2]!, norm)].map((t) => tf.keep(t as tf.Scalar));
    tf.dispose(prev);
  }

  /** The totals so far (one sync for the device sums), then zeroed for the next epoch. */
  take(): { lossTotal: number; normTotal: number; normPeak: number } {
    let out = { lossTotal: this.loss, normTotal: this.normSum, normPeak: this.normMax };
    if (this.device) {
      const stacked = tf.tidy(() => tf.stack(this.device!));
      const [l, s, m] = stacked.dataSync();
      stacked.dispose();
      out = { lossTotal: out.lossTotal + l!, normTotal: out.normTotal + s!, normPeak: Math.max(out.normPeak, m!) };
    }
    this.dispose();
    return out;
  }

  /** Frees the device sums and zeroes everything. */
  dispose(): void {
    tf.dispose(this.device);
    this.device = undefined;
    this.loss = this.normSum = this.normMax = 0;
  }
}
