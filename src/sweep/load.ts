/**
 * Reading a sweep: a .json file, or a .ts/.js/.mjs module whose default export (or `sweep` export) is the same object.
 * Command-line overrides are applied before validation, so they are checked like the file's own values.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SweepFileError } from '../core/errors.js';
import { describeValue } from '../core/describe.js';
import { builtinProblems } from './check-builtin.js';
import { locateJsonError } from './json-error.js';
import { jsonProblems, validateSweep, type ResolvedSweep } from './spec.js';
import type { Searcher } from '../../searchers/types.js';
import type { Pruner } from '../pruners/types.js';
import type { SearchSpace, SpaceTree } from '../../spaces/types.js';
import { compileSpace, isSearchSpace } from '../../spaces/compile.js';

/** A sweep file that cannot be used; the message lists every problem, one per line, each with its JSON path. */
export { SweepFileError } from '../core/errors.js';

/** Values given on the command line; each replaces the file's. */
export interface SweepOverrides {
  readonly out?: string;
  readonly trials?: number;
  readonly workers?: number;
  readonly seed?: number;
}

async function importModule(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  try {
    return await import(url);
  } catch (error) {
    // `?.`: a module may throw anything, undefined included.
    if ((error as { code?: unknown } | null | undefined)?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    // A compiled tunekit reading a .ts sweep: compile it with tsx (a cache-busting query, as the failed import is cached).
    const specifier: string = 'tsx/esm/api';
    const { register } = (await import(specifier)) as { register: () => unknown };
    register();
    return import(`${url}?tsx`);
  }
}

/** The raw (unvalidated) sweep object of a file. Throws SweepFileError for unreadable or unparsable files. */
export async function readSweepFile(file: string): Promise<unknown> {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new SweepFileError(abs, ['(file): does not exist; pass the path of a sweep .json/.ts/.js file']);
  if (abs.endsWith('.json')) {
    let text: string;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (error) {
      // A directory named x.json, no permission, a file too large for a string: named, not a bare errno.
      const code = (error as { code?: unknown }).code;
      const why =
        code === 'EISDIR'
          ? 'EISDIR: it is a directory'
          : typeof code === 'string'
            ? code
            : error instanceof Error
              ? error.message
              : describeValue(error);
      throw new SweepFileError(abs, [`(file): cannot be read (${why}); pass the path of a sweep .json/.ts/.js file`]);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      const at = locateJsonError(text);
      throw new SweepFileError(abs, [`(file): is not valid JSON at line ${at.line}, column ${at.column} (${at.detail}); fix it there`]);
    }
  }
  if (!/\.(m?js|[cm]?ts)$/.test(abs)) throw new SweepFileError(abs, ['(file): must end in .json, .js, .mjs or .ts']);
  let mod: { default?: unknown; sweep?: unknown };
  try {
    mod = (await importModule(abs)) as { default?: unknown; sweep?: unknown };
  } catch (error) {
    const why = error instanceof Error ? error.message : `it threw ${describeValue(error)}`;
    throw new SweepFileError(abs, [`(file): could not be imported: ${why}`]);
  }
  const value = mod.default ?? mod.sweep;
  if (value === undefined) throw new SweepFileError(abs, ['(file): must `export default` the sweep object (or export `sweep`)']);
  return normalizeSpace(value, abs);
}

/** Depth-bounded (the space itself allows 64 levels; deeper trees are left for the space validator to reject by name). */
function hasBrandedNode(v: unknown, depth = 0): boolean {
  if (v === null || typeof v !== 'object' || depth > 256) return false;
  if ((v as { __tunekit?: unknown }).__tunekit === 'param') return true;
  return Object.values(v as object).some((x) => hasBrandedNode(x, depth + 1));
}

/**
 * A .ts/.js sweep may give its space with the builders (`space.float(...)`) or as a compiled SearchSpace: it is turned into
 * the JSON form here (what sweep.json stores). Builder errors (e.g. low > high) are SweepFileErrors at `space`.
 */
function normalizeSpace(raw: unknown, file: string): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const s = (raw as { space?: unknown }).space;
  if (!isSearchSpace(s) && !hasBrandedNode(s)) return raw;
  try {
    return { ...raw, space: (isSearchSpace(s) ? s : compileSpace(s as SpaceTree)).toJSON() };
  } catch (error) {
    throw new SweepFileError(file, [`space: ${(error as Error).message}`]);
  }
}

/** A sweep output directory's stored sweep: its path and parsed (not yet validated) content. */
export interface StoredSweep {
  /** Absolute path of `<dir>/sweep.json`. */
  readonly file: string;
  /** The parsed JSON object; validate it with `resolveSweep(raw, file, dir)`. */
  readonly raw: { readonly [key: string]: unknown };
}

/**
 * Reads `<dir>/sweep.json`, the resolved sweep `tunekit run` stored there. Returns undefined when the directory has none.
 * Throws SweepFileError naming the file, the line and column of a syntax error and the fix, for an empty, corrupt or
 * non-object file; the file is never written. Called by `tunekit resume <dir>` and by `tunekit run --out <dir>` (a directory
 * that already holds a sweep).
 */
export function readStoredSweep(dir: string): StoredSweep | undefined {
  const file = path.join(path.resolve(dir), 'sweep.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') return undefined;
    throw new SweepFileError(file, [
      `(file): cannot be read (${typeof code === 'string' ? code : 'unknown error'}); check its permissions`,
    ]);
  }
  const fix =
    `it was left untouched. Restore it from a backup (the trials are in ${path.join(path.dirname(file), 'study.json')}), or move ` +
    `it aside and run \`tunekit run <the original sweep file> --out ${path.dirname(file)}\` to write it again and continue the ` +
    `stored study (pass the original --seed if that file sets none)`;
  if (text.trim() === '') throw new SweepFileError(file, [`(file): is empty (truncated by a crash or a full disk?); ${fix}`]);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    const at = locateJsonError(text);
    throw new SweepFileError(file, [`(file): is not valid JSON at line ${at.line}, column ${at.column} (${at.detail}); ${fix}`]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SweepFileError(file, [
      `(file): must hold a JSON object (a resolved sweep), got ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}; ${fix}`,
    ]);
  }
  return { file, raw: raw as StoredSweep['raw'] };
}

/** Applies command-line overrides to a raw sweep object (a copy; the input is not changed). */
export function applyOverrides(raw: unknown, o: SweepOverrides): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const r = { ...(raw as Record<string, unknown>) };
  if (o.out !== undefined) r['out'] = o.out;
  if (o.workers !== undefined) r['workers'] = o.workers;
  if (o.seed !== undefined) r['seed'] = o.seed;
  if (o.trials !== undefined) {
    const b = r['budget'];
    r['budget'] = { ...(b !== null && typeof b === 'object' && !Array.isArray(b) ? b : {}), trials: o.trials };
  }
  return r;
}

/**
 * Validates a raw sweep (relative paths against `baseDir`); throws SweepFileError listing every problem. Built-in sweeps also
 * get their objective and sampled configs checked. Used for sweep files and for the stored `<out>/sweep.json` on resume.
 */
export async function resolveSweep(raw: unknown, file: string, baseDir: string): Promise<Resolved> {
  const notJson = jsonProblems(raw);
  if (notJson.length) throw new SweepFileError(file, notJson);
  const result = validateSweep(raw, { baseDir });
  if (!result.ok) throw new SweepFileError(file, result.problems);
  if (result.sweep.trainable === 'builtin') {
    const problems = await builtinProblems(result.sweep, result.space);
    if (problems.length) throw new SweepFileError(file, problems);
  }
  return { sweep: result.sweep, space: result.space, searcher: result.searcher, pruner: result.pruner };
}

/** A validated sweep and the searcher and pruner its validation built. */
export interface Resolved {
  readonly sweep: ResolvedSweep;
  readonly space: SearchSpace;
  readonly searcher: Searcher;
  readonly pruner: Pruner;
}

/**
 * Reads, overrides and validates a sweep file. Called by `tunekit run`. Throws SweepFileError (every problem, with JSON paths)
 * before anything runs.
 */
export async function loadSweepFile(file: string, overrides: SweepOverrides = {}): Promise<Resolved> {
  const abs = path.resolve(file);
  const raw = applyOverrides(await readSweepFile(abs), overrides);
  return resolveSweep(raw, abs, path.dirname(abs));
}
