/**
 * The single-writer lock of a file storage: `<file>.lock`, created exclusively, holding `{pid, host, started}` as JSON.
 *
 * A lock whose process is gone (a crashed sweep) is taken over; a lock of a live process, including the current one, is
 * refused with StorageLockedError: two writers on one file, even two FileStorage objects in one process, would interleave
 * journal lines and lose trials. A lock written on another host cannot be checked, so it is refused too (delete the lock file
 * by hand once that host's process is known to be gone).
 */
import fs from 'node:fs';
import os from 'node:os';
import { StorageLockedError } from '../core/errors.js';

/** Contents of a lock file. */
export interface LockInfo {
  readonly pid: number;
  readonly host: string;
  /** ISO-8601 time the lock was taken; with pid it tells our lock from a later owner's. */
  readonly started: string;
}

/** A held lock: released by {@link releaseLock}. */
export interface LockHandle {
  readonly path: string;
  /** The exact text we wrote, compared on release so we never delete another process's lock. */
  readonly text: string;
}

let tempCounter = 0;

/** `process.kill(pid, 0)` probes without signalling: success or EPERM (exists, not ours) mean alive, ESRCH means gone. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's contents; `undefined` if it is missing, 'unreadable' if it is empty or not a valid lock (a crash mid-write). */
export function readLock(lockPath: string): LockInfo | 'unreadable' | undefined {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const o = JSON.parse(text) as { pid?: unknown; host?: unknown; started?: unknown };
    // pid must be > 0: process.kill(0, 0) would probe our own process group and always "succeed".
    if (typeof o.pid === 'number' && Number.isSafeInteger(o.pid) && o.pid > 0 && typeof o.host === 'string') {
      return { pid: o.pid, host: o.host, started: typeof o.started === 'string' ? o.started : '' };
    }
  } catch {
    // fall through: unreadable
  }
  return 'unreadable';
}

function lockedError(file: string, info: LockInfo): StorageLockedError {
  return new StorageLockedError(file, info.pid, info.host, info.host === os.hostname());
}

function holderIsLive(info: LockInfo): boolean {
  return info.host !== os.hostname() || isProcessAlive(info.pid);
}

/**
 * Throws StorageLockedError if a live process holds the lock of `file`. Called by `FileStorage.open` before it reads anything,
 * so a locked file is refused without being parsed; the authoritative check is {@link acquireLock}.
 */
export function checkNotLocked(file: string): void {
  const info = readLock(`${file}.lock`);
  if (info !== undefined && info !== 'unreadable' && holderIsLive(info)) throw lockedError(file, info);
}

/**
 * Takes the write lock of `file` (see the file comment), or throws StorageLockedError. A stale lock is replaced atomically
 * (write a temp file, rename it over the lock) and re-read to check we won: if two processes take over at once, the one whose
 * rename came last owns the lock and the other sees a live foreign owner on its re-read.
 */
export function acquireLock(file: string): LockHandle {
  const path = `${file}.lock`;
  const text = JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeSynced(path, text, 'wx');
      return { path, text };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const info = readLock(path);
    if (info === undefined) continue; // released between our attempts: try the exclusive create again
    if (info !== 'unreadable' && holderIsLive(info)) throw lockedError(file, info);
    const tmp = `${path}.${process.pid}.${++tempCounter}.tmp`;
    writeSynced(tmp, text, 'w');
    fs.renameSync(tmp, path);
    if (fs.readFileSync(path, 'utf8') === text) return { path, text };
  }
  const info = readLock(path);
  const holder = info === undefined || info === 'unreadable' ? { pid: -1, host: 'unknown' } : info;
  throw new StorageLockedError(file, holder.pid, holder.host);
}

/** Removes the lock if it is still ours (a process that took over a lock we thought stale keeps it). */
export function releaseLock(handle: LockHandle): void {
  try {
    if (fs.readFileSync(handle.path, 'utf8') === handle.text) fs.unlinkSync(handle.path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function writeSynced(path: string, text: string, flag: 'w' | 'wx'): void {
  const fd = fs.openSync(path, flag);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
