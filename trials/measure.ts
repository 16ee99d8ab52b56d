/**
 * Hardware-aware metrics of a trained model, measured by `runTrial` after training (on the restored best weights) so a study
 * can optimise accuracy against size and speed: parameter count, weight bytes, and inference latency on the trial's own
 * backend at batch 1 and batch 256 (median of repeated timed runs after warm-up, with the interquartile range as the spread).
 *
 * Cost is bounded: three warm-up runs, then at most `repeats` timed runs per batch size and never more than `budgetMs` of timing
 * per batch size (at least 3 runs), so a big model does not turn a trial into a benchmark. Batch-256 inputs are seeded N(0, 1)
 * values (latency does not depend on them). Every tensor created here is disposed.
 *
 * Optional ONNX figures (`onnx` / `int8`): the model goes through the exporter (`src/deploy/export`), imported lazily so a trial
 * that does not ask for them never loads onnxruntime: fp32 / int8 file sizes and onnxruntime latency at batch 1 and 256.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { OptionsError } from '../src/core/errors.js';
import { forward } from './epoch.js';
import type { HardwareMetrics, MeasureOptions, OnnxMeasurer } from './types.js';

const KEYS = ['latency', 'onnx', 'int8', 'repeats', 'budgetMs'];

/** Validates `measure` (OptionsError naming the field). */
export function validateMeasure(m: unknown): MeasureOptions {
  if (m === undefined) return {};
  if (typeof m !== 'object' || m === null || Array.isArray(m))
    throw new OptionsError(`measure must be an object like { onnx: true, int8: true }, got ${JSON.stringify(m)}`);
  const o = m as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!KEYS.includes(k)) throw new OptionsError(`measure has an unknown field "${k}"; the fields are: ${KEYS.join(', ')}`);
  for (const k of ['latency', 'onnx', 'int8']) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean')
      throw new OptionsError(`measure.${k} must be a boolean, got ${JSON.stringify(o[k])}`);
  }
  if (o.int8 === true && o.onnx !== true)
    throw new OptionsError('measure.int8 needs measure.onnx: true (the int8 model is the quantised ONNX export)');
  if (o.repeats !== undefined && !(Number.isInteger(o.repeats) && (o.repeats as number) >= 3 && (o.repeats as number) <= 1000)) {
    throw new OptionsError(`measure.repeats must be an integer in [3, 1000], got ${JSON.stringify(o.repeats)}`);
  }
  if (o.budgetMs !== undefined && !(typeof o.budgetMs === 'number' && o.budgetMs > 0 && Number.isFinite(o.budgetMs))) {
    throw new OptionsError(`measure.budgetMs must be a finite number > 0, got ${JSON.stringify(o.budgetMs)}`);
  }
  return o as MeasureOptions;
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median and IQR of timed forward passes of `model` on a [batch, ...inputShape] input. */
async function timeForward(
  model: tf.LayersModel,
  inputShape: readonly number[],
  batch: number,
  repeats: number,
  budgetMs: number,
): Promise<{ median: number; iqr: number }> {
  const size = batch * inputShape.reduce((a, b) => a * b, 1);
  const rng = seedrandom.alea(`tunekit/measure/${batch}`);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const x = tf.tensor(values, [batch, ...inputShape]);
  try {
    const run = async (): Promise<number> => {
      const t0 = performance.now();
      const y = tf.tidy(() => forward(model, x, false).main);
      await y.data(); // the result is read back: lazy/async backends have really computed it
      y.dispose();
      return performance.now() - t0;
    };
    // Warm-up: the first calls of a fresh model pay for kernel setup and JIT (30 ms against 0.4 ms measured for a small MLP).
    for (let w = 0; w < 3; w++) await run();
    const times: number[] = [];
    const start = performance.now();
    while (times.length < repeats && (times.length < 3 || performance.now() - start < budgetMs)) times.push(await run());
    times.sort((a, b) => a - b);
    return { median: quantile(times, 0.5), iqr: quantile(times, 0.75) - quantile(times, 0.25) };
  } finally {
    x.dispose();
  }
}

/**
 * Measures `model` (input shape without the batch axis). Called by `runTrial` after training when the trial was not aborted.
 * `paramCount` is passed in (the builder's count) so it is the same number as `TrialRunResult.paramCount`.
 */
export async function measureHardware(
  model: tf.LayersModel,
  inputShape: readonly number[],
  paramCount: number,
  options: MeasureOptions = {},
  onnx?: OnnxMeasurer,
): Promise<HardwareMetrics> {
  let modelBytes = 0;
  for (const w of model.weights)
    modelBytes += w.shape.reduce<number>((a, b) => a * (b ?? 1), 1) * (w.dtype === 'float32' || w.dtype === 'int32' ? 4 : 1);
  const out: Record<string, number> = { paramCount, modelBytes };
  const repeats = options.repeats ?? 7;
  const budgetMs = options.budgetMs ?? 500;
  if (options.latency !== false) {
    const one = await timeForward(model, inputShape, 1, repeats, budgetMs);
    const big = await timeForward(model, inputShape, 256, repeats, budgetMs);
    Object.assign(out, { latencyMs: one.median, latencyIqrMs: one.iqr, latencyMs256: big.median, latencyIqrMs256: big.iqr });
  }
  if (options.onnx) {
    // The exporter lives in src/deploy, which trials may not import: the caller (the worker pool) hands it in.
    if (!onnx)
      throw new OptionsError(
        'measure.onnx needs the ONNX exporter: run the trial through the worker pool (tunekit run), which provides it',
      );
    Object.assign(out, await onnx(model, options.int8 === true));
  }
  return out;
}
