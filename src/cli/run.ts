/**
 * `tunekit run <sweep> [--out DIR] [--trials N] [--workers N] [--seed N]` and `tunekit resume <dir> [--trials N] [--workers N]`.
 *
 * Ctrl-C (or SIGTERM) stops gracefully: no new trials, running ones end within one batch and are recorded interrupted,
 * everything is flushed, and `tunekit resume <dir>` continues. A second Ctrl-C stops at once (workers terminated; the
 * running trials are still recorded interrupted). Exit code 0 when the sweep ended by itself, 130 when a signal stopped it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OptionsError } from '../core/errors.js';
import { applyOverrides, readSweepFile, resolveSweep } from '../sweep/load.js';
import type { ResolvedSweep } from '../sweep/spec.js';
import { runSweep } from '../sweep/runner.js';
import type { ProgressSink } from '../sweep/progress.js';
import { formatLeaderboard } from './report.js';

/** Usage lines of the two commands (for main.ts's help). */
export const RUN_USAGE = `  tunekit run <sweep.json|.ts|.js> [--out DIR] [--trials N] [--workers N] [--seed N]
  tunekit resume <dir> [--trials N] [--workers N]`;

export interface RunArgs {
  readonly sweep: string;
  readonly out?: string;
  readonly trials?: number;
  readonly workers?: number;
  readonly seed?: number;
}

export interface ResumeArgs {
  readonly dir: string;
  readonly trials?: number;
  readonly workers?: number;
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

function intFlag(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new OptionsError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

/** Parses `run`'s arguments (everything after the word `run`). Throws OptionsError on a bad flag. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { out: { type: 'string' }, trials: { type: 'string' }, workers: { type: 'string' }, seed: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new OptionsError(`run takes one sweep file, got ${positionals.length}\nusage:\n${RUN_USAGE}`);
  const trials = intFlag('trials', values.trials, 1);
  const workers = intFlag('workers', values.workers, 1);
  const seed = intFlag('seed', values.seed, 0);
  return {
    sweep: positionals[0] as string,
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(trials !== undefined ? { trials } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

/** Parses `resume`'s arguments. */
export function parseResumeArgs(argv: readonly string[]): ResumeArgs {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { trials: { type: 'string' }, workers: { type: 'string' } } });
  if (positionals.length !== 1) throw new OptionsError(`resume takes one sweep output directory, got ${positionals.length}\nusage:\n${RUN_USAGE}`);
  const trials = intFlag('trials', values.trials, 1);
  const workers = intFlag('workers', values.workers, 1);
  return { dir: positionals[0] as string, ...(trials !== undefined ? { trials } : {}), ...(workers !== undefined ? { workers } : {}) };
}

function storedSweep(dir: string): { readonly name?: unknown; readonly seed?: unknown } | undefined {
  const file = path.join(dir, 'sweep.json');
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; seed?: unknown };
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

/**
 * `tunekit run`: validates the sweep file (every problem listed, nothing run if any), then runs it into `--out` (else the
 * file's `out`, else runs/<name>-<time>). An existing output directory of the same sweep is continued. Returns the exit code.
 */
export async function runCommand(args: RunArgs, out: (line: string) => void, io: RunIo = {}): Promise<number> {
  const abs = path.resolve(args.sweep);
  const raw = await readSweepFile(abs);
  const fileOut = raw !== null && typeof raw === 'object' && typeof (raw as { out?: unknown }).out === 'string' ? (raw as { out: string }).out : undefined;
  const name = raw !== null && typeof raw === 'object' ? (raw as { name?: unknown }).name : undefined;
  const dir = path.resolve(args.out ?? fileOut ?? path.join('runs', `${typeof name === 'string' ? name : 'sweep'}-${stamp()}`));
  const stored = storedSweep(dir);
  if (stored && stored.name !== name) {
    throw new OptionsError(`${dir} holds the sweep ${JSON.stringify(stored.name)}, not ${JSON.stringify(name)}; choose another --out, or continue it with \`tunekit resume ${dir}\``);
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
  const { sweep } = await resolveSweep(applyOverrides(raw, overrides), abs, path.dirname(abs));
  if (stored) out(`continuing the sweep in ${dir}`);
  return execute(sweep, dir, out, io);
}

/** `tunekit resume <dir>`: runs the stored `<dir>/sweep.json` again in `<dir>` (optionally with a new budget/workers). */
export async function resumeCommand(args: ResumeArgs, out: (line: string) => void, io: RunIo = {}): Promise<number> {
  const dir = path.resolve(args.dir);
  const file = path.join(dir, 'sweep.json');
  if (!fs.existsSync(file)) throw new OptionsError(`${dir} holds no sweep.json; pass the output directory of a \`tunekit run\``);
  const raw = applyOverrides(await readSweepFile(file), {
    ...(args.trials !== undefined ? { trials: args.trials } : {}),
    ...(args.workers !== undefined ? { workers: args.workers } : {}),
  });
  const { sweep } = await resolveSweep(raw, file, dir);
  return execute(sweep, dir, out, io);
}

async function execute(sweep: ResolvedSweep, dir: string, out: (line: string) => void, io: RunIo): Promise<number> {
  const stop = new AbortController();
  const kill = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      out(`\nstopping: running trials end within one batch and are recorded interrupted; press Ctrl-C again to stop at once`);
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
      ...(io.sink ? { sink: io.sink } : {}),
      ...(io.logIntervalMs !== undefined ? { logIntervalMs: io.logIntervalMs } : {}),
    });
    const lb = result.leaderboard;
    out('');
    out(formatLeaderboard({ ...lb, trials: lb.trials.slice(0, 10) }, process.stdout.columns || 160));
    out('');
    const rel = path.relative(process.cwd(), dir) || '.';
    out(`stopped by: ${result.stoppedBy}; ${result.finished} trials finished in this run`);
    out(`files: ${dir} (study.json, leaderboard.json, sweep.json, trials/<n>/{config.json,curves.json,model/}); checkpoints kept: ${result.checkpoints.map((n) => `#${n}`).join(', ') || 'none'}`);
    if (result.stoppedBy === 'signal' || (result.stoppedBy === 'timeout' && lb.summary.trials < sweep.budget.trials)) out(`continue with: tunekit resume ${rel}`);
    out(`report: tunekit report ${rel} --top 10`);
    return result.stoppedBy === 'signal' ? 130 : 0;
  } finally {
    if (handle) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
