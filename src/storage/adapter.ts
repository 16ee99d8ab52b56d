/**
 * The snapshot file of a file storage (format version 2): an append-only log of checksummed chunks, so a checkpoint writes only
 * what changed since the previous one (finished trials never change, so each is written once) instead of the whole study.
 *
 *   line 1     {"c":crc,"format":"tunekit-storage","version":2,"id":"<storage id>"}
 *   line 2...  {"c":crc,"seq":N,"studies":[StudyRecord...],"trials":{"<study>":[trial...]}(,"closed":true)}
 *
 * A chunk holds the studies created and every trial changed since the previous chunk, as of journal op `seq`; a trial in a
 * later chunk replaces its earlier copy. `closed` marks a clean close(); any other last chunk means a writer had the storage
 * open, and the writer creates its journal before it writes such a chunk, so that journal must exist (see `lowdb.ts`).
 * `"c"` is the CRC-32 of the rest of the line (codec.ts `frame`): a flipped byte that still parses is caught.
 *
 * Appends are fsynced before the journal they cover is dropped, so a crash can only tear the final chunk (a partial line or a
 * NUL-filled tail, which ext4 can leave); it is ignored, the journal still holds its ops. Any other bad line is damage.
 * Version-1 snapshots (one JSON document, `{format, version: 1, seq, studies}`) are still read; the first writer converts them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StorageCorruptError, TunekitError } from '../core/errors.js';
import type { StudyRecord } from '../core/types.js';
import { ShapeError, checkArray, checkIndex, checkObject, checkString, describe, frame, framedOk, unframe } from './codec.js';
import { decodeStoredTrial, decodeStudy } from './records.js';
import type { Changes, StorageState } from './state.js';

/**
 * A storage file that is damaged in a way a crash cannot cause: a StorageCorruptError (same code) whose message names
 * `tunekit repair`, the recovery that works for every layout (see repair.ts).
 */
export class StorageDamagedError extends StorageCorruptError {
  constructor(
    readonly file: string,
    detail: string,
    storage: string,
  ) {
    super(file, detail);
    this.message =
      `${file} is damaged (${detail}); it was left untouched. Run \`tunekit repair ${storage}\` (repairStorage() in the API) ` +
      `to rebuild the study from every record that is still intact; it reports exactly what it could not ` +
      `recover and keeps the damaged files as *.damaged`;
  }
}

/**
 * A file system error (EISDIR, EACCES, ENOSPC, EROFS...) while reading or writing storage file `file`, as a tunekit error
 * naming the file and what to do instead of a raw errno with a stack.
 */
export class StorageIOError extends TunekitError {
  constructor(
    readonly file: string,
    action: string,
    cause: unknown,
    tail = 'nothing already stored was lost or overwritten',
  ) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    const why: { [code: string]: string } = {
      EISDIR: `${file} is a directory, not a file: move it away or choose another storage path`,
      ENOTDIR: `a parent of ${file} is a file, not a directory: choose another storage path`,
      EACCES: `permission denied: make ${path.dirname(file)} and ${file} writable (and readable) by this user, or choose another storage path`,
      EPERM: `operation not permitted: make ${path.dirname(file)} and ${file} writable by this user, or choose another storage path`,
      EROFS: `the file system holding ${file} is read-only: choose a storage path on a writable disk`,
      ENOSPC: `the disk holding ${file} is full: free some space, then reopen the storage`,
      EDQUOT: `the disk quota for ${file} is exhausted: free some space, then reopen the storage`,
      EMFILE: 'too many open files in this process: raise the limit (ulimit -n) or close other storages',
    };
    const reason = (code && why[code]) ?? `${(cause as Error)?.message ?? String(cause)}: fix the cause and reopen the storage`;
    super('ERR_TUNEKIT_STORAGE_IO', `cannot ${action} ${file} (${code ?? 'error'}): ${reason}; ${tail}`);
  }
}

/** Runs a file system call, turning an errno error into a StorageIOError (tunekit errors pass through). */
export function io<T>(file: string, action: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof TunekitError || !(e as NodeJS.ErrnoException)?.code) throw e;
    throw new StorageIOError(file, action, e);
  }
}

/** fsync a directory so a rename/create/unlink inside it is durable (a no-op on platforms that cannot open directories). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** `<file>.bak` if it exists (a version-1 storage's previous snapshot), else undefined. */
export function backupOf(file: string): string | undefined {
  const bak = `${file}.bak`;
  return fs.existsSync(bak) ? bak : undefined;
}

/** What {@link loadSnapshot} found. */
export interface SnapshotInfo {
  /** 0: no snapshot file; 1: a version-1 document; 2: a chunk log. */
  readonly version: 0 | 1 | 2;
  /** The storage id (version 2), shared with its journal's header. */
  readonly id: string | undefined;
  /** seq of the last valid chunk (or of the version-1 document). */
  readonly seq: number;
  /** True if the last valid chunk is a clean close (or the file is version 1 / missing: no journal is promised). */
  readonly closed: boolean;
  /** Bytes up to the end of the last valid chunk; a torn tail beyond it is cut by the next writer. */
  readonly validBytes: number;
  readonly torn: boolean;
  /** Number of chunks and of trial records in them (to decide when a full rewrite pays). */
  readonly chunks: number;
  readonly records: number;
}

/** Thrown by {@link loadSnapshot} for damage; `line` is 1-based. */
export class SnapshotDamage extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`snapshot line ${line} ${detail}`);
  }
}

/** True if the bytes are what a crash can leave at the end of an append: a partial line, NULs, or both. */
export function isTornTail(buf: Buffer, start: number): boolean {
  const nl = buf.indexOf(10, start);
  if (nl < 0) return true; // no newline: the append was cut short (possibly NUL-filled)
  for (let i = nl + 1; i < buf.length; i++) if (buf[i] !== 0 && buf[i] !== 10) return false;
  return true; // one complete-looking line followed by nothing but NULs / newlines
}

/**
 * Reads the snapshot into `state`. Throws SnapshotDamage (the caller names the file and the fix) for anything a crash cannot
 * cause; returns what it found. (repair.ts has its own, record-by-record reader.)
 */
export function loadSnapshot(file: string, state: StorageState): SnapshotInfo {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { version: 0, id: undefined, seq: 0, closed: true, validBytes: 0, torn: false, chunks: 0, records: 0 };
    throw new StorageIOError(file, 'read', e);
  }
  if ((buf.length > 0 && buf[0] === 0x7b && buf.indexOf(10) === buf.length - 1) || buf.indexOf(10) < 0) {
    // A version-1 document (one line) or something that is not a snapshot at all.
    return loadV1(buf, state);
  }
  const nl = buf.indexOf(10);
  const headerText = unframe(buf.toString('utf8', 0, nl));
  let id: string;
  try {
    if (headerText === undefined) throw new ShapeError('header', 'has a bad checksum or is not a tunekit header');
    const h = checkObject(JSON.parse(headerText), 'header');
    checkFormat(h);
    id = checkString(h.id, 'header.id');
  } catch (e) {
    throw new SnapshotDamage(1, (e as Error).message);
  }
  let start = nl + 1;
  let line = 1;
  let seq = 0;
  let closed = false;
  let chunks = 0;
  let records = 0;
  let validBytes = start;
  while (start < buf.length) {
    line++;
    const end = buf.indexOf(10, start);
    if (end < 0 || !framedOk(buf, start, end)) {
      if (isTornTail(buf, start)) return { version: 2, id, seq, closed, validBytes, torn: true, chunks, records };
      throw new SnapshotDamage(line, end < 0 ? 'is cut short' : 'has a bad checksum (its bytes changed after it was written)');
    }
    try {
      const c = checkObject(JSON.parse(buf.toString('utf8', start, end)), `chunk`);
      const chunkSeq = checkIndex(c.seq, 'chunk.seq');
      if (chunkSeq < seq) throw new ShapeError('chunk.seq', `is ${chunkSeq}, below the previous chunk's ${seq}`);
      for (const [i, st] of checkArray(c.studies ?? [], 'chunk.studies').entries()) {
        const study: StudyRecord = decodeStudy(st, `chunk.studies[${i}]`);
        if (state.getStudy(study.name) === undefined) state.loadStudy(study);
      }
      const trials = checkObject(c.trials ?? {}, 'chunk.trials');
      for (const name of Object.keys(trials)) {
        if (state.getStudy(name) === undefined)
          throw new ShapeError(`chunk.trials[${JSON.stringify(name)}]`, 'belongs to a study no chunk created');
        for (const [i, t] of checkArray(trials[name], `chunk.trials[${JSON.stringify(name)}]`).entries()) {
          const p = `chunk.trials[${JSON.stringify(name)}][${i}]`;
          state.putTrial(name, decodeStoredTrial(t, p), p);
          records++;
        }
      }
      seq = chunkSeq;
      closed = c.closed === true;
      chunks++;
      validBytes = end + 1;
    } catch (e) {
      if (
        !(e instanceof ShapeError) &&
        !(e instanceof SyntaxError) &&
        !(e instanceof TunekitError) &&
        !(e instanceof Error && e.name === 'Error')
      )
        throw e;
      // A checksummed line that does not load was written wrong (or by a newer tunekit): never a crash.
      throw new SnapshotDamage(line, `cannot be loaded: ${(e as Error).message}`);
    }
    start = end + 1;
  }
  return { version: 2, id, seq, closed, validBytes, torn: false, chunks, records };
}

function checkFormat(o: { readonly [key: string]: unknown }): void {
  if (o.format !== 'tunekit-storage')
    throw new ShapeError('format', `must be "tunekit-storage", got ${describe(o.format)}: this is not a tunekit storage file`);
  if (o.version !== 1 && o.version !== 2) {
    if (typeof o.version === 'number' && o.version > 2) {
      throw new ShapeError('version', `${o.version} is newer than this tunekit supports (2); upgrade tunekit to read it`);
    }
    throw new ShapeError('version', `must be 1 or 2, got ${describe(o.version)}`);
  }
}

/** A version-1 snapshot: `{format, version: 1, seq, studies: {name: {study, trials}}}`, replaced atomically with a `.bak`. */
function loadV1(buf: Buffer, state: StorageState): SnapshotInfo {
  let doc: unknown;
  try {
    doc = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new SnapshotDamage(1, `is not valid JSON: ${(e as Error).message}`);
  }
  try {
    const o = checkObject(doc, 'the snapshot');
    checkFormat(o);
    if (o.version !== 1) throw new ShapeError('version', 'is 2, but the file is not a chunk log');
    const seq = checkIndex(o.seq, 'seq');
    const studies = checkObject(o.studies, 'studies');
    for (const name of Object.keys(studies)) {
      const p = `studies[${JSON.stringify(name)}]`;
      const entry = checkObject(studies[name], p);
      const study = decodeStudy(entry.study, `${p}.study`);
      if (study.name !== name) throw new ShapeError(`${p}.study.name`, `must equal its key, got ${JSON.stringify(study.name)}`);
      state.loadStudy(study);
      for (const [i, t] of checkArray(entry.trials, `${p}.trials`).entries()) {
        const tp = `${p}.trials[${i}]`;
        const stored = decodeStoredTrial(t, tp);
        if (stored.fields.number !== i) throw new ShapeError(`${tp}.number`, `must be ${i}, got ${stored.fields.number}`);
        state.putTrial(name, stored, tp);
      }
    }
    return { version: 1, id: undefined, seq, closed: true, validBytes: buf.length, torn: false, chunks: 1, records: state.trialCount };
  } catch (e) {
    if (!(e instanceof ShapeError) && !(e instanceof TunekitError) && !(e instanceof Error && e.name === 'Error')) throw e;
    throw new SnapshotDamage(1, (e as Error).message);
  }
}

/** One chunk line (with its newline). */
export function chunkLine(seq: number, changes: Changes, closed: boolean): string {
  const body: { [key: string]: unknown } = { seq };
  if (changes.studies.length > 0) body.studies = changes.studies;
  if (changes.count > 0) body.trials = changes.trials;
  if (closed) body.closed = true;
  return frame(JSON.stringify(body)) + '\n';
}

/** The header line of a version-2 snapshot. */
export function headerLine(id: string): string {
  return frame(JSON.stringify({ format: 'tunekit-storage', version: 2, id })) + '\n';
}

/**
 * Writes `text` to `target` atomically: a temp file next to it, fsynced, renamed over `target`, directory fsynced. On any
 * failure the temp file is removed and `target` is untouched; errno errors become StorageIOError.
 */
export function writeAtomic(target: string, text: string): void {
  const tmp = `${target}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
    fsyncDir(path.dirname(target));
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    if (e instanceof TunekitError || !(e as NodeJS.ErrnoException)?.code) throw e;
    throw new StorageIOError(target, 'write', e);
  }
}

/**
 * Appends whole lines to the snapshot and fsyncs them. A failed append (disk full) is cut back off, so the file keeps ending
 * at a complete chunk; the error is a StorageIOError.
 */
export function appendSynced(file: string, fd: number, at: number, text: string): number {
  const buf = Buffer.from(text, 'utf8');
  try {
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off, at + off);
    fs.fdatasyncSync(fd);
    return at + buf.length;
  } catch (e) {
    try {
      fs.ftruncateSync(fd, at);
    } catch {
      // the torn tail is ignored by readers and cut by the next writer
    }
    throw new StorageIOError(file, 'append to', e);
  }
}
