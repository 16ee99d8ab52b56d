/**
 * Atomic JSON documents for files other processes read while a sweep runs (leaderboard.json, sweep.json, per-trial config
 * and curves): written to a temp file and renamed over the target, so a reader sees the old or the new document, never half
 * of one. Not fsynced: these are derived views that the study storage can rebuild; durability lives in src/storage.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Writes `value` as pretty JSON to `file` atomically (temp file + rename), creating the directory. Synchronous. */
export function writeJsonAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}
