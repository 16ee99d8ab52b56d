/**
 * `prune(model | dir, data, opts)`: magnitude pruning to a target sparsity, then fine-tuning, with before/after figures.
 *
 * - Unstructured (default): layer-wise L1 magnitude masks on every prunable kernel (magnitude.ts), one-shot or on the
 *   Zhu & Gupta polynomial schedule spread over the first half of fine-tuning; the masks are re-applied after every
 *   optimiser step so pruned weights stay exactly zero. The tensors keep their shapes: parameter count, raw file size and
 *   dense-kernel latency do not drop (the gzipped size does). Works for every model type, attention included.
 * - Structured (`structured: true`): whole neurons / filters removed by norm and the model rebuilt smaller (structured.ts);
 *   parameters, file size and latency drop. One-shot only (a `schedule` is rejected). mlp, cnn, residual_mlp (inner block
 *   layers only) and attention (feed-forward hidden layers only); see structured.ts.
 *
 * The caller's model is never modified: the work happens on a copy (or on the model loaded from `dir`).
 */
import type * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import { useBackend } from '../../../trials/backend.js';
import type { BackendName, Dataset, OptimizerConfig, ScheduleConfig } from '../../../trials/types.js';
import { DEFAULT_OPTIMIZER, checkKnown, checkNumber, cloneModel, intOr, resolveModel } from './common.js';
import { magnitudeMasks, polynomialSparsity, type MaskSet } from './magnitude.js';
import { measureModel, measureSplit, withLatency, type LatencyOption, type ModelMeasure } from './measure.js';
import { shrinkModel, type LayerShapeChange, type PruneCriterion } from './structured.js';
import { evaluateModel, taskLoss, trainCompact, type CompactEpoch } from './train.js';

/** Options of `prune`. */
export interface PruneOptions {
  /** Target fraction in [0, 1): of kernel weights (unstructured) or of units/filters of the prunable layers (structured). */
  readonly sparsity: number;
  /** Remove whole neurons / filters and rebuild a smaller model (default false: unstructured masks). */
  readonly structured?: boolean;
  /** Structured ranking norm (default 'l1'). */
  readonly criterion?: PruneCriterion;
  /**
   * Unstructured only: prune gradually in `steps` steps on the cubic schedule from `initialSparsity` (default 0), one step
   * every `every` fine-tuning batches (default: spread over the first half of fine-tuning). Absent: one-shot before
   * fine-tuning.
   */
  readonly schedule?: { readonly steps: number; readonly every?: number; readonly initialSparsity?: number };
  /** Epochs of fine-tuning after (or during, with a schedule) pruning; default 2; 0 = none. */
  readonly fineTuneEpochs?: number;
  readonly batchSize?: number;
  /** Fine-tuning optimiser; default Adam 1e-3. */
  readonly optimizer?: OptimizerConfig;
  readonly lrSchedule?: ScheduleConfig;
  readonly seed?: number;
  /** Latency before/after (default true: 20 runs at batch 1 and 5 at batch 256, the two models interleaved). */
  readonly latency?: LatencyOption;
  /** Backend to run on (default 'wasm'). */
  readonly backend?: BackendName;
  readonly signal?: AbortSignal;
}

/** What `prune` returns. The caller owns `model` and must dispose it. */
export interface PruneReport {
  /** The pruned, fine-tuned model. */
  readonly model: tf.LayersModel;
  readonly mode: 'unstructured' | 'structured';
  readonly targetSparsity: number;
  /**
   * Sparsity reached: zero fraction of the prunable kernels (unstructured, counted from the final weights) or the removed
   * fraction of units/filters in the pruned layers (structured).
   */
  readonly sparsity: number;
  /** Unstructured: per-layer zero fraction of the masks at the end. */
  readonly layerSparsity?: Readonly<Record<string, number>>;
  readonly before: ModelMeasure;
  /** Metrics right after pruning, before fine-tuning (one-shot and structured only). */
  readonly afterPruning?: Readonly<Record<string, number>>;
  readonly after: ModelMeasure;
  /** Structured: every layer whose weight shapes changed. */
  readonly layers?: readonly LayerShapeChange[];
  /** Structured: Dense / Conv2D layers that kept their width, and why. */
  readonly skipped?: readonly { readonly layer: string; readonly reason: string }[];
  readonly fineTune: readonly CompactEpoch[];
  /** Sparsity after each scheduled pruning step (unstructured with a schedule). */
  readonly scheduleTrace?: readonly { readonly step: number; readonly sparsity: number }[];
}

const KNOWN = [
  'sparsity',
  'structured',
  'criterion',
  'schedule',
  'fineTuneEpochs',
  'batchSize',
  'optimizer',
  'lrSchedule',
  'seed',
  'latency',
  'backend',
  'signal',
];

/**
 * Prunes `model` (or the checkpoint in directory `model`) to `opts.sparsity`, fine-tunes it on `data.train` and measures
 * before and after (parameters, file size, sparsity, metrics on the test split, latency at batch 1 and 256). Called by the
 * `tunekit export --prune` command and by users. Leaves no tensors behind except the returned model.
 *
 * @throws OptionsError for a bad option (named), e.g. a sparsity outside [0, 1) or a schedule with `structured: true`.
 */
export async function prune(model: tf.LayersModel | string, data: Dataset, opts: PruneOptions): Promise<PruneReport> {
  if (opts === null || typeof opts !== 'object') throw new OptionsError('prune(model, data, opts): opts must be an object with a sparsity');
  checkKnown('prune', opts, KNOWN);
  const target = checkNumber('prune.sparsity', opts.sparsity, (x) => x >= 0 && x < 1, 'in [0, 1)');
  const structured = opts.structured ?? false;
  if (opts.schedule !== undefined && structured) {
    throw new OptionsError('prune.schedule is for unstructured pruning only; structured pruning is one-shot: drop schedule or structured');
  }
  const criterion = opts.criterion ?? 'l1';
  if (criterion !== 'l1' && criterion !== 'l2')
    throw new OptionsError(`prune.criterion must be 'l1' or 'l2', got ${JSON.stringify(criterion)}`);
  const steps = opts.schedule ? intOr('prune.schedule.steps', opts.schedule.steps, 1, 1) : 0;
  const initial =
    opts.schedule?.initialSparsity === undefined
      ? 0
      : checkNumber(
          'prune.schedule.initialSparsity',
          opts.schedule.initialSparsity,
          (x) => x >= 0 && x <= target,
          `in [0, sparsity = ${target}]`,
        );
  const everyOpt = opts.schedule?.every === undefined ? undefined : intOr('prune.schedule.every', opts.schedule.every, 1, 1);
  const epochs = intOr('prune.fineTuneEpochs', opts.fineTuneEpochs, 2, 0);
  const batchSize = intOr('prune.batchSize', opts.batchSize, 128, 1);
  const seed = opts.seed === undefined ? 0 : checkNumber('prune.seed', opts.seed, () => true, '(any finite value)');
  await useBackend(opts.backend ?? 'wasm');

  const source = await resolveModel(model, 'prune(model)');
  let work: tf.LayersModel | undefined;
  let masks: MaskSet | undefined;
  try {
    const latency = opts.latency ?? true;
    // Latency is timed at the end for both models together (interleaved), so machine-load drift cancels in the ratio.
    const before = await measureModel(source.model, data);
    const train = {
      epochs,
      batchSize,
      optimizer: opts.optimizer ?? DEFAULT_OPTIMIZER,
      schedule: opts.lrSchedule,
      seed,
      signal: opts.signal,
    };
    const lossFn = taskLoss(data);
    const loss = (y: tf.Tensor2D, out: tf.Tensor2D): tf.Scalar => lossFn(y, out);
    const { split } = measureSplit(data);

    if (structured) {
      const shrunk = await shrinkModel(source.model, target, criterion);
      work = shrunk.model;
      const afterPruning = evaluateModel(work, data, split);
      const fineTune = await trainCompact(work, data, { ...train, loss });
      const [b, after] = withLatency(
        [
          [before, source.model],
          [await measureModel(work, data), work],
        ],
        data,
        latency,
      );
      return {
        model: work,
        mode: 'structured',
        targetSparsity: target,
        sparsity: shrunk.sparsity,
        before: b!,
        afterPruning,
        after: after!,
        layers: shrunk.layers,
        skipped: shrunk.skipped,
        fineTune,
      };
    }

    work = await cloneModel(source.model);
    const stepsPerEpoch = Math.ceil(data.train.n / batchSize);
    const total = epochs * stepsPerEpoch;
    const scheduleTrace: { step: number; sparsity: number }[] = [];
    let afterPruning: Record<string, number> | undefined;
    // Scheduled: pruning step t (1..n) happens before batch (t - 1) * every; by default every = the first half of the
    // fine-tuning batches split into n, so the second half recovers at the final sparsity.
    const every = steps > 0 ? (everyOpt ?? Math.max(1, Math.floor(total / 2 / steps))) : 0;
    if (steps === 0 || total === 0) {
      masks = magnitudeMasks(work, target);
      afterPruning = evaluateModel(work, data, split);
      if (steps > 0) scheduleTrace.push({ step: 0, sparsity: masks.reached() });
    } else {
      masks = magnitudeMasks(work, initial);
    }
    const m = masks;
    const fineTune = await trainCompact(work, data, {
      ...train,
      loss,
      beforeStep: (step) => {
        if (steps === 0 || step % every !== 0) return;
        const t = step / every + 1;
        if (t > steps) return;
        m.update(polynomialSparsity(t, steps, target, initial));
        scheduleTrace.push({ step, sparsity: m.reached() });
      },
      afterStep: () => m.apply(),
    });
    // A schedule whose steps did not all fit into fine-tuning (a large `every`): reach the target now, one-shot.
    if (m.sparsity !== target) {
      m.update(target);
      scheduleTrace.push({ step: total, sparsity: m.reached() });
    }
    const [b, after] = withLatency(
      [
        [before, source.model],
        [await measureModel(work, data), work],
      ],
      data,
      latency,
    );
    const report: PruneReport = {
      model: work,
      mode: 'unstructured',
      targetSparsity: target,
      sparsity: after!.sparsity,
      layerSparsity: m.perLayer(),
      before: b!,
      after: after!,
      fineTune,
      ...(afterPruning ? { afterPruning } : {}),
      ...(steps > 0 ? { scheduleTrace } : {}),
    };
    return report;
  } catch (err) {
    work?.dispose();
    throw err;
  } finally {
    masks?.dispose();
    if (source.owned) source.model.dispose();
  }
}
