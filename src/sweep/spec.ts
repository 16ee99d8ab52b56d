/**
 * The sweep file: everything `tunekit run` needs, as JSON (or a .ts/.js module exporting the same object). `validateSweep`
 * checks a parsed file and collects EVERY problem with its JSON path before anything runs; on success it returns the
 * resolved sweep (defaults filled in, paths absolute, seed fixed), which is written to `<out>/sweep.json` and is what
 * `tunekit resume` reads back.
 *
 * Example (see examples/mnist-sweep.json):
 *   { "name": "mnist", "dataset": { "type": "mnist", "limit": 6000 }, "trainable": "builtin",
 *     "defaults": { "batchSize": 128, "loss": "crossentropy" },
 *     "space": { "model": { "_type": "branch", "branches": { "mlp": { "units": { "_type": "choice", "values": [[128], [256]] } } } },
 *                "optimizer": { "_type": "branch", "branches": { "adam": { "lr": { "_type": "float", "low": 1e-4, "high": 1e-2, "log": true } } } } },
 *     "searcher": "sobol", "pruner": "median", "objective": { "metric": "valAccuracy", "direction": "maximize" },
 *     "budget": { "trials": 20, "epochs": 4, "seconds": 600 }, "workers": 2, "seed": 1, "keepCheckpoints": 3 }
 */
import { describeValue } from '../core/describe.js';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spaceFromJSON } from '../../spaces/json.js';
import type { SearchSpace, SpaceJson } from '../../spaces/types.js';
import { type SearcherSpec } from '../../searchers/index.js';
import { composeSearcher, type SchedulerSpec } from '../../searchers/schedulers/index.js';
import type { Searcher } from '../../searchers/types.js';
import { createPruner, type PrunerSpec } from '../pruners/spec.js';
import type { Pruner } from '../pruners/types.js';
import { deviceProblems } from '../pool/slots.js';
import type { JsonObject } from '../pool/protocol.js';
import { limitProblem, nameProblem, type LimitedField } from './limits.js';
import { hashTrainable } from './trainable-hash.js';
import { builtinEpochMetrics, checkSweepObjectives, sweepMetricNames, type SweepObjective } from './objectives.js';
import { checkPrunerObjectives } from '../study/pruning.js';

export { LIMITS, limitProblem, nameProblem, type LimitedField, type Range } from './limits.js';
export { jsonProblems, MAX_JSON_DEPTH } from './json-check.js';

/** MNIST from the `mnist` package (10,000 digits): `loadMnist` options. */
export interface MnistDatasetSpec {
  readonly type: 'mnist';
  readonly val?: number;
  readonly test?: number;
  readonly limit?: number;
  readonly seed?: number;
}

/**
 * A table (`loadTabular` options). `source` is a .csv/.tsv/.json path relative to the sweep file, or `vega:penguins` /
 * `vega:cars` for the bundled vega-datasets files.
 */
export interface TabularDatasetSpec {
  readonly type: 'tabular';
  readonly source: string;
  readonly target: string;
  readonly task?: 'classification' | 'regression';
  readonly features?: readonly string[];
  readonly clean?: JsonObject;
  readonly val?: number;
  readonly test?: number;
  readonly seed?: number;
  readonly name?: string;
  readonly maxCategories?: number;
}

export type DatasetSpec = MnistDatasetSpec | TabularDatasetSpec;

/** A sweep as written in a file (optional fields may be missing). */
export interface SweepFile {
  readonly name: string;
  readonly dataset?: DatasetSpec;
  /**
   * 'builtin' (default: trials/ runTrial, params are TrialConfig fields) or `{ module: './train.ts' }` (relative to the file).
   * The module is code every trial runs: trust a sweep file like code. `sha256` is normally recorded by tunekit; given here, it
   * pins the module (a resume refuses a file with another hash).
   */
  readonly trainable?: 'builtin' | { readonly module: string; readonly sha256?: string };
  /** Config fields every trial starts from; the sampled params are merged over them. */
  readonly defaults?: JsonObject;
  /** The search space in its JSON form (`space.toJSON()`; parameters carry `_type`). */
  readonly space: SpaceJson;
  readonly searcher?: SearcherSpec;
  readonly pruner?: PrunerSpec;
  /**
   * Default { metric: 'valLoss', direction: 'minimize' }. `{ expression: "valAccuracy - 0.01 * log10(paramCount)", direction }`
   * optimises a value derived from each trial's final metrics.
   */
  readonly objective?: { readonly metric?: string; readonly expression?: string; readonly direction?: 'minimize' | 'maximize' };
  /** Several objectives (2+), e.g. [{ metric: 'valAccuracy', direction: 'maximize' }, { metric: 'latencyMs', direction: 'minimize' }]. */
  readonly objectives?: readonly { readonly metric: string; readonly direction?: 'minimize' | 'maximize' }[];
  /** Constraints on each trial's final metrics, e.g. ["latencyMs <= 5", "paramCount <= 2e5"]; best trials satisfy them all. */
  readonly constraints?: readonly string[];
  /** trials: finished trials wanted; epochs: max epochs per trial; minEpochs: smallest budget of multi-fidelity searchers; seconds: total time. */
  readonly budget: { readonly trials: number; readonly epochs?: number; readonly minEpochs?: number; readonly seconds?: number };
  /** Worker threads of the cpu device (default: cores). */
  readonly workers?: number;
  readonly devices?: readonly string[];
  readonly trialsPerDevice?: number;
  /** Seconds a trial may run before it fails with reason 'timeout'. */
  readonly trialTimeout?: number;
  /** Heap limit per worker thread (MB). */
  readonly workerMemoryMb?: number;
  /** Stop after this many failed trials in a row (default 5, 0 = never). */
  readonly maxConsecutiveFailures?: number;
  readonly seed?: number;
  /** Output directory (relative to the working directory); default runs/<name>-<time>. */
  readonly out?: string;
  /** Checkpoints kept: those of the best k complete trials (default 3; 0 keeps none). */
  readonly keepCheckpoints?: number;
  /** At which budget trials run and which are promoted or stopped ('asha', 'hyperband', 'pbt' or { type, ... }); needs budget.epochs. */
  readonly scheduler?: SchedulerSpec;
  /** Reproducible parallel search (src/study/visibility.ts). */
  readonly deterministic?: boolean;
  /** Storages shared by machines: ms between heartbeats of a running trial (default 10,000). */
  readonly heartbeatIntervalMs?: number;
  /** Storages shared by machines: a trial with no heartbeat for this long is retried elsewhere (default 3 intervals). */
  readonly gracePeriodMs?: number;
}

/** A validated sweep with every default filled in and every path absolute: the content of `<out>/sweep.json`. */
export interface ResolvedSweep {
  readonly version: 1;
  readonly name: string;
  readonly dataset?: DatasetSpec;
  /**
   * `sha256`: of the module file (entry file only) when the sweep was created; `tunekit resume` compares it with the file.
   * validateSweep always records it; it is absent only from sweeps built by hand (nothing is compared then).
   */
  readonly trainable: 'builtin' | { readonly module: string; readonly sha256?: string };
  readonly defaults: JsonObject;
  readonly space: SpaceJson;
  readonly searcher: SearcherSpec;
  readonly pruner: PrunerSpec;
  /** The (first) objective; for an expression, `metric` is the expression text. */
  readonly objective: SweepObjective;
  /** Multi-objective sweeps: every objective (`objective` is the first). */
  readonly objectives?: readonly SweepObjective[];
  readonly constraints?: readonly string[];
  readonly budget: { readonly trials: number; readonly epochs?: number; readonly minEpochs?: number; readonly seconds?: number };
  readonly workers?: number;
  readonly devices: readonly string[];
  readonly trialsPerDevice: number;
  readonly trialTimeout?: number;
  readonly workerMemoryMb?: number;
  readonly maxConsecutiveFailures: number;
  readonly seed: number;
  readonly out?: string;
  readonly keepCheckpoints: number;
  readonly scheduler?: SchedulerSpec;
  readonly deterministic?: boolean;
  readonly heartbeatIntervalMs?: number;
  readonly gracePeriodMs?: number;
}

const TOP_KEYS = [
  'name',
  'dataset',
  'trainable',
  'defaults',
  'space',
  'searcher',
  'pruner',
  'objective',
  'budget',
  'workers',
  'devices',
  'trialsPerDevice',
  'trialTimeout',
  'workerMemoryMb',
  'maxConsecutiveFailures',
  'seed',
  'out',
  'keepCheckpoints',
  'version',
  'scheduler',
  'deterministic',
  'heartbeatIntervalMs',
  'gracePeriodMs',
  'objectives',
  'constraints',
];
const MNIST_KEYS = ['type', 'val', 'test', 'limit', 'seed'];
const TABULAR_KEYS = ['type', 'source', 'target', 'task', 'features', 'clean', 'val', 'test', 'seed', 'name', 'maxCategories'];

/** Collects problems as `path: message` lines. */
class Problems {
  readonly list: string[] = [];
  add(at: string, message: string): void {
    this.list.push(`${at || '(root)'}: ${message}`);
  }
}

/** A value for a message: JSON, clipped (a sweep may hold megabytes), and never a throw (BigInt, cycles, deep nesting). */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? describeValue(v);
  } catch {
    s = Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v;
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function isObject(v: unknown): v is { readonly [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKeys(p: Problems, at: string, o: { readonly [key: string]: unknown }, known: readonly string[]): void {
  for (const k of Object.keys(o))
    if (!known.includes(k))
      p.add(at ? `${at}.${k}` : k, `unknown field; the fields here are: ${known.filter((x) => x !== 'version').join(', ')}`);
}

function int(p: Problems, at: string, v: unknown, min: number, what = ''): v is number {
  if (v === undefined) return false;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    p.add(at, `must be an integer >= ${min}${what}, got ${show(v)}`);
    return false;
  }
  return true;
}

/** Adds the LIMITS problem of `v` for `field` (when given); true when `v` is given and within the limits. */
function limited(p: Problems, at: string, v: unknown, field: LimitedField): v is number {
  if (v === undefined) return false;
  const problem = limitProblem(field, v, at);
  if (problem) p.add(at, problem);
  return problem === undefined;
}

function fraction(p: Problems, at: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v < 1))) p.add(at, `must be a fraction in [0, 1), got ${show(v)}`);
}

function checkDataset(p: Problems, d: unknown, baseDir: string): DatasetSpec | undefined {
  if (d === undefined) return undefined;
  if (!isObject(d)) {
    p.add(
      'dataset',
      `must be an object such as { "type": "mnist" } or { "type": "tabular", "source": "data.csv", "target": "label" }, got ${show(d)}`,
    );
    return undefined;
  }
  if (d['type'] === 'mnist') {
    unknownKeys(p, 'dataset', d, MNIST_KEYS);
    fraction(p, 'dataset.val', d['val']);
    fraction(p, 'dataset.test', d['test']);
    int(p, 'dataset.limit', d['limit'], 20, ' (images used; the package has 10,000)');
    if (d['seed'] !== undefined && !Number.isSafeInteger(d['seed'])) p.add('dataset.seed', `must be an integer, got ${show(d['seed'])}`);
    return d as unknown as MnistDatasetSpec;
  }
  if (d['type'] === 'tabular') {
    unknownKeys(p, 'dataset', d, TABULAR_KEYS);
    const source = d['source'];
    let resolved = source;
    if (typeof source !== 'string' || !source)
      p.add('dataset.source', `must be a file path (.csv, .tsv, .json) or "vega:penguins" / "vega:cars", got ${show(source)}`);
    else if (source.startsWith('vega:')) {
      if (source !== 'vega:penguins' && source !== 'vega:cars')
        p.add('dataset.source', `the bundled datasets are "vega:penguins" and "vega:cars", got ${show(source)}`);
    } else {
      resolved = path.resolve(baseDir, source);
      if (!fs.existsSync(resolved as string))
        p.add('dataset.source', `no file at ${resolved as string} (paths are relative to the sweep file)`);
      else if (fs.statSync(resolved as string).isDirectory())
        p.add('dataset.source', `${resolved as string} is a directory; name a .csv, .tsv or .json file`);
    }
    if (typeof d['target'] !== 'string' || !d['target']) p.add('dataset.target', `must name the target column, got ${show(d['target'])}`);
    if (d['task'] !== undefined && d['task'] !== 'classification' && d['task'] !== 'regression')
      p.add('dataset.task', `must be "classification" or "regression", got ${show(d['task'])}`);
    if (d['features'] !== undefined && !(Array.isArray(d['features']) && d['features'].every((f) => typeof f === 'string')))
      p.add('dataset.features', `must be a list of column names, got ${show(d['features'])}`);
    if (d['clean'] !== undefined && !isObject(d['clean']))
      p.add('dataset.clean', `must be an object (see loadTabular's CleaningConfig), got ${show(d['clean'])}`);
    fraction(p, 'dataset.val', d['val']);
    fraction(p, 'dataset.test', d['test']);
    int(p, 'dataset.maxCategories', d['maxCategories'], 1);
    return { ...(d as unknown as TabularDatasetSpec), source: resolved as string };
  }
  p.add('dataset.type', `must be "mnist" or "tabular", got ${show(d['type'])}`);
  return undefined;
}

function checkTrainable(p: Problems, t: unknown, baseDir: string): ResolvedSweep['trainable'] | undefined {
  if (t === undefined || t === 'builtin') return 'builtin';
  if (isObject(t) && typeof t['module'] === 'string' && t['module']) {
    unknownKeys(p, 'trainable', t, ['module', 'sha256']);
    const file = path.resolve(baseDir, t['module']);
    const given = t['sha256'];
    if (given !== undefined && (typeof given !== 'string' || !/^[0-9a-f]{64}$/.test(given))) {
      p.add('trainable.sha256', `must be the 64 hex digits tunekit recorded, got ${show(given)}; remove it to record the current module's`);
    }
    if (!/\.(m?js|[cm]?ts)$/.test(file)) p.add('trainable.module', `must be a .js, .mjs or .ts file, got ${show(t['module'])}`);
    else if (!fs.existsSync(file) || !fs.statSync(file).isFile())
      p.add('trainable.module', `no file at ${file} (paths are relative to the sweep file)`);
    else {
      // A stored sha256 (sweep.json on resume) is kept: it says what ran so far; checkTrainableUnchanged compares it with the file.
      try {
        return { module: file, sha256: typeof given === 'string' ? given : hashTrainable(file) };
      } catch (error) {
        p.add('trainable.module', (error as Error).message);
      }
    }
    return { module: file, sha256: '' };
  }
  p.add(
    'trainable',
    `must be "builtin" or { "module": "./train.ts" } (a module exporting default async (config, ctx) => metrics), got ${show(t)}`,
  );
  return undefined;
}

/** What validateSweep needs besides the parsed file. */
export interface ValidateOptions {
  /** Directory relative paths (trainable module, tabular source) are resolved against: the sweep file's directory. */
  readonly baseDir: string;
}

/** The outcome of validation: the resolved sweep, or every problem found. */
/** A valid sweep, with the searcher and pruner its validation built (used as they are: each is built once per run). */
export type ValidateResult =
  | { readonly ok: true; readonly sweep: ResolvedSweep; readonly space: SearchSpace; readonly searcher: Searcher; readonly pruner: Pruner }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Checks a parsed sweep file; collects every problem (`path: message`, e.g. `budget.trials: must be an integer >= 1, got 0`)
 * instead of stopping at the first. Structural checks run first; the space, searcher and pruner are then built (their own
 * validators name the path inside them). Called by loadSweepFile and by `tunekit resume` on the stored sweep.json.
 */
export function validateSweep(raw: unknown, options: ValidateOptions): ValidateResult {
  const p = new Problems();
  if (!isObject(raw))
    return { ok: false, problems: [`(root): a sweep must be an object with at least name, space and budget, got ${show(raw)}`] };
  unknownKeys(p, '', raw, TOP_KEYS);
  const name = raw['name'];
  const badName = nameProblem(name);
  if (badName) p.add('name', badName);
  const dataset = checkDataset(p, raw['dataset'], options.baseDir);
  const trainable = checkTrainable(p, raw['trainable'], options.baseDir);
  if (trainable === 'builtin' && raw['dataset'] === undefined)
    p.add('dataset', 'is required with the built-in trainer (e.g. { "type": "mnist" })');
  const defaults = raw['defaults'] ?? {};
  if (!isObject(defaults)) p.add('defaults', `must be an object of config fields (e.g. { "batchSize": 128 }), got ${show(defaults)}`);

  // The built-in trainer's metric names are known up front; a plain `objective.metric` is checked against them later
  // (check-builtin.ts, with the dataset's task), expressions, `objectives` and constraints here.
  const metricNames = trainable === 'builtin' ? sweepMetricNames({ trainable, dataset: raw['dataset'] }) : undefined;
  const objectives = checkSweepObjectives(raw, metricNames, (at, message) => p.add(at, message));
  const direction = objectives.objective.direction;
  const directions = (objectives.objectives ?? [objectives.objective]).map((o) => o.direction);
  const first = objectives.objectives?.[0];
  if (
    first &&
    trainable === 'builtin' &&
    metricNames &&
    !['classification', 'regression'].some((t) => builtinEpochMetrics(t as 'classification').includes(first.metric))
  ) {
    p.add(
      'objectives[0].metric',
      `the built-in trainer reports the first objective every epoch (and picks its best epoch by it): use an epoch metric (${[...new Set([...builtinEpochMetrics('classification'), ...builtinEpochMetrics('regression')])].join(', ')}) first and put ${JSON.stringify(first.metric)} after it`,
    );
  }

  const budget = raw['budget'];
  let trials = 0;
  let epochs: number | undefined;
  let minEpochs: number | undefined;
  let seconds: number | undefined;
  if (!isObject(budget)) p.add('budget', `must be an object such as { "trials": 40, "epochs": 5 }, got ${show(budget)}`);
  else {
    unknownKeys(p, 'budget', budget, ['trials', 'epochs', 'minEpochs', 'seconds']);
    if (budget['trials'] === undefined) p.add('budget.trials', 'is required: the number of finished trials the sweep runs');
    else if (limited(p, 'budget.trials', budget['trials'], 'trials')) trials = budget['trials'];
    if (limited(p, 'budget.epochs', budget['epochs'], 'epochs')) epochs = budget['epochs'];
    if (limited(p, 'budget.minEpochs', budget['minEpochs'], 'epochs')) minEpochs = budget['minEpochs'];
    if (limited(p, 'budget.seconds', budget['seconds'], 'seconds')) seconds = budget['seconds'];
    if (minEpochs !== undefined && epochs === undefined) p.add('budget.minEpochs', 'needs budget.epochs (the largest budget) too');
    if (minEpochs !== undefined && epochs !== undefined && minEpochs > epochs)
      p.add('budget.minEpochs', `\`minEpochs <= epochs\` must hold, got minEpochs=${minEpochs}, epochs=${epochs}`);
  }
  if (trainable === 'builtin' && epochs === undefined && !(isObject(defaults) && typeof defaults['epochs'] === 'number')) {
    p.add('budget.epochs', 'is required with the built-in trainer (or set defaults.epochs): the max epochs per trial');
  }

  limited(p, 'workers', raw['workers'], 'workers');
  const devices = raw['devices'] ?? ['cpu'];
  for (const problem of deviceProblems(devices))
    p.add(
      problem.startsWith('[') ? `devices${problem.slice(0, problem.indexOf(']') + 1)}` : 'devices',
      problem.startsWith('[') ? problem.slice(problem.indexOf(']') + 2) : problem,
    );
  limited(p, 'trialsPerDevice', raw['trialsPerDevice'], 'trialsPerDevice');
  limited(p, 'trialTimeout', raw['trialTimeout'], 'seconds');
  limited(p, 'workerMemoryMb', raw['workerMemoryMb'], 'workerMemoryMb');
  int(p, 'maxConsecutiveFailures', raw['maxConsecutiveFailures'], 0, ' (0 = never stop)');
  const seed = raw['seed'] ?? randomInt(0, 2 ** 31 - 1);
  if (!Number.isSafeInteger(seed)) p.add('seed', `must be an integer, got ${show(seed)}`);
  if (raw['out'] !== undefined && (typeof raw['out'] !== 'string' || !raw['out']))
    p.add('out', `must be a directory path, got ${show(raw['out'])}`);
  int(p, 'keepCheckpoints', raw['keepCheckpoints'], 0, ' (checkpoints of the best k trials are kept)');

  let space: SearchSpace | undefined;
  try {
    space = spaceFromJSON(raw['space']);
  } catch (e) {
    const at = (e as { path?: unknown }).path;
    p.add(typeof at === 'string' && at ? `space.${at}` : 'space', (e as Error).message);
  }
  const searcher = (raw['searcher'] ?? 'random') as SearcherSpec;
  const scheduler = raw['scheduler'] as SchedulerSpec | undefined;
  if (raw['deterministic'] !== undefined && typeof raw['deterministic'] !== 'boolean')
    p.add('deterministic', `must be true or false, got ${show(raw['deterministic'])}`);
  int(p, 'heartbeatIntervalMs', raw['heartbeatIntervalMs'], 10, ' (ms between heartbeats)');
  int(p, 'gracePeriodMs', raw['gracePeriodMs'], 10, ' (ms without a heartbeat before a trial is retried)');
  let builtSearcher: Searcher | undefined;
  if (space) {
    try {
      const init = {
        space,
        seed: typeof seed === 'number' ? seed : 0,
        direction,
        ...(directions.length > 1 ? { directions } : {}),
        ...(objectives.constraints ? { constraints: true } : {}),
        ...(epochs !== undefined ? { budget: { min: minEpochs ?? 1, max: epochs } } : {}),
      };
      builtSearcher = composeSearcher({ searcher, ...(scheduler !== undefined ? { scheduler } : {}) }, init);
    } catch (e) {
      p.add(scheduler !== undefined && /scheduler/.test((e as Error).message) ? 'scheduler' : 'searcher', (e as Error).message);
    }
  }
  const pruner = (raw['pruner'] ?? 'none') as PrunerSpec;
  let builtPruner: Pruner | undefined;
  try {
    builtPruner = createPruner(pruner);
    checkPrunerObjectives(pruner, directions.length);
  } catch (e) {
    p.add('pruner', (e as Error).message);
  }

  if (p.list.length > 0 || !space || !trainable || !builtSearcher || !builtPruner) return { ok: false, problems: p.list };
  const sweep: ResolvedSweep = {
    version: 1,
    name: name as string,
    ...(dataset ? { dataset } : {}),
    trainable,
    defaults: defaults as JsonObject,
    space: raw['space'] as SpaceJson,
    searcher,
    pruner,
    objective: objectives.objective,
    ...(objectives.objectives ? { objectives: objectives.objectives } : {}),
    ...(objectives.constraints ? { constraints: objectives.constraints } : {}),
    budget: {
      trials,
      ...(epochs !== undefined ? { epochs } : {}),
      ...(minEpochs !== undefined ? { minEpochs } : {}),
      ...(seconds !== undefined ? { seconds } : {}),
    },
    ...(raw['workers'] !== undefined ? { workers: raw['workers'] as number } : {}),
    devices: devices as string[],
    trialsPerDevice: (raw['trialsPerDevice'] as number | undefined) ?? 1,
    ...(raw['trialTimeout'] !== undefined ? { trialTimeout: raw['trialTimeout'] as number } : {}),
    ...(raw['workerMemoryMb'] !== undefined ? { workerMemoryMb: raw['workerMemoryMb'] as number } : {}),
    maxConsecutiveFailures: (raw['maxConsecutiveFailures'] as number | undefined) ?? 5,
    seed: seed as number,
    ...(raw['out'] !== undefined ? { out: raw['out'] as string } : {}),
    keepCheckpoints: (raw['keepCheckpoints'] as number | undefined) ?? 3,
    ...(scheduler !== undefined ? { scheduler } : {}),
    ...(raw['deterministic'] === true ? { deterministic: true } : {}),
    ...(raw['heartbeatIntervalMs'] !== undefined ? { heartbeatIntervalMs: raw['heartbeatIntervalMs'] as number } : {}),
    ...(raw['gracePeriodMs'] !== undefined ? { gracePeriodMs: raw['gracePeriodMs'] as number } : {}),
  };
  return { ok: true, sweep, space, searcher: builtSearcher, pruner: builtPruner };
}
