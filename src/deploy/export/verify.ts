/**
 * Running the same inputs through TF.js and onnxruntime-node and comparing: `exportOnnx` uses these for the built-in parity
 * check (fp32 must match TF.js within a tolerance or the export fails), the int8 accuracy report and the latency figures;
 * bench/export.ts uses them for its table.
 *
 * Inputs are row-major float32 samples of the model's input shape (a `Split.x`); outputs come back per model output as one
 * flat Float32Array of n × width values, in the order of `model.outputs`.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { argmaxRows } from '../../../trials/metrics.js';
import { ExportError } from './context.js';

/**
 * How close fp32 ONNX outputs must be to TF.js: |a − b| <= atol + rtol·s for every value, with b the TF.js value and s the
 * largest |b| of that sample's output (its row). This is numpy's allclose (which onnxruntime's ONNX backend tests use with
 * rtol 1e-3, atol 1e-5), except that the relative term uses the row's scale rather than the element: fp32 rounding error in
 * a logit grows with the magnitudes summed to make it, not with the logit, so a logit near 0 beside logits of ~20 legitimately
 * differs by ~1e-5 (measured on a 2-epoch MNIST CNN: elementwise allclose passed with only 3x margin, the row rule with
 * ~500x). Against that looser scale the default rtol is 10x tighter than ONNX's: legitimate differences are ~1e-6 of the
 * scale, while weights off by 0.1% give ~1e-3 and fail.
 */
export interface Tolerance {
  /** Relative tolerance, times the sample's largest |output|. */
  readonly rtol: number;
  /** Absolute tolerance (outputs that are all ~0). */
  readonly atol: number;
}

/** The fp32 defaults (see Tolerance). */
export const DEFAULT_TOLERANCE: Tolerance = Object.freeze({ rtol: 1e-4, atol: 1e-5 });

/** Parity between two sets of outputs (TF.js vs ONNX). */
export interface ParityStats {
  readonly samples: number;
  /** Max |a − b| over every value of every output. */
  readonly maxAbsDiff: number;
  /** Max |a − b| / |b| over every value whose TF.js value b is non-zero (elementwise, so large where b is near 0). */
  readonly maxRelDiff: number;
  readonly meanAbsDiff: number;
  /** Max over values of |a − b| / (atol + rtol·s) (see Tolerance): the check passes when it is <= 1. NaN gives Infinity. */
  readonly toleranceRatio: number;
  /** Fraction of samples whose first output has the same argmax (1 for single-value outputs, where it is meaningless). */
  readonly argmaxAgreement: number;
}

const prod = (dims: readonly (number | null)[]): number => dims.reduce<number>((a, b) => a * (b ?? 1), 1);

/** Size of one sample of the model input (product of the non-batch dimensions). */
export function sampleSize(model: tf.LayersModel): number {
  return prod(model.inputs[0]!.shape.slice(1));
}

/** TF.js predictions in batches of `batch` (inference mode: dropout off, batch norm on moving statistics). */
export function predictTf(model: tf.LayersModel, x: Float32Array, n: number, batch = 256): Float32Array[] {
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  const size = prod(shape);
  const parts: Float32Array[][] = model.outputs.map(() => []);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    tf.tidy(() => {
      const y = model.predict(tf.tensor(x.subarray(s * size, (s + m) * size), [m, ...shape]), { batchSize: m });
      (Array.isArray(y) ? y : [y]).forEach((t, i) => parts[i]!.push(Float32Array.from(t.dataSync() as Float32Array)));
    });
  }
  return parts.map(concat);
}

function concat(chunks: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** An onnxruntime CPU session; `threads` bounds intra-op threads (1 = comparable with single-threaded TF.js wasm). */
export async function createSession(bytes: Uint8Array, threads?: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  });
}

/** onnxruntime predictions for input `input`, in batches; returns the outputs named in `outputs`, in that order. */
export async function predictOrt(
  session: ort.InferenceSession,
  x: Float32Array,
  n: number,
  sampleShape: readonly number[],
  outputs: readonly string[],
  batch = 256,
): Promise<Float32Array[]> {
  const size = prod(sampleShape);
  const parts: Float32Array[][] = outputs.map(() => []);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const feed = { input: new ort.Tensor('float32', x.slice(s * size, (s + m) * size), [m, ...sampleShape]) };
    const res = await session.run(feed, [...outputs]);
    outputs.forEach((o, i) => parts[i]!.push(Float32Array.from(res[o]!.data as Float32Array)));
  }
  return parts.map(concat);
}

/**
 * Compares output sets `a` (the reference, TF.js) and `b` (same shapes) under `tol`; the argmax agreement uses the first
 * output of width `width`, which also gives the sample count (every output holds `samples` rows).
 */
export function compareOutputs(
  a: readonly Float32Array[],
  b: readonly Float32Array[],
  width: number,
  tol: Tolerance = DEFAULT_TOLERANCE,
): ParityStats {
  let max = 0;
  let maxRel = 0;
  let ratio = 0;
  let sum = 0;
  let count = 0;
  // `width` comes from a static shape that may hold an unknown dimension (null -> 0): a width that does not split the first
  // output into whole rows makes the whole output one row (one scale), never an endless or fractional loop.
  const n0 = a[0]!.length;
  const rowsKnown = Number.isInteger(width) && width > 0 && n0 % width === 0;
  const samples = rowsKnown ? n0 / width : 1;
  a.forEach((x, i) => {
    const y = b[i]!;
    if (x.length !== y.length)
      throw new ExportError(
        `output ${i}: ${x.length} values from TF.js but ${y.length} from ONNX; the converted graph has the wrong output shape`,
      );
    const rows = samples > 0 && x.length % samples === 0 ? samples : 1;
    const w = x.length / rows;
    for (let r = 0; r < rows; r++) {
      let scale = 0;
      for (let k = r * w; k < (r + 1) * w; k++) scale = Math.max(scale, Math.abs(x[k]!));
      const allowed = tol.atol + tol.rtol * scale;
      for (let k = r * w; k < (r + 1) * w; k++) {
        const d = Math.abs(x[k]! - y[k]!);
        // NaN must fail parity, and Math.max(NaN, …) compares falsely; make it explicit.
        if (Number.isNaN(d)) {
          max = maxRel = ratio = Infinity;
          continue;
        }
        max = Math.max(max, d);
        if (x[k] !== 0) maxRel = Math.max(maxRel, d / Math.abs(x[k]!));
        ratio = Math.max(ratio, allowed > 0 ? d / allowed : d > 0 ? Infinity : 0);
        sum += d;
        count++;
      }
    }
  });
  let agree = samples;
  if (rowsKnown && width > 1) {
    const pa = argmaxRows(a[0]!, width);
    const pb = argmaxRows(b[0]!, width);
    agree = pa.reduce((acc, p, r) => acc + (p === pb[r] ? 1 : 0), 0);
  }
  return {
    samples,
    maxAbsDiff: max,
    maxRelDiff: maxRel,
    meanAbsDiff: count ? sum / count : 0,
    toleranceRatio: ratio,
    argmaxAgreement: samples ? agree / samples : 1,
  };
}

/** Classification accuracy of [n, width] logits against integer labels. */
export function accuracyOf(logits: Float32Array, width: number, labels: Float32Array): number {
  const pred = argmaxRows(logits, width);
  let ok = 0;
  pred.forEach((p, r) => (ok += p === labels[r] ? 1 : 0));
  return pred.length ? ok / pred.length : 0;
}

/**
 * Median wall time of `fn` in milliseconds: one warm-up call, then at least `minRuns` and at most `maxRuns` timed calls, stopping
 * once `budgetMs` has been spent. The median resists the noise of a shared machine better than the mean.
 */
export async function medianMs(fn: () => unknown, opts: { minRuns?: number; maxRuns?: number; budgetMs?: number } = {}): Promise<number> {
  const { minRuns = 3, maxRuns = 50, budgetMs = 1500 } = opts;
  await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || (times.length < maxRuns && performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** `batch` rows cycled from the `n` samples of `x` (so a batch of 256 can be built from fewer samples). */
export function cycleRows(x: Float32Array, n: number, size: number, batch: number): Float32Array {
  const out = new Float32Array(batch * size);
  for (let r = 0; r < batch; r++) out.set(x.subarray((r % n) * size, ((r % n) + 1) * size), r * size);
  return out;
}

/** Latency of one TF.js forward pass on a [batch, ...] input (reading the outputs back included, as a caller would). */
export async function tfLatency(model: tf.LayersModel, x: Float32Array, batch: number): Promise<number> {
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  const input = tf.tensor(x, [batch, ...shape]);
  try {
    return await medianMs(() =>
      tf.tidy(() => {
        // batchSize = the whole batch: predict's default (32) would split it and add slicing and concatenation.
        const y = model.predict(input, { batchSize: batch });
        for (const t of Array.isArray(y) ? y : [y]) t.dataSync();
      }),
    );
  } finally {
    input.dispose();
  }
}

/** Latency of one onnxruntime run on a [batch, ...] input. */
export async function ortLatency(
  session: ort.InferenceSession,
  x: Float32Array,
  sampleShape: readonly number[],
  batch: number,
): Promise<number> {
  const feed = { input: new ort.Tensor('float32', x, [batch, ...sampleShape]) };
  return medianMs(() => session.run(feed));
}
