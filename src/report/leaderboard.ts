/**
 * The leaderboard: a versioned JSON document other tools read (schema/leaderboard.schema.json). Built from the stored study
 * record and trials only, so `tunekit report` can produce it from a file while a sweep writes to it.
 *
 * Order of `trials`: complete trials ranked (rank 1..), then pruned trials by their last value, then failed, running and
 * waiting trials by number (rank null). Complete trials rank by value; a constrained study ranks feasible trials first, then
 * the infeasible ones by total violation; several objectives rank by constrained Pareto rank, then crowding distance
 * (searchers/objectives.ts paretoRanking). Non-finite numbers are written as null (JSON has no NaN).
 *
 * Version 2 (multi-objective, constraints) kept every version-1 field with its meaning (`rank`, `value` = the first objective,
 * `summary.best` = the best feasible trial of a single-objective study) and added `study.directions / metrics / constraints`,
 * `summary.front` and per trial `values`, `constraints`, `violation`, `violated`, `paretoRank`, `crowding`.
 */
import { paretoRanking, violation as totalViolation } from '../../searchers/objectives.js';
import type { Direction, FinishedState, JsonValue, Params, StudyRecord, TrialRecord, TrialState } from '../core/types.js';

/** Bumped on any incompatible change of the document's shape; additions of optional fields keep it. */
export const LEADERBOARD_SCHEMA_VERSION = 2;

export interface LeaderboardOptions {
  /** Keep only the first `top` entries of `trials` (the summary still covers every trial). */
  readonly top?: number;
  /** The searcher's type name, when known (else taken from the stored spec). */
  readonly searcher?: string;
  /**
   * The constraints' names (their expressions), in order, shown in `violated`; default: the `constraints` of the sweep
   * stored in the study's userAttrs, else `constraints[i]`.
   */
  readonly constraintNames?: readonly string[];
}

export interface LeaderboardEntry {
  readonly rank: number | null;
  readonly number: number;
  readonly state: TrialState;
  readonly value: number | null;
  readonly params: Params;
  readonly metrics: { readonly [name: string]: number | null };
  readonly budget: number | null;
  readonly reason: string | null;
  readonly error: string | null;
  readonly started: string | null;
  readonly finished: string | null;
  readonly durationMs: number | null;
  readonly intermediateSteps: number;
  readonly userAttrs: { readonly [key: string]: JsonValue };
  /** One value per objective (multi-objective studies), else null. */
  readonly values: readonly (number | null)[] | null;
  /** The trial's constraint values (each <= 0 satisfied), for constrained studies; null otherwise. */
  readonly constraints: readonly (number | null)[] | null;
  /** Total constraint violation of a complete trial of a constrained study (0 = feasible), else null. */
  readonly violation: number | null;
  /** The names of the constraints the trial violates (empty when feasible), for complete trials of constrained studies. */
  readonly violated: readonly string[] | null;
  /** Multi-objective: 0 = on the feasible Pareto front, 1 = the next front...; null for other studies and unranked trials. */
  readonly paretoRank: number | null;
  /** Multi-objective: NSGA-II crowding distance within its front (null when infinite, i.e. a front's extremes, or unranked). */
  readonly crowding: number | null;
}

export interface Leaderboard {
  readonly schemaVersion: typeof LEADERBOARD_SCHEMA_VERSION;
  readonly generatedAt: string;
  readonly study: {
    readonly name: string;
    readonly direction: StudyRecord['direction'];
    readonly searcher: string;
    readonly searcherSpec: JsonValue;
    readonly seed: number;
    readonly space: StudyRecord['space'];
    readonly budget: { readonly min: number; readonly max: number } | null;
    readonly created: string;
    readonly userAttrs: { readonly [key: string]: JsonValue };
    /** One direction per objective (`[direction]` for a single objective). */
    readonly directions: readonly Direction[];
    /** The objective metric names of a multi-objective study, when stored; else null. */
    readonly metrics: readonly string[] | null;
    /** The constraint names of a constrained study (`constraints[i]` when unknown); null when it has none. */
    readonly constraints: readonly string[] | null;
  };
  readonly summary: {
    readonly trials: number;
    readonly states: { readonly [S in TrialState]: number };
    /** The best feasible complete trial of a single-objective study; null for several objectives (see `front`). */
    readonly best: { readonly number: number; readonly value: number; readonly params: Params } | null;
    /** Trial numbers of the feasible Pareto front in rank order (single objective: the best trial, if any). */
    readonly front: readonly number[];
    readonly firstStarted: string | null;
    readonly lastFinished: string | null;
    readonly wallTimeMs: number | null;
  };
  readonly trials: readonly LeaderboardEntry[];
  /**
   * How busy the machine was during the sweep run that wrote this document (`leaderboard.json` of `tunekit run` / `resume`:
   * that process's run so far). Never set by the builder here: absent from study.leaderboard() and `tunekit report --json`.
   */
  readonly run?: RunUtilisation;
}

/** Busy cores over available ones during one sweep run (measured by src/sweep/utilisation.ts). */
export interface RunUtilisation {
  /** Wall time of the run (from opening the study until now), ms. */
  readonly wallMs: number;
  /** User + system CPU time of the sweep's process over the same time, every thread (the pool's workers) included, ms. */
  readonly cpuMs: number;
  /** cpuMs / wallMs: cores kept busy on average. */
  readonly busyCores: number;
  /** The cores Node may use (os.availableParallelism()). */
  readonly availableCores: number;
  /** busyCores / availableCores, in [0, 1] (slightly above 1 is measurement noise). */
  readonly ratio: number;
}

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/** Where a trial stands among the complete ones (see the module comment). */
interface Place {
  readonly rank: number | null;
  readonly violation: number | null;
  readonly paretoRank: number | null;
  readonly crowding: number | null;
}

const UNRANKED: Place = { rank: null, violation: null, paretoRank: null, crowding: null };

function entry(t: TrialRecord, place: Place, constraintNames: readonly string[] | null): LeaderboardEntry {
  const metrics: { [name: string]: number | null } = {};
  for (const [k, v] of Object.entries(t.metrics ?? {})) metrics[k] = finite(v);
  const duration = t.started && t.finished ? Date.parse(t.finished) - Date.parse(t.started) : null;
  const violated =
    constraintNames && place.violation !== null
      ? (t.constraints ?? []).flatMap((c, i) => (Number.isNaN(c) || c > 0 ? [constraintNames[i] ?? `constraints[${i}]`] : []))
      : null;
  return {
    rank: place.rank,
    number: t.number,
    state: t.state,
    value: finite(t.value),
    params: t.params,
    metrics,
    budget: t.budget ?? null,
    reason: t.reason ?? null,
    error: t.error?.message ?? null,
    started: t.started ?? null,
    finished: t.finished ?? null,
    durationMs: duration,
    intermediateSteps: t.intermediate.length,
    userAttrs: t.userAttrs,
    values: t.values ? t.values.map((v) => finite(v)) : null,
    constraints: constraintNames && t.constraints ? t.constraints.map((c) => finite(c)) : null,
    violation: place.violation,
    // A complete trial of a constrained study that carries no constraints (its function failed) violates them all.
    violated: violated && t.constraints === undefined && constraintNames ? [...constraintNames] : violated,
    paretoRank: place.paretoRank,
    crowding: place.crowding,
  };
}

/** The constraint names shown for a constrained study: given, else the stored sweep's, else `constraints[i]`. */
function namesOf(study: StudyRecord, trials: readonly TrialRecord[], given: readonly string[] | undefined): readonly string[] | null {
  if (study.constraints !== true) return null;
  if (given) return given;
  const sweep = study.userAttrs['sweep'];
  const fromSweep = sweep && typeof sweep === 'object' && !Array.isArray(sweep) ? sweep['constraints'] : undefined;
  if (Array.isArray(fromSweep) && fromSweep.every((c) => typeof c === 'string')) return fromSweep as string[];
  const n = Math.max(0, ...trials.map((t) => t.constraints?.length ?? 0));
  return Array.from({ length: n }, (_, i) => `constraints[${i}]`);
}

/** The complete trials in leaderboard order with their places (see the module comment). */
function rankComplete(
  study: StudyRecord,
  complete: readonly TrialRecord[],
  byValue: (a: TrialRecord, b: TrialRecord) => number,
): { trial: TrialRecord; place: Place }[] {
  const directions = study.directions ?? [study.direction];
  const constrained = study.constraints === true;
  if (directions.length > 1) {
    const byNumber = new Map(complete.map((t) => [t.number, t]));
    const ranked = paretoRanking(complete, directions, constrained);
    const seen = new Set(ranked.map((p) => p.number));
    const places = ranked.map((p, i) => ({
      trial: byNumber.get(p.number)!,
      place: { rank: i + 1, violation: constrained ? finite(p.violation) : null, paretoRank: p.rank, crowding: finite(p.crowding) },
    }));
    // Complete trials without a value per objective (written by other code) come last, unranked by front.
    const rest = complete.filter((t) => !seen.has(t.number)).sort(byValue);
    return [...places, ...rest.map((t, i) => ({ trial: t, place: { ...UNRANKED, rank: places.length + i + 1 } }))];
  }
  const v = (t: TrialRecord) => (constrained ? totalViolation(t) : 0);
  const sorted = [...complete].sort((a, b) => {
    const va = v(a);
    const vb = v(b);
    if (va !== vb) return va === 0 ? -1 : vb === 0 ? 1 : va - vb || byValue(a, b);
    return byValue(a, b);
  });
  return sorted.map((t, i) => ({
    trial: t,
    place: { rank: i + 1, violation: constrained ? finite(v(t)) : null, paretoRank: null, crowding: null },
  }));
}

/** Builds the leaderboard document. Pure: the same inputs give the same document (but `generatedAt`). */
export function buildLeaderboard(study: StudyRecord, trials: readonly TrialRecord[], options: LeaderboardOptions = {}): Leaderboard {
  const sign = study.direction === 'minimize' ? 1 : -1;
  const byValue = (a: TrialRecord, b: TrialRecord) => {
    const av = finite(a.value);
    const bv = finite(b.value);
    if (av === null || bv === null) return av === null ? (bv === null ? a.number - b.number : 1) : -1;
    return sign * (av - bv) || a.number - b.number;
  };
  const inState = (s: FinishedState | TrialState) => trials.filter((t) => t.state === s);
  const names = namesOf(study, trials, options.constraintNames);
  const complete = rankComplete(study, inState('complete'), byValue);
  const pruned = inState('pruned').sort(byValue);
  const rest = trials.filter((t) => t.state !== 'complete' && t.state !== 'pruned');
  const entries = [
    ...complete.map((c) => entry(c.trial, c.place, names)),
    ...pruned.map((t) => entry(t, UNRANKED, names)),
    ...rest.map((t) => entry(t, UNRANKED, names)),
  ];
  const directions = study.directions ?? [study.direction];
  const feasible = (c: { place: Place }) => c.place.violation === null || c.place.violation === 0;
  const front =
    directions.length > 1 ? complete.filter((c) => c.place.paretoRank === 0 && feasible(c)) : complete.slice(0, 1).filter(feasible);

  const states = { waiting: 0, running: 0, complete: 0, pruned: 0, failed: 0 };
  let first: number | undefined;
  let last: number | undefined;
  for (const t of trials) {
    states[t.state]++;
    if (t.started) first = Math.min(first ?? Infinity, Date.parse(t.started));
    if (t.finished) last = Math.max(last ?? -Infinity, Date.parse(t.finished));
  }
  const best = directions.length > 1 ? undefined : front[0]?.trial;
  const spec = study.searcher;
  const searcherType =
    options.searcher ??
    (typeof spec === 'string'
      ? spec
      : spec && typeof spec === 'object' && !Array.isArray(spec) && typeof spec['type'] === 'string'
        ? spec['type']
        : 'unknown');
  const top = options.top;
  if (top !== undefined && (!Number.isInteger(top) || top < 0)) throw new TypeError(`\`top\` must be an integer >= 0, got ${top}`);
  return {
    schemaVersion: LEADERBOARD_SCHEMA_VERSION,
    generatedAt: new Date().toISOString(),
    study: {
      name: study.name,
      direction: study.direction,
      searcher: searcherType,
      searcherSpec: spec,
      seed: study.seed,
      space: study.space,
      budget: study.budget ?? null,
      created: study.created,
      userAttrs: study.userAttrs,
      directions: [...directions],
      metrics: study.metrics ? [...study.metrics] : null,
      constraints: names ? [...names] : null,
    },
    summary: {
      trials: trials.length,
      states,
      best: best ? { number: best.number, value: best.value as number, params: best.params } : null,
      front: front.map((c) => c.trial.number),
      firstStarted: first !== undefined ? new Date(first).toISOString() : null,
      lastFinished: last !== undefined ? new Date(last).toISOString() : null,
      wallTimeMs: first !== undefined && last !== undefined ? Math.max(0, last - first) : null,
    },
    trials: top === undefined ? entries : entries.slice(0, top),
  };
}
