/**
 * Before/after figures of a compression step: parameter count, non-zero parameters and sparsity, checkpoint file size (raw and
 * gzipped: magnitude pruning leaves the float32 file as large as before, but zeros compress), accuracy / loss on a split, and
 * inference latency at batch 1 and 256 on the active backend. Called by `prune` and `distill` on the original and the
 * compressed model, in the same process, so the two sets of figures are comparable (latency still drifts with machine load).
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { MODEL_JSON, WEIGHTS_BIN, saveModel } from '../../../trials/checkpoint.js';
import type { Dataset, Split } from '../../../trials/types.js';
import { prunableKernels, rowSizeOf } from './common.js';
import { evaluateModel } from './train.js';

/** Latency measurement settings: `false` skips it; `runs` timed forward passes per batch size (median reported). */
export type LatencyOption = boolean | { readonly runs?: number };

/** Figures of one model. */
export interface ModelMeasure {
  /** All weights (trainable and not), as `model.countParams()`. */
  readonly params: number;
  /** Weights that are not exactly 0. */
  readonly nonZeroParams: number;
  /** Fraction of exact zeros among the prunable kernels (Dense/Conv2D/attention projections; see `prunableKernels`). */
  readonly sparsity: number;
  /** model.json + weights.bin as `saveModel` writes them. */
  readonly fileBytes: number;
  /** weights.bin gzipped (level 9) + model.json gzipped: what a sparse model costs to ship compressed. */
  readonly gzipBytes: number;
  /** Which split the metrics come from: test, or val when the test split is empty. */
  readonly split: 'test' | 'val';
  /** loss, accuracy, f1Macro... (classification) or loss, rmse, mae, r2 (regression). */
  readonly metrics: Readonly<Record<string, number>>;
  /** `metrics.accuracy` (NaN for regression). */
  readonly accuracy: number;
  /** Milliseconds per inference forward pass (incl. reading the result back), absent when not measured. */
  readonly latencyMs?: Latency;
}

/** The split before/after metrics use: test, or val when the dataset has no test rows. */
export function measureSplit(data: Dataset): { name: 'test' | 'val'; split: Split } {
  return data.test.n > 0 ? { name: 'test', split: data.test } : { name: 'val', split: data.val };
}

/** Non-zero weight count of the whole model and zero fraction of its prunable kernels (one read per weight). */
export function countSparsity(model: tf.LayersModel): { nonZeroParams: number; sparsity: number } {
  let nonZero = 0;
  for (const w of model.weights) {
    const v = w.read().dataSync();
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) nonZero++;
  }
  let zeros = 0;
  let total = 0;
  for (const { variable } of prunableKernels(model)) {
    const v = variable.read().dataSync();
    total += v.length;
    for (let i = 0; i < v.length; i++) if (v[i] === 0) zeros++;
  }
  return { nonZeroParams: nonZero, sparsity: total > 0 ? zeros / total : 0 };
}

/** Saves to a temporary directory and reports the checkpoint's raw and gzipped size; the directory is removed. */
export async function fileSize(model: tf.LayersModel): Promise<{ fileBytes: number; gzipBytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'tunekit-compress-'));
  try {
    await saveModel(model, dir);
    const json = await readFile(join(dir, MODEL_JSON));
    const weights = await stat(join(dir, WEIGHTS_BIN));
    const gz = gzipSync(await readFile(join(dir, WEIGHTS_BIN)), { level: 9 }).length + gzipSync(json, { level: 9 }).length;
    return { fileBytes: json.length + weights.size, gzipBytes: gz };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Latency of one model: median wall-clock ms per inference pass at batch 1 and 256, and the mean CPU ms of this process per
 * pass (`process.cpuUsage`). Inference is single-threaded on wasm in Node, so at batch 256 CPU time is essentially the
 * compute and is far less disturbed than wall time when other jobs share the cores (wall time also counts the waits for a
 * core). At batch 1 the CPU figure is dominated by V8's background threads (GC, compilation), which `cpuUsage` also counts:
 * use the wall-clock median there.
 */
export interface Latency {
  readonly batch1: number;
  readonly batch256: number;
  readonly cpuBatch1: number;
  readonly cpuBatch256: number;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Latency (see `Latency`) of an inference forward pass (`model.apply`, training false) + reading the result, at batch 1 and
 * 256, for each of `models`, with inputs taken from `split` (rows repeated when it has fewer than 256). The models are timed
 * interleaved (run i of every model, then run i + 1...), so a load change on the shared machine hits all of them alike and
 * their ratios stay meaningful. Two warm-up passes per model and batch size first (kernel setup, XNNPACK operator creation).
 */
export function latencies(models: readonly tf.LayersModel[], data: Dataset, split: Split, runs = 20): Latency[] {
  const rowSize = rowSizeOf(data.inputShape);
  const time = (batch: number, reps: number): { wall: number; cpu: number }[] => {
    const xs = new Float32Array(batch * rowSize);
    for (let i = 0; i < batch; i++) {
      const r = split.n > 0 ? i % split.n : 0;
      xs.set(split.x.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
    }
    const x = tf.tensor(xs, [batch, ...data.inputShape]);
    try {
      const once = (model: tf.LayersModel): { wall: number; cpu: number } => {
        const c0 = cpuMs();
        const t0 = performance.now();
        // apply, not predict: predict cuts its input into batches of 32 with tf.slice (slow on wasm), timing the slicing.
        const out = tf.tidy(() => {
          const y = model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
          return Array.isArray(y) ? y[0]! : y;
        });
        out.dataSync();
        const wall = performance.now() - t0;
        const cpu = cpuMs() - c0;
        out.dispose();
        return { wall, cpu };
      };
      for (const m of models) {
        once(m);
        once(m);
      }
      const walls = models.map(() => [] as number[]);
      const cpus = models.map(() => 0);
      for (let r = 0; r < reps; r++) {
        models.forEach((m, i) => {
          const t = once(m);
          walls[i]!.push(t.wall);
          cpus[i]! += t.cpu;
        });
      }
      return walls.map((w, i) => ({ wall: w.sort((a, b) => a - b)[w.length >> 1]!, cpu: cpus[i]! / reps }));
    } finally {
      x.dispose();
    }
  };
  // Batch 256 is ~100x the work of batch 1: fewer repetitions keep the total time similar.
  const b1 = time(1, runs);
  const b256 = time(256, Math.max(1, Math.ceil(runs / 4)));
  return models.map((_, i) => ({ batch1: b1[i]!.wall, batch256: b256[i]!.wall, cpuBatch1: b1[i]!.cpu, cpuBatch256: b256[i]!.cpu }));
}

/**
 * Adds `latencyMs` to each measure, timing the models interleaved (see `latencies`); returns the measures unchanged when
 * `option` is false. Called by `prune` / `distill` once both the original and the compressed model exist.
 */
export function withLatency(
  pairs: readonly (readonly [ModelMeasure, tf.LayersModel])[],
  data: Dataset,
  option: LatencyOption,
): ModelMeasure[] {
  if (option === false) return pairs.map(([m]) => m);
  const runs = option === true ? 20 : (option.runs ?? 20);
  const lat = latencies(
    pairs.map(([, model]) => model),
    data,
    measureSplit(data).split,
    runs,
  );
  return pairs.map(([m], i) => ({ ...m, latencyMs: lat[i]! }));
}

/** All figures of `model` on `data` (see ModelMeasure); latency only when `opts.latency` asks. Leaves no tensors behind. */
export async function measureModel(model: tf.LayersModel, data: Dataset, opts: { latency?: LatencyOption } = {}): Promise<ModelMeasure> {
  const { name, split } = measureSplit(data);
  const metrics = evaluateModel(model, data, split);
  const sizes = await fileSize(model);
  const lat = opts.latency ?? false;
  const result: ModelMeasure = {
    params: model.countParams(),
    ...countSparsity(model),
    ...sizes,
    split: name,
    metrics,
    accuracy: metrics.accuracy ?? NaN,
  };
  return withLatency([[result, model]], data, lat)[0]!;
}
