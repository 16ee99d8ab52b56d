/**
 * Types shared by everything that runs inside one trial (`trials/`). `runTrial(config, data, options)` is the entry point; the
 * pieces (data, models, losses, optimisers, schedules, augmentation) each own one file and meet only through these types.
 */
import type * as tf from '@tensorflow/tfjs';

/** TF.js backends: `wasm` (default), `cpu`, and the optional native ones from @tensorflow/tfjs-node(-gpu). */
export type BackendName = 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu';

export type Task = 'classification' | 'regression';

/** One split. `x` holds n samples of `prod(inputShape)` float32 values each, row-major; `y` holds n labels (class index for
 * classification, the target for regression). Plain typed arrays so batches are cheap subarrays and workers can share buffers. */
export interface Split {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
}

/** A dataset ready for training: already cleaned, split and standardised (statistics from the train split only). */
export interface Dataset {
  readonly name: string;
  readonly task: Task;
  /** Shape of one sample, e.g. [28, 28, 1] for MNIST or [features] for tabular data. */
  readonly inputShape: readonly number[];
  /** Number of classes (classification) or 1 (regression). */
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly featureNames?: readonly string[];
  readonly train: Split;
  readonly val: Split;
  readonly test: Split;
}

// ---------------------------------------------------------------- models

export type Activation = 'relu' | 'gelu' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'swish' | 'linear';

export interface MlpConfig {
  readonly type: 'mlp';
  /** Hidden widths, e.g. [256, 128]; or one width repeated `depth` times. */
  readonly units: number | readonly number[];
  readonly depth?: number;
  readonly activation?: Activation;
  readonly dropout?: number;
  readonly batchNorm?: boolean;
}

export interface ResidualMlpConfig {
  readonly type: 'residual_mlp';
  /** Number of residual blocks (dense-act-dense + skip). */
  readonly blocks: number;
  readonly units: number;
  readonly activation?: Activation;
  readonly dropout?: number;
  readonly batchNorm?: boolean;
}

export interface ConvBlockConfig {
  readonly filters: number;
  readonly kernel?: number;
  readonly stride?: number;
  readonly pool?: 'max' | 'avg' | 'none';
  readonly batchNorm?: boolean;
  readonly dropout?: number;
}

export interface CnnConfig {
  readonly type: 'cnn';
  /** Conv blocks; or `filters` as a list of widths with the shared kernel/stride/pool/batchNorm/dropout below. */
  readonly blocks?: readonly ConvBlockConfig[];
  readonly filters?: readonly number[];
  readonly kernel?: number;
  readonly stride?: number;
  readonly pool?: 'max' | 'avg' | 'none';
  readonly batchNorm?: boolean;
  readonly dropout?: number;
  /** Width of a dense layer before the head (0 or absent: none). */
  readonly dense?: number;
  readonly activation?: Activation;
}

export interface AttentionConfig {
  readonly type: 'attention';
  /** Patch side for images (28x28 with patch 7 -> 16 tokens); tabular inputs use one token per feature. */
  readonly patch?: number;
  /** Embedding width (divisible by heads). */
  readonly dim: number;
  readonly heads: number;
  /** Number of attention blocks (default 1). */
  readonly layers?: number;
  readonly mlpRatio?: number;
  readonly dropout?: number;
}

export type ModelConfig = MlpConfig | ResidualMlpConfig | CnnConfig | AttentionConfig;

/** What the model builder needs to know about the data. */
export interface ModelSpec {
  readonly inputShape: readonly number[];
  /** Width of the main head: numClasses for classification (logits, no softmax), 1 for regression. */
  readonly outputs: number;
  /** Adds a second output `aux` of the same width (for the combined loss). */
  readonly auxHead?: boolean;
  /** Seeds every initializer and dropout layer. */
  readonly seed: number;
}

export interface BuiltModel {
  readonly model: tf.LayersModel;
  readonly paramCount: number;
}

// ---------------------------------------------------------------- losses, optimisers, schedules

export type LossConfig =
  | 'crossentropy'
  | 'mse'
  | 'huber'
  | { readonly type: 'crossentropy' }
  | { readonly type: 'label_smoothing'; readonly smoothing: number }
  | { readonly type: 'focal'; readonly gamma?: number; readonly alpha?: number }
  | { readonly type: 'mse' }
  | { readonly type: 'huber'; readonly delta?: number }
  /** main loss on the main head + alpha * MSE(aux head, one-hot target or regression target). */
  | { readonly type: 'combined'; readonly main: LossConfig; readonly alpha: number };

/** A loss over a batch: `yTrue` is one-hot (classification; may be soft after mixup) or targets [n,1]; `yPred` are logits/values. */
export type LossFn = (yTrue: tf.Tensor2D, yPred: tf.Tensor2D, aux?: tf.Tensor2D) => tf.Scalar;

export type OptimizerConfig =
  | { readonly type: 'adam'; readonly lr: number; readonly beta1?: number; readonly beta2?: number; readonly epsilon?: number }
  | {
      readonly type: 'adamw';
      readonly lr: number;
      readonly weightDecay: number;
      readonly beta1?: number;
      readonly beta2?: number;
      readonly epsilon?: number;
    }
  | { readonly type: 'sgd'; readonly lr: number; readonly momentum?: number; readonly nesterov?: boolean }
  | { readonly type: 'rmsprop'; readonly lr: number; readonly decay?: number; readonly momentum?: number; readonly epsilon?: number };

/** An optimiser whose learning rate the loop sets before every step. */
export interface TrainOptimizer {
  setLearningRate(lr: number): void;
  /** Applies gradients (keyed by variable name) to the variables. Does not dispose `grads`. */
  applyGradients(grads: tf.NamedTensorMap): void;
  /**
   * One training step: the global norm of `grads`, the gradients scaled by `clipNorm / max(norm, clipNorm)` when `clipNorm`
   * is given (tf.clip_by_global_norm), then the update. Returns the global norm before clipping: a number on wasm (computed
   * on the heap, where a read is free), else a new scalar tensor the caller disposes, so a GPU backend does not sync.
   * Does not dispose `grads`.
   */
  step(grads: tf.NamedTensorMap, clipNorm?: number): number | tf.Scalar;
  dispose(): void;
}

export type ScheduleConfig =
  | { readonly type: 'constant'; readonly warmupSteps?: number }
  | { readonly type: 'step'; readonly stepSize: number; readonly gamma: number; readonly warmupSteps?: number }
  | { readonly type: 'exponential'; readonly gamma: number; readonly warmupSteps?: number }
  | { readonly type: 'cosine'; readonly minLr?: number; readonly warmupSteps?: number }
  | { readonly type: 'plateau'; readonly factor: number; readonly patience: number; readonly minLr?: number; readonly warmupSteps?: number }
  | {
      readonly type: 'one_cycle';
      readonly maxLr?: number;
      readonly pctStart?: number;
      readonly divFactor?: number;
      readonly finalDivFactor?: number;
    };

/**
 * A learning-rate schedule stepped per batch. `stepSize` of the step schedule and every `*Steps` field count batches.
 * `lrAt(step)` is pure for the time-based schedules; `plateau` also reads `onEpochEnd(valLoss)`.
 */
export interface Schedule {
  lrAt(step: number): number;
  onEpochEnd(monitored: number): void;
}

// ---------------------------------------------------------------- augmentation

export interface ImageAugmentConfig {
  readonly flipH?: number;
  readonly flipV?: number;
  readonly rotate90?: number;
  readonly transpose?: number;
  readonly noise?: { readonly p: number; readonly std: number };
  /** Random affine: shift (fraction of the side), scale (+/- fraction), rotate (+/- degrees). */
  readonly affine?: { readonly p: number; readonly shift?: number; readonly scale?: number; readonly rotate?: number };
  readonly blur?: { readonly p: number; readonly radius?: number };
  readonly cutout?: { readonly p: number; readonly size: number; readonly holes?: number };
  /** Each group applies at most one of its members (chosen uniformly) with probability p. */
  readonly oneOf?: readonly { readonly p: number; readonly of: readonly ImageAugmentConfig[] }[];
}

export interface TabularAugmentConfig {
  readonly noise?: { readonly p: number; readonly std: number };
  readonly mixup?: { readonly p: number; readonly alpha: number };
  readonly featureDropout?: { readonly p: number; readonly rate: number };
}

export type AugmentConfig = ImageAugmentConfig | TabularAugmentConfig;

/** A training batch in typed arrays: x as in Split, y one-hot (classification) or targets (regression), `outputs` wide. */
export interface Batch {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
}

/** Applies augmentation to a training batch in place or into new arrays; never changes shapes. Seeded. */
export type Augmenter = (batch: Batch) => Batch;

// ---------------------------------------------------------------- the trial

export interface TrialConfig {
  readonly model: ModelConfig;
  readonly optimizer: OptimizerConfig;
  readonly loss: LossConfig;
  readonly schedule?: ScheduleConfig;
  readonly augment?: AugmentConfig;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Global-norm gradient clipping bound (absent: no clipping). */
  readonly clipNorm?: number;
  /** Stop when the objective metric has not improved for `patience` epochs. */
  readonly earlyStopping?: { readonly patience: number; readonly minDelta?: number };
  /** Metric that picks the best epoch and drives early stopping; default valLoss (minimised). */
  readonly objective?: { readonly metric: string; readonly direction: 'minimize' | 'maximize' };
  readonly backend?: BackendName;
  /** For conv models: return the first `channels` feature maps of each conv layer for the first test sample. */
  readonly featureMaps?: { readonly channels: number };
  /**
   * Hardware metrics measured after training (see trials/measure.ts): e.g. `{ onnx: true, int8: true }` adds the ONNX / int8
   * sizes and onnxruntime latencies; `{ latency: false }` keeps only the sizes. Overrides `RunTrialOptions.measure`.
   */
  readonly measure?: MeasureOptions;
}

/** What the loop reports after each epoch. */
export interface EpochReport {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  /** valAccuracy, valPrecisionMacro, valRecallWeighted, valF1Macro... or valRmse, valMae, valR2. */
  readonly metrics: { readonly [name: string]: number };
  readonly lr: number;
  readonly gradNorm: { readonly mean: number; readonly max: number };
  readonly layerGradNorms: { readonly [layer: string]: number };
  readonly layerWeightNorms: { readonly [layer: string]: number };
  /** True if any loss, gradient or weight of this epoch was NaN or +-Inf. */
  readonly nonFinite: boolean;
  readonly samplesPerSec: number;
  readonly epochMs: number;
  readonly liveTensors: number;
}

/** `report`'s answer: go on, or stop now (pruning). */
export type ReportDecision = 'continue' | 'stop';

export interface RunTrialOptions {
  /** Called after every epoch; answering 'stop' ends the loop at once. */
  readonly report?: (epoch: EpochReport) => ReportDecision | Promise<ReportDecision>;
  /** Aborts within one batch. */
  readonly signal?: AbortSignal;
  /** With a directory: the best epoch's model is saved there (model.json + weights.bin). */
  readonly outDir?: string;
  /**
   * Continue an earlier trial (multi-fidelity promotions): a checkpoint directory written by an earlier `runTrial(..., { outDir
   * })` of the same model config; its weights are loaded before the first batch (the optimiser state starts fresh).
   */
  readonly initFrom?: string;
  /** Epochs already trained (default 0): runs epochs startEpoch+1..epochs, numbering reports from there and resuming the lr
   * schedule and shuffle stream. 0 <= startEpoch < epochs. */
  readonly startEpoch?: number;
  /** Hardware metrics after training (default `{}`: sizes and TF.js latency); `false` skips them. The config's `measure` wins. */
  readonly measure?: MeasureOptions | false;
  /** Measures ONNX figures for `measure.onnx` (the worker pool passes src/deploy/export's `onnxFigures`). */
  readonly onnx?: OnnxMeasurer;
}

export interface TrialRunResult {
  readonly history: readonly EpochReport[];
  readonly bestEpoch: number;
  /** Test-split metrics of the best epoch's weights (loss, accuracy... as in EpochReport.metrics, without the `val` prefix). */
  readonly test: { readonly [name: string]: number };
  /** classification only: rows = true class, columns = predicted class, on the test split. */
  readonly confusion?: readonly (readonly number[])[];
  readonly stopReason: 'completed' | 'early_stopped' | 'stopped' | 'aborted';
  readonly backend: BackendName;
  readonly paramCount: number;
  /** Directory with model.json, when outDir was given. */
  readonly checkpoint?: string;
  readonly featureMaps?: { readonly [layer: string]: { readonly shape: readonly number[]; readonly data: readonly number[] } };
  /**
   * Size and speed of the final (best-epoch) model: `paramCount`, `modelBytes`, `latencyMs` / `latencyMs256` (median ms per
   * forward pass at batch 1 / 256 on `backend`), `latencyIqrMs` / `latencyIqrMs256`, and the ONNX figures when asked for.
   * Absent for aborted trials and with `measure: false`.
   */
  readonly hardware?: HardwareMetrics;
}

/** What to measure besides the always-measured size and TF.js latency (`RunTrialOptions.measure` / the trial config's). */
export interface MeasureOptions {
  /** TF.js latency at batch 1 and 256 (default true; false keeps only the sizes). */
  readonly latency?: boolean;
  /** Export to ONNX and report its size and onnxruntime latency (default false: loads onnxruntime, takes a second or two). */
  readonly onnx?: boolean;
  /** With `onnx`: also the int8 (weight-only, per-channel) model's size and latency (default false). */
  readonly int8?: boolean;
  /** Timed runs per batch size at most (default 7). */
  readonly repeats?: number;
  /** Timing budget per batch size in ms (default 500); at least 3 runs are always made. */
  readonly budgetMs?: number;
}

/**
 * The hardware metrics (all numbers, ready to merge into a trial's metrics):
 * `paramCount`, `modelBytes` (weights as stored: 4 bytes per float32), `latencyMs` / `latencyMs256` (median ms per forward
 * pass at batch 1 / 256 on the trial's backend), `latencyIqrMs` / `latencyIqrMs256` (p75 - p25 of those runs); with `onnx`:
 * `onnxBytes`, `onnxLatencyMs`, `onnxLatencyMs256`; with `int8` too: `onnxInt8Bytes`, `onnxInt8LatencyMs`,
 * `onnxInt8LatencyMs256`.
 */
export type HardwareMetrics = { readonly [name: string]: number };

/** ONNX figures of a trained model (src/deploy/export's `onnxFigures`), handed to runTrial by the worker pool. */
export type OnnxMeasurer = (model: import('@tensorflow/tfjs').LayersModel, int8: boolean) => Promise<HardwareMetrics>;
