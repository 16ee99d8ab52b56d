/**
 * A compact training loop for compression: distillation (a loss that also reads the teacher's logits) and fine-tuning after
 * pruning (with hooks to re-apply masks after every optimiser step). `runTrial` (trials/loop.ts) trains from a config and
 * builds its own model, so it cannot train a given, pruned model or take extra per-row targets; this loop can, and reuses the
 * trial runtime's batch plumbing (`shuffledEpoch`, `epochBuffers`, `targetsFor`, `evaluateSplit`, `scoreSplit`), optimisers
 * and schedules.
 *
 * Extra per-row targets (teacher logits) ride along in the target rows: each row is `[one-hot label | extra]`, so one seeded
 * `shuffledEpoch` permutes inputs, labels and teacher logits together, and a batch is a contiguous subarray (never a
 * `tf.slice` of a big tensor, which costs 20-40 ms on wasm). The two parts are split in JS (a few thousand floats per batch).
 *
 * Determinism: shuffles use the seedrandom stream `tunekit-compress:<seed>`; same model weights + data + seed => same result.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { indexVariables } from '../../../trials/diagnostics.js';
import { epochBuffers, evaluateSplit, forward, scoreSplit, shuffledEpoch, targetsFor } from '../../../trials/epoch.js';
import { makeLoss } from '../../../trials/losses.js';
import { makeOptimizer } from '../../../trials/optimizers.js';
import { makeSchedule } from '../../../trials/schedules.js';
import type { Dataset, LossFn, OptimizerConfig, ScheduleConfig, Split } from '../../../trials/types.js';
import { rowSizeOf } from './common.js';

/** Evaluation batch: large (no activations kept for backprop) but bounded for conv activations. */
export const EVAL_BATCH = 256;

/** Loss of one batch: `labels` one-hot [n, k] (or targets [n, 1]), `out` the model's main head, `extra` the extra rows. */
export type CompactLoss = (labels: tf.Tensor2D, out: tf.Tensor2D, extra: tf.Tensor2D | undefined) => tf.Scalar;

/** Options of `trainCompact`. */
export interface CompactTrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerConfig;
  readonly schedule?: ScheduleConfig;
  readonly seed: number;
  readonly loss: CompactLoss;
  /** Per-training-row extra targets, `width` values per row (e.g. teacher logits, width = numClasses). */
  readonly extra?: { readonly values: Float32Array; readonly width: number };
  /** Called before every optimiser step with the global step index (0-based), e.g. to prune on a schedule. */
  readonly beforeStep?: (step: number) => void;
  /** Called after every optimiser step with the global step index, e.g. to re-apply pruning masks. */
  readonly afterStep?: (step: number) => void;
  readonly signal?: AbortSignal;
}

/** What the loop records per epoch. */
export interface CompactEpoch {
  readonly epoch: number;
  /** Mean of the batch losses (the training loss, e.g. the distillation loss). */
  readonly trainLoss: number;
  /** Plain loss (cross-entropy / mse) on the validation split, inference mode. */
  readonly valLoss: number;
  /** Validation metrics without prefix (accuracy, f1Macro... or rmse...). */
  readonly val: Readonly<Record<string, number>>;
  readonly ms: number;
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Width of the model's main head for `data`. */
export function outputsOf(data: Dataset): number {
  return data.task === 'classification' ? data.numClasses : 1;
}

/** The plain task loss (cross-entropy for classification, mse for regression) used for fine-tuning and evaluation. */
export function taskLoss(data: Dataset): LossFn {
  return makeLoss(data.task === 'classification' ? 'crossentropy' : 'mse', data.task);
}

/**
 * Trains `model` in place for `opts.epochs` epochs on `data.train` and evaluates on `data.val` after every epoch. Called by
 * `distill` (distillation loss) and `prune` (fine-tuning with masks). Every tensor it creates is disposed before it returns,
 * also when it throws; an aborted signal stops it before the next batch (the epochs so far are returned).
 */
export async function trainCompact(model: tf.LayersModel, data: Dataset, opts: CompactTrainOptions): Promise<CompactEpoch[]> {
  const { inputShape, task } = data;
  const rowSize = rowSizeOf(inputShape);
  const k = outputsOf(data);
  const e = opts.extra?.width ?? 0;
  const width = k + e;
  const n = data.train.n;
  if (opts.extra && opts.extra.values.length !== n * e) {
    throw new RangeError(`extra targets must hold train.n * width = ${n * e} values, got ${opts.extra.values.length}`);
  }
  const labels = targetsFor(data.train, task, k);
  // [label | extra] rows, so one shuffle moves both.
  let rows = labels;
  if (opts.extra) {
    rows = new Float32Array(n * width);
    for (let i = 0; i < n; i++) {
      rows.set(labels.subarray(i * k, (i + 1) * k), i * width);
      rows.set(opts.extra.values.subarray(i * e, (i + 1) * e), i * width + k);
    }
  }
  const steps = Math.ceil(n / opts.batchSize);
  const rng = seedrandom(`tunekit-compress:${opts.seed}`);
  const buffers = epochBuffers(n, rowSize, width);
  const yBuf = new Float32Array(opts.batchSize * k);
  const eBuf = new Float32Array(opts.batchSize * e);
  const evalLoss = taskLoss(data);
  const valTargets = targetsFor(data.val, task, k);
  const { variables } = indexVariables(model);
  const optimizer = makeOptimizer(opts.optimizer);
  const history: CompactEpoch[] = [];
  let lossSum: tf.Scalar | undefined;
  try {
    const schedule = makeSchedule(opts.schedule, { baseLr: opts.optimizer.lr, stepsPerEpoch: steps, epochs: Math.max(1, opts.epochs) });
    let step = 0;
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const t0 = performance.now();
      const { x: ex, y: ey } = shuffledEpoch(data.train, rowSize, rows, width, rng, buffers);
      lossSum = tf.scalar(0);
      for (let b = 0; b < steps; b++) {
        if (opts.signal?.aborted) return history;
        const lo = b * opts.batchSize;
        const hi = Math.min(n, lo + opts.batchSize);
        const m = hi - lo;
        let yRows = ey.subarray(lo * width, hi * width);
        let eRows: Float32Array | undefined;
        if (e > 0) {
          for (let i = 0; i < m; i++) {
            const src = (lo + i) * width;
            for (let j = 0; j < k; j++) yBuf[i * k + j] = ey[src + j]!;
            for (let j = 0; j < e; j++) eBuf[i * e + j] = ey[src + k + j]!;
          }
          yRows = yBuf.subarray(0, m * k);
          eRows = eBuf.subarray(0, m * e);
        }
        opts.beforeStep?.(step);
        optimizer.setLearningRate(schedule.lrAt(step));
        const prev: tf.Scalar = lossSum;
        lossSum = tf.tidy(() => {
          const x = tf.tensor(ex.subarray(lo * rowSize, hi * rowSize), [m, ...inputShape]);
          const y = tf.tensor2d(yRows, [m, k]);
          const extra = eRows ? tf.tensor2d(eRows, [m, e]) : undefined;
          const { value, grads } = tf.variableGrads(() => opts.loss(y, forward(model, x, true).main, extra), variables);
          optimizer.applyGradients(grads);
          return tf.add(prev, value) as tf.Scalar;
        });
        prev.dispose();
        opts.afterStep?.(step);
        step++;
        await nextTick();
      }
      const trainLoss = lossSum.dataSync()[0]! / steps;
      lossSum.dispose();
      lossSum = undefined;
      const val = evaluateSplit(model, evalLoss, data.val, valTargets, inputShape, k, EVAL_BATCH);
      const scores = scoreSplit(task, data.val, val.outputs, k);
      schedule.onEpochEnd(val.loss);
      history.push({ epoch, trainLoss, valLoss: val.loss, val: scores.metrics, ms: performance.now() - t0 });
    }
    return history;
  } finally {
    lossSum?.dispose();
    optimizer.dispose();
  }
}

/** Logits / outputs of `model` on a whole split, [n, outputs] row-major, inference mode, batched. */
export function predictSplit(model: tf.LayersModel, data: Dataset, split: Split): Float32Array {
  const k = outputsOf(data);
  return evaluateSplit(model, taskLoss(data), split, targetsFor(split, data.task, k), data.inputShape, k, EVAL_BATCH).outputs;
}

/**
 * Loss and metrics of `model` on `split` (named without prefix: loss, accuracy, f1Macro... or loss, rmse, mae, r2). Called by
 * the before/after measurements of every compression step.
 */
export function evaluateModel(model: tf.LayersModel, data: Dataset, split: Split): Record<string, number> {
  const k = outputsOf(data);
  const ev = evaluateSplit(model, taskLoss(data), split, targetsFor(split, data.task, k), data.inputShape, k, EVAL_BATCH);
  return { loss: ev.loss, ...scoreSplit(data.task, split, ev.outputs, k).metrics };
}
