/**
 * FileStorage: any number of studies in one JSON file, durable across crashes, fast enough to record every trial of a sweep.
 *
 * Files, for a storage at `runs/s.json`:
 *
 *   runs/s.json       the snapshot, a lowdb document replaced atomically by each checkpoint (see adapter.ts):
 *                       { "format": "tunekit-storage", "version": 1, "seq": 1234,
 *                         "studies": { "<name>": { "study": StudyRecord, "trials": [TrialRecord, ...] } } }
 *                     `seq` is the last journal op the snapshot includes; trials are in number order (trials[i].number = i).
 *   runs/s.json.wal   the journal: one op per line, each with the next sequence number, e.g.
 *                       {"seq":1235,"op":"createStudy","study":StudyRecord}
 *                       {"seq":1236,"op":"createTrial","study":"s","trial":TrialRecord}
 *                       {"seq":1237,"op":"startWaiting","study":"s","number":4,"at":"2024-05-01T10:00:00.000Z"}
 *                       {"seq":1238,"op":"reportIntermediate","study":"s","number":4,"step":3,"value":0.25}
 *                       {"seq":1239,"op":"setTrialUserAttr","study":"s","number":4,"key":"note","value":"any JSON"}
 *                       {"seq":1240,"op":"finishTrial","study":"s","number":4,"at":"...","result":TrialResult}
 *                     Lines with seq <= the snapshot's are already in it and are skipped; the rest must continue it with no
 *                     gap. A torn last line (crash mid-append) is ignored and cut off. The file is removed by close().
 *   runs/s.json.bak   the previous snapshot, kept by every checkpoint: the copy to restore if s.json is ever damaged.
 *   runs/s.json.lock  {"pid","host","started"} of the one process allowed to write (see lock.ts).
 *
 * Numbers that a trial reports (value, metrics, intermediate values, budget) may be NaN/±Infinity; both files store those as
 * the strings "NaN", "Infinity", "-Infinity" and restore them on load.
 *
 * Durability: createStudy, createTrial of a waiting trial, setTrialUserAttr and finishTrial resolve after their journal line
 * is fdatasynced (group commit: calls arriving during an fsync share the next one). reportIntermediate, createTrial of a
 * running trial and startWaiting are applied at once and their lines are written with the next durable write or by a timer
 * after `flushIntervalMs`, so a crash loses at most that much of the reports, and a finished trial (whose finishTrial line
 * follows its creation in the journal) is never lost. A checkpoint (snapshot rewrite + journal truncation) runs when the journal exceeds `journalLimitBytes`, and on
 * close(). All state lives in memory (state.ts), so reads never touch the disk.
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import { Low } from 'lowdb';
import { OptionsError, StorageCorruptError, TunekitError } from '../core/errors.js';
import type { JsonValue, Metrics, StudyRecord, TrialRecord, TrialResult, TrialState } from '../core/types.js';
import type { NewTrial, Storage } from './types.js';
import { SnapshotAdapter, type SnapshotDoc, backupOf, emptySnapshot, fsyncDir } from './adapter.js';
import { ShapeError, checkArray, checkObject } from './codec.js';
import { type LockHandle, acquireLock, checkNotLocked, releaseLock } from './lock.js';
import { type Op, decodeStudy, decodeTrial, encodeOp } from './records.js';
import { StorageState } from './state.js';
import { type JournalContents, JournalWriter, journalCorrupt, readJournal } from './wal.js';

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
    if (typeof out[key] !== 'boolean') throw new OptionsError(`FileStorage.open: options.${key} must be a boolean, got ${String(out[key])}`);
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
  /** seq of the snapshot, and of the last op applied (snapshot + replayed journal). */
  readonly snapshotSeq: number;
  readonly seq: number;
  readonly journal: JournalContents;
  readonly db: Low<SnapshotDoc>;
}

/**
 * Reads snapshot + journal into a fresh state without writing anything. The journal is read before the snapshot: a checkpoint
 * renames the new snapshot into place before truncating the journal, so in this order a concurrent checkpoint can only make
 * the snapshot newer than the journal we read (its lines are then skipped), never lose lines.
 */
async function load(file: string): Promise<Loaded> {
  const wal = `${file}.wal`;
  const journal = readJournal(wal, file);
  const db = new Low<SnapshotDoc>(new SnapshotAdapter(file), emptySnapshot());
  await db.read();
  const doc = db.data;
  db.data = emptySnapshot(); // the parsed document is only needed until it is loaded into the state's indexes
  const state = new StorageState(file);
  try {
    for (const name of Object.keys(doc.studies)) {
      const p = `studies[${JSON.stringify(name)}]`;
      const entry = checkObject(doc.studies[name], p);
      const study = decodeStudy(entry.study, `${p}.study`);
      if (study.name !== name) throw new ShapeError(`${p}.study.name`, `must equal its key, got ${JSON.stringify(study.name)}`);
      state.load(study, checkArray(entry.trials, `${p}.trials`).map((t, i) => decodeTrial(t, `${p}.trials[${i}]`)));
    }
  } catch (e) {
    if (e instanceof StorageCorruptError) throw e;
    throw new StorageCorruptError(file, `the snapshot's ${(e as Error).message}`, backupOf(file));
  }
  let seq = doc.seq;
  let previous = -1;
  for (const entry of journal.entries) {
    if (entry.seq <= previous) throw journalCorrupt(wal, file, entry.line, `has seq ${entry.seq}, not above the previous ${previous}`);
    previous = entry.seq;
    if (entry.seq <= doc.seq) continue;
    if (entry.seq !== seq + 1) {
      throw journalCorrupt(wal, file, entry.line, `has seq ${entry.seq} where ${seq + 1} was expected (snapshot seq ${doc.seq}), so ops are missing`);
    }
    try {
      state.apply(entry.op);
    } catch (e) {
      throw journalCorrupt(wal, file, entry.line, `(${entry.op.op}) cannot be replayed: ${(e as Error).message}`);
    }
    seq = entry.seq;
  }
  return { state, snapshotSeq: doc.seq, seq, journal, db };
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

/** The durable {@link Storage}; see the file comment for the format and guarantees. Create with {@link FileStorage.open}. */
export class FileStorage implements Storage {
  private readonly state: StorageState;
  private readonly db: Low<SnapshotDoc>;
  private seq: number;
  private snapshotSeq: number;
  private readonly journal: JournalWriter | undefined;
  private closed = false;

  private constructor(
    /** Absolute path of the snapshot file. */
    readonly file: string,
    loaded: Loaded,
    journal: { fd: number; bytes: number; options: Required<FileStorageOptions> } | undefined,
    private readonly lock: LockHandle | undefined,
  ) {
    this.state = loaded.state;
    this.db = loaded.db;
    this.seq = loaded.seq;
    this.snapshotSeq = loaded.snapshotSeq;
    this.journal =
      journal &&
      new JournalWriter(journal.fd, `${file}.wal`, journal.bytes, {
        flushIntervalMs: journal.options.flushIntervalMs,
        fsync: journal.options.fsync,
        limitBytes: journal.options.journalLimitBytes,
        checkpoint: () => this.checkpoint(),
      });
  }

  /**
   * Opens (or, if missing, starts) the storage at `path` for writing. Called once per process by the study controller or
   * `openStorage`. Order: refuse a live lock, read and check everything (a corrupt file throws StorageCorruptError before
   * anything is written, the lock included), take the lock, re-read if the files changed meanwhile, cut a torn journal tail.
   */
  static async open(path: string, options: FileStorageOptions = {}): Promise<FileStorage> {
    const opts = checkOptions(options);
    const file = nodePath.resolve(path);
    if (opts.lock) checkNotLocked(file);
    const before = fingerprint(file);
    let loaded = await load(file);
    fs.mkdirSync(nodePath.dirname(file), { recursive: true });
    const lock = opts.lock ? acquireLock(file) : undefined;
    let fd: number | undefined;
    try {
      if (fingerprint(file) !== before) loaded = await load(file);
      const wal = `${file}.wal`;
      const existed = fs.existsSync(wal);
      fd = fs.openSync(wal, 'a');
      if (loaded.journal.torn) {
        fs.ftruncateSync(fd, loaded.journal.validBytes);
        fs.fdatasyncSync(fd);
      }
      if (!existed) fsyncDir(nodePath.dirname(file));
      return new FileStorage(file, loaded, { fd, bytes: loaded.journal.validBytes, options: opts }, lock);
    } catch (e) {
      if (fd !== undefined) fs.closeSync(fd);
      if (lock) releaseLock(lock);
      throw e;
    }
  }

  /**
   * Opens a point-in-time, read-only view of the storage at `path`: no lock, no writes (a torn journal tail is skipped, not
   * cut). Used by `tunekit report` / `status` while a sweep writes the file; open again to see newer trials. Mutating
   * methods reject with code ERR_TUNEKIT_STORAGE_READONLY. A missing file reads as an empty storage.
   */
  static async openReadOnly(path: string): Promise<FileStorage> {
    const file = nodePath.resolve(path);
    return new FileStorage(file, await load(file), undefined, undefined);
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

  /**
   * Writes buffered intermediate reports now and waits until they, and any checkpoint in progress, are on disk. Optional:
   * close() does it too; useful before a planned exit that skips close, and in tests.
   */
  async flush(): Promise<void> {
    await this.writable('flush').drain();
  }

  /**
   * Writes everything queued, checkpoints (if anything changed since the last snapshot), removes the journal and releases the
   * lock. If the final write fails the journal is kept (it still holds every change) and the error is rethrown.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const journal = this.journal;
    if (journal === undefined) return;
    try {
      await journal.drain();
      if (this.seq !== this.snapshotSeq) await this.checkpoint();
      journal.close();
      fs.rmSync(`${this.file}.wal`, { force: true });
      fsyncDir(nodePath.dirname(this.file));
    } finally {
      journal.close(); // no-op if already closed above
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
    return encodeOp(op, this.seq);
  }

  /** Rewrites the snapshot with everything applied so far (called by the journal loop past its limit, and by close). */
  private async checkpoint(): Promise<void> {
    const seq = this.seq;
    this.db.data = { format: 'tunekit-storage', version: 1, seq, studies: this.state.exportStudies() };
    try {
      await this.db.write();
    } finally {
      this.db.data = emptySnapshot(); // the serialised copy is not needed between checkpoints
    }
    this.snapshotSeq = seq;
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
