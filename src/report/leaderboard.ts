/**
 * The leaderboard: a versioned JSON document other tools read (schema/leaderboard.schema.json). Built from the stored study
 * record and trials only, so `tunekit report` can produce it from a file while a sweep writes to it.
 *
 * Order of `trials`: complete trials ranked by value (best first, rank 1..), then pruned trials by their last value, then failed,
 * running and waiting trials by number (rank null). Non-finite numbers are written as null (JSON has no NaN).
 */
import type { FinishedState, JsonValue, Params, StudyRecord, TrialRecord, TrialState } from '../core/types.js';

/** Bumped on any incompatible change of the document's shape; additions of optional fields keep it. */
export const LEADERBOARD_SCHEMA_VERSION = 1;

export interface LeaderboardOptions {
  /** Keep only the first `top` entries of `trials` (the summary still covers every trial). */
  readonly top?: number;
  /** The searcher's type name, when known (else taken from the stored spec). */
  readonly searcher?: string;
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
  };
  readonly summary: {
    readonly trials: number;
    readonly states: { readonly [S in TrialState]: number };
    readonly best: { readonly number: number; readonly value: number; readonly params: Params } | null;
    readonly firstStarted: string | null;
    readonly lastFinished: string | null;
    readonly wallTimeMs: number | null;
  };
  readonly trials: readonly LeaderboardEntry[];
}

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

function entry(t: TrialRecord, rank: number | null): LeaderboardEntry {
  const metrics: { [name: string]: number | null } = {};
  for (const [k, v] of Object.entries(t.metrics ?? {})) metrics[k] = finite(v);
  const duration = t.started && t.finished ? Date.parse(t.finished) - Date.parse(t.started) : null;
  return {
    rank,
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
  };
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
  const complete = inState('complete').sort(byValue);
  const pruned = inState('pruned').sort(byValue);
  const rest = trials.filter((t) => t.state !== 'complete' && t.state !== 'pruned');
  const entries = [...complete.map((t, i) => entry(t, i + 1)), ...pruned.map((t) => entry(t, null)), ...rest.map((t) => entry(t, null))];

  const states = { waiting: 0, running: 0, complete: 0, pruned: 0, failed: 0 };
  let first: number | undefined;
  let last: number | undefined;
  for (const t of trials) {
    states[t.state]++;
    if (t.started) first = Math.min(first ?? Infinity, Date.parse(t.started));
    if (t.finished) last = Math.max(last ?? -Infinity, Date.parse(t.finished));
  }
  const best = complete[0];
  const spec = study.searcher;
  const searcherType =
    options.searcher ?? (typeof spec === 'string' ? spec : spec && typeof spec === 'object' && !Array.isArray(spec) && typeof spec['type'] === 'string' ? spec['type'] : 'unknown');
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
    },
    summary: {
      trials: trials.length,
      states,
      best: best ? { number: best.number, value: best.value as number, params: best.params } : null,
      firstStarted: first !== undefined ? new Date(first).toISOString() : null,
      lastFinished: last !== undefined ? new Date(last).toISOString() : null,
      wallTimeMs: first !== undefined && last !== undefined ? Math.max(0, last - first) : null,
    },
    trials: top === undefined ? entries : entries.slice(0, top),
  };
}
