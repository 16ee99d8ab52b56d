/**
 * What program a sweep runs. A sweep file is code-bearing configuration: `trainable.module` names a file that every trial
 * imports and runs, and `tunekit resume <dir>` runs whatever module the directory's sweep.json names. The sha256 of that file is
 * recorded in the resolved sweep when it is created, so a resume can see that the code changed and refuse to mix results of
 * two programs in one study (see docs/sweep-files.md).
 *
 * Only the entry file is hashed: a .ts/.js module that imports siblings (or packages) can change behaviour without changing
 * its hash. That is a deliberate limit (resolving the import graph would need the module loader); it catches the common case
 * of editing the trainable itself.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { TrainableChangedError, TrainableError } from '../core/errors.js';

/** The part of a resolved sweep these checks read (structural, so that spec.ts can import this file without a cycle). */
export interface WithTrainable {
  readonly trainable: 'builtin' | { readonly module: string; readonly sha256?: string };
}

/**
 * The sha256 (lower-case hex) of the module file's bytes: the entry file only, not what it imports. Throws TrainableError
 * naming the file when it cannot be read.
 */
export function hashTrainable(modulePath: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(modulePath);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new TrainableError(
      `the trainable module ${modulePath} cannot be read (${typeof code === 'string' ? code : 'unknown error'}); restore it at ` +
        `that path, or start a new sweep whose trainable.module names the file to run`,
    );
  }
  return createHash('sha256').update(bytes).digest('hex');
}

/** The outcome of `checkTrainableUnchanged` for a module trainable. */
export interface TrainableCheck {
  /** Absolute path of the module that will run. */
  readonly module: string;
  /** sha256 recorded when the sweep started (the current one for a hand-built sweep that recorded none). */
  readonly recorded: string;
  /** sha256 of the file now. */
  readonly current: string;
  /** recorded !== current (only returned when `allowChanged`; otherwise a change throws). */
  readonly changed: boolean;
}

/**
 * Compares the stored sweep's recorded module hash with the file now. Returns undefined for the built-in trainable (nothing
 * to compare), the check for a module. Throws TrainableChangedError when the module changed and `allowChanged` is false
 * (`--allow-changed-trainable`), and TrainableError when it cannot be read. With `allowChanged`, a change is returned
 * (`changed: true`) for the caller to warn about; to stop later resumes from asking again, store the sweep with
 * `trainable: { module, sha256: current }`.
 */
export function checkTrainableUnchanged(stored: WithTrainable, allowChanged: boolean): TrainableCheck | undefined {
  if (stored.trainable === 'builtin') return undefined;
  const { module, sha256 } = stored.trainable;
  const current = hashTrainable(module);
  // A sweep built by hand records no hash: nothing ran under another one, so the current file is what it runs.
  const recorded = sha256 ?? current;
  if (current !== recorded && !allowChanged) throw new TrainableChangedError(module, recorded, current);
  return { module, recorded, current, changed: current !== recorded };
}

/** One line saying which program the sweep runs, for `tunekit run` / `resume` to print before starting. */
export function formatTrainable(sweep: WithTrainable): string {
  if (sweep.trainable === 'builtin') return 'trainable: built-in (trials/ runTrial; params are TrialConfig fields)';
  const { module, sha256 } = sweep.trainable;
  return `trainable: ${module} (${sha256 ? `sha256 ${sha256.slice(0, 12)}` : 'no sha256 recorded'}; every trial imports and runs this file)`;
}
