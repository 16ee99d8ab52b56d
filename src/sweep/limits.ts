/**
 * Bounds on the numbers and names a sweep may hold. Each bound stops a value that validates as "a positive integer" but
 * cannot work: `workers: 1e9` dies of V8 OOM spawning threads, `budget.trials: 1e308` never ends, `workerMemoryMb: 1`
 * kills every worker at start, seconds beyond setTimeout's range fire at once, a 300-character name fails with
 * ENAMETOOLONG when its output directory is made. `validateSweep` applies them to sweep files; the CLI and the pool use
 * `limitProblem` so a flag or an option gets the same check and the same message.
 */
import os from 'node:os';

/** An inclusive integer or number range. */
export interface Range {
  readonly min: number;
  readonly max: number;
  /** True when only integers are allowed. */
  readonly integer: boolean;
}

/** Largest delay setTimeout honours (2^31 - 1 ms, ~24.8 days); longer ones fire after 1 ms. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * The documented limits.
 * - `workers`: 1 .. 4 x os.availableParallelism() threads of the cpu device (more only queue for the cores, each costing a
 *   V8 isolate and a TF.js backend).
 * - `trials`: 1 .. 1,000,000 finished trials per sweep (split larger studies into several sweeps).
 * - `epochs`: 1 .. 100,000 per trial.
 * - `trialsPerDevice`: 1 .. 64 trials at once on one GPU.
 * - `workerMemoryMb`: at least 128 MB of V8 heap per worker. Measured (Node 20, tsx, 2 cores): loading the worker module with
 *   TF.js takes 42-62 MB of heap; a sweep of built-in MNIST trials fails every trial at 32 MB and completes at 64 MB (one
 *   epoch, small models), so 128 MB leaves 2x room for real models. No upper bound: V8 reserves lazily.
 * - `seconds` (budget.seconds, trialTimeout): above 0, at most 2,147,483 s (setTimeout's limit, ~24.8 days).
 * - `nameLength`: a sweep name is at most 100 characters (it names the output directory).
 */
export const LIMITS = Object.freeze({
  workers: Object.freeze({ min: 1, max: 4 * os.availableParallelism(), integer: true }),
  trials: Object.freeze({ min: 1, max: 1_000_000, integer: true }),
  epochs: Object.freeze({ min: 1, max: 100_000, integer: true }),
  trialsPerDevice: Object.freeze({ min: 1, max: 64, integer: true }),
  workerMemoryMb: Object.freeze({ min: 128, max: Infinity, integer: false }),
  seconds: Object.freeze({ min: 0, max: MAX_TIMER_SECONDS, integer: false }),
  nameLength: 100,
});

/** The fields `limitProblem` checks. `seconds` covers budget.seconds and trialTimeout (exclusive lower bound 0). */
export type LimitedField = 'workers' | 'trials' | 'epochs' | 'trialsPerDevice' | 'workerMemoryMb' | 'seconds';

const FIXES: Readonly<Record<LimitedField, string>> = {
  workers: 'more threads than that only queue for the cores; use at most',
  trials: 'split the sweep into several, or lower it to at most',
  epochs: 'lower it to at most',
  trialsPerDevice: 'lower it to at most',
  workerMemoryMb: '',
  seconds: 'longer delays overflow the timer; use at most',
};

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'nothing';
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  if (typeof v === 'function') return 'a function';
  return String(v as boolean | bigint | symbol);
}

/**
 * The problem with `value` for `field` (a sentence naming `label`, the range, what was given and the fix), or undefined when
 * it is within LIMITS. `label` is how the caller names the field: `budget.trials`, `--trials`, `options.workers`.
 * Callers pass the value as given (not yet known to be a number).
 */
export function limitProblem(field: LimitedField, value: unknown, label: string = field): string | undefined {
  const r: Range = LIMITS[field];
  const got = `got ${show(value)}`;
  if (field === 'workerMemoryMb') {
    if (typeof value === 'number' && value >= r.min && value < Infinity) return undefined;
    return (
      `\`${label} >= ${r.min}\` must hold (MB of V8 heap per worker; a TF.js worker needs ~60 MB just to start), ${got}; ` +
      `raise it to at least ${r.min}, or omit it for V8's default`
    );
  }
  if (field === 'seconds') {
    if (typeof value === 'number' && value > 0 && value <= r.max) return undefined;
    return `\`0 < ${label} <= ${r.max}\` must hold (seconds), ${got}; ${FIXES.seconds} ${r.max} (~24.8 days)`;
  }
  const why = field === 'workers' ? ` (${r.max} = 4 x the ${os.availableParallelism()} cores of this machine)` : '';
  const range = `\`${r.min} <= ${label} <= ${r.max}\` must hold${why}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) return `${range} and it must be an integer, ${got}`;
  if (value < r.min) return `${range}, ${got}; use at least ${r.min}`;
  if (value > r.max) return `${range}, ${got}; ${FIXES[field]} ${r.max}`;
  return undefined;
}

/** Device names Windows refuses as file or directory names (with any extension), so a sweep name cannot be one of them. */
const RESERVED_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** The problem with a sweep `name` (it names the study and the output directory `runs/<name>-<time>`), or undefined. */
export function nameProblem(name: unknown): string | undefined {
  const rule = `must be 1 to ${LIMITS.nameLength} letters, digits, '.', '_' or '-', starting with a letter or digit (it names the study and the default output directory)`;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return `${rule}, got ${show(name)}`;
  if (name.length > LIMITS.nameLength) return `${rule}: at most ${LIMITS.nameLength} characters, got ${name.length} characters; shorten it`;
  if (RESERVED_NAMES.test(name)) return `${rule}, got ${show(name)}, a reserved device name on Windows; choose another name`;
  return undefined;
}
