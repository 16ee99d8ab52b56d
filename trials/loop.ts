/**
 * `runTrial`: trains one configuration on one dataset with a custom TF.js loop (not `model.fit`) and reports every epoch.
 *
 * Per batch: a contiguous subarray of the epoch's shuffled JS copy -> augmentation on the typed arrays -> `tf.tensor` ->
 * forward + backward with `tf.variableGrads` -> global norm (optionally clipping) and optimiser step at the schedule's lr
 * (`TrainOptimizer.step`; on wasm one JS pass over the heap), all in one `tf.tidy`. The batch loss and the gradient norm are
 * summed by `BatchStats`: in JS on wasm, where the step returns the norm as a number; elsewhere as scalar tensors read once
 * per epoch, so a batch does no sync of its own (on a GPU backend it would stall the pipeline).
 * Between batches the loop yields to the event loop (setImmediate), so an AbortSignal fired by a timer or another task is
 * seen before the next batch.
 *
 * Per epoch: train loss (mean of batch means), validation loss and metrics (batched inference), lr (the value used for the
 * epoch's last batch), gradient global norm mean/max over the epoch's batches (pre-clip), per-layer gradient norms of the
 * epoch's last batch (pre-clip), per-layer weight norms (trainable weights), the non-finite flag (NaN/Inf in train or val
 * loss, gradient norms or weight norms), samplesPerSec (training batches only), epochMs (training + validation) and the live
 * tensor count -> `options.report`. The schedule's `onEpochEnd` (plateau) gets the validation loss.
 *
 * Measured on wasm: reading a scalar back costs ~5 us and an extra scalar op ~40 us, hence JS sums there; the on-device sums
 * are what keeps a GPU backend (tfjs-node-gpu) from stalling every batch.
 *
 * Determinism: the model (initialisers, dropout streams) is seeded from `config.seed` by the builder, the epoch shuffles by a
 * seedrandom stream `tunekit-shuffle:<seed>`, the augmenter by `config.seed`. Same config + data + backend => same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { makeAugmenter } from './augment.js';
import { activeBackend, useBackend } from './backend.js';
import { loadModel, saveModel } from './checkpoint.js';
import { perTensorNorms } from './clip.js';
import { allFinite, convFeatureMaps, indexVariables, normsByLayer, weightNormsByLayer, type FeatureMap } from './diagnostics.js';
import { BatchStats, epochBuffers, evaluateSplit, forward, permutation, scoreSplit, shuffledEpoch, targetsFor } from './epoch.js';
import { makeLoss } from './losses.js';
import { prefixed } from './metrics.js';
import { buildModel } from './models/index.js';
import { makeOptimizer } from './optimizers.js';
import { makeSchedule } from './schedules.js';
import { measureHardware, validateMeasure } from './measure.js';
import { validateDataset, validateTrialConfig, type Objective } from './trial-config.js';
import { OptionsError } from '../src/core/errors.js';
import type { Batch, Dataset, EpochReport, LossConfig, RunTrialOptions, TrialConfig, TrialRunResult } from './types.js';

/** The continuation fields of RunTrialOptions (kept as a name for callers that only pass those). */
export type ContinueOptions = Pick<RunTrialOptions, 'initFrom' | 'startEpoch'>;

/** Inference batches are larger than training ones (no activations kept for backprop), but bounded for conv activations. */
const MIN_EVAL_BATCH = 256;

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function isCombined(loss: LossConfig): boolean {
  return typeof loss === 'object' && loss !== null && loss.type === 'combined';
}

function objectiveValue(report: EpochReport, objective: Objective): number {
  if (objective.metric === 'valLoss') return report.valLoss;
  if (objective.metric === 'trainLoss') return report.trainLoss;
  return report.metrics[objective.metric] ?? NaN;
}

/** Whether `value` beats `best` by more than `minDelta` in the objective's direction (NaN never improves). */
function improves(value: number, best: number, objective: Objective, minDelta: number): boolean {
  if (Number.isNaN(value)) return false;
  if (Number.isNaN(best)) return true;
  return objective.direction === 'minimize' ? value < best - minDelta : value > best + minDelta;
}

/**
 * Trains `config` on `data` and returns the per-epoch history and the best epoch's test metrics. Called by the study runner
 * (in a worker or in-process) once per trial, and by tests/benches directly.
 *
 * - Validates the config and dataset first and builds every piece (loss, augmenter, model, optimiser, schedule) before the
 *   first batch; errors are OptionsError naming the field.
 * - `options.report` is awaited after every epoch; answering 'stop' ends the loop at once (stopReason 'stopped').
 * - `options.signal` is checked before every batch; once aborted the loop stops within one batch and returns the history so far
 *   (stopReason 'aborted', no test metrics, no checkpoint). It never throws because of an abort.
 * - Early stopping (`config.earlyStopping`) watches the objective (default valLoss, minimised); the best epoch's weights are
 *   kept (copied) and restored at the end, before test metrics, feature maps and the checkpoint (`options.outDir`).
 * - Every tensor the trial creates is disposed before it returns, also when it throws.
 * - `options.initFrom` / `options.startEpoch` continue an earlier trial (see ContinueOptions): only the extra epochs run.
 */
export async function runTrial(config: TrialConfig, data: Dataset, options: RunTrialOptions = {}): Promise<TrialRunResult> {
  const objective = validateTrialConfig(config, data.task);
  const rowSize = validateDataset(data);
  const startEpoch = checkContinue(options, config.epochs);
  const measure =
    config.measure !== undefined ? validateMeasure(config.measure) : options.measure === false ? false : validateMeasure(options.measure);
  await useBackend(config.backend ?? 'wasm');
  const backend = activeBackend();

  const { task, inputShape } = data;
  const outputs = task === 'classification' ? data.numClasses : 1;
  const { batchSize, epochs, seed } = config;
  const stepsPerEpoch = Math.ceil(data.train.n / batchSize);
  const lossFn = makeLoss(config.loss, task);
  const augment = makeAugmenter(config.augment, { inputShape, task, outputs, seed });
  const minDelta = config.earlyStopping?.minDelta ?? 0;
  const evalBatch = Math.max(batchSize, MIN_EVAL_BATCH);
  const trainTargets = targetsFor(data.train, task, outputs);
  const valTargets = targetsFor(data.val, task, outputs);
  const shuffleRng = seedrandom(`tunekit-shuffle:${seed}`);
  const buffers = epochBuffers(data.train.n, rowSize, outputs);
  const signal = options.signal;

  // The optimiser validates its config before the schedule reads optimizer.lr; the model is built last. All three may hold
  // tensors, hence the try/finally around them.
  let optimizer: ReturnType<typeof makeOptimizer> | undefined;
  let model: tf.LayersModel | undefined;
  let kept: tf.Tensor[] | undefined;
  const stats = new BatchStats();
  try {
    optimizer = makeOptimizer(config.optimizer);
    const schedule = makeSchedule(config.schedule, { baseLr: config.optimizer.lr, stepsPerEpoch, epochs });
    const built = buildModel(config.model, { inputShape, outputs, auxHead: isCombined(config.loss), seed });
    model = built.model;
    if (options.initFrom !== undefined) await loadWeightsInto(model, options.initFrom);
    const { paramCount } = built;
    const index = indexVariables(model);
    const history: EpochReport[] = [];
    let stopReason: TrialRunResult['stopReason'] = 'completed';
    let best = NaN;
    let bestEpoch = 0;
    let sinceBest = 0;
    // A continuation resumes the schedule and the shuffle stream where an uninterrupted run would be at epoch startEpoch + 1.
    let step = startEpoch * stepsPerEpoch;
    for (let e = 0; e < startEpoch; e++) permutation(data.train.n, shuffleRng);

    epochs: for (let epoch = startEpoch + 1; epoch <= epochs; epoch++) {
      const t0 = performance.now();
      const { x: ex, y: ey } = shuffledEpoch(data.train, rowSize, trainTargets, outputs, shuffleRng, buffers);
      let layerGradNorms: Record<string, number> = {};
      let lr = NaN;
      for (let b = 0; b < stepsPerEpoch; b++) {
        if (signal?.aborted) {
          stopReason = 'aborted';
          break epochs;
        }
        const lo = b * batchSize;
        const hi = Math.min(data.train.n, lo + batchSize);
        const n = hi - lo;
        const batch: Batch = augment({ x: ex.subarray(lo * rowSize, hi * rowSize), y: ey.subarray(lo * outputs, hi * outputs), n });
        lr = schedule.lrAt(step);
        optimizer.setLearningRate(lr);
        const last = b === stepsPerEpoch - 1;
        tf.tidy(() => {
          const x = tf.tensor(batch.x, [n, ...inputShape]);
          const y = tf.tensor2d(batch.y, [n, outputs]);
          const { value, grads } = tf.variableGrads(() => {
            const out = forward(model!, x, true);
            return lossFn(y, out.main, out.aux);
          }, index.variables);
          // Once per epoch (last batch) one sync reads the per-variable norms of the raw, pre-clip gradients.
          if (last) layerGradNorms = normsByLayer(perTensorNorms(grads), index);
          stats.add(value, optimizer!.step(grads, config.clipNorm));
        });
        step++;
        await nextTick();
      }
      const { lossTotal, normTotal, normPeak } = stats.take();
      const trainMs = performance.now() - t0;

      const val = evaluateSplit(model, lossFn, data.val, valTargets, inputShape, outputs, evalBatch);
      const valScores = scoreSplit(task, data.val, val.outputs, outputs);
      const layerWeightNorms = weightNormsByLayer(index);
      const trainLoss = lossTotal / stepsPerEpoch;
      const report: EpochReport = {
        epoch,
        trainLoss,
        valLoss: val.loss,
        metrics: prefixed(valScores.metrics, 'val'),
        lr,
        gradNorm: { mean: normTotal / stepsPerEpoch, max: normPeak },
        layerGradNorms,
        layerWeightNorms,
        nonFinite: !allFinite([trainLoss, val.loss, normTotal, normPeak, ...Object.values(layerWeightNorms)]),
        samplesPerSec: data.train.n / (trainMs / 1000),
        epochMs: performance.now() - t0,
        liveTensors: tf.memory().numTensors,
      };
      history.push(report);

      const value = objectiveValue(report, objective);
      if (improves(value, best, objective, minDelta)) {
        best = value;
        bestEpoch = epoch;
        sinceBest = 0;
        tf.dispose(kept);
        kept = model.weights.map((w) => tf.clone(w.read()));
      } else {
        sinceBest++;
      }
      schedule.onEpochEnd(report.valLoss);

      const decision = options.report ? await options.report(report) : 'continue';
      if (decision === 'stop') {
        stopReason = 'stopped';
        break;
      }
      if (signal?.aborted) {
        stopReason = 'aborted';
        break;
      }
      if (config.earlyStopping && sinceBest >= config.earlyStopping.patience && epoch < epochs) {
        stopReason = 'early_stopped';
        break;
      }
    }

    if (stopReason === 'aborted') {
      return { history, bestEpoch, test: {}, stopReason, backend, paramCount };
    }
    if (kept) model.setWeights(kept);
    if (bestEpoch === 0) bestEpoch = startEpoch + history.length; // objective never finite: keep the last weights
    const done = await finish(model, config, data, lossFn, outputs, evalBatch, options);
    // Measured on the restored best weights, the model the checkpoint holds (after finish: the checkpoint is already safe).
    const hardware = measure === false ? undefined : await measureHardware(model, inputShape, paramCount, measure, options.onnx);
    return { ...done, history, bestEpoch, stopReason, backend, paramCount, ...(hardware ? { hardware } : {}) };
  } finally {
    stats.dispose();
    tf.dispose(kept);
    optimizer?.dispose();
    model?.dispose();
  }
}

/** Validates the continuation options; returns startEpoch. */
function checkContinue(options: ContinueOptions, epochs: number): number {
  const start = options.startEpoch ?? 0;
  if (!Number.isInteger(start) || start < 0 || start >= epochs) {
    throw new OptionsError(
      `\`0 <= startEpoch < epochs\` must hold (epochs already trained vs. the total), got startEpoch=${String(start)}, epochs=${epochs}`,
    );
  }
  if (options.initFrom !== undefined && (typeof options.initFrom !== 'string' || options.initFrom.length === 0)) {
    throw new OptionsError(
      `\`initFrom\` must be a checkpoint directory (written by runTrial's outDir), got ${JSON.stringify(options.initFrom)}`,
    );
  }
  return start;
}

/**
 * Copies the weights of the checkpoint in `dir` into `model` (built from the same model config). Weights are matched by order
 * and checked by shape, so a checkpoint of another architecture is refused with an error naming the first mismatch.
 */
async function loadWeightsInto(model: tf.LayersModel, dir: string): Promise<void> {
  const saved = await loadModel(dir);
  try {
    const from = saved.weights;
    const to = model.weights;
    const mismatch = from.length !== to.length ? -1 : to.findIndex((w, i) => w.shape.join(',') !== from[i]!.shape.join(','));
    if (from.length !== to.length || mismatch >= 0) {
      const detail =
        mismatch < 0
          ? `it has ${from.length} weight tensors, the model ${to.length}`
          : `weight ${mismatch} (${to[mismatch]!.name}) is [${to[mismatch]!.shape.join(', ')}] in the model but [${from[mismatch]!.shape.join(', ')}] in the checkpoint`;
      throw new OptionsError(
        `initFrom: the checkpoint ${dir} does not fit this trial's model (${detail}); continue only from a trial with the same model config`,
      );
    }
    model.setWeights(saved.getWeights());
  } finally {
    saved.dispose();
  }
}

/** Test metrics, confusion matrix, feature maps and checkpoint of the (restored) best model. */
async function finish(
  model: tf.LayersModel,
  config: TrialConfig,
  data: Dataset,
  lossFn: ReturnType<typeof makeLoss>,
  outputs: number,
  evalBatch: number,
  options: RunTrialOptions,
): Promise<Pick<TrialRunResult, 'test' | 'confusion' | 'checkpoint' | 'featureMaps'>> {
  const result: { test: Record<string, number>; confusion?: number[][]; checkpoint?: string; featureMaps?: Record<string, FeatureMap> } = {
    test: {},
  };
  if (data.test.n > 0) {
    const targets = targetsFor(data.test, data.task, outputs);
    const ev = evaluateSplit(model, lossFn, data.test, targets, data.inputShape, outputs, evalBatch);
    const scores = scoreSplit(data.task, data.test, ev.outputs, outputs);
    result.test = { loss: ev.loss, ...scores.metrics };
    if (scores.confusion) result.confusion = scores.confusion;
  }
  if (config.featureMaps && config.model.type === 'cnn') {
    // The first test sample; with an empty test split the first validation sample (always present).
    const split = data.test.n > 0 ? data.test : data.val;
    const rowSize = data.inputShape.reduce((a, b) => a * b, 1);
    result.featureMaps = convFeatureMaps(model, split.x.subarray(0, rowSize), data.inputShape, config.featureMaps.channels);
  }
  if (options.outDir !== undefined) {
    await saveModel(model, options.outDir);
    result.checkpoint = options.outDir;
  }
  return result;
}
