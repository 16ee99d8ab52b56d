/**
 * Atomic JSON documents for files other processes read while a sweep runs (leaderboard.json, sweep.json, per-trial config
 * and curves): written to a temp file and renamed over the target, so a reader sees the old or the new document, never half
 * of one. Not fsynced: these are derived views that the study storage can rebuild; durability lives in src/storage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TunekitError } from './errors.js';

/** What an errno means for a file we write, and what to do about it. */
function explain(file: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EISDIR':
      return `${file} is a directory; name a file inside it, e.g. ${path.join(file, 'leaderboard.json')}`;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `${file} cannot be written (${error.code}: no permission or a read-only file system); choose a writable location`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `${file} cannot be written: the disk is full (${error.code}); free some space and run the command again`;
    case 'ENAMETOOLONG':
      return `${file}: the path is too long for the file system; choose a shorter name`;
    case 'ENOTDIR':
      return `${file}: a parent of this path is a file, not a directory; choose another location`;
    default:
      return `${file} cannot be written (${error.code ?? 'error'}: ${error.message})`;
  }
}

/**
 * Writes `value` as pretty JSON to `file` atomically (temp file + rename), creating the directory. Synchronous. A failure is a
 * TunekitError (ERR_TUNEKIT_WRITE) naming the file and the fix; the temp file never stays behind and the target is unchanged.
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    if (error instanceof TunekitError) throw error;
    throw new TunekitError('ERR_TUNEKIT_WRITE', explain(file, error as NodeJS.ErrnoException));
  }
}
