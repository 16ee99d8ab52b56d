/**
 * The single-writer lock of a file storage: `<file>.lock`, created exclusively, holding `{pid, host, started}` as JSON.
 *
 * A lock whose process is gone (a crashed sweep) is taken over; a lock of a live process, including the current one, is
 * refused with StorageLockedError: two writers on one file, even two FileStorage objects in one process, would interleave
 * journal lines and lose trials. A lock written on another host cannot be checked, so it is refused too (delete the lock file
 * by hand once that host's process is known to be gone).
 *
 * Taking over a stale lock must have exactly one winner when many processes open the file at once (a sweep restarted by
 * several workers): see {@link takeOver}. Tested with real processes racing over many rounds (test/storage/lock-race.test.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { StorageLockedError } from '../core/errors.js';
import { StorageIOError, io } from './adapter.js';

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
  const text = readText(lockPath);
  return text === undefined ? undefined : parseLock(text);
}

function parseLock(text: string): LockInfo | 'unreadable' {
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
 * Takes the write lock of `file` (see the file comment), or throws StorageLockedError.
 *
 * A free lock is created atomically with its contents (a fully written temp file hard-linked to the lock name, which fails if
 * the name exists), so nobody ever reads a half-written lock. A stale lock (dead holder, or unreadable) is taken over by
 * {@link takeOver}: among processes racing for the same stale lock exactly one wins, the others then see a live holder.
 */
export function acquireLock(file: string): LockHandle {
  const path = `${file}.lock`;
  const text = JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }) + '\n';
  const deadline = Date.now() + CLAIM_WAIT_MS;
  for (;;) {
    if (createExclusive(path, text)) return won(path, text);
    const seen = readText(path);
    if (seen === undefined) continue; // released between our attempts: try the exclusive create again
    const info = parseLock(seen);
    if (info !== 'unreadable' && holderIsLive(info)) throw lockedError(file, info);
    const outcome = takeOver(path, seen, text);
    if (outcome === 'won') return won(path, text);
    if (typeof outcome === 'object') {
      // A live process is taking over this stale lock right now; it finishes in microseconds (or gives up).
      if (Date.now() > deadline) throw lockedError(file, outcome);
      sleep(2);
    }
  }
}

/** How long to wait for a live process that is in the middle of taking over a stale lock. */
const CLAIM_WAIT_MS = 5000;

/**
 * Replaces `target`, which read `seen` (a stale generation: its writer is dead), by `text`; 'won' if we did, 'changed' if
 * `target` no longer reads `seen` (someone else won, or the lock was released), or the live claimer currently working on it.
 *
 * Why this is atomic: replacing `target` needs the claim file `<target>.claim-<hash of seen>`, created exclusively, so for one
 * stale generation only one process can hold it. The holder re-reads `target` *after* claiming: if it still reads `seen`,
 * nobody can change it before our rename (its dead writer will not, a fresh create fails because it exists, any other
 * replacement needs the claim we hold). If it reads something else, a winner already replaced it; as generations never
 * repeat (pid + start time), a late claimer of an old generation can never match again: no ABA. A claim whose holder died
 * mid-takeover is itself a stale generation and is taken over the same way, one level down.
 */
function takeOver(target: string, seen: string, text: string): 'won' | 'changed' | LockInfo {
  const claim = `${target}.claim-${crypto.createHash('sha256').update(seen).digest('hex').slice(0, 16)}`;
  const claimText = JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString(), claims: target }) + '\n';
  if (!createExclusive(claim, claimText)) {
    const held = readText(claim);
    if (held === undefined) return 'changed';
    const holder = parseLock(held);
    if (holder !== 'unreadable' && holderIsLive(holder)) return holder;
    const r = takeOver(claim, held, claimText);
    if (r !== 'won') return r;
  }
  try {
    if (readText(target) !== seen) return 'changed';
    replace(target, text);
    return 'won';
  } finally {
    removeIf(claim, claimText);
  }
}

/** After winning: claims of other processes that died mid-takeover are garbage now (they name generations that are gone). */
function won(path: string, text: string): LockHandle {
  const dir = nodePath.dirname(path);
  const prefix = `${nodePath.basename(path)}.claim-`;
  try {
    for (const name of fs.readdirSync(dir)) {
      // Only claim files: `<claim>.<pid>.<n>.tmp` are another process's claims being written (empty for an instant), not garbage.
      if (!name.startsWith(prefix) || name.endsWith('.tmp')) continue;
      const held = readText(nodePath.join(dir, name));
      const holder = held === undefined ? undefined : parseLock(held);
      if (holder !== undefined && (holder === 'unreadable' || !holderIsLive(holder))) removeIf(nodePath.join(dir, name), held!);
    }
  } catch {
    // tidying only
  }
  return { path, text };
}

/** Creates `path` holding `text` only if it does not exist, atomically with its contents; false if it exists. */
function createExclusive(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.${++tempCounter}.tmp`;
  io(path, 'create the lock', () => writeSynced(tmp, text, 'w'));
  try {
    fs.linkSync(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw new StorageIOError(path, 'create the lock', e);
    // No hard links on this file system: an exclusive create (a reader may briefly see it empty, and wait).
    try {
      writeSynced(path, text, 'wx');
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new StorageIOError(path, 'create the lock', e2);
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Atomically replaces `path` by a file holding `text`. */
function replace(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${++tempCounter}.tmp`;
  try {
    io(path, 'replace the lock', () => {
      writeSynced(tmp, text, 'w');
      fs.renameSync(tmp, path);
    });
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Removes `path` if it still holds `text`. */
function removeIf(path: string, text: string): void {
  try {
    if (fs.readFileSync(path, 'utf8') === text) fs.unlinkSync(path);
  } catch {
    // already gone
  }
}

function readText(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StorageIOError(path, 'read the lock', e);
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Removes the lock if it is still ours (only a stale lock is ever taken over, and ours is live while we run). */
export function releaseLock(handle: LockHandle): void {
  removeIf(handle.path, handle.text);
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
