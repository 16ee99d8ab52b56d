/**
 * Reading a sweep: a .json file, or a .ts/.js/.mjs module whose default export (or `sweep` export) is the same object.
 * Command-line overrides are applied before validation, so they are checked like the file's own values.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SweepFileError } from '../core/errors.js';
import { builtinProblems } from './check-builtin.js';
import { jsonProblems, validateSweep, type ResolvedSweep } from './spec.js';
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
    if ((error as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
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
    try {
      return JSON.parse(fs.readFileSync(abs, 'utf8')) as unknown;
    } catch (error) {
      throw new SweepFileError(abs, [`(file): is not valid JSON: ${(error as Error).message}`]);
    }
  }
  if (!/\.(m?js|[cm]?ts)$/.test(abs)) throw new SweepFileError(abs, ['(file): must end in .json, .js, .mjs or .ts']);
  let mod: { default?: unknown; sweep?: unknown };
  try {
    mod = (await importModule(abs)) as { default?: unknown; sweep?: unknown };
  } catch (error) {
    throw new SweepFileError(abs, [`(file): could not be imported: ${(error as Error).message}`]);
  }
  const value = mod.default ?? mod.sweep;
  if (value === undefined) throw new SweepFileError(abs, ['(file): must `export default` the sweep object (or export `sweep`)']);
  return normalizeSpace(value, abs);
}

function hasBrandedNode(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if ((v as { __tunekit?: unknown }).__tunekit === 'param') return true;
  return Object.values(v as object).some(hasBrandedNode);
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
export async function resolveSweep(raw: unknown, file: string, baseDir: string): Promise<{ sweep: ResolvedSweep; space: SearchSpace }> {
  const notJson = jsonProblems(raw);
  if (notJson.length) throw new SweepFileError(file, notJson);
  const result = validateSweep(raw, { baseDir });
  if (!result.ok) throw new SweepFileError(file, result.problems);
  if (result.sweep.trainable === 'builtin') {
    const problems = await builtinProblems(result.sweep, result.space);
    if (problems.length) throw new SweepFileError(file, problems);
  }
  return { sweep: result.sweep, space: result.space };
}

/**
 * Reads, overrides and validates a sweep file. Called by `tunekit run`. Throws SweepFileError (every problem, with JSON paths)
 * before anything runs.
 */
export async function loadSweepFile(file: string, overrides: SweepOverrides = {}): Promise<{ sweep: ResolvedSweep; space: SearchSpace }> {
  const abs = path.resolve(file);
  const raw = applyOverrides(await readSweepFile(abs), overrides);
  return resolveSweep(raw, abs, path.dirname(abs));
}
