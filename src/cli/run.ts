/**
 * `tunekit run <sweep> [--out DIR] [--trials N] [--workers N] [--seed N]` and `tunekit resume <dir> [--trials N] [--workers N]`.
 *
 * Ctrl-C (or SIGTERM) stops gracefully: no new trials, running ones end within one batch and are recorded interrupted,
 * everything is flushed, and `tunekit resume <dir>` continues. A second Ctrl-C stops at once (workers terminated; the
 * running trials are still recorded interrupted). Exit code 0 when the sweep ended by itself, 130 when a signal stopped it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OptionsError } from '../core/errors.js';
import { RUN_DIR_NAMES, isRunDir, outUnderFile, runDir } from '../core/run-dir.js';
import { MAX_TRIALS } from '../study/loop.js';
import { intFlag, parseCommand, str, type Parsed } from './args.js';
import { LIMITS } from '../sweep/limits.js';
import { RESUME, RUN } from './commands.js';
import { applyOverrides, readStoredSweep, readSweepFile, resolveSweep, type Resolved } from '../sweep/load.js';
import { checkDataset } from '../sweep/dataset.js';
import { checkTrainableUnchanged, formatTrainable, type TrainableCheck } from '../sweep/trainable-hash.js';
import { formatUtilisation } from '../sweep/utilisation.js';
import { runSweep } from '../sweep/runner.js';
import type { ProgressSink } from '../sweep/progress.js';
import { formatLeaderboard } from './report.js';

export interface RunArgs {
  readonly sweep: string;
  readonly out?: string;
  readonly trials?: number;
  readonly workers?: number;
  readonly seed?: number;
  readonly storage?: string;
  readonly dashboard?: boolean;
  readonly port?: number;
  readonly force?: boolean;
  readonly allowChangedTrainable?: boolean;
}

export interface ResumeArgs {
  readonly dir: string;
  /** The PostgreSQL URL (with its password) of a sweep started with --storage; default: storage.json's, password from PG* / ~/.pgpass. */
  readonly storage?: string;
  readonly trials?: number;
  readonly workers?: number;
  readonly allowChangedTrainable?: boolean;
}

/** Test seams: where progress goes and whether Ctrl-C/SIGTERM handlers are installed (default: stdout, yes). */
export interface RunIo {
  readonly sink?: ProgressSink;
  readonly handleSignals?: boolean;
  /** External stop signals (used instead of, or besides, process signals). */
  readonly signal?: AbortSignal;
  readonly killSignal?: AbortSignal;
  readonly logIntervalMs?: number;
}

/** `run`'s arguments from a parse (commands.ts RUN). Throws OptionsError on a bad value. */
export function runArgsFrom(p: Parsed): RunArgs {
  if (p.positionals.length !== 1)
    throw new OptionsError(`run takes one sweep file, got ${p.positionals.length}; see \`tunekit run --help\``);
  const trials = intFlag(p, 'trials', 1, MAX_TRIALS);
  const workers = intFlag(p, 'workers', 1, LIMITS.workers.max);
  const seed = intFlag(p, 'seed', 0);
  const port = intFlag(p, 'port', 0, 65535);
  const out = str(p, 'out');
  const storage = str(p, 'storage');
  return {
    sweep: p.positionals[0] as string,
    ...(out !== undefined ? { out } : {}),
    ...(trials !== undefined ? { trials } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(storage !== undefined ? { storage } : {}),
    ...(p.values['dashboard'] === true ? { dashboard: true } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(p.values['force'] === true ? { force: true } : {}),
    ...(p.values['allow-changed-trainable'] === true ? { allowChangedTrainable: true } : {}),
  };
}

/** Parses `run`'s arguments (everything after the word `run`). Throws OptionsError on a bad flag. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  return runArgsFrom(parseCommand(RUN, argv));
}

/** `resume`'s arguments from a parse (commands.ts RESUME). */
export function resumeArgsFrom(p: Parsed): ResumeArgs {
  if (p.positionals.length !== 1)
    throw new OptionsError(`resume takes one run directory, got ${p.positionals.length}; see \`tunekit resume --help\``);
  const trials = intFlag(p, 'trials', 1, MAX_TRIALS);
  const workers = intFlag(p, 'workers', 1, LIMITS.workers.max);
  const storage = str(p, 'storage');
  return {
    dir: p.positionals[0] as string,
    ...(storage !== undefined ? { storage } : {}),
    ...(trials !== undefined ? { trials } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(p.values['allow-changed-trainable'] === true ? { allowChangedTrainable: true } : {}),
  };
}

/** Parses `resume`'s arguments. */
export function parseResumeArgs(argv: readonly string[]): ResumeArgs {
  return resumeArgsFrom(parseCommand(RESUME, argv));
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

/**
 * Where a run may write: a new or empty directory, a run directory (continued), or with `--force` a non-empty directory that
 * holds none of the names tunekit writes (so nothing of the user's can be overwritten or deleted). A file is refused.
 */
function checkOutDir(dir: string, force: boolean): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new OptionsError(outUnderFile('--out', dir));
    throw new OptionsError(`--out ${dir} cannot be read (${code ?? 'error'}); check its permissions or choose another --out`);
  }
  if (!stat.isDirectory())
    throw new OptionsError(`--out ${dir} is a file, not a directory; choose a new directory name (it will be created)`);
  if (isRunDir(dir)) return;
  const entries = fs.readdirSync(dir);
  if (entries.length === 0) return;
  const ours = entries.filter((e) => (RUN_DIR_NAMES as readonly string[]).includes(e));
  if (!force) {
    throw new OptionsError(
      `--out ${dir} is not empty and is not a tunekit run directory (no sweep.json or study.json); choose a new or empty directory, ` +
        'or pass --force to write beside what is there',
    );
  }
  if (ours.length > 0) {
    throw new OptionsError(
      `--out ${dir} holds ${ours.join(', ')} that tunekit did not write; even with --force nothing there is overwritten: move them or choose another --out`,
    );
  }
}

/** The stored sweep of a run directory (name, seed, trainable), or undefined; a corrupt sweep.json is a SweepFileError. */
function storedSweep(dir: string): { readonly name?: unknown; readonly seed?: unknown } | undefined {
  return readStoredSweep(dir)?.raw;
}

/**
 * `tunekit run`: validates the sweep file (every problem listed, nothing run if any), then runs it into `--out` (else the
 * file's `out`, else runs/<name>-<time>). An existing run directory of the same sweep is continued. Returns the exit code.
 */
export async function runCommand(args: RunArgs, out: (line: string) => void, io: RunIo = {}): Promise<number> {
  const abs = path.resolve(args.sweep);
  const raw = await readSweepFile(abs);
  const fileOut =
    raw !== null && typeof raw === 'object' && typeof (raw as { out?: unknown }).out === 'string'
      ? (raw as { out: string }).out
      : undefined;
  const name = raw !== null && typeof raw === 'object' ? (raw as { name?: unknown }).name : undefined;
  const dir = path.resolve(args.out ?? fileOut ?? path.join('runs', `${typeof name === 'string' ? name : 'sweep'}-${stamp()}`));
  checkOutDir(dir, args.force === true);
  const stored = storedSweep(dir);
  if (stored && stored.name !== name) {
    throw new OptionsError(
      `${dir} holds the sweep ${JSON.stringify(stored.name)}, not ${JSON.stringify(name)}; choose another --out, or continue it with \`tunekit resume ${dir}\``,
    );
  }
  // Continuing a directory: a file without a seed keeps the stored one (a fresh random seed would not match the study).
  const fileSeed = raw !== null && typeof raw === 'object' ? (raw as { seed?: unknown }).seed : undefined;
  const seed = args.seed ?? (fileSeed === undefined && typeof stored?.seed === 'number' ? stored.seed : undefined);
  const overrides = {
    out: dir,
    ...(args.trials !== undefined ? { trials: args.trials } : {}),
    ...(args.workers !== undefined ? { workers: args.workers } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
  const resolved = await resolveSweep(applyOverrides(raw, overrides), abs, path.dirname(abs));
  if (stored) {
    // The module that ran so far must be the one that runs now (or the user said otherwise).
    const before = await resolveSweep(stored, runDir(dir).sweep, dir);
    warnChanged(
      checkTrainableUnchanged({ ...resolved.sweep, trainable: before.sweep.trainable }, args.allowChangedTrainable === true),
      out,
    );
    out(`continuing the sweep in ${dir}`);
  }
  return executeSweep(resolved, abs, dir, out, io, args);
}

function warnChanged(check: TrainableCheck | undefined, out: (line: string) => void): void {
  if (check?.changed)
    out(
      `warning: ${check.module} changed since the sweep started (sha256 ${check.recorded.slice(0, 12)} -> ${check.current.slice(0, 12)}); continuing as --allow-changed-trainable asked`,
    );
}

/** `tunekit resume <dir>`: runs the stored `<dir>/sweep.json` again in `<dir>` (optionally with a new budget/workers). */
export async function resumeCommand(args: ResumeArgs, out: (line: string) => void, io: RunIo = {}): Promise<number> {
  const dir = path.resolve(args.dir);
  const stored = readStoredSweep(dir);
  if (!stored) throw new OptionsError(`${dir} holds no sweep.json; pass the run directory of a \`tunekit run\``);
  const raw = applyOverrides(stored.raw, {
    ...(args.trials !== undefined ? { trials: args.trials } : {}),
    ...(args.workers !== undefined ? { workers: args.workers } : {}),
  });
  const resolved = await resolveSweep(raw, stored.file, dir);
  warnChanged(checkTrainableUnchanged(resolved.sweep, args.allowChangedTrainable === true), out);
  const storage = args.storage ?? sharedStorageOf(dir);
  return executeSweep(resolved, stored.file, dir, out, io, storage !== undefined ? { storage } : {});
}

/**
 * The storage of a run directory whose study lives in PostgreSQL (its storage.json), with the redacted password removed: the
 * password then comes from PGPASSWORD or ~/.pgpass (or pass --storage with it).
 */
function sharedStorageOf(dir: string): string | undefined {
  const file = runDir(dir).storageRef;
  if (!fs.existsSync(file)) return undefined;
  const ref = JSON.parse(fs.readFileSync(file, 'utf8')) as { storage?: unknown };
  if (typeof ref.storage !== 'string') return undefined;
  try {
    const u = new URL(ref.storage);
    if (u.password === '***') u.password = '';
    return u.toString();
  } catch {
    return ref.storage;
  }
}

/** Runs a resolved sweep into `dir` with signal handling and the closing summary (run, resume and worker). */
export async function executeSweep(
  resolved: Resolved,
  sweepFile: string,
  dir: string,
  out: (line: string) => void,
  io: RunIo,
  args: Pick<RunArgs, 'dashboard' | 'port' | 'storage'>,
): Promise<number> {
  const { sweep } = resolved;
  // Bad data is a sweep problem found before anything is written (no empty run directory is left behind).
  const data = sweep.dataset ? await checkDataset(sweep.dataset, sweepFile) : undefined;
  out(formatTrainable(sweep));
  const stop = new AbortController();
  const kill = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      out(
        signal === 'SIGTERM'
          ? '\nSIGTERM: stopping; running trials end within one batch (or are killed after 10 s) and are recorded interrupted'
          : '\nstopping: running trials end within one batch and are recorded interrupted; press Ctrl-C again to stop at once',
      );
      stop.abort();
    } else {
      out('stopping now');
      kill.abort();
    }
  };
  const handle = io.handleSignals ?? true;
  if (handle) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const forward = (from: AbortSignal | undefined, to: AbortController) => from?.addEventListener('abort', () => to.abort(), { once: true });
  forward(io.signal, stop);
  forward(io.killSignal, kill);
  try {
    const result = await runSweep(sweep, {
      out: dir,
      signal: stop.signal,
      killSignal: kill.signal,
      ...(data ? { data } : {}),
      prebuilt: { searcher: resolved.searcher, pruner: resolved.pruner },
      ...(args.storage !== undefined ? { storage: args.storage } : {}),
      ...(args.dashboard ? { dashboard: { ...(args.port !== undefined ? { port: args.port } : {}), log: out } } : {}),
      ...(io.sink ? { sink: io.sink } : {}),
      ...(io.logIntervalMs !== undefined ? { logIntervalMs: io.logIntervalMs } : {}),
    });
    const lb = result.leaderboard;
    out('');
    out(formatLeaderboard({ ...lb, trials: lb.trials.slice(0, 10) }, process.stdout.columns || 160));
    out('');
    const rel = path.relative(process.cwd(), dir) || '.';
    out(`stopped by: ${result.stoppedBy}; ${result.finished} trials finished in this run; ${formatUtilisation(result.utilisation)}`);
    out(
      `files: ${dir} (study.json, leaderboard.json, sweep.json, trials/<n>/{config.json,curves.json,model/}); checkpoints kept: ${result.checkpoints.map((n) => `#${n}`).join(', ') || 'none'}`,
    );
    if (result.stoppedBy === 'signal' || (result.stoppedBy === 'timeout' && lb.summary.trials < sweep.budget.trials))
      out(`continue with: tunekit resume ${rel}`);
    out(`report: tunekit report ${rel} --top 10   (or --html report.html)`);
    return result.stoppedBy === 'signal' ? 130 : 0;
  } finally {
    if (handle) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
