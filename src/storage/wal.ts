/**
 * The write-ahead journal of the file storage, `<file>.wal`: one JSON op per line (format in `lowdb.ts`).
 *
 * Writing ({@link JournalWriter}) uses group commit: lines queue in memory and a single loop writes whatever is queued and
 * fdatasyncs it, so calls that arrive while an fsync is in flight share the next one instead of paying one each. Durable
 * lines resolve their promise after that fsync; buffered lines (intermediate reports) ride along with the next durable write
 * or the flush timer. When the journal outgrows its limit the loop runs the owner's checkpoint (a full snapshot) and truncates
 * the journal; lines queued meanwhile are written after the truncation and are skipped on replay if the snapshot has them.
 */
import fs from 'node:fs';
import { TunekitError } from '../core/errors.js';
import { ShapeError, checkIndex, checkObject, checkString, frame, framedOk, unframe } from './codec.js';
import { type Op, decodeOp, encodeOp } from './records.js';
import { StorageDamagedError, StorageIOError, isTornTail } from './adapter.js';

/** One replayable journal line. */
export interface JournalEntry {
  readonly seq: number;
  readonly op: Op;
  /** 1-based line number, for error messages. */
  readonly line: number;
}

/** The first line of a journal: which storage and which snapshot chunk (by seq) it continues. */
export interface JournalHeader {
  readonly id: string;
  readonly continues: number;
}

/** What {@link readJournal} found. */
export interface JournalContents {
  /** False if there is no journal file. */
  readonly exists: boolean;
  /** The header; undefined for a missing, empty or NUL-filled journal, or a version-1 journal (which has none). */
  readonly header: JournalHeader | undefined;
  /** True for a version-1 journal (unframed lines, no header). */
  readonly legacy: boolean;
  readonly entries: readonly JournalEntry[];
  /** Bytes up to the end of the last whole record; a torn tail beyond it is ignored. */
  readonly validBytes: number;
  /** True when the final append was torn (crash mid-append) and was ignored. */
  readonly torn: boolean;
}

/** The header line of a journal (with its newline). */
export function journalHeaderLine(header: JournalHeader): string {
  return frame(JSON.stringify({ journal: 'tunekit', version: 2, id: header.id, continues: header.continues })) + '\n';
}

/** One journal record line (without the newline): the op with its seq, checksummed. */
export function journalLine(op: Op, seq: number): string {
  return frame(encodeOp(op, seq));
}

/**
 * Reads and checks a journal; a missing file is an empty journal. A torn final append (a partial line, a NUL-filled tail, or a
 * last line whose checksum fails) is the trace of a crash and is ignored. Anything else unreadable throws StorageDamagedError
 * naming the line; with `salvage`, reading stops there instead and `salvage.stop` says where and why.
 */
export function readJournal(walPath: string, snapshot: string, salvage?: { stop?: { line: number; detail: string } }): JournalContents {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(walPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { exists: false, header: undefined, legacy: false, entries: [], validBytes: 0, torn: false };
    throw new StorageIOError(walPath, 'read', e);
  }
  const empty = { exists: true, header: undefined, legacy: false, entries: [], validBytes: 0, torn: buf.length > 0 };
  if (buf.length === 0 || ((buf[0] === 0 || buf[0] === 10) && buf.every((b) => b === 0 || b === 10))) return empty; // emptied (or zero-filled): the caller decides if that is allowed
  const firstEnd = buf.indexOf(10);
  const first = firstEnd < 0 ? undefined : buf.toString('utf8', 0, firstEnd);
  if (first !== undefined && first.startsWith('{"seq":')) return readLines(buf, walPath, snapshot, 0, undefined, true, salvage);
  const headerText = first === undefined ? undefined : unframe(first);
  let header: JournalHeader | undefined;
  try {
    if (headerText === undefined) throw new ShapeError('header', 'is missing or has a bad checksum');
    const h = checkObject(JSON.parse(headerText), 'header');
    if (h.journal !== 'tunekit' || h.version !== 2) throw new ShapeError('header', 'is not a tunekit journal header (version 2)');
    header = { id: checkString(h.id, 'header.id'), continues: checkIndex(h.continues, 'header.continues') };
  } catch (e) {
    if (salvage) {
      salvage.stop = { line: 1, detail: (e as Error).message };
      return { ...empty, torn: false };
    }
    throw journalCorrupt(walPath, snapshot, 1, `is not a journal header (${(e as Error).message})`);
  }
  return readLines(buf, walPath, snapshot, firstEnd + 1, header, false, salvage);
}

function readLines(
  buf: Buffer,
  walPath: string,
  snapshot: string,
  from: number,
  header: JournalHeader | undefined,
  legacy: boolean,
  salvage: { stop?: { line: number; detail: string } } | undefined,
): JournalContents {
  const entries: JournalEntry[] = [];
  let start = from;
  let line = from === 0 ? 0 : 1;
  const result = (torn: boolean) => ({ exists: true, header, legacy, entries, validBytes: start, torn });
  while (start < buf.length) {
    line++;
    const nl = buf.indexOf(10, start);
    let parsed: unknown;
    let bad: string | undefined;
    if (nl < 0) bad = 'is cut short';
    else if (!legacy && !framedOk(buf, start, nl)) bad = 'has a bad checksum (its bytes changed after it was written)';
    else {
      try {
        parsed = JSON.parse(buf.toString('utf8', start, nl));
      } catch (e) {
        bad = `is not valid JSON (${(e as Error).message})`;
      }
    }
    if (bad !== undefined) {
      if (isTornTail(buf, start)) return result(true); // the final append, cut by a crash
      if (salvage) {
        salvage.stop = { line, detail: bad };
        return result(false);
      }
      throw journalCorrupt(walPath, snapshot, line, bad);
    }
    try {
      const { seq, op } = decodeOp(parsed, 'line');
      entries.push({ seq, op, line });
    } catch (e) {
      if (!(e instanceof ShapeError) && !(e instanceof TypeError)) throw e;
      if (salvage) {
        salvage.stop = { line, detail: `has the wrong shape (${e.message})` };
        return result(false);
      }
      throw journalCorrupt(walPath, snapshot, line, `has the wrong shape (${e.message})`);
    }
    start = nl + 1;
  }
  return result(false);
}

/** The error for a damaged journal line: never a crash (which only tears the final append), so `tunekit repair` is named. */
export function journalCorrupt(walPath: string, snapshot: string, line: number, detail: string): StorageDamagedError {
  return new StorageDamagedError(walPath, `journal line ${line} ${detail}; the snapshot ${snapshot} is not affected`, snapshot);
}

/** Options of a {@link JournalWriter}. */
export interface JournalWriterOptions {
  /** Buffered lines are written at most this long after they were queued. */
  readonly flushIntervalMs: number;
  /** fdatasync after each write (true), or only hand lines to the OS (false: survives a process crash, not a power loss). */
  readonly fsync: boolean;
  /** When the journal grows past this many bytes, `checkpoint` runs. */
  readonly limitBytes: number;
  /**
   * Writes a snapshot chunk holding everything applied so far (durably), then replaces the journal by a fresh one that
   * continues it ({@link JournalWriter.swap}).
   */
  readonly checkpoint: () => Promise<void>;
}

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}

/**
 * Writes a whole buffer at the end of the journal. Synchronous on purpose: appending a few KiB to the page cache takes
 * microseconds, far less than a round trip through libuv's thread pool (which sat idle-waiting for a third of the time of a
 * trial in profiles); only the fsync, which can take milliseconds, goes to the pool.
 */
function writeAll(fd: number, buf: Buffer): void {
  let offset = 0;
  while (offset < buf.length) offset += fs.writeSync(fd, buf, offset, buf.length - offset);
}

const fdatasync = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));

/** Appends to an open journal; see the file comment. Owned by one FileStorage. */
export class JournalWriter {
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private fdClosed = false;
  /** Set once a write fails: the disk may now lag memory, so every later write is refused with it. */
  failure: TunekitError | undefined;

  /** `fd` must be opened in append mode ('a'); `bytes` is the journal's current size. */
  constructor(
    private fd: number,
    readonly path: string,
    private bytes: number,
    private readonly options: JournalWriterOptions,
  ) {}

  /** Current journal size in bytes (what has been written, not what is queued). */
  get size(): number {
    return this.bytes;
  }

  /** Queues a line and resolves once it, and every line queued before it, is on disk. */
  durable(line: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.pending.push(line + '\n');
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.kick();
    return done;
  }

  /** Queues a line to be written with the next durable line, or by the flush timer at the latest. */
  buffer(line: string): void {
    if (this.failure) throw this.failure;
    this.pending.push(line + '\n');
    this.armTimer();
  }

  /** Writes and syncs everything queued (used by close); rejects with the failure if a write failed. */
  async drain(): Promise<void> {
    this.clearTimer();
    while (!this.failure && (this.loop !== undefined || this.pending.length > 0)) {
      this.kick();
      await this.loop;
    }
    if (this.failure) throw this.failure;
  }

  /**
   * Switches to a new journal file (opened for appending, `bytes` long), closing the old descriptor. Called by the checkpoint
   * while the write loop waits for it, so no write can go to the old file afterwards.
   */
  swap(fd: number, bytes: number): void {
    const old = this.fd;
    this.fd = fd;
    this.bytes = bytes;
    fs.closeSync(old);
  }

  /** Closes the file descriptor (once: a second call must not close a descriptor number the OS has since reused). */
  close(): void {
    this.clearTimer();
    if (this.fdClosed) return;
    this.fdClosed = true;
    fs.closeSync(this.fd);
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.loop !== undefined) return; // a running loop picks the line up
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.options.flushIntervalMs);
    // A forgotten close() must not keep the process alive; the reports of the last interval are then lost, as documented.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private kick(): void {
    if (this.loop !== undefined || this.failure) return;
    this.clearTimer();
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      if (this.pending.length > 0 && !this.failure) {
        if (this.waiters.length > 0) this.kick();
        else this.armTimer();
      }
    });
  }

  private async run(): Promise<void> {
    while (this.pending.length > 0) {
      const buf = Buffer.from(this.pending.join(''), 'utf8');
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        writeAll(this.fd, buf);
        if (this.options.fsync) await fdatasync(this.fd);
        this.bytes += buf.length;
      } catch (e) {
        // Cut a partial append back off (disk full), so the journal ends at a whole record and replays cleanly.
        try {
          fs.ftruncateSync(this.fd, this.bytes);
        } catch {
          // a torn tail is ignored on replay anyway
        }
        this.fail(e, waiters);
        return;
      }
      for (const w of waiters) w.resolve();
      if (this.bytes > this.options.limitBytes) {
        try {
          await this.options.checkpoint();
        } catch (e) {
          this.fail(e, []);
          return;
        }
      }
      // Only durable lines keep the loop going; buffered ones wait for the timer so reports do not cost an fsync each.
      if (this.waiters.length === 0) return;
    }
  }

  private fail(e: unknown, waiters: Waiter[]): void {
    this.failure =
      e instanceof TunekitError
        ? e
        : new StorageIOError(this.path, 'write', e, 'everything acknowledged before this error is on disk; reopen the storage to continue');
    for (const w of [...waiters, ...this.waiters]) w.reject(this.failure);
    this.waiters = [];
    this.pending = [];
  }
}
