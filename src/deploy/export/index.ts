/**
 * ONNX export of TF.js models: `exportOnnx(modelOrDir, outPath, opts)` converts, optionally quantises to int8,
 * verifies against TF.js with onnxruntime-node, and writes the .onnx file. Called by `tunekit export` (src/cli/export.ts),
 * bench/export.ts and user code.
 *
 * Invariants: a file is written only after the fp32 graph matched TF.js within |a − b| <= atol + rtol·s (s: the sample's
 * largest |output|; see `Tolerance` in verify.ts), so a wrong conversion never reaches disk; the int8 graph is compared too, but reported (accuracy drop,
 * argmax agreement) rather than held to the fp32 tolerance, unless `verify.maxAccuracyDrop` is set. Inputs/outputs are
 * `input` (same layout as the TF.js input, NHWC for images, dynamic batch), `logits` and, with an aux head, `aux`.
 */
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { loadModel, saveModel, writeAtomic } from '../../../trials/checkpoint.js';
import type { Split } from '../../../trials/types.js';
import { OptionsError } from '../../core/errors.js';
import { ExportError } from './context.js';
import { convertModel } from './convert.js';
import { type ModelInfo, encodeModel, readOpTypes } from './onnx.js';
import { type Int8Form, type QuantizeSummary, type Range, calibrationTargets, quantizeDynamic, quantizeStatic } from './quantize.js';
import {
  type ParityStats,
  DEFAULT_TOLERANCE,
  accuracyOf,
  compareOutputs,
  createSession,
  cycleRows,
  ortLatency,
  predictOrt,
  predictTf,
  sampleSize,
  tfLatency,
} from './verify.js';
import { producerVersion } from '../../core/version.js';

export { ExportError } from './context.js';
export { convertModel, type ConvertResult } from './convert.js';
export { CONVERTERS } from './layers.js';
export { SUPPORTED_ACTIVATIONS } from './activations.js';
export { encodeModel, readMetadata, readOpTypes, OnnxGraph } from './onnx.js';
export {
  quantizeDynamic,
  quantizeStatic,
  quantizePerChannel,
  calibrationTargets,
  uint8Params,
  type Int8Form,
  type QuantizeSummary,
  type Range,
} from './quantize.js';
export { compareOutputs, predictOrt, predictTf, createSession, DEFAULT_TOLERANCE, type ParityStats, type Tolerance } from './verify.js';

/** Opsets the exporter emits and tests against onnxruntime-node (LayerNormalization needs 17; Gelu appears at 20). */
export const OPSET_RANGE = { min: 17, max: 21 } as const;

/** Parity check settings. */
export interface VerifyOptions {
  /** Samples to compare on: a Split (its labels enable the accuracy report) or bare inputs. Default: seeded N(0, 1) samples. */
  readonly data?: Split | Float32Array;
  /** At most this many samples are used (default 1024; 64 for the random default). */
  readonly samples?: number;
  /**
   * Relative tolerance rtol of the fp32 check |TF.js − ONNX| <= atol + rtol·s, s the sample's largest |output| (default
   * 1e-4; see `Tolerance`). The export fails when any value is outside it.
   */
  readonly tolerance?: number;
  /** Absolute tolerance atol of the same check (default 1e-5). */
  readonly atol?: number;
  /** int8: fail when accuracy (labels needed) drops by more than this fraction, e.g. 0.01; default: report only. */
  readonly maxAccuracyDrop?: number;
  /** Seed of the random default inputs (default 0). */
  readonly seed?: number;
}

/** Latency measurement settings. */
export interface LatencyOptions {
  /** Batch sizes (default [1, 256]). */
  readonly batches?: readonly number[];
  /** onnxruntime intra-op threads (default 1, comparable with single-threaded TF.js wasm). */
  readonly threads?: number;
}

/** Options of `exportOnnx`. */
export interface ExportOptions {
  /** 'int8': weight-only per-channel int8 (dynamic); 'int8-static': also activations, calibrated. Absent: fp32. */
  readonly quantize?: 'int8' | 'int8-static';
  /** How 'int8' is spelled in ONNX (default 'integer': fastest in onnxruntime in bench/export.ts; see quantize.ts). */
  readonly int8Form?: Int8Form;
  /** Calibration inputs for 'int8-static' (a Split or bare inputs); default: the verification data, with a warning. */
  readonly calibration?: Split | Float32Array;
  /** Calibration samples used at most (default 512). */
  readonly calibrationSamples?: number;
  /** ONNX opset, OPSET_RANGE.min..max (default 17). */
  readonly opset?: number;
  /** Extra metadata_props (e.g. the trial config as JSON); `tunekit.*` keys are added by the exporter. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Parity check (default on, random inputs); `false` skips it (the report then warns). */
  readonly verify?: VerifyOptions | false;
  /** Measure TF.js vs onnxruntime latency (default off: it takes a few seconds). */
  readonly latency?: boolean | LatencyOptions;
}

/** One latency row (median ms per forward pass). */
export interface LatencyRow {
  readonly batch: number;
  readonly tfjsMs: number;
  readonly onnxMs: number;
  readonly int8Ms?: number;
  /** tfjsMs / onnxMs. */
  readonly speedup: number;
}

/** What `exportOnnx` did and measured. */
export interface ExportReport {
  /** The exported TF.js model directory written beside the ONNX file (`<name>.tfjs/`). */
  readonly tfjsModel: string;
  /** `export-report.json` beside the ONNX file: this report as JSON. */
  readonly reportPath: string;
  readonly path: string;
  readonly opset: number;
  readonly quantize: 'none' | 'int8' | 'int8-static';
  readonly int8Form?: Int8Form;
  /** Size of the written file. */
  readonly bytes: number;
  /** Size of the fp32 model (equal to `bytes` without quantisation). */
  readonly fp32Bytes: number;
  readonly sizeRatio: number;
  readonly nodes: number;
  /** Node count per op type of the written model. */
  readonly ops: Readonly<Record<string, number>>;
  readonly foldedBatchNorms: readonly string[];
  readonly input: { readonly name: string; readonly shape: readonly (number | null)[] };
  readonly outputs: readonly string[];
  readonly quantized?: QuantizeSummary;
  readonly parity?: {
    readonly data: 'given' | 'random';
    /** rtol of the check |TF.js − ONNX| <= atol + rtol·s (s: the sample's largest |output|). */
    readonly tolerance: number;
    /** atol of the same check. */
    readonly atol: number;
    /** fp32 figures: maxAbsDiff, maxRelDiff, toleranceRatio (<= 1 passed)... */
    readonly fp32: ParityStats;
    readonly int8?: ParityStats;
  };
  /** With labels and a classification head: accuracy of TF.js, the fp32 ONNX model and the int8 one; drop = fp32 − int8. */
  readonly accuracy?: { readonly tfjs: number; readonly onnx: number; readonly int8?: number; readonly drop?: number };
  readonly latency?: { readonly tfjsBackend: string; readonly threads: number; readonly rows: readonly LatencyRow[] };
  readonly metadata: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
}

interface Samples {
  readonly x: Float32Array;
  readonly n: number;
  readonly y?: Float32Array;
}

function samplesOf(data: Split | Float32Array, size: number, limit: number, what: string): Samples {
  if (data instanceof Float32Array) {
    if (data.length === 0 || data.length % size !== 0) {
      throw new OptionsError(`\`${what}\` must hold whole samples of ${size} values each, got ${data.length} values`);
    }
    const n = Math.min(limit, data.length / size);
    return { x: data.subarray(0, n * size), n };
  }
  if (data.n <= 0 || data.x.length !== data.n * size) {
    throw new OptionsError(`\`${what}\` must be a non-empty Split with x.length = n × ${size}, got n=${data.n}, x.length=${data.x.length}`);
  }
  const n = Math.min(limit, data.n);
  return { x: data.x.subarray(0, n * size), n, y: data.y.subarray(0, n) };
}

function randomSamples(size: number, n: number, seed: number): Samples {
  const rng = seedrandom(`tunekit-export:${seed}`);
  // Box–Muller: standard normal inputs exercise negative values too (ReLU kinks, pooling of negatives).
  const x = Float32Array.from({ length: n * size }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
  return { x, n };
}

function checkOptions(opts: ExportOptions): number {
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < OPSET_RANGE.min || opset > OPSET_RANGE.max) {
    throw new OptionsError(`\`opset\` must be an integer in [${OPSET_RANGE.min}, ${OPSET_RANGE.max}], got ${opset}`);
  }
  if (opts.quantize !== undefined && opts.quantize !== 'int8' && opts.quantize !== 'int8-static') {
    throw new OptionsError(`\`quantize\` must be 'int8' or 'int8-static', got ${JSON.stringify(opts.quantize)}`);
  }
  if (opts.int8Form !== undefined && opts.int8Form !== 'qdq' && opts.int8Form !== 'integer') {
    throw new OptionsError(`\`int8Form\` must be 'qdq' or 'integer', got ${JSON.stringify(opts.int8Form)}`);
  }
  const tol = opts.verify ? opts.verify.tolerance : undefined;
  if (tol !== undefined && !(tol > 0 && tol < 1)) throw new OptionsError(`\`verify.tolerance\` (rtol) must be in (0, 1), got ${tol}`);
  const atol = opts.verify ? opts.verify.atol : undefined;
  if (atol !== undefined && !(atol >= 0 && Number.isFinite(atol)))
    throw new OptionsError(`\`verify.atol\` must be a finite number >= 0, got ${atol}`);
  const drop = opts.verify ? opts.verify.maxAccuracyDrop : undefined;
  if (drop !== undefined && !(drop >= 0 && drop <= 1))
    throw new OptionsError(`\`verify.maxAccuracyDrop\` must be a fraction in [0, 1], got ${drop}`);
  for (const [key, v] of [
    ['verify.samples', opts.verify ? opts.verify.samples : undefined],
    ['calibrationSamples', opts.calibrationSamples],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new OptionsError(`\`${key}\` must be a positive integer, got ${v}`);
  }
  return opset;
}

/** Min/max of each target tensor over the calibration batches, read as extra outputs of the fp32 model. */
async function calibrate(model: tf.LayersModel, opset: number, info: ModelInfo, data: Samples): Promise<Map<string, Range>> {
  const { graph } = convertModel(model, opset);
  const names = calibrationTargets(graph);
  const ranges = new Map<string, Range>();
  const range = (v: Float32Array): Range => {
    let min = Infinity;
    let max = -Infinity;
    for (const x of v) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
    return { min, max };
  };
  // The graph input cannot be requested as an output; its range comes straight from the data.
  if (names.includes('input')) ranges.set('input', range(data.x));
  const fetch = names.filter((n) => n !== 'input');
  if (fetch.length) {
    const session = await createSession(encodeModel(graph, { ...info, extraOutputs: fetch }));
    try {
      const outs = await predictOrt(session, data.x, data.n, model.inputs[0]!.shape.slice(1) as number[], fetch, 128);
      fetch.forEach((n, i) => ranges.set(n, range(outs[i]!)));
    } finally {
      await session.release();
    }
  }
  return ranges;
}

function countOps(types: readonly string[]): Record<string, number> {
  const ops: Record<string, number> = {};
  for (const op of types) ops[op] = (ops[op] ?? 0) + 1;
  return ops;
}

/**
 * Exports a TF.js LayersModel (or a checkpoint directory written by `saveModel` / runTrial's outDir) to `outPath`.
 * Throws ExportError for unsupported layers or a failed fp32 parity check (nothing is written then), OptionsError for bad
 * options. The model passed in is not modified or disposed; a model loaded from a directory is disposed before returning.
 */
export async function exportOnnx(modelOrDir: string | tf.LayersModel, outPath: string, opts: ExportOptions = {}): Promise<ExportReport> {
  const opset = checkOptions(opts);
  const model = typeof modelOrDir === 'string' ? await loadModel(modelOrDir) : modelOrDir;
  try {
    return await exportLoaded(model, outPath, opts, opset);
  } finally {
    if (typeof modelOrDir === 'string') model.dispose();
  }
}

async function exportLoaded(model: tf.LayersModel, outPath: string, opts: ExportOptions, opset: number): Promise<ExportReport> {
  const warnings: string[] = [];
  const quantize = opts.quantize ?? 'none';
  const int8Form: Int8Form = opts.int8Form ?? 'integer';
  const fp32 = convertModel(model, opset);
  const metadata: Record<string, string> = {
    ...(opts.metadata ?? {}),
    'tunekit.source': model.name,
    'tunekit.input_layout': fp32.inputShape.length === 4 ? 'NHWC' : 'as TF.js',
    'tunekit.input_shape': JSON.stringify(fp32.inputShape.slice(1)),
    'tunekit.outputs': fp32.outputNames.join(','),
    'tunekit.quantization': quantize === 'int8' ? `int8-${int8Form}` : quantize,
  };
  const info: ModelInfo = { producerName: 'tunekit', producerVersion: producerVersion(), metadata };
  const fp32Bytes = encodeModel(fp32.graph, info);
  const size = sampleSize(model);
  const sampleShape = model.inputs[0]!.shape.slice(1) as number[];
  const width = fp32.graph.outputs[0]!.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);

  const verify = opts.verify === false ? undefined : (opts.verify ?? {});
  const data = verify?.data
    ? samplesOf(verify.data, size, verify.samples ?? 1024, 'verify.data')
    : randomSamples(size, verify?.samples ?? 64, verify?.seed ?? 0);
  if (!verify) warnings.push('verification skipped (verify: false): the file was not compared with TF.js');

  let bytes = fp32Bytes;
  let quantized: QuantizeSummary | undefined;
  if (quantize !== 'none') {
    const q = convertModel(model, opset);
    if (quantize === 'int8') {
      quantized = quantizeDynamic(q.graph, int8Form);
    } else {
      let calib: Samples;
      if (opts.calibration) calib = samplesOf(opts.calibration, size, opts.calibrationSamples ?? 512, 'calibration');
      else {
        calib = data;
        warnings.push(`int8-static calibrated on the ${verify?.data ? 'verification' : 'random'} data (no \`calibration\` given)`);
      }
      quantized = quantizeStatic(q.graph, await calibrate(model, opset, info, calib));
    }
    bytes = encodeModel(q.graph, info);
  }

  let parity: ExportReport['parity'];
  let accuracy: ExportReport['accuracy'];
  if (verify) {
    const tol = { rtol: verify.tolerance ?? DEFAULT_TOLERANCE.rtol, atol: verify.atol ?? DEFAULT_TOLERANCE.atol };
    const ref = predictTf(model, data.x, data.n);
    const session = await createSession(fp32Bytes);
    const onnxOut = await predictOrt(session, data.x, data.n, sampleShape, fp32.outputNames).finally(() => session.release());
    const fp32Stats = compareOutputs(ref, onnxOut, width, tol);
    if (!(fp32Stats.toleranceRatio <= 1)) {
      const s = fp32Stats;
      throw new ExportError(
        `ONNX parity check failed: |TF.js − onnxruntime| <= atol + rtol·s (atol ${tol.atol}, rtol ${tol.rtol}, s = the sample's ` +
          `largest |output|) is exceeded ${s.toleranceRatio === Infinity ? 'infinitely (NaN outputs)' : `${s.toleranceRatio.toPrecision(3)}x`}: ` +
          `max abs diff ${s.maxAbsDiff.toExponential(3)}, max rel diff ${s.maxRelDiff.toExponential(3)} over ${data.n} samples ` +
          `(argmax agreement ${(s.argmaxAgreement * 100).toFixed(2)}%); nothing was written to ${outPath}. ` +
          `This is a converter bug for one of the model's layers; please report it with the model config`,
      );
    }
    let int8Stats: ParityStats | undefined;
    let int8Out: Float32Array[] | undefined;
    if (quantize !== 'none') {
      const qs = await createSession(bytes);
      int8Out = await predictOrt(qs, data.x, data.n, sampleShape, fp32.outputNames).finally(() => qs.release());
      int8Stats = compareOutputs(ref, int8Out, width, tol);
    }
    parity = {
      data: verify.data ? 'given' : 'random',
      tolerance: tol.rtol,
      atol: tol.atol,
      fp32: fp32Stats,
      ...(int8Stats ? { int8: int8Stats } : {}),
    };
    if (data.y && width > 1) {
      const onnx = accuracyOf(onnxOut[0]!, width, data.y);
      const int8 = int8Out ? accuracyOf(int8Out[0]!, width, data.y) : undefined;
      accuracy = { tfjs: accuracyOf(ref[0]!, width, data.y), onnx, ...(int8 !== undefined ? { int8, drop: onnx - int8 } : {}) };
      if (int8 !== undefined && verify.maxAccuracyDrop !== undefined && onnx - int8 > verify.maxAccuracyDrop) {
        throw new ExportError(
          `int8 accuracy dropped by ${((onnx - int8) * 100).toFixed(2)} points (fp32 ${(onnx * 100).toFixed(2)}%, int8 ${(int8 * 100).toFixed(2)}%), ` +
            `more than verify.maxAccuracyDrop = ${verify.maxAccuracyDrop}; nothing was written. Try quantize 'int8' or export fp32`,
        );
      }
    } else if (quantize !== 'none') {
      warnings.push('int8 accuracy not measured: pass verify.data as a Split with labels of a classification model');
    }
  }

  await writeAtomic(outPath, bytes);
  const opTypes = readOpTypes(bytes);
  const latency = opts.latency
    ? await measureLatency(model, fp32Bytes, quantize !== 'none' ? bytes : undefined, data, sampleShape, opts.latency)
    : undefined;
  // Beside the ONNX file: the exported TF.js model and the report, so other tools find all three together.
  const tfjsModel = `${outPath.replace(/\.onnx$/i, '')}.tfjs`;
  await saveModel(model, tfjsModel);
  const reportPath = join(dirname(outPath), 'export-report.json');
  const report: ExportReport = {
    path: outPath,
    tfjsModel,
    reportPath,
    opset,
    quantize,
    ...(quantize === 'int8' ? { int8Form } : {}),
    bytes: bytes.length,
    fp32Bytes: fp32Bytes.length,
    sizeRatio: bytes.length / fp32Bytes.length,
    nodes: opTypes.length,
    ops: countOps(opTypes),
    foldedBatchNorms: fp32.foldedBatchNorms,
    input: { name: 'input', shape: fp32.inputShape },
    outputs: fp32.outputNames,
    ...(quantized ? { quantized } : {}),
    ...(parity ? { parity } : {}),
    ...(accuracy ? { accuracy } : {}),
    ...(latency ? { latency } : {}),
    metadata,
    warnings,
  };
  await writeAtomic(reportPath, new TextEncoder().encode(JSON.stringify(report, null, 2)));
  return report;
}

async function measureLatency(
  model: tf.LayersModel,
  fp32: Uint8Array,
  int8: Uint8Array | undefined,
  data: Samples,
  sampleShape: readonly number[],
  opt: true | LatencyOptions,
): Promise<NonNullable<ExportReport['latency']>> {
  const o = opt === true ? {} : opt;
  const threads = o.threads ?? 1;
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const s32 = await createSession(fp32, threads);
  const s8 = int8 ? await createSession(int8, threads) : undefined;
  try {
    const rows: LatencyRow[] = [];
    for (const batch of o.batches ?? [1, 256]) {
      const x = cycleRows(data.x, data.n, size, batch);
      const tfjsMs = await tfLatency(model, x, batch);
      const onnxMs = await ortLatency(s32, x, sampleShape, batch);
      const int8Ms = s8 ? await ortLatency(s8, x, sampleShape, batch) : undefined;
      rows.push({ batch, tfjsMs, onnxMs, ...(int8Ms !== undefined ? { int8Ms } : {}), speedup: tfjsMs / onnxMs });
    }
    return { tfjsBackend: tf.getBackend(), threads, rows };
  } finally {
    await s32.release();
    await s8?.release();
  }
}
