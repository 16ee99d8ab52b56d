/**
 * Reads what a sweep writes beside the study (src/sweep/output.ts): trials/<n>/config.json (device, slot, budget, config),
 * curves.json (one entry per report: step, metrics, t) and, when present, files written by later steps:
 *   trials/<n>/diagnostics.json   { confusion?: number[][], classNames?: string[], featureMaps?: { [layer]: { shape, data } },
 *                                   layerGradNorms?: { [layer]: number[] } (one value per epoch) }
 *   trials/<n>/model/export-report.json or trials/<n>/export-report.json   what `tunekit export` measured (src/deploy/export)
 * Every file is optional: a missing or unreadable file is skipped (the report says what it could not show), never fatal.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { JsonValue } from '../core/types.js';
import { runDir } from '../core/run-dir.js';

/** The part of trials/<n>/config.json the timeline needs. */
export interface TrialPlacement {
  readonly device?: string;
  readonly slot?: number;
  /**
   * When the trial's code started on its slot (ms since the epoch). The stored `started` is when its lane handed it to the
   * executor (a trial asked ahead is re-stamped then, Storage.markStarted), before the worker's code began; on a storage
   * without markStarted it is when the trial was asked.
   */
  readonly started?: number;
}

/** The per-trial files of one trial, as far as they exist. */
export interface TrialFiles {
  readonly config?: { readonly [key: string]: JsonValue };
  readonly curves?: readonly { readonly [key: string]: number }[];
  readonly diagnostics?: { readonly [key: string]: JsonValue };
  readonly exportReport?: { readonly [key: string]: JsonValue };
}

function readJson(file: string): JsonValue | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as JsonValue;
  } catch {
    return undefined; // absent, being written or not JSON: the report shows what it has
  }
}

const isRecord = (v: JsonValue | undefined): v is { [key: string]: JsonValue } => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Device and worker slot of a trial (for the timeline lanes), or {} when config.json is missing. */
export function readPlacement(dir: string, number: number): TrialPlacement {
  const c = readJson(runDir(dir).config(number));
  if (!isRecord(c)) return {};
  const started = typeof c['started'] === 'string' ? Date.parse(c['started']) : NaN;
  return {
    ...(typeof c['device'] === 'string' ? { device: c['device'] } : {}),
    ...(typeof c['slot'] === 'number' ? { slot: c['slot'] } : {}),
    ...(Number.isFinite(started) ? { started } : {}),
  };
}

/** Every per-trial file of trial `number` under the run directory `dir`. */
export function readTrialFiles(dir: string, number: number): TrialFiles {
  const layout = runDir(dir);
  const base = layout.trial(number);
  const config = readJson(layout.config(number));
  const curves = readJson(layout.curves(number));
  const diagnostics = readJson(path.join(base, 'diagnostics.json'));
  const exportReport = readJson(path.join(layout.model(number), 'export-report.json')) ?? readJson(path.join(base, 'export-report.json'));
  return {
    ...(isRecord(config) ? { config } : {}),
    ...(Array.isArray(curves) ? { curves: curves.filter(isRecord).map(numbersOnly) } : {}),
    ...(isRecord(diagnostics) ? { diagnostics } : {}),
    ...(isRecord(exportReport) ? { exportReport } : {}),
  };
}

function numbersOnly(o: { [key: string]: JsonValue }): { [key: string]: number } {
  const out: { [key: string]: number } = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'number') out[k] = v;
  return out;
}
