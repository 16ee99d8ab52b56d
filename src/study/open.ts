/**
 * `createStudy` and `loadStudy`: validate options up front (TypeErrors naming the option), open the storage, store or check the
 * study description, rebuild the searcher from the stored history and recover trials left running by a dead process.
 */
import { randomInt } from 'node:crypto';
import { compileSpace, isSearchSpace, space as spaceApi } from '../../spaces/index.js';
import { canonical } from '../../spaces/builders.js';
import type { InferParams, SearchSpace, SpaceJson, SpaceTree } from '../../spaces/types.js';
import { type SearcherSpec } from '../../searchers/index.js';
import { composeSearcher, schedulerPruner, type SchedulerSpec } from '../../searchers/schedulers/index.js';
import { any as anyPruner, createPruner, nopPruner, type Pruner, type PrunerSpec } from '../pruners/index.js';
import { openStorage } from '../storage/index.js';
import { redactUrl } from '../storage/url.js';
import type { Storage } from '../storage/types.js';
import type { Direction, JsonValue, Params, StudyBudget, StudyRecord } from '../core/types.js';
import { OptionsError, StudyExistsError, StudyMismatchError, StudyNotFoundError } from '../core/errors.js';
import { StudyCore } from './core.js';
import { Study } from './study.js';
import type { Searcher, SearcherInit } from '../../searchers/types.js';
import { resolveObjectives, type ConstraintsFunction, type DerivedMetrics, type ResolvedObjectives } from './objectives.js';
import { checkPrunerObjectives } from './pruning.js';

export interface CreateStudyOptions<T> {
  /** Unique within its storage. */
  readonly name: string;
  /** A tree of `space.*` nodes, a compiled SearchSpace, or the JSON form (`space.toJSON()`). */
  readonly space: T;
  /** Default 'minimize'. With `directions`, must equal `directions[0]` (it is stored as such for older readers). */
  readonly direction?: Direction;
  /**
   * Several objectives: one direction per objective, e.g. ['maximize', 'minimize']. Objectives then return an array of
   * numbers or a metrics object holding every name in `metrics`; `tell(n, [v1, v2])`; `study.bestTrials` is the Pareto front.
   * Needs a searcher that handles several objectives (nsga2, tpe, gp, random, grid, sobol).
   */
  readonly directions?: readonly Direction[];
  /** The metric name of each objective, in the order of `directions` (stored with the study). */
  readonly metrics?: readonly string[];
  /**
   * Constraints evaluated when a trial completes: (metrics, params) => one number per constraint, each <= 0 satisfied (like
   * Optuna's constraints_func). The study record gets \`constraints: true\`; best trials are feasible ones. Not stored: pass it
   * again when the study is continued.
   */
  readonly constraints?: ConstraintsFunction<ParamsOf<T>>;
  /** Metrics computed from a trial's final metrics before objective values are read (e.g. a sweep's objective expression). */
  readonly derivedMetrics?: DerivedMetrics;
  /** A searcher type ('random', 'grid', 'sobol', ...) or `{ type, ...options }`. Default 'random'. */
  readonly searcher?: SearcherSpec;
  /** Seeds every random choice. Default: drawn at creation and stored, so the study stays reproducible from its record. */
  readonly seed?: number;
  /** A file path (lowdb file storage, durable), a Storage object, or omitted (in memory). */
  readonly storage?: string | Storage;
  /** Continue the stored study of that name instead of failing (the stored direction and space must match). */
  readonly loadIfExists?: boolean;
  /**
   * Decides early stopping after each report (default: never prunes): a Pruner object, or a spec such as 'median' or
   * `{ type: 'any', of: ['nan_guard', { type: 'exploding', maxNorm: 1e4 }] }` (specs are stored with the study and reused by
   * loadStudy).
   */
  readonly pruner?: Pruner | PrunerSpec;
  /** Name of the objective inside metrics objects passed to ctx.report() or returned by the objective. */
  readonly metric?: string;
  /** Free-form JSON stored with the study. */
  readonly userAttrs?: { readonly [key: string]: JsonValue };
  /** Budget bounds (steps, e.g. epochs) for multi-fidelity searchers such as 'asha', 'hyperband', 'bohb', and for schedulers. */
  readonly budget?: StudyBudget;
  /**
   * Says at which budget each trial runs and which are promoted, exploited or stopped, apart from the searcher that says what
   * to try (Ray Tune's split): 'asha' | 'hyperband' | 'pbt' or `{ type, ...options }`. Needs `budget`. Stored with the study.
   */
  readonly scheduler?: SchedulerSpec;
  /**
   * Reproducible parallel search: trial k learns only from trials that a fixed rule makes visible (src/study/visibility.ts),
   * so the same seed and concurrency give the same trials whichever finishes first. Costs idle time; stored with the study.
   */
  readonly deterministic?: boolean;
  /** Shared storages (PostgreSQL): time between heartbeats of a running trial (default 10,000 ms). Not stored. */
  readonly heartbeatIntervalMs?: number;
  /** Shared storages: a trial without a heartbeat for this long is failed as stale and retried (default 3 intervals). */
  readonly gracePeriodMs?: number;
}

/** Per-process options of createStudy and loadStudy (not stored with the study). */
type ProcessOptions = Pick<CreateStudyOptions<unknown>, 'heartbeatIntervalMs' | 'gracePeriodMs'>;

export interface LoadStudyOptions extends ProcessOptions {
  readonly name: string;
  readonly storage: string | Storage;
  /** Replaces the stored searcher (e.g. to continue a random study with another algorithm); default: the stored one. */
  readonly searcher?: SearcherSpec;
  /** Replaces the stored pruner spec (default: the stored one, else none). */
  readonly pruner?: Pruner | PrunerSpec;
  readonly metric?: string;
  /** The constraints function of a constrained study (not stored with it): see CreateStudyOptions.constraints. */
  readonly constraints?: ConstraintsFunction<Params>;
  readonly derivedMetrics?: DerivedMetrics;
}

/** Params type of a study created from a space tree (plain `Params` for JSON or compiled spaces). */
export type ParamsOf<T> = T extends SearchSpace ? Params : T extends SpaceTree ? InferParams<T> : Params;

const CREATE_KEYS = [
  'name',
  'space',
  'direction',
  'searcher',
  'seed',
  'storage',
  'loadIfExists',
  'pruner',
  'metric',
  'userAttrs',
  'budget',
  'scheduler',
  'deterministic',
  'heartbeatIntervalMs',
  'gracePeriodMs',
  'directions',
  'metrics',
  'constraints',
  'derivedMetrics',
];

/** The storage as messages name it: a path, or a URL with its password redacted. */
function where(storage: string | Storage | undefined): string {
  return typeof storage === 'string' ? redactUrl(storage) : storage ? 'the given storage' : 'memory';
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0)
    throw new OptionsError(`\`name\` must be a non-empty string, got ${JSON.stringify(name)}`);
}

function toSpace(s: unknown): SearchSpace {
  if (isSearchSpace(s)) return s;
  if (s === null || typeof s !== 'object' || Array.isArray(s)) {
    throw new OptionsError(
      '`space` must be an object of space.* parameters (e.g. { lr: space.float(1e-4, 1e-1, { log: true }) }) or its JSON form',
    );
  }
  // Builder nodes carry the `__tunekit` brand; the JSON form marks parameters with `_type` instead.
  return hasBrandedNode(s) ? compileSpace(s as SpaceTree) : spaceApi.fromJSON(s);
}

function checkProcessOptions(o: ProcessOptions): void {
  for (const k of ['heartbeatIntervalMs', 'gracePeriodMs'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 10 || v > 86_400_000)) {
      throw new OptionsError(`\`${k}\` must be a number of ms in [10, 86400000], got ${String(v)}`);
    }
  }
  const beat = o.heartbeatIntervalMs ?? 10_000;
  if (o.gracePeriodMs !== undefined && !(o.gracePeriodMs > beat)) {
    throw new OptionsError(
      `\`gracePeriodMs > heartbeatIntervalMs\` must hold, got gracePeriodMs=${o.gracePeriodMs}, heartbeatIntervalMs=${beat}`,
    );
  }
}

/** A JSON pruner spec (storable), as opposed to a Pruner object. */
function isSpec(p: Pruner | PrunerSpec | undefined): p is PrunerSpec {
  return typeof p === 'string' || (p !== undefined && typeof (p as Pruner).decide !== 'function');
}

function hasBrandedNode(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if ((v as { __tunekit?: unknown }).__tunekit === 'param') return true;
  return Object.values(v as object).some(hasBrandedNode);
}

function checkCreate<T>(o: CreateStudyOptions<T>): ResolvedObjectives {
  if (o === null || typeof o !== 'object') throw new OptionsError('createStudy() needs an options object with at least `name` and `space`');
  for (const k of Object.keys(o))
    if (!CREATE_KEYS.includes(k)) throw new OptionsError(`createStudy(): unknown option "${k}"; known options: ${CREATE_KEYS.join(', ')}`);
  checkName(o.name);
  if (o.direction !== undefined && o.direction !== 'minimize' && o.direction !== 'maximize') {
    throw new OptionsError(`\`direction\` must be 'minimize' or 'maximize', got ${JSON.stringify(o.direction)}`);
  }
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed))) {
    throw new OptionsError(`\`seed\` must be a safe integer, got ${String(o.seed)}`);
  }
  if (o.metric !== undefined && (typeof o.metric !== 'string' || !o.metric)) throw new OptionsError('`metric` must be a non-empty string');
  if (o.deterministic !== undefined && typeof o.deterministic !== 'boolean')
    throw new OptionsError(`\`deterministic\` must be true or false, got ${JSON.stringify(o.deterministic)}`);
  checkProcessOptions(o);
  if (o.budget !== undefined) {
    const b = o.budget as { min?: unknown; max?: unknown } | null;
    const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
    if (b === null || typeof b !== 'object' || !ok(b.min) || !ok(b.max)) {
      throw new OptionsError(`\`budget\` must be { min, max } with positive finite numbers, got ${JSON.stringify(o.budget)}`);
    }
    if ((b.min as number) > (b.max as number))
      throw new OptionsError(`\`budget.min <= budget.max\` must hold, got min=${String(b.min)}, max=${String(b.max)}`);
  }
  return resolveObjectives(o as CreateStudyOptions<unknown> as Parameters<typeof resolveObjectives>[0]);
}

/** Instances already built from the options' specs (the sweep runner validated them by building them): used, not rebuilt. */
export interface Prebuilt {
  readonly searcher?: Searcher;
  readonly pruner?: Pruner;
}

/** What decides the trials of a study: its searcher spec, and the scheduler composed with it (if any). */
interface SearchSpec {
  readonly searcher: SearcherSpec;
  readonly scheduler?: SchedulerSpec;
}

/** What a study's searcher must know of its objectives: directions (2+ = multi-objective) and whether it is constrained. */
interface ObjectiveInit {
  readonly directions: readonly Direction[];
  readonly constraints: boolean;
}

/** The objective part of a stored record (single-objective records written before `directions` existed included). */
function objectiveInitOf(record: StudyRecord): ObjectiveInit {
  return { directions: record.directions ?? [record.direction], constraints: record.constraints === true };
}

function initOf(space: SearchSpace, seed: number, objectives: ObjectiveInit, budget: StudyBudget | undefined): SearcherInit {
  const d = objectives.directions;
  return {
    space,
    seed,
    direction: d[0]!,
    // Plain studies keep the single-objective SearcherInit they always had (searchers switch variants on these fields).
    ...(d.length > 1 ? { directions: d } : {}),
    ...(objectives.constraints ? { constraints: true } : {}),
    ...(budget ? { budget } : {}),
  };
}

function buildSearcher(
  spec: SearchSpec,
  space: SearchSpace,
  seed: number,
  objectives: ObjectiveInit,
  budget: StudyBudget | undefined,
): Searcher {
  return composeSearcher(
    { searcher: spec.searcher, ...(spec.scheduler !== undefined ? { scheduler: spec.scheduler } : {}) },
    initOf(space, seed, objectives, budget),
  );
}

/** The study's pruner, plus a stop-rule scheduler's (ASHA in stop mode), which prunes on its own say. */
function withSchedulerPruner(pruner: Pruner, spec: SearchSpec, space: SearchSpace, record: StudyRecord): Pruner {
  if (spec.scheduler === undefined) return pruner;
  const stop = schedulerPruner(
    { searcher: spec.searcher, scheduler: spec.scheduler },
    initOf(space, record.seed, objectiveInitOf(record), record.budget),
  );
  return stop ? anyPruner([pruner, stop]) : pruner;
}

async function assemble<P>(
  storage: Storage,
  ownsStorage: boolean,
  record: StudyRecord,
  space: SearchSpace,
  searcher: Searcher,
  pruner: Pruner | undefined,
  o: {
    readonly metric?: string | undefined;
    readonly constraints?: ConstraintsFunction<P> | undefined;
    readonly derivedMetrics?: DerivedMetrics | undefined;
  } & ProcessOptions,
): Promise<Study<P>> {
  const spec: SearchSpec = {
    searcher: record.searcher as SearcherSpec,
    ...(record.scheduler !== undefined ? { scheduler: record.scheduler as SchedulerSpec } : {}),
  };
  const base = pruner ?? (record.pruner !== undefined ? createPruner(record.pruner as PrunerSpec) : nopPruner());
  checkPrunerObjectives(base, record.directions?.length ?? 1);
  const trials = await storage.getTrials(record.name);
  const core = new StudyCore<P>({
    storage,
    ownsStorage,
    record,
    space,
    searcher,
    pruner: withSchedulerPruner(base, spec, space, record),
    ...(o.metric !== undefined ? { metric: o.metric } : {}),
    ...(o.constraints !== undefined ? { constraints: o.constraints } : {}),
    ...(o.derivedMetrics !== undefined ? { derivedMetrics: o.derivedMetrics } : {}),
    ...(o.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: o.heartbeatIntervalMs } : {}),
    ...(o.gracePeriodMs !== undefined ? { gracePeriodMs: o.gracePeriodMs } : {}),
    trials,
  });
  // A shared storage's running trials may belong to live processes elsewhere: those are recovered by heartbeat (failStale),
  // not by assuming that whoever opens the study is its only runner.
  if (!storage.failStale) await core.recoverInterrupted();
  return new Study<P>(core);
}

/**
 * Creates a study (or, with `loadIfExists`, continues the stored one). With a file `storage` the file is locked for this
 * process until `study.close()`.
 */
export function createStudy<T>(options: CreateStudyOptions<T>): Promise<Study<ParamsOf<T>>> {
  return openStudy(options, {});
}

/** createStudy with searcher/pruner instances the caller already built from the same specs (each is built once). */
export async function openStudy<T>(options: CreateStudyOptions<T>, prebuilt: Prebuilt): Promise<Study<ParamsOf<T>>> {
  const resolved = checkCreate(options);
  const space = toSpace(options.space);
  const directions = resolved.directions;
  const direction = directions[0]!;
  const objectives: ObjectiveInit = { directions, constraints: options.constraints !== undefined };
  const spec: SearchSpec = {
    searcher: options.searcher ?? 'random',
    ...(options.scheduler !== undefined ? { scheduler: options.scheduler } : {}),
  };
  // Bad options fail before the storage is touched. A new study's seed is drawn now, so the searcher is built (and checked)
  // once; a stored study continued without `seed` or `searcher` rebuilds it from its record below.
  const pruner = prebuilt.pruner ?? (options.pruner !== undefined ? createPruner(options.pruner) : undefined);
  checkPrunerObjectives(options.pruner, directions.length);
  checkPrunerObjectives(pruner, directions.length);
  const seed = options.seed ?? randomInt(0, 2 ** 31 - 1);
  const built = prebuilt.searcher ?? buildSearcher(spec, space, seed, objectives, options.budget);
  const storage = await openStorage(options.storage);
  const owns = typeof options.storage === 'string' || options.storage === undefined;
  try {
    const existing = await storage.getStudy(options.name);
    let record: StudyRecord;
    let searcher: Searcher;
    if (existing) {
      if (!options.loadIfExists) throw new StudyExistsError(options.name, where(options.storage));
      if (existing.direction !== direction) throw new StudyMismatchError(options.name, 'direction', existing.direction, direction);
      const stored = JSON.stringify(existing.directions ?? [existing.direction]);
      if (stored !== JSON.stringify(directions))
        throw new StudyMismatchError(options.name, 'directions', stored, JSON.stringify(directions));
      // A constrained study continued without its constraints would record every new trial as infeasible (and vice versa).
      if ((existing.constraints === true) !== objectives.constraints) {
        throw new StudyMismatchError(options.name, 'constraints', String(existing.constraints === true), String(objectives.constraints));
      }
      // Canonical JSON: a storage may hand the space back with its keys in another order (PostgreSQL's jsonb does).
      if (canonical(existing.space) !== canonical(space.toJSON())) {
        throw new StudyMismatchError(options.name, 'space', JSON.stringify(existing.space), JSON.stringify(space.toJSON()));
      }
      if (options.seed !== undefined && options.seed !== existing.seed) {
        throw new StudyMismatchError(options.name, 'seed', String(existing.seed), String(options.seed));
      }
      record = existing;
      const same = options.seed !== undefined && options.searcher !== undefined;
      searcher = same
        ? built
        : buildSearcher(storedSpec(existing, options.searcher), space, existing.seed, objectiveInitOf(existing), existing.budget);
    } else {
      searcher = built;
      record = {
        name: options.name,
        direction,
        ...(directions.length > 1 ? { directions: [...directions] } : {}),
        ...(resolved.metrics && directions.length > 1 ? { metrics: [...resolved.metrics] } : {}),
        ...(objectives.constraints ? { constraints: true } : {}),
        searcher: spec.searcher as JsonValue,
        seed,
        space: space.toJSON() as SpaceJson,
        ...(options.budget ? { budget: { min: options.budget.min, max: options.budget.max } } : {}),
        ...(isSpec(options.pruner) ? { pruner: options.pruner as JsonValue } : {}),
        ...(spec.scheduler !== undefined ? { scheduler: spec.scheduler as JsonValue } : {}),
        ...(options.deterministic === true ? { deterministic: true } : {}),
        created: new Date().toISOString(),
        userAttrs: options.userAttrs ?? {},
      };
      try {
        await storage.createStudy(record);
      } catch (error) {
        // Another process created it between our read and our write (shared storages): continue it, as asked.
        if (!(error instanceof StudyExistsError && options.loadIfExists)) throw error;
        if (owns) await storage.close().catch(() => undefined);
        return await openStudy({ ...options, loadIfExists: true }, prebuilt);
      }
    }
    return await assemble<ParamsOf<T>>(storage, owns, record, space, searcher, pruner, options);
  } catch (error) {
    if (owns) await storage.close();
    throw error;
  }
}

/** The stored study's searcher and scheduler, the searcher replaced when the caller gave one. */
function storedSpec(record: StudyRecord, searcher: SearcherSpec | undefined): SearchSpec {
  return {
    searcher: searcher ?? (record.searcher as SearcherSpec),
    ...(record.scheduler !== undefined ? { scheduler: record.scheduler as SchedulerSpec } : {}),
  };
}

/** Opens a stored study as it was created (its space, direction, seed and searcher). */
export async function loadStudy(options: LoadStudyOptions): Promise<Study<Params>> {
  if (options === null || typeof options !== 'object') throw new OptionsError('loadStudy() needs { name, storage }');
  checkName(options.name);
  checkProcessOptions(options);
  if (options.storage === undefined)
    throw new OptionsError('loadStudy(): `storage` (a file path or Storage) is required; in-memory studies cannot be reloaded');
  const pruner = options.pruner !== undefined ? createPruner(options.pruner) : undefined;
  const storage = await openStorage(options.storage);
  const owns = typeof options.storage === 'string';
  try {
    const record = await storage.getStudy(options.name);
    if (!record) throw new StudyNotFoundError(options.name, where(options.storage), await storage.listStudies());
    const space = spaceApi.fromJSON(record.space);
    const searcher = buildSearcher(storedSpec(record, options.searcher), space, record.seed, objectiveInitOf(record), record.budget);
    return await assemble<Params>(storage, owns, record, space, searcher, pruner, options);
  } catch (error) {
    if (owns) await storage.close();
    throw error;
  }
}
