/**
 * Opens the study a report or dashboard shows: a run directory (study.json + trials/), a study file, or a storage URL
 * (`postgresql://...`, through openStorage). File storages are opened read-only (no lock), so this works while a sweep writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OptionsError, StudyNotFoundError } from '../core/errors.js';
import type { JsonValue, StudyRecord, TrialRecord } from '../core/types.js';
import { FileStorage, openStorage, type Storage } from '../storage/index.js';
import { existingStudyFile as resolveStorageFile } from '../core/run-dir.js';
import { runDir } from '../core/run-dir.js';
import { buildReportData, type ReportData, type ReportDataOptions } from './data.js';

/** Where a study is read from. */
export interface StudySource {
  /** A run directory, a study file or a storage URL (`postgresql://...`). */
  readonly source: string;
  /** The study's name; needed only when the storage holds several. */
  readonly study?: string;
}

/** A point-in-time read of one study. */
export interface StudySnapshot {
  readonly record: StudyRecord;
  readonly trials: readonly TrialRecord[];
  /** The run directory holding trials/<n>/, when the source is a file storage inside one. */
  readonly dir?: string;
  /** What the snapshot was read from (for messages). */
  readonly where: string;
}

const isUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** Reads the study once and closes the storage again. */
export async function readStudy(src: StudySource): Promise<StudySnapshot> {
  let storage: Storage;
  let where: string;
  let dir: string | undefined;
  let url = isUrl(src.source) ? src.source : undefined;
  let study = src.study;
  const layout = !url && fs.existsSync(src.source) && fs.statSync(src.source).isDirectory() ? runDir(src.source) : undefined;
  if (layout && !fs.existsSync(layout.study) && !fs.existsSync(`${layout.study}.wal`) && fs.existsSync(layout.storageRef)) {
    // A run whose study lives in a database: storage.json names it (a redacted password comes from the environment, e.g. PGPASSWORD).
    let ref: { storage?: unknown; study?: unknown };
    try {
      ref = JSON.parse(fs.readFileSync(layout.storageRef, 'utf8')) as typeof ref;
    } catch (error) {
      throw new OptionsError(
        `${layout.storageRef} cannot be read (${(error as Error).message}); it should hold { "storage": "postgresql://...", "study": "..." }`,
      );
    }
    if (typeof ref.storage !== 'string')
      throw new OptionsError(`${layout.storageRef} names no storage (expected { "storage": "postgresql://...", "study": "..." })`);
    url = ref.storage;
    study ??= typeof ref.study === 'string' ? ref.study : undefined;
    dir = layout.dir;
  }
  if (url !== undefined) {
    where = url.replace(/\/\/[^@/]*@/, '//***@'); // never echo a password
    storage = await openStorage(url);
  } else {
    const file = resolveStorageFile(src.source);
    where = file;
    const parent = path.dirname(path.resolve(file));
    if (fs.existsSync(runDir(parent).trials)) dir = parent;
    storage = await FileStorage.openReadOnly(file);
  }
  try {
    const names = await storage.listStudies();
    const name = study ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) {
      throw new OptionsError(
        names.length ? `${where} holds several studies (${names.join(', ')}); pick one with --study NAME` : `${where} holds no study yet`,
      );
    }
    const record = await storage.getStudy(name);
    if (!record) throw new StudyNotFoundError(name, where, names);
    const trials = await storage.getTrials(name);
    return { record, trials, where, ...(dir !== undefined ? { dir } : {}) };
  } finally {
    await storage.close();
  }
}

/** Reads the study and builds the page data. */
export async function loadReportData(src: StudySource, options: Omit<ReportDataOptions, 'dir'> = {}): Promise<ReportData> {
  const snap = await readStudy(src);
  return buildReportData(withSweepPruner(snap), snap.trials, { ...options, ...(snap.dir !== undefined ? { dir: snap.dir } : {}) });
}

/** Sweeps keep their pruner spec in sweep.json (the study record only stores JSON specs given to createStudy). */
export function withSweepPruner(snap: StudySnapshot): StudyRecord {
  if (snap.record.pruner !== undefined || snap.dir === undefined) return snap.record;
  try {
    const sweep = JSON.parse(fs.readFileSync(runDir(snap.dir).sweep, 'utf8')) as { pruner?: JsonValue };
    return sweep.pruner !== undefined ? { ...snap.record, pruner: sweep.pruner } : snap.record;
  } catch {
    return snap.record; // no sweep.json (a study made through the API): the pruner stays unknown
  }
}
