/**
 * `tunekit report <storage> [--study NAME] [--json FILE|-] [--top K]`: the leaderboard of a stored study, as a table on stdout
 * and/or as JSON. Opens the storage read-only (no lock), so it works while a sweep is writing the file.
 */
import { FileStorage } from '../storage/index.js';
import { buildLeaderboard, type Leaderboard } from '../report/leaderboard.js';
import { StudyNotFoundError, OptionsError } from '../core/errors.js';
import { writeJsonAtomic } from '../core/json-file.js';
import { existingStudyFile } from '../core/run-dir.js';
import { escapeControl } from '../core/terminal.js';
import { intFlag, str, type Parsed } from './args.js';

export interface ReportArgs {
  readonly storage: string;
  readonly study?: string;
  readonly json?: string;
  readonly top?: number;
  /** Also write the self-contained HTML report to this file. */
  readonly html?: string;
}

/** `report`'s arguments from a parse (commands.ts REPORT). */
export function reportArgsFrom(p: Parsed): ReportArgs {
  if (p.positionals.length !== 1)
    throw new OptionsError('report takes one storage (a run directory, a study file or a PostgreSQL URL); see `tunekit report --help`');
  const top = intFlag(p, 'top', 1);
  const study = str(p, 'study');
  const json = str(p, 'json');
  const html = str(p, 'html');
  return {
    storage: p.positionals[0] as string,
    ...(study !== undefined ? { study } : {}),
    ...(json !== undefined ? { json } : {}),
    ...(top !== undefined ? { top } : {}),
    ...(html !== undefined ? { html } : {}),
  };
}

/** A file path, or a directory holding `study.json` (the layout sweeps write); see src/core/run-dir.ts. */
export const resolveStorageFile = existingStudyFile;

export async function loadLeaderboard(args: ReportArgs): Promise<Leaderboard> {
  const file = resolveStorageFile(args.storage);
  const storage = await FileStorage.openReadOnly(file);
  try {
    const names = await storage.listStudies();
    const name = args.study ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) {
      throw new OptionsError(
        names.length ? `${file} holds several studies (${names.join(', ')}); pick one with --study NAME` : `${file} holds no study`,
      );
    }
    const record = await storage.getStudy(name);
    if (!record) throw new StudyNotFoundError(name, file, names);
    return buildLeaderboard(record, await storage.getTrials(name), args.top !== undefined ? { top: args.top } : {});
  } finally {
    await storage.close();
  }
}

const fmt = (v: number | null): string =>
  v === null ? '-' : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);

/** A fixed-width text table of the leaderboard (what a person reads in a terminal). */
export function formatLeaderboard(lb: Leaderboard, width = 120): string {
  const s = lb.summary;
  const lines = [
    `study ${lb.study.name} (${lb.study.direction}, searcher ${lb.study.searcher}, seed ${lb.study.seed})`,
    `trials: ${s.trials}  complete ${s.states.complete}  pruned ${s.states.pruned}  failed ${s.states.failed}  running ${s.states.running}  waiting ${s.states.waiting}` +
      (s.wallTimeMs !== null ? `  wall ${(s.wallTimeMs / 1000).toFixed(1)} s` : ''),
    ...(lb.study.directions.length > 1
      ? formatFront(lb, width).split('\n')
      : [s.best ? `best: #${s.best.number} value ${fmt(s.best.value)}` : 'best: none yet']),
    '',
    `${'rank'.padStart(4)} ${'#'.padStart(5)} ${'state'.padEnd(8)} ${'value'.padStart(11)} ${'secs'.padStart(7)}  params / reason`,
  ];
  for (const t of lb.trials) {
    const values = t.values && t.values.length > 1 ? `values [${t.values.map(fmt).join(', ')}] ` : '';
    const violates = t.violated && t.violated.length > 0 ? `violates ${t.violated.join(', ')} ` : '';
    const detail =
      t.state === 'complete'
        ? `${values}${violates}${JSON.stringify(t.params)}`
        : `${t.reason ?? t.error ?? ''} ${JSON.stringify(t.params)}`.trim();
    const row = `${String(t.rank ?? '-').padStart(4)} ${String(t.number).padStart(5)} ${t.state.padEnd(8)} ${fmt(t.value).padStart(11)} ${(t.durationMs === null ? '-' : (t.durationMs / 1000).toFixed(1)).padStart(7)}  ${detail}`;
    lines.push(row.length > width ? `${row.slice(0, width - 1)}…` : row);
  }
  // Names, params and reasons are user data: control characters must not reach the terminal, nor a newline forge a row.
  return lines.map(escapeControl).join('\n');
}

/**
 * The feasible Pareto front as a small table (one row per front trial, one column per objective), for `tunekit report` and the
 * end of a sweep; for a single objective, the best trial. Names and params are user data: control characters are escaped.
 */
export function formatFront(lb: Leaderboard, width = 120): string {
  const directions = lb.study.directions;
  const names = lb.study.metrics ?? directions.map((_, i) => (directions.length > 1 ? `objective ${i + 1}` : 'value'));
  const members = lb.summary.front.map((n) => lb.trials.find((t) => t.number === n)).filter((t) => t !== undefined);
  const constraints = lb.study.constraints ? `; constraints: ${lb.study.constraints.join(', ')}` : '';
  const goals = names.map((n, i) => `${directions[i]} ${n}`).join(', ');
  if (lb.summary.front.length === 0)
    return escapeControl(`Pareto front: none yet (${goals}${constraints}${lb.study.constraints ? '; no feasible trial' : ''})`);
  const cols = names.map((n) => Math.max(11, n.length));
  const lines = [
    `Pareto front: ${members.length} trial${members.length === 1 ? '' : 's'} (${goals}${constraints})`,
    `${'#'.padStart(5)} ${names.map((n, i) => n.padStart(cols[i]!)).join(' ')}  params`,
  ];
  for (const t of members) {
    const values = t.values ?? [t.value];
    const row = `${String(t.number).padStart(5)} ${values.map((v, i) => fmt(v).padStart(cols[i]!)).join(' ')}  ${JSON.stringify(t.params)}`;
    lines.push(row.length > width ? `${row.slice(0, width - 1)}…` : row);
  }
  // `--top` may have cut front members from `trials`: their numbers are still listed.
  const cut = lb.summary.front.filter((n) => !members.some((t) => t.number === n));
  if (cut.length > 0) lines.push(`      and #${cut.join(', #')} (beyond --top)`);
  return lines.map(escapeControl).join('\n');
}

export async function reportCommand(args: ReportArgs, out: (line: string) => void): Promise<number> {
  if (args.html !== undefined) {
    const { htmlReportCommand } = await import('./html.js');
    await htmlReportCommand({ source: args.storage, html: args.html, ...(args.study !== undefined ? { study: args.study } : {}) }, out);
    if (args.json === undefined) return 0;
  }
  const lb = await loadLeaderboard(args);
  if (args.json === '-') {
    out(JSON.stringify(lb, null, 2));
    return 0;
  }
  out(formatLeaderboard(lb, process.stdout.columns || 120));
  if (args.json) {
    writeJsonAtomic(args.json, lb);
    out(`\nleaderboard JSON written to ${args.json}`);
  }
  return 0;
}
