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
import { StorageCorruptError, TunekitError } from '../core/errors.js';
import { ShapeError } from './codec.js';
import { type Op, decodeOp } from './records.js';

/** One replayable journal line. */
export interface JournalEntry {
  readonly seq: number;
  readonly op: Op;
  /** 1-based line number, for error messages. */
  readonly line: number;
}

/** What {@link readJournal} found. */
export interface JournalContents {
  readonly entries: readonly JournalEntry[];
  /** Bytes up to the end of the last whole line; a torn tail beyond it is ignored and truncated by the writer. */
  readonly validBytes: number;
  /** True when the last line was torn (crash mid-append) and was ignored. */
  readonly torn: boolean;
}

/**
 * Reads and checks a journal; a missing file is an empty journal. A torn final line (no trailing newline, or not JSON) is the
 * expected trace of a crash mid-append and is ignored. Anything else unreadable throws StorageCorruptError naming the line.
 */
export function readJournal(walPath: string, snapshot: string): JournalContents {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(walPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], validBytes: 0, torn: false };
    throw e;
  }
  const entries: JournalEntry[] = [];
  let start = 0;
  let line = 0;
  while (start < buf.length) {
    line++;
    const nl = buf.indexOf(10, start);
    if (nl < 0) return { entries, validBytes: start, torn: true }; // no newline: the append was cut short
    const text = buf.toString('utf8', start, nl);
    const last = nl + 1 === buf.length;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      if (last) return { entries, validBytes: start, torn: true }; // e.g. a block of zeros after a power loss
      throw journalCorrupt(walPath, snapshot, line, `is not valid JSON (${(e as Error).message})`);
    }
    try {
      const { seq, op } = decodeOp(parsed, 'line');
      entries.push({ seq, op, line });
    } catch (e) {
      if (!(e instanceof ShapeError) && !(e instanceof TypeError)) throw e;
      throw journalCorrupt(walPath, snapshot, line, `has the wrong shape (${e.message})`);
    }
    start = nl + 1;
  }
  return { entries, validBytes: start, torn: false };
}

/**
 * The StorageCorruptError for a bad journal line. The snapshot's `.bak` is not offered as a fix (it predates the journal), so
 * the detail says what can be done instead.
 */
export function journalCorrupt(walPath: string, snapshot: string, line: number, detail: string): StorageCorruptError {
  return new StorageCorruptError(
    walPath,
    `journal line ${line} ${detail}. The snapshot ${snapshot} is not affected; to recover, cut the journal before line ${line} ` +
      `(the changes from that line on are lost)`,
  );
}

/** Options of a {@link JournalWriter}. */
export interface JournalWriterOptions {
  /** Buffered lines are written at most this long after they were queued. */
  readonly flushIntervalMs: number;
  /** fdatasync after each write (true), or only hand lines to the OS (false: survives a process crash, not a power loss). */
  readonly fsync: boolean;
  /** When the journal grows past this many bytes, `checkpoint` runs and the journal is truncated. */
  readonly limitBytes: number;
  /** Writes a snapshot holding everything applied so far; must not resolve before it is durable. */
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
const ftruncate = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fs.ftruncate(fd, 0, (err) => (err ? reject(err) : resolve())));

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
    private readonly fd: number,
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
        this.fail(e, waiters);
        return;
      }
      for (const w of waiters) w.resolve();
      if (this.bytes > this.options.limitBytes) {
        try {
          await this.options.checkpoint();
          await ftruncate(this.fd);
          await fdatasync(this.fd);
          this.bytes = 0;
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
    this.failure = new TunekitError(
      'ERR_TUNEKIT_STORAGE_IO',
      `writing ${this.path} failed (${(e as Error).message}); changes since the last successful write may be missing on disk. ` +
        `Fix the cause (disk full? permissions?) and reopen the storage: it replays everything that reached the disk`,
    );
    for (const w of [...waiters, ...this.waiters]) w.reject(this.failure);
    this.waiters = [];
    this.pending = [];
  }
}
