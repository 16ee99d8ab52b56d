/**
 * The data behind the HTML report and the live dashboard: the leaderboard document (buildLeaderboard, the source of truth for
 * ranks, states, values, params and the summary) plus what the pictures need beyond it: flat parameter columns, intermediate
 * values, worker lanes, multi-fidelity budgets, importance and the per-trial files of the trials shown in detail.
 * Built from any Storage (file, in-memory, PostgreSQL), so the report and the dashboard read a study the same way.
 */
import type { JsonValue, StudyRecord, TrialRecord } from '../core/types.js';
import { buildLeaderboard, type Leaderboard } from './leaderboard.js';
import { choiceLabel, flattenParams, flattenSpace, type FlatParam } from './flatten.js';
import { computeImportance, mergeBranchParams, type ImportanceOptions, type ImportanceResult } from './importance/index.js';
import { readPlacement, readTrialFiles, type TrialFiles } from './trial-files.js';

/** One trial in the compact form the page reads (10,000 of them must stay a few MB). */
export interface ReportTrial {
  readonly number: number;
  readonly state: TrialRecord['state'];
  readonly rank: number | null;
  readonly value: number | null;
  readonly values: readonly (number | null)[] | null;
  /** True when the trial violates a constraint (the leaderboard's `violation` > 0): it is never on the front. */
  readonly infeasible: boolean;
  /** Flat parameter values in the order of `ReportData.params` (choice index for categorical ones), null when inactive. */
  readonly p: readonly (number | null)[];
  readonly reason: string | null;
  readonly error: string | null;
  /** Epoch milliseconds. */
  readonly started: number | null;
  readonly finished: number | null;
  readonly budget: number | null;
  /** Multi-fidelity promotions: the trial whose checkpoint this one continued from. */
  readonly continueFrom: number | null;
  /** Timeline lane: `<device>/<slot>` from config.json, else a lane assigned by overlap. */
  readonly lane: string;
  /** Intermediate values as [step, value] pairs (non-finite values as null). */
  readonly iv: readonly (readonly [number, number | null])[];
}

/** A trial shown in detail: its stored record's extras and the files of its directory. */
export interface TrialDetail {
  readonly number: number;
  readonly params: JsonValue;
  readonly metrics: { readonly [name: string]: number | null };
  readonly userAttrs: { readonly [key: string]: JsonValue };
  /** Per report: step and every metric reported with it (curves.json when present, else the stored intermediate metrics). */
  readonly curves: readonly { readonly [key: string]: number | null }[];
  readonly files: TrialFiles;
}

/** Everything the page renders. JSON only. */
export interface ReportData {
  readonly version: 1;
  readonly generatedAt: string;
  readonly live: boolean;
  /** Live dashboard: the storage version this data was read at (the page polls for a newer one). */
  readonly liveVersion?: string;
  readonly leaderboard: Omit<Leaderboard, 'trials'>;
  readonly directions: readonly StudyRecord['direction'][];
  readonly objectiveNames: readonly string[];
  readonly pruner: JsonValue;
  /** Sum of trial durations (compute time), in ms. */
  readonly computeMs: number;
  readonly params: readonly (FlatParam & { readonly labels?: readonly string[] })[];
  readonly trials: readonly ReportTrial[];
  readonly importance: ImportanceResult;
  readonly details: readonly TrialDetail[];
}

/** Options of {@link buildReportData}. */
export interface ReportDataOptions {
  /** The run directory holding trials/<n>/ (absent for a bare storage: no per-trial files). */
  readonly dir?: string;
  /** How many of the best trials get a detail view (default 5; the best one always does, and so do the first 3 pruned). */
  readonly detailTrials?: number;
  readonly importance?: ImportanceOptions;
  /** An importance computed earlier, reused as is (the live dashboard refits only now and then: it is the costly part). */
  readonly importanceResult?: ImportanceResult;
  readonly live?: boolean;
}

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);
const time = (s: string | undefined): number | null => {
  const t = s ? Date.parse(s) : NaN;
  return Number.isFinite(t) ? t : null;
};

/** Assigns lanes to trials without a known worker: the first lane free at the trial's start (interval partitioning). */
function overlapLanes(trials: readonly TrialRecord[]): Map<number, string> {
  const ends: number[] = [];
  const lanes = new Map<number, string>();
  for (const t of [...trials].filter((t) => t.started).sort((a, b) => (time(a.started) ?? 0) - (time(b.started) ?? 0))) {
    const start = time(t.started) ?? 0;
    const end = time(t.finished) ?? Date.now();
    let lane = ends.findIndex((e) => e <= start);
    if (lane < 0) lane = ends.push(end) - 1;
    else ends[lane] = end;
    lanes.set(t.number, `worker ${lane}`);
  }
  return lanes;
}

/** Builds the page's data from a study record, its trials and (optionally) the run directory. Pure but for file reads. */
export function buildReportData(study: StudyRecord, trials: readonly TrialRecord[], options: ReportDataOptions = {}): ReportData {
  const lb = buildLeaderboard(study, trials);
  const base = flattenSpace(study.space);
  // Cross-branch merges (`optimizer.*.lr`) get their own axis in the charts, as they take part in the importance.
  const merged = mergeBranchParams(base);
  const flat = [...base, ...merged.map((m) => m.param)];
  const byNumber = new Map(trials.map((t) => [t.number, t]));
  const fallbackLanes = overlapLanes(trials);
  const dir = options.dir;
  let computeMs = 0;
  const out: ReportTrial[] = lb.trials.map((e) => {
    const t = byNumber.get(e.number) as TrialRecord;
    const values = flattenParams(t.params, base);
    for (const m of merged) {
      const v = m.members.map((n) => values.get(n)).find((x) => x !== undefined);
      if (v !== undefined) values.set(m.param.name, v);
    }
    const place = dir !== undefined ? readPlacement(dir, t.number) : {};
    // The timeline and the compute time start when the trial's code started, not when it was asked (ask-ahead).
    const started = place.started ?? time(t.started);
    const finished = time(t.finished);
    if (started !== null && finished !== null) computeMs += Math.max(0, finished - started);
    const cf = t.system['continueFrom'];
    return {
      number: e.number,
      state: e.state,
      rank: e.rank,
      value: e.value,
      values: t.values ? t.values.map((v) => finite(v)) : null,
      infeasible: (e.violation ?? 0) > 0,
      p: flat.map((p) => values.get(p.name) ?? null),
      reason: e.reason,
      error: e.error,
      started,
      finished,
      budget: e.budget,
      continueFrom: typeof cf === 'number' ? cf : null,
      lane: place.device !== undefined ? `${place.device}/${place.slot ?? 0}` : (fallbackLanes.get(t.number) ?? 'not started'),
      iv: t.intermediate.map((i) => [i.step, finite(i.value)] as const),
    };
  });
  // Detail views: the best few, and the first pruned trials (their curves and the diagnostics that pruned them).
  const want = options.detailTrials ?? 5;
  const detailNumbers = [
    ...lb.trials.filter((e) => e.rank !== null).slice(0, Math.max(1, want)),
    ...lb.trials.filter((e) => e.state === 'pruned').slice(0, 3),
  ].map((e) => e.number);
  const details = detailNumbers.map((n) =>
    detail(byNumber.get(n) as TrialRecord, lb.trials.find((e) => e.number === n)?.metrics ?? {}, dir),
  );
  const { trials: _all, ...rest } = lb;
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    live: options.live ?? false,
    leaderboard: rest,
    directions: study.directions ?? [study.direction],
    objectiveNames: study.metrics ?? ['value'],
    pruner: study.pruner ?? null,
    computeMs,
    params: flat.map((p) => (p.kind === 'categorical' ? { ...p, labels: (p.choices ?? []).map(choiceLabel) } : p)),
    trials: out,
    importance: options.importanceResult ?? computeImportance(trials, base, { seed: study.seed, ...options.importance }),
    details,
  };
}

function detail(t: TrialRecord, metrics: { readonly [name: string]: number | null }, dir: string | undefined): TrialDetail {
  const files = dir !== undefined ? readTrialFiles(dir, t.number) : {};
  const curves =
    files.curves && files.curves.length > 0
      ? files.curves
      : t.intermediate.map((i) => {
          const row: { [key: string]: number | null } = { step: i.step, value: finite(i.value) };
          for (const [k, v] of Object.entries(i.metrics ?? {})) row[k] = finite(v);
          return row;
        });
  return { number: t.number, params: t.params, metrics, userAttrs: t.userAttrs, curves, files };
}
