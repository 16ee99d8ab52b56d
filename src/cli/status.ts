/**
 * `tunekit status <dir> [--json]`: where a sweep stands, read from its output directory without locking anything, so it works
 * while the sweep runs in another process (FileStorage.openReadOnly: a point-in-time view; reports are at most ~1 s old).
 * Says whether the sweep is running (the storage lock names a live process), finished, or stopped and resumable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommand, str, type Parsed } from './args.js';
import { isPostgresUrl, redactUrl } from '../storage/url.js';
import { STATUS } from './commands.js';
import { OptionsError } from '../core/errors.js';
import { runDir } from '../core/run-dir.js';
import { escapeControl } from '../core/terminal.js';
import { FileStorage, openStorage } from '../storage/index.js';
import { isProcessAlive, readLock } from '../storage/lock.js';
import { countsTowardBudget } from '../study/optimize.js';
import { formatDuration } from '../sweep/progress.js';
import type { TrialRecord } from '../core/types.js';

export interface StatusArgs {
  readonly dir: string;
  /** The study, when a PostgreSQL storage holds several. */
  readonly study?: string;
  readonly json?: boolean;
}

/** The status as `--json` prints it. */
export interface SweepStatus {
  readonly name: string;
  readonly dir: string;
  /** running: a live process holds the study lock; finished: the budget is met; stopped: neither (resumable). */
  readonly state: 'running' | 'finished' | 'stopped';
  readonly pid?: number;
  readonly budget: number | null;
  /** Trials counting toward the budget. */
  readonly finished: number;
  readonly states: {
    readonly complete: number;
    readonly pruned: number;
    readonly failed: number;
    readonly interrupted: number;
    /** Trials running (run directory: those that started on a worker; a shared storage: every `running` trial). */
    readonly running: number;
    /**
     * Trials asked ahead (LoopOptions.askAhead) and waiting in the sweep's queue for a free worker: stored as `running`, but
     * without trials/<n>/config.json yet. Always 0 for a shared storage (no run directory to tell them apart) or a directory
     * without sweep.json.
     */
    readonly queued: number;
    readonly waiting: number;
  };
  readonly metric: string | null;
  readonly best: { readonly number: number; readonly value: number; readonly params: unknown } | null;
  readonly running: readonly {
    readonly number: number;
    readonly step: number | null;
    readonly value: number | null;
    readonly startedAgoMs: number | null;
  }[];
}

/** `status`'s arguments from a parse (commands.ts STATUS). */
export function statusArgsFrom(p: Parsed): StatusArgs {
  if (p.positionals.length !== 1) throw new OptionsError('status takes one run directory; see `tunekit status --help`');
  const study = str(p, 'study');
  return {
    dir: p.positionals[0] as string,
    ...(p.values['json'] === true ? { json: true } : {}),
    ...(study !== undefined ? { study } : {}),
  };
}

export function parseStatusArgs(argv: readonly string[]): StatusArgs {
  return statusArgsFrom(parseCommand(STATUS, argv));
}

/**
 * Reads the status of the sweep in `dir` (read-only), or of study `study` in a PostgreSQL storage (`postgresql://...`), which
 * works from any machine of a shared sweep.
 */
export async function readStatus(dirArg: string, study?: string): Promise<SweepStatus> {
  const shared = isPostgresUrl(dirArg);
  const dir = shared ? redactUrl(dirArg) : path.resolve(dirArg);
  const layout = runDir(shared ? '.' : dir);
  const file = layout.study;
  if (!shared && !fs.existsSync(file) && !fs.existsSync(`${file}.wal`))
    throw new OptionsError(`${dir} holds no study.json; pass the output directory of a \`tunekit run\``);
  let sweep: { name?: unknown; budget?: { trials?: unknown }; objective?: { metric?: unknown; direction?: unknown } } = {};
  if (!shared) {
    try {
      sweep = JSON.parse(fs.readFileSync(layout.sweep, 'utf8')) as typeof sweep;
    } catch {
      // a study directory without sweep.json (e.g. written by the demo): no budget known
    }
  }
  const storage = shared ? await openStorage(dirArg) : await FileStorage.openReadOnly(file);
  let trials: readonly TrialRecord[];
  let name: string;
  let direction: string;
  try {
    const names = await storage.listStudies();
    name =
      study ??
      (typeof sweep.name === 'string' && names.includes(sweep.name) ? sweep.name : names.length === 1 || !shared ? (names[0] ?? '') : '');
    if (!name)
      throw new OptionsError(
        shared
          ? `${dir} holds ${names.length} studies (${names.join(', ')}); pick one with --study NAME`
          : `${file} holds no study yet (the sweep may still be starting)`,
      );
    const record = await storage.getStudy(name);
    if (!record) throw new OptionsError(`${dir} holds no study "${name}" (it has ${names.join(', ') || 'none'})`);
    trials = await storage.getTrials(name);
    direction = record.direction;
    // A shared sweep keeps its resolved sweep (budget, metric) in the study.
    if (shared) sweep = (record.userAttrs['sweep'] ?? {}) as typeof sweep;
  } finally {
    await storage.close();
  }
  const lock = shared ? undefined : readLock(`${file}.lock`);
  const live =
    lock !== undefined && lock !== 'unreadable' && lock.host === os.hostname() && isProcessAlive(lock.pid) ? lock.pid : undefined;
  const budget = typeof sweep.budget?.trials === 'number' ? sweep.budget.trials : null;
  const finished = trials.filter(countsTowardBudget).length;
  const count = (f: (t: TrialRecord) => boolean) => trials.filter(f).length;
  let best: TrialRecord | undefined;
  for (const t of trials) {
    if (t.state !== 'complete' || t.value === undefined || !Number.isFinite(t.value)) continue;
    if (!best || (direction === 'maximize' ? t.value > (best.value as number) : t.value < (best.value as number))) best = t;
  }
  // A trial asked ahead is stored running before it starts; a sweep (sweep.json beside the study) writes its config.json when
  // it starts on a worker. Elsewhere (a shared storage, a demo's directory) every running trial counts as running.
  const sweepDir = !shared && fs.existsSync(layout.sweep);
  const started = (t: TrialRecord) => !sweepDir || fs.existsSync(layout.config(t.number));
  const running = trials.filter((t) => t.state === 'running' && started(t));
  /** When a running trial's code started: its config.json's time (the stored one is when its lane handed it over), else the stored one. */
  const startedAt = (t: TrialRecord): number | undefined => {
    let at = NaN;
    try {
      if (!shared) at = Date.parse((JSON.parse(fs.readFileSync(layout.config(t.number), 'utf8')) as { started?: string }).started ?? '');
    } catch {
      // being written, or gone: the stored time
    }
    if (Number.isNaN(at) && t.started) at = Date.parse(t.started);
    return Number.isNaN(at) ? undefined : at;
  };
  const now = Date.now();
  return {
    name,
    dir,
    state: live !== undefined ? 'running' : budget !== null && finished >= budget ? 'finished' : 'stopped',
    ...(live !== undefined ? { pid: live } : {}),
    budget,
    finished,
    states: {
      complete: count((t) => t.state === 'complete'),
      pruned: count((t) => t.state === 'pruned'),
      failed: count((t) => t.state === 'failed' && t.reason !== 'interrupted'),
      interrupted: count((t) => t.state === 'failed' && t.reason === 'interrupted'),
      running: running.length,
      queued: count((t) => t.state === 'running') - running.length,
      waiting: count((t) => t.state === 'waiting'),
    },
    metric: typeof sweep.objective?.metric === 'string' ? sweep.objective.metric : null,
    best: best ? { number: best.number, value: best.value as number, params: best.params } : null,
    running: running.map((t) => {
      const last = t.intermediate[t.intermediate.length - 1];
      const at = startedAt(t);
      return {
        number: t.number,
        step: last?.step ?? null,
        value: last?.value ?? null,
        startedAgoMs: at !== undefined ? now - at : null,
      };
    }),
  };
}

/** `tunekit status`: prints the status (a few lines, or JSON with --json). */
export async function statusCommand(args: StatusArgs, write: (line: string) => void): Promise<void> {
  const s = await readStatus(args.dir, args.study);
  // Names, params and errors are user data: control characters must not reach the terminal (nor forge lines).
  const out = (line: string) => write(escapeControl(line));
  if (args.json) {
    // JSON escapes control characters itself (and must stay parseable): written as it is.
    write(JSON.stringify(s, null, 2));
    return;
  }
  const rel = path.relative(process.cwd(), s.dir) || '.';
  const state =
    s.state === 'running'
      ? `running${s.pid !== undefined ? ` (pid ${s.pid})` : ''}`
      : s.state === 'finished'
        ? 'finished'
        : `stopped${s.budget !== null ? `, resumable: tunekit resume ${rel}` : ''}`;
  const metric = s.metric ?? 'value';
  out(`sweep ${s.name} in ${rel}: ${state}`);
  const st = s.states;
  out(
    `trials: ${s.finished}${s.budget !== null ? `/${s.budget}` : ''} finished (${st.complete} complete, ${st.pruned} pruned, ${st.failed} failed), ` +
      `${st.running} running${st.queued > 0 ? ` (${st.queued} more asked ahead)` : ''}, ${st.waiting} waiting, ${st.interrupted} interrupted`,
  );
  out(s.best ? `best: #${s.best.number} ${metric} ${s.best.value}  ${JSON.stringify(s.best.params)}` : 'best: none yet');
  for (const r of s.running) {
    out(
      `  running #${r.number}: step ${r.step ?? '-'} ${metric} ${r.value ?? '-'}${r.startedAgoMs !== null ? `, started ${formatDuration(r.startedAgoMs)} ago` : ''}`,
    );
  }
}
