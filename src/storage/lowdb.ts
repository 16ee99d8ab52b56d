/**
 * FileStorage: any number of studies in one storage file, durable across crashes, with a cost per trial that does not grow with
 * the study. The format and the crash/damage rules are described in docs/storage.md; in short, for a storage at `runs/s.json`:
 *
 *   runs/s.json       the snapshot: an append-only log of checksummed chunks (adapter.ts). Each checkpoint appends the studies
 *                     and trials changed since the previous one, so a finished trial is written once, never rewritten.
 *   runs/s.json.wal   the journal (wal.ts): a header naming the storage id and the snapshot chunk (`continues`: its seq) it
 *                     continues, then one checksummed op per line, each with the next sequence number, e.g.
 *                       {"c":"…","seq":1238,"op":"reportIntermediate","study":"s","number":4,"step":3,"value":0.25}
 *                       {"c":"…","seq":1240,"op":"finishTrial","study":"s","number":4,"at":"…","result":TrialResult}
 *                     Ops with seq <= the snapshot's are already in it and are skipped; the rest must continue it with no gap.
 *                     A checkpoint replaces the journal atomically by a fresh one; close() removes it.
 *   runs/s.json.lock  {"pid","host","started"} of the one process allowed to write (see lock.ts).
 *
 * Numbers that a trial reports (value, metrics, intermediate values, budget) may be NaN/±Infinity; both files store those as
 * the strings "NaN", "Infinity", "-Infinity" and restore them on load.
 *
 * Durability: createStudy, createTrial of a waiting trial, setTrialUserAttr and finishTrial resolve after their journal line
 * is fdatasynced (group commit: calls arriving during an fsync share the next one). reportIntermediate, createTrial of a
 * running trial, startWaiting and markStarted are applied at once and their lines are written with the next durable write or
 * by a timer after `flushIntervalMs`, so a crash loses at most that much of the reports, and a finished trial (whose
 * finishTrial line follows its creation in the journal) is never lost. A checkpoint runs when the journal exceeds
 * `journalLimitBytes`, and on close(). All state lives in memory (state.ts), so reads never touch the disk.
 *
 * Crash or damage: a writer creates its journal before it marks the snapshot as open, and only a clean close() marks it
 * closed, so a snapshot whose last chunk is not "closed" promises a journal; a missing or emptied one is damage, refused
 * with StorageDamagedError naming `tunekit repair` (repair.ts), like a chunk or record whose checksum fails anywhere but in
 * the final, torn append. Version-1 storages (one JSON document + `.bak`) are read, and converted by their first writer.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import nodePath from 'node:path';
import { OptionsError, TunekitError } from '../core/errors.js';
import type { JsonValue, Metrics, StudyRecord, TrialRecord, TrialResult, TrialState } from '../core/types.js';
import type { NewTrial, Storage, TrialsSince } from './types.js';
import {
  SnapshotDamage,
  type SnapshotInfo,
  StorageDamagedError,
  appendSynced,
  chunkLine,
  fsyncDir,
  headerLine,
  io,
  loadSnapshot,
  writeAtomic,
} from './adapter.js';
import { type LockHandle, acquireLock, checkNotLocked, releaseLock } from './lock.js';
import type { Op } from './records.js';
import { StorageState } from './state.js';
import { type JournalContents, JournalWriter, journalCorrupt, journalHeaderLine, journalLine, readJournal } from './wal.js';

/** Options of {@link FileStorage.open}. */
export interface FileStorageOptions {
  /** Take the single-writer lock `<file>.lock` (default true). Only turn it off when something else guarantees one writer. */
  readonly lock?: boolean;
  /** Longest time an intermediate report stays unwritten (default 1000 ms): the most a crash can lose. */
  readonly flushIntervalMs?: number;
  /**
   * fdatasync each journal write (default true). `false` makes durable calls resolve once their line is handed to the OS:
   * still safe if the process crashes or is killed, but a power loss or kernel crash can lose the last writes. Snapshots are
   * always fsynced. Use it when the disk's fsync latency (often 0.3-5 ms) would dominate very short trials.
   */
  readonly fsync?: boolean;
  /** Journal size that triggers a checkpoint (default 4 MiB). Smaller = faster open after a crash, more snapshot writes. */
  readonly journalLimitBytes?: number;
}

const DEFAULTS = { lock: true, fsync: true, flushIntervalMs: 1000, journalLimitBytes: 4 * 1024 * 1024 };

function checkOptions(options: FileStorageOptions): Required<FileStorageOptions> {
  if (options === null || typeof options !== 'object') throw new OptionsError(`FileStorage.open: options must be an object`);
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULTS)) throw new OptionsError(`FileStorage.open: unknown option "${key}"; known: ${Object.keys(DEFAULTS).join(', ')}`);
  }
  const out = { ...DEFAULTS, ...options };
  for (const key of ['lock', 'fsync'] as const) {
    if (typeof out[key] !== 'boolean')
      throw new OptionsError(`FileStorage.open: options.${key} must be a boolean, got ${String(out[key])}`);
  }
  for (const key of ['flushIntervalMs', 'journalLimitBytes'] as const) {
    const v = out[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new OptionsError(`FileStorage.open: options.${key} must be a finite number >= 0, got ${String(v)}`);
    }
  }
  return out;
}

interface Loaded {
  readonly state: StorageState;
  readonly info: SnapshotInfo;
  /** The storage id (from the snapshot, else the journal); undefined for a new or version-1 storage. */
  readonly id: string | undefined;
  /** seq of the last op applied (snapshot + replayed journal). */
  readonly seq: number;
  readonly journal: JournalContents;
}

/**
 * Reads snapshot + journal into a fresh state without writing anything, and tells a crash from damage (see the file comment).
 * The journal is read before the snapshot: a checkpoint appends to the snapshot before it replaces the journal, so in this
 * order a concurrent checkpoint can only make the snapshot newer than the journal we read (its lines are then skipped).
 * A reader racing a writer's open or close can still see an inconsistent pair: if the files changed while we read, read again.
 */
function load(file: string): Loaded {
  for (let attempt = 0; ; attempt++) {
    const before = fingerprint(file);
    try {
      return loadOnce(file);
    } catch (e) {
      if (!(e instanceof StorageDamagedError) || attempt >= 3 || fingerprint(file) === before) throw e;
    }
  }
}

function loadOnce(file: string): Loaded {
  const wal = `${file}.wal`;
  const journal = readJournal(wal, file);
  const state = new StorageState(file);
  let info: SnapshotInfo;
  try {
    info = loadSnapshot(file, state);
  } catch (e) {
    if (e instanceof SnapshotDamage) throw new StorageDamagedError(file, e.message, file);
    throw e;
  }
  const h = journal.header;
  const damaged = (detail: string, where = wal) => new StorageDamagedError(where, detail, file);
  if (info.version === 2) {
    if (!info.closed && h === undefined && !journal.legacy) {
      throw damaged(
        `the journal is ${journal.exists ? 'empty (or zero-filled)' : 'missing'}, but the snapshot says its last writer had the ` +
          `storage open and did not close it, so the journal must hold everything recorded after snapshot seq ${info.seq}`,
      );
    }
    if (h !== undefined && h.id !== info.id)
      throw damaged(`the journal belongs to storage ${h.id}, not to this snapshot (${info.id ?? 'no id'})`);
    if (h !== undefined && h.continues > info.seq) {
      throw damaged(
        `the journal continues the snapshot at seq ${h.continues}, but its last intact chunk is at seq ${info.seq}: chunks are missing`,
        file,
      );
    }
  } else if (h !== undefined && (info.version === 1 || h.continues > 0)) {
    throw damaged(
      `the journal continues snapshot seq ${h.continues} of storage ${h.id}, but ${info.version === 1 ? 'the snapshot is an older-format file' : 'there is no snapshot'}`,
    );
  }
  let seq = info.seq;
  let previous = -1;
  for (const entry of journal.entries) {
    if (entry.seq <= previous) throw journalCorrupt(wal, file, entry.line, `has seq ${entry.seq}, not above the previous ${previous}`);
    previous = entry.seq;
    if (entry.seq <= info.seq) continue;
    if (entry.seq !== seq + 1) {
      throw journalCorrupt(
        wal,
        file,
        entry.line,
        `has seq ${entry.seq} where ${seq + 1} was expected (snapshot seq ${info.seq}), so ops are missing`,
      );
    }
    if (journal.legacy && info.version === 2)
      throw journalCorrupt(wal, file, entry.line, 'is an older-format record that continues a newer-format snapshot');
    try {
      state.apply(entry.op);
    } catch (e) {
      throw journalCorrupt(wal, file, entry.line, `(${entry.op.op}) cannot be replayed: ${(e as Error).message}`);
    }
    seq = entry.seq;
  }
  return { state, info, id: info.id ?? h?.id, seq, journal };
}

/** Identity of the snapshot and journal on disk, to notice a change between reading them and taking the lock. */
function fingerprint(file: string): string {
  return [file, `${file}.wal`]
    .map((p) => {
      try {
        const s = fs.statSync(p, { bigint: true });
        return `${s.ino}:${s.size}:${s.mtimeNs}`;
      } catch {
        return '-';
      }
    })
    .join('|');
}

const now = (): string => new Date().toISOString();

/** Atomically replaces the journal by an empty one continuing snapshot seq `seq`; returns its size. */
function rotateJournal(file: string, id: string, seq: number): number {
  const text = journalHeaderLine({ id, continues: seq });
  writeAtomic(`${file}.wal`, text);
  return Buffer.byteLength(text);
}

/** The durable {@link Storage}; see the file comment for the format and guarantees. Create with {@link FileStorage.open}. */
export class FileStorage implements Storage {
  private readonly state: StorageState;
  private seq: number;
  private readonly journal: JournalWriter | undefined;
  private closed = false;

  private constructor(
    /** Absolute path of the snapshot file. */
    readonly file: string,
    loaded: Loaded,
    private readonly writer:
      { id: string; snapFd: number; snapBytes: number; walFd: number; walBytes: number; options: Required<FileStorageOptions> } | undefined,
    private readonly lock: LockHandle | undefined,
  ) {
    this.state = loaded.state;
    this.seq = loaded.seq;
    this.journal =
      writer &&
      new JournalWriter(writer.walFd, `${file}.wal`, writer.walBytes, {
        flushIntervalMs: writer.options.flushIntervalMs,
        fsync: writer.options.fsync,
        limitBytes: writer.options.journalLimitBytes,
        checkpoint: async () => this.checkpoint(false),
      });
  }

  /**
   * Opens (or, if missing, starts) the storage at `path` for writing. Called once per process by the study controller or
   * `openStorage`. Order: refuse a live lock, read and check everything (damage throws StorageDamagedError before anything is
   * written, the lock included), take the lock, re-read if the files changed meanwhile, then make the files continue each other
   * again: save replayed journal ops as a snapshot chunk, start a fresh journal, mark the snapshot open.
   */
  static async open(path: string, options: FileStorageOptions = {}): Promise<FileStorage> {
    const opts = checkOptions(options);
    const file = nodePath.resolve(path);
    if (opts.lock) checkNotLocked(file);
    const before = fingerprint(file);
    let loaded = load(file);
    io(file, 'create the directory of', () => fs.mkdirSync(nodePath.dirname(file), { recursive: true }));
    const lock = opts.lock ? acquireLock(file) : undefined;
    let snapFd: number | undefined;
    let walFd: number | undefined;
    try {
      if (fingerprint(file) !== before) loaded = load(file);
      const { info, state } = loaded;
      const id = loaded.id ?? crypto.randomUUID();
      let snapBytes = info.validBytes;
      let openChunkNeeded = info.closed;
      if (info.version !== 2) {
        // A new storage, or a version-1 one: write a complete version-2 snapshot (marked closed: no journal is promised yet).
        // A version-1 snapshot is kept as <file>.bak; its journal is folded in (and replaced by the fresh one below).
        if (info.version === 1) io(file, 'keep a backup of', () => fs.copyFileSync(file, `${file}.bak`));
        const text = headerLine(id) + chunkLine(loaded.seq, state.takeChanges(true), true);
        writeAtomic(file, text);
        snapBytes = Buffer.byteLength(text);
        openChunkNeeded = true;
      }
      snapFd = io(file, 'open', () => fs.openSync(file, 'r+'));
      if (info.version === 2 && info.torn) {
        io(file, 'cut the torn tail of', () => {
          fs.ftruncateSync(snapFd!, snapBytes);
          fs.fdatasyncSync(snapFd!);
        });
      }
      if (info.version === 2 && loaded.seq > info.seq) {
        // Replayed journal ops go into a chunk first: the old journal still covers them until the new one replaces it.
        snapBytes = appendSynced(file, snapFd, snapBytes, chunkLine(loaded.seq, state.takeChanges(), false));
        openChunkNeeded = false;
      }
      const walBytes = rotateJournal(file, id, loaded.seq);
      walFd = io(`${file}.wal`, 'open', () => fs.openSync(`${file}.wal`, 'a'));
      // Only now may the snapshot say "open": from here on the journal it promises exists.
      if (openChunkNeeded) snapBytes = appendSynced(file, snapFd, snapBytes, chunkLine(loaded.seq, state.takeChanges(), false));
      return new FileStorage(file, loaded, { id, snapFd, snapBytes, walFd, walBytes, options: opts }, lock);
    } catch (e) {
      if (walFd !== undefined) fs.closeSync(walFd);
      if (snapFd !== undefined) fs.closeSync(snapFd);
      if (lock) releaseLock(lock);
      throw e;
    }
  }

  /**
   * Opens a point-in-time, read-only view of the storage at `path`: no lock, no writes (a torn tail is skipped, not cut).
   * Used by `tunekit report` / `status` while a sweep writes the file; open again to see newer trials. Mutating methods
   * reject with code ERR_TUNEKIT_STORAGE_READONLY. A missing file reads as an empty storage.
   */
  static async openReadOnly(path: string): Promise<FileStorage> {
    const file = nodePath.resolve(path);
    return new FileStorage(file, load(file), undefined, undefined);
  }

  /** True for storages from {@link FileStorage.openReadOnly}. */
  get readOnly(): boolean {
    return this.journal === undefined;
  }

  async createStudy(study: StudyRecord): Promise<void> {
    const journal = this.writable('createStudy');
    const op = this.state.createStudyOp(study);
    this.state.apply(op);
    await journal.durable(this.line(op));
  }

  async getStudy(name: string): Promise<StudyRecord | undefined> {
    this.readable('getStudy');
    return this.state.getStudy(name);
  }

  async listStudies(): Promise<string[]> {
    this.readable('listStudies');
    return this.state.listStudies();
  }

  /**
   * A `waiting` trial (enqueued params) is durable before this resolves. A `running` trial's line is buffered like a report:
   * it becomes durable with the next durable write (at the latest its own finishTrial, which follows it in the journal) or
   * the flush timer. A crash can therefore drop a trial that had not finished — it is then asked again under the same number —
   * but never a finished one, and a sweep pays one fsync per trial instead of two.
   */
  async createTrial(study: string, trial: NewTrial): Promise<TrialRecord> {
    if (trial?.state !== 'running') return this.durably('createTrial', this.state.createTrialOp.bind(this.state, study, trial, now()));
    const journal = this.writable('createTrial');
    const op = this.state.createTrialOp(study, trial, now());
    const record = this.state.apply(op);
    journal.buffer(this.line(op));
    return record!;
  }

  /** Buffered like a running trial's creation: if the line is lost in a crash, the trial is simply still waiting. */
  async startWaiting(study: string): Promise<TrialRecord | undefined> {
    const journal = this.writable('startWaiting');
    const op = this.state.startWaitingOp(study, now());
    if (op === undefined) return undefined;
    const record = this.state.apply(op);
    journal.buffer(this.line(op));
    return record;
  }

  /**
   * Buffered like startWaiting: a crash that loses its line loses every later line of the trial too, so the trial is left
   * running with its ask time as its start, and is recorded interrupted and retried like any unfinished trial.
   */
  async markStarted(study: string, number: number): Promise<TrialRecord> {
    const journal = this.writable('markStarted');
    const op = this.state.markStartedOp(study, number, now());
    const record = this.state.apply(op);
    journal.buffer(this.line(op));
    return record!;
  }

  /** Buffered (see the file comment). Reporting a step that was already reported keeps the first value, like Optuna. */
  async reportIntermediate(study: string, number: number, step: number, value: number, metrics?: Metrics): Promise<void> {
    const journal = this.writable('reportIntermediate');
    const op = this.state.reportOp(study, number, step, value, metrics);
    if (op === undefined) return;
    this.state.apply(op);
    journal.buffer(this.line(op));
  }

  async setTrialUserAttr(study: string, number: number, key: string, value: JsonValue): Promise<void> {
    await this.durably('setTrialUserAttr', this.state.setUserAttrOp.bind(this.state, study, number, key, value));
  }

  async finishTrial(study: string, number: number, result: TrialResult): Promise<TrialRecord> {
    return this.durably('finishTrial', this.state.finishOp.bind(this.state, study, number, result, now()));
  }

  async getTrial(study: string, number: number): Promise<TrialRecord | undefined> {
    this.readable('getTrial');
    return this.state.getTrial(study, number);
  }

  async getTrials(study: string, states?: readonly TrialState[]): Promise<readonly TrialRecord[]> {
    this.readable('getTrials');
    return this.state.getTrials(study, states);
  }

  async getTrialsSince(study: string, cursor: number): Promise<TrialsSince> {
    this.readable('getTrialsSince');
    return this.state.getTrialsSince(study, cursor);
  }

  /**
   * Writes buffered intermediate reports now and waits until they, and any checkpoint in progress, are on disk. Optional:
   * close() does it too; useful before a planned exit that skips close, and in tests.
   */
  async flush(): Promise<void> {
    await this.writable('flush').drain();
  }

  /**
   * Writes everything queued, appends the final snapshot chunk (marked closed), removes the journal and releases the lock. If
   * the final write fails the journal is kept (it still holds every change) and the error is rethrown.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const journal = this.journal;
    const w = this.writer;
    if (journal === undefined || w === undefined) return;
    try {
      await journal.drain();
      await this.checkpoint(true);
      journal.close();
      io(`${this.file}.wal`, 'remove', () => {
        fs.rmSync(`${this.file}.wal`, { force: true });
        fsyncDir(nodePath.dirname(this.file));
      });
    } finally {
      journal.close(); // no-op if already closed above
      fs.closeSync(w.snapFd);
      if (this.lock) releaseLock(this.lock);
    }
  }

  /** Applies a durable op built by `build` (which checks the arguments), journals it and waits for the fsync. */
  private async durably(method: string, build: () => Op): Promise<TrialRecord> {
    const journal = this.writable(method);
    const op = build();
    const record = this.state.apply(op);
    await journal.durable(this.line(op));
    return record!;
  }

  private line(op: Op): string {
    this.seq += 1;
    return journalLine(op, this.seq);
  }

  /**
   * Appends a snapshot chunk with everything changed since the previous one (the journal loop runs this past its limit, and
   * close() with `closed`), then, unless closing, replaces the journal by an empty one continuing the chunk. Costs what
   * changed, not the study's size.
   */
  private async checkpoint(closed: boolean): Promise<void> {
    const w = this.writer!;
    const seq = this.seq;
    w.snapBytes = appendSynced(this.file, w.snapFd, w.snapBytes, chunkLine(seq, this.state.takeChanges(), closed));
    if (closed) return;
    const bytes = rotateJournal(this.file, w.id, seq);
    this.journal!.swap(
      io(`${this.file}.wal`, 'open', () => fs.openSync(`${this.file}.wal`, 'a')),
      bytes,
    );
  }

  private readable(method: string): void {
    if (this.closed) {
      throw new TunekitError(
        'ERR_TUNEKIT_STORAGE_CLOSED',
        `the storage ${this.file} was closed, so ${method} cannot run; open it again with FileStorage.open`,
      );
    }
  }

  private writable(method: string): JournalWriter {
    this.readable(method);
    if (this.journal === undefined) {
      throw new TunekitError(
        'ERR_TUNEKIT_STORAGE_READONLY',
        `${this.file} was opened with FileStorage.openReadOnly, so ${method} cannot change it; use FileStorage.open to write`,
      );
    }
    if (this.journal.failure) throw this.journal.failure;
    return this.journal;
  }
}
