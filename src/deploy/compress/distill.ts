/**
 * `distill(teacher, data, opts)`: knowledge distillation (Hinton et al. 2015) of a trained classifier into a smaller student,
 * plus, by default, the same student trained on the labels alone with the same seed, so the report shows what the teacher
 * added.
 *
 * The teacher's logits on the training split are computed once, in inference mode (dropout off, batch norm on moving
 * statistics), and shuffled alongside the rows (train.ts): no teacher forward pass per batch, and no augmentation, so the
 * precomputed logits are exactly what a per-batch teacher pass would give. The student trains on
 * `distillationLoss(teacher, student, labels, { temperature, alpha })`; the baseline on the same loss with alpha = 0, which is
 * plain cross-entropy, through the same loop, initial weights and batch order.
 */
import type * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import { useBackend } from '../../../trials/backend.js';
import { buildModel } from '../../../trials/models/index.js';
import type { BackendName, Dataset, ModelConfig, OptimizerConfig, ScheduleConfig } from '../../../trials/types.js';
import { DEFAULT_OPTIMIZER, checkKnown, checkNumber, intOr, resolveModel } from './common.js';
import { halfConfig, inferModelConfig } from './config.js';
import { distillationLoss, distillationParams } from './loss.js';
import { measureModel, withLatency, type LatencyOption, type ModelMeasure } from './measure.js';
import { predictSplit, trainCompact, type CompactEpoch } from './train.js';

/** Options of `distill`. */
export interface DistillOptions {
  /** The student architecture, or 'half': the teacher's config (given or inferred) at half width. */
  readonly student: ModelConfig | 'half';
  /** The teacher's config, used for 'half' (default: inferred from the teacher's layers). */
  readonly teacherConfig?: ModelConfig;
  /** Softmax temperature (default 4). */
  readonly temperature?: number;
  /** Weight of the soft-target term in [0, 1] (default 0.7). */
  readonly alpha?: number;
  /** Student training epochs (default 5). */
  readonly epochs?: number;
  readonly batchSize?: number;
  /** Default Adam 1e-3. */
  readonly optimizer?: OptimizerConfig;
  readonly schedule?: ScheduleConfig;
  /** Seeds the student's initial weights and the batch order (default 0). */
  readonly seed?: number;
  /** Also train the student without the teacher, for comparison (default true). */
  readonly compareWithoutTeacher?: boolean;
  /** Latency of teacher and student, timed interleaved (default true: 20 runs at batch 1, 5 at batch 256). */
  readonly latency?: LatencyOption;
  readonly backend?: BackendName;
  readonly signal?: AbortSignal;
}

/** What `distill` returns. The caller owns `student` and must dispose it. */
export interface DistillReport {
  readonly student: tf.LayersModel;
  readonly studentConfig: ModelConfig;
  /** The teacher's config when given or inferred (always for 'half'). */
  readonly teacherConfig?: ModelConfig;
  readonly temperature: number;
  readonly alpha: number;
  readonly params: { readonly teacher: number; readonly student: number };
  /** Accuracy on the test split (val when the test split is empty). */
  readonly accuracy: { readonly teacher: number; readonly student: number; readonly studentWithoutTeacher?: number };
  /** Teacher figures (params, file size, metrics, latency). */
  readonly before: ModelMeasure;
  /** Distilled student figures. */
  readonly after: ModelMeasure;
  /** The same student trained on labels only (no latency measured: same architecture as `after`). */
  readonly withoutTeacher?: ModelMeasure;
  readonly history: { readonly withTeacher: readonly CompactEpoch[]; readonly withoutTeacher?: readonly CompactEpoch[] };
}

const KNOWN = [
  'student',
  'teacherConfig',
  'temperature',
  'alpha',
  'epochs',
  'batchSize',
  'optimizer',
  'schedule',
  'seed',
  'compareWithoutTeacher',
  'latency',
  'backend',
  'signal',
];

/**
 * Distils `teacher` (a model, or a checkpoint directory) into a student on `data` (classification only). Called by the
 * `tunekit export --distill` command and by users. Leaves no tensors behind except the returned student; a teacher loaded
 * from a directory is disposed, a given one is left as it was.
 *
 * @throws OptionsError for a bad option (named), a regression dataset, or a teacher whose output width is not numClasses.
 */
export async function distill(teacher: tf.LayersModel | string, data: Dataset, opts: DistillOptions): Promise<DistillReport> {
  if (opts === null || typeof opts !== 'object')
    throw new OptionsError(`distill(teacher, data, opts): opts must be an object with a student`);
  checkKnown('distill', opts, KNOWN);
  if (data.task !== 'classification') {
    throw new OptionsError(`distill needs a classification dataset (soft targets are class probabilities); "${data.name}" is ${data.task}`);
  }
  const { temperature, alpha } = distillationParams(opts, 'distill');
  const epochs = intOr('distill.epochs', opts.epochs, 5, 1);
  const batchSize = intOr('distill.batchSize', opts.batchSize, 128, 1);
  const seed = opts.seed === undefined ? 0 : checkNumber('distill.seed', opts.seed, () => true, '(any finite value)');
  if (opts.student === undefined) throw new OptionsError(`distill.student is required: a ModelConfig or 'half'`);
  await useBackend(opts.backend ?? 'wasm');

  const source = await resolveModel(teacher, 'distill(teacher)');
  let student: tf.LayersModel | undefined;
  let baseline: tf.LayersModel | undefined;
  try {
    const k = data.numClasses;
    const width = (source.model.outputs[0]!.shape.at(-1) ?? NaN) as number;
    if (width !== k) {
      throw new OptionsError(
        `distill: the teacher outputs ${width} values per sample but "${data.name}" has ${k} classes; use a teacher trained on this dataset`,
      );
    }
    let teacherConfig = opts.teacherConfig;
    if (opts.student === 'half' && teacherConfig === undefined) teacherConfig = inferModelConfig(source.model);
    const studentConfig: ModelConfig = opts.student === 'half' ? halfConfig(teacherConfig!) : opts.student;
    const latency = opts.latency ?? true;
    const teacherMeasure = await measureModel(source.model, data);
    const teacherLogits = predictSplit(source.model, data, data.train);
    const spec = { inputShape: data.inputShape, outputs: k, seed };
    const train = { epochs, batchSize, optimizer: opts.optimizer ?? DEFAULT_OPTIMIZER, schedule: opts.schedule, seed, signal: opts.signal };
    const extra = { values: teacherLogits, width: k };

    student = buildModel(studentConfig, spec).model;
    const withTeacher = await trainCompact(student, data, {
      ...train,
      extra,
      loss: (y, out, t) => distillationLoss(t!, out, y, { temperature, alpha }),
    });
    const studentMeasure = await measureModel(student, data);

    let withoutTeacher: ModelMeasure | undefined;
    let baselineHistory: CompactEpoch[] | undefined;
    if (opts.compareWithoutTeacher ?? true) {
      baseline = buildModel(studentConfig, spec).model;
      // alpha = 0 is exactly cross-entropy on the labels; same extra rows, so the shuffles match the distilled run's.
      baselineHistory = await trainCompact(baseline, data, {
        ...train,
        extra,
        loss: (y, out, t) => distillationLoss(t!, out, y, { temperature, alpha: 0 }),
      });
      withoutTeacher = await measureModel(baseline, data);
    }
    // Teacher and student timed together (interleaved) so machine-load drift cancels in their ratio.
    const [before, after] = withLatency(
      [
        [teacherMeasure, source.model],
        [studentMeasure, student],
      ],
      data,
      latency,
    ) as [ModelMeasure, ModelMeasure];
    return {
      student,
      studentConfig,
      ...(teacherConfig ? { teacherConfig } : {}),
      temperature,
      alpha,
      params: { teacher: before.params, student: after.params },
      accuracy: {
        teacher: before.accuracy,
        student: after.accuracy,
        ...(withoutTeacher ? { studentWithoutTeacher: withoutTeacher.accuracy } : {}),
      },
      before,
      after,
      ...(withoutTeacher ? { withoutTeacher } : {}),
      history: { withTeacher, ...(baselineHistory ? { withoutTeacher: baselineHistory } : {}) },
    };
  } catch (err) {
    student?.dispose();
    throw err;
  } finally {
    baseline?.dispose();
    if (source.owned) source.model.dispose();
  }
}
