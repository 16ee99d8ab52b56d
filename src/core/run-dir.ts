/**
 * The run directory that `tunekit run` writes, in one place: run, resume, status, report, export, the dashboard and the sweep
 * output writer all get their paths here.
 *
 *   <dir>/study.json                 the study storage (FileStorage: snapshot + .wal journal + .lock while running); absent
 *                                    when the study lives in PostgreSQL (`run --storage`), then <dir>/storage.json names it
 *   <dir>/sweep.json                 the resolved sweep (what `tunekit resume <dir>` runs again)
 *   <dir>/leaderboard.json           the leaderboard, rewritten as trials finish
 *   <dir>/trials/<n>/config.json     params, the config the trainable got, device, slot, budget, start time
 *   <dir>/trials/<n>/curves.json     one entry per report
 *   <dir>/trials/<n>/model/          the trial's checkpoint (model.json + weights.bin), kept for the top trials
 *   <dir>/trials/<n>/model/export-report.json   what `tunekit export` measured for that trial
 */
import fs from 'node:fs';
import path from 'node:path';
import { OptionsError } from './errors.js';

/** Paths of one run directory. */
export interface RunDir {
  readonly dir: string;
  readonly study: string;
  readonly sweep: string;
  readonly leaderboard: string;
  /** Names the storage when it is not study.json (a PostgreSQL URL, password redacted: it holds `{ storage, study }`). */
  readonly storageRef: string;
  readonly trials: string;
  trial(number: number): string;
  config(number: number): string;
  curves(number: number): string;
  model(number: number): string;
}

/** The layout of `dir` (nothing is read or created). */
export function runDir(dir: string): RunDir {
  const abs = path.resolve(dir);
  const trial = (n: number) => path.join(abs, 'trials', String(n));
  return {
    dir: abs,
    study: path.join(abs, 'study.json'),
    sweep: path.join(abs, 'sweep.json'),
    leaderboard: path.join(abs, 'leaderboard.json'),
    storageRef: path.join(abs, 'storage.json'),
    trials: path.join(abs, 'trials'),
    trial,
    config: (n) => path.join(trial(n), 'config.json'),
    curves: (n) => path.join(trial(n), 'curves.json'),
    model: (n) => path.join(trial(n), 'model'),
  };
}

/** Names tunekit writes at the top of a run directory (anything else there is the user's). */
export const RUN_DIR_NAMES = [
  'study.json',
  'study.json.wal',
  'study.json.bak',
  'study.json.lock',
  'study.json.damaged',
  'study.json.wal.damaged',
  'sweep.json',
  'leaderboard.json',
  'storage.json',
  'trials',
] as const;

/** True when `dir` looks like a run directory (it holds a sweep.json or a study file). */
export function isRunDir(dir: string): boolean {
  const d = runDir(dir);
  return fs.existsSync(d.sweep) || fs.existsSync(d.study) || fs.existsSync(`${d.study}.wal`) || fs.existsSync(d.storageRef);
}

/** The study file of `p`: `p` itself, or `<p>/study.json` when `p` is a directory (a run directory). Nothing is checked. */
export function studyFileOf(p: string): string {
  const abs = path.resolve(p);
  return fs.existsSync(abs) && fs.statSync(abs).isDirectory() ? runDir(abs).study : abs;
}

/**
 * Like {@link studyFileOf}, but the file (or, for a study still being written, its journal) must exist: an OptionsError says
 * what to pass otherwise.
 */
export function existingStudyFile(p: string): string {
  const file = studyFileOf(p);
  if (!fs.existsSync(file) && !fs.existsSync(`${file}.wal`))
    throw new OptionsError(`no storage file at ${file}; pass the study file (or the directory holding study.json)`);
  return file;
}

/**
 * The message for an output directory that cannot be created because its path runs through a file (ENOTDIR): names the
 * file, so the user sees which part of the path to change. `what` is how the caller calls the directory (`--out`, `out`).
 */
export function outUnderFile(what: string, dir: string): string {
  const abs = path.resolve(dir);
  // The one existing component of the path that is not a directory (nothing can exist below a file); if none is found (it
  // was removed meanwhile), the message names the directory only.
  let file: string | undefined;
  for (let p = abs; p !== path.dirname(p); p = path.dirname(p)) {
    try {
      if (!fs.statSync(p).isDirectory()) file = p;
    } catch {
      // Missing or unreadable: keep walking up.
    }
  }
  return file === undefined || file === abs
    ? `${what} ${dir} cannot be created: it is a file or lies under one; choose a new directory name (it will be created)`
    : `${what} ${dir} cannot be created: ${file} is a file, not a directory; choose an output directory outside it`;
}
