/**
 * Up-front validation of `runTrial`'s inputs: the loop-level fields of a TrialConfig and the shape/consistency of a Dataset.
 * The per-piece configs (model, loss, optimiser, schedule, augmentation) are validated by their own factories, which
 * `runTrial` calls before it builds the model, so a bad trial fails fast and leaves no tensors behind.
 */
import { OptionsError } from '../src/core/errors.js';
import { BACKEND_NAMES } from './backend.js';
import { epochMetricNames } from './metrics.js';
import type { Dataset, Split, TrialConfig } from './types.js';
import { show } from './show.js';

const TRIAL_KEYS: readonly string[] = [
  'model',
  'optimizer',
  'loss',
  'schedule',
  'augment',
  'epochs',
  'batchSize',
  'seed',
  'clipNorm',
  'earlyStopping',
  'objective',
  'backend',
  'featureMaps',
  'measure',
];

/** The objective a trial optimises, with the default filled in. */
export interface Objective {
  readonly metric: string;
  readonly direction: 'minimize' | 'maximize';
}

function positiveInt(v: unknown, field: string, hint: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new OptionsError(`${field} must be a positive integer${hint}, got ${show(v)}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objective metrics a task allows: valLoss, trainLoss and every val metric the loop reports. */
export function objectiveMetrics(task: Dataset['task']): string[] {
  return ['valLoss', 'trainLoss', ...epochMetricNames(task)];
}

/**
 * Validates the loop-level fields of `config` for `task` and returns the resolved objective (default valLoss, minimised).
 * Throws OptionsError naming the field, e.g. `epochs must be a positive integer (number of passes over the training split), got 0`.
 * Unknown top-level keys are rejected so a typo (`batchsize`) is not silently ignored.
 */
export function validateTrialConfig(config: TrialConfig, task: Dataset['task']): Objective {
  if (!isRecord(config)) throw new OptionsError(`the trial config must be an object, got ${show(config)}`);
  for (const key of Object.keys(config)) {
    if (!TRIAL_KEYS.includes(key)) {
      throw new OptionsError(`trial config has an unknown field "${key}"; the fields are: ${TRIAL_KEYS.join(', ')}`);
    }
  }
  for (const key of ['model', 'optimizer'] as const) {
    if (!isRecord(config[key])) throw new OptionsError(`${key} must be an object with a "type" field, got ${show(config[key])}`);
  }
  if (config.loss === undefined) throw new OptionsError(`loss is required, e.g. "crossentropy" (classification) or "mse" (regression)`);
  positiveInt(config.epochs, 'epochs', ' (number of passes over the training split)');
  positiveInt(config.batchSize, 'batchSize', ' (samples per optimiser step)');
  if (typeof config.seed !== 'number' || !Number.isFinite(config.seed)) {
    throw new OptionsError(`seed must be a finite number (it seeds the model, the shuffles and the augmenter), got ${show(config.seed)}`);
  }
  if (config.clipNorm !== undefined && (typeof config.clipNorm !== 'number' || !Number.isFinite(config.clipNorm) || config.clipNorm <= 0)) {
    throw new OptionsError(
      `clipNorm must be a finite number > 0 (the global gradient norm bound), got ${show(config.clipNorm)}; omit it to disable clipping`,
    );
  }
  if (config.backend !== undefined && !BACKEND_NAMES.includes(config.backend)) {
    throw new OptionsError(`backend must be one of ${BACKEND_NAMES.map((b) => `'${b}'`).join(', ')}; got ${show(config.backend)}`);
  }
  const es = config.earlyStopping;
  if (es !== undefined) {
    if (!isRecord(es)) throw new OptionsError(`earlyStopping must be an object like { patience: 3 }, got ${show(es)}`);
    positiveInt(es.patience, 'earlyStopping.patience', ' (epochs without improvement before stopping)');
    if (es.minDelta !== undefined && (typeof es.minDelta !== 'number' || !Number.isFinite(es.minDelta) || es.minDelta < 0)) {
      throw new OptionsError(`earlyStopping.minDelta must be a finite number >= 0, got ${show(es.minDelta)}`);
    }
  }
  if (config.featureMaps !== undefined) {
    if (!isRecord(config.featureMaps))
      throw new OptionsError(`featureMaps must be an object like { channels: 4 }, got ${show(config.featureMaps)}`);
    positiveInt(config.featureMaps.channels, 'featureMaps.channels', ' (feature maps kept per conv layer)');
  }
  const objective: Objective = config.objective ?? { metric: 'valLoss', direction: 'minimize' };
  if (!isRecord(objective))
    throw new OptionsError(`objective must be an object like { metric: 'valLoss', direction: 'minimize' }, got ${show(objective)}`);
  const allowed = objectiveMetrics(task);
  if (typeof objective.metric !== 'string' || !allowed.includes(objective.metric)) {
    throw new OptionsError(`objective.metric must be one of ${allowed.join(', ')} for a ${task} task, got ${show(objective.metric)}`);
  }
  if (objective.direction !== 'minimize' && objective.direction !== 'maximize') {
    throw new OptionsError(`objective.direction must be 'minimize' or 'maximize', got ${show(objective.direction)}`);
  }
  return objective;
}

function checkSplit(split: Split | undefined, name: string, rowSize: number, data: Dataset, min: number): void {
  if (!isRecord(split))
    throw new OptionsError(`dataset.${name} is missing; a Dataset needs train, val and test splits (test may be empty)`);
  const { x, y, n } = split;
  if (!Number.isInteger(n) || n < min) {
    throw new OptionsError(
      `dataset.${name}.n must be an integer >= ${min}, got ${show(n)}` +
        (name === 'val' ? '; runTrial needs a validation split (it drives the objective, early stopping and the best epoch)' : ''),
    );
  }
  if (!(x instanceof Float32Array) || x.length !== n * rowSize) {
    throw new OptionsError(
      `dataset.${name}.x must be a Float32Array of n * ${rowSize} values (inputShape [${data.inputShape.join(', ')}]), ` +
        `got ${x instanceof Float32Array ? `length ${x.length} for n = ${n}` : show(x)}`,
    );
  }
  if (!(y instanceof Float32Array) || y.length !== n) {
    throw new OptionsError(
      `dataset.${name}.y must be a Float32Array of n = ${n} labels/targets, got ${y instanceof Float32Array ? `length ${y.length}` : show(y)}`,
    );
  }
  if (data.task === 'classification') {
    for (let i = 0; i < n; i++) {
      const c = y[i]!;
      if (!Number.isInteger(c) || c < 0 || c >= data.numClasses) {
        throw new OptionsError(
          `dataset.${name}.y[${i}] = ${c} is not a class index in [0, ${data.numClasses - 1}] (numClasses = ${data.numClasses})`,
        );
      }
    }
  }
}

/**
 * Checks a Dataset before training: task, inputShape, numClasses, and every split's array lengths and labels. Returns the
 * number of floats per sample. Throws OptionsError naming the split and field.
 */
export function validateDataset(data: Dataset): number {
  if (!isRecord(data)) throw new OptionsError(`dataset must be an object (see loadMnist / loadTabular), got ${show(data)}`);
  if (data.task !== 'classification' && data.task !== 'regression') {
    throw new OptionsError(`dataset.task must be 'classification' or 'regression', got ${show(data.task)}`);
  }
  const shape = data.inputShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new OptionsError(`dataset.inputShape must be a non-empty list of positive integers, got ${show(shape)}`);
  }
  if (data.task === 'classification' ? !(Number.isInteger(data.numClasses) && data.numClasses >= 2) : data.numClasses !== 1) {
    throw new OptionsError(
      `dataset.numClasses must be ${data.task === 'classification' ? 'an integer >= 2 for classification' : '1 for regression'}, got ${show(data.numClasses)}`,
    );
  }
  // Array.isArray above widened the readonly array to any[]; read it back as numbers.
  const rowSize = (shape as readonly number[]).reduce((a, b) => a * b, 1);
  checkSplit(data.train, 'train', rowSize, data, 1);
  checkSplit(data.val, 'val', rowSize, data, 1);
  checkSplit(data.test, 'test', rowSize, data, 0);
  return rowSize;
}
