/**
 * `tunekit repair <storage>`: rebuilds a damaged file storage from every record that is still intact, and says exactly what
 * could not be recovered. Called by the CLI (src/cli/repair.ts) and usable as a library function.
 *
 * Sources, oldest first, each record read on its own (one damaged chunk or line does not take the rest down with it):
 *   1. `<file>.bak`, the previous snapshot a version-1 storage kept;
 *   2. the snapshot: a version-1 document, or every intact version-2 chunk (damaged ones are skipped and reported);
 *   3. the journal, up to its first damaged record (a torn final append is simply ignored, as on open).
 * A later copy of a trial replaces an earlier one; journal ops are replayed with the storage's rules, skipping those already
 * reflected. Trial numbers that no source holds become `failed` trials whose reason says they were lost, so numbering stays
 * dense and the study can continue. The result is written as a fresh, cleanly closed version-2 snapshot; the old files are
 * kept as `<file>.damaged` / `<file>.wal.damaged`. Refuses to run while a live process holds the storage's lock.
 */
import { studyFileOf } from '../core/run-dir.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { JsonValue, StudyRecord } from '../core/types.js';
import { OptionsError } from '../core/errors.js';
import { checkArray, checkIndex, checkObject, setOwn, unframe } from './codec.js';
import { SnapshotDamage, StorageIOError, chunkLine, headerLine, io, loadSnapshot, writeAtomic } from './adapter.js';
import { acquireLock, checkNotLocked, releaseLock } from './lock.js';
import { type Curve, type Op, type StoredTrial, applyFinish, decodeStoredTrial, decodeStudy, pushPoint } from './records.js';
import { StorageState } from './state.js';
import { readJournal } from './wal.js';

/** Options of {@link repairStorage}. */
export interface RepairOptions {
  /** Only read and report; write nothing (default false). */
  readonly dryRun?: boolean;
}

/** What one study looks like after the repair. */
export interface RepairedStudy {
  readonly name: string;
  readonly trials: number;
  /** Finished trials recovered (placeholders for lost ones not included). */
  readonly finished: number;
  /** Trial numbers no source held: stored as `failed` with a reason saying so. */
  readonly lost: readonly number[];
}

/** The outcome of {@link repairStorage}. */
export interface RepairReport {
  /** The snapshot path that was repaired. */
  readonly file: string;
  readonly dryRun: boolean;
  /** True if nothing was damaged (nothing is written then). */
  readonly healthy: boolean;
  /** What each source contributed, one sentence each. */
  readonly sources: readonly string[];
  /** What could not be recovered, one sentence each; empty if everything was. */
  readonly lost: readonly string[];
  readonly studies: readonly RepairedStudy[];
  /** Files written or moved aside. */
  readonly written: readonly string[];
}

interface StudyRecords {
  record: StudyRecord;
  trials: Map<number, { fields: { -readonly [K in keyof StoredTrial['fields']]: StoredTrial['fields'][K] }; curve: Curve }>;
}

/** A file path, or a directory holding `study.json` (the layout `tunekit run` writes). */
export const resolveStorageFile = studyFileOf;

/** Rebuilds the storage at `path` (see the file comment). */
export async function repairStorage(path: string, options: RepairOptions = {}): Promise<RepairReport> {
  if (typeof path !== 'string' || path.length === 0) throw new OptionsError('repairStorage: path must be a storage file or run directory');
  const dryRun = options.dryRun === true;
  const file = resolveStorageFile(path);
  const wal = `${file}.wal`;
  if (!fs.existsSync(file) && !fs.existsSync(wal) && !fs.existsSync(`${file}.bak`)) {
    throw new OptionsError(
      `no storage at ${file} (no snapshot, journal or .bak); pass the study file or the run directory holding study.json`,
    );
  }
  checkNotLocked(file);
  const lock = dryRun ? undefined : acquireLock(file);
  try {
    const studies = new Map<string, StudyRecords>();
    const sources: string[] = [];
    const lost: string[] = [];
    let seq = 0;
    let id: string | undefined;
    let damaged = false;

    // 1 + 2: the v1 .bak (only useful under a damaged v1 snapshot, but harmless otherwise: later sources replace it).
    const snap = readSnapshotRecords(file);
    if (snap.version !== 2 && fs.existsSync(`${file}.bak`) && (snap.damage !== undefined || snap.version === 0)) {
      const bak = readSnapshotRecords(`${file}.bak`);
      if (bak.damage === undefined) {
        merge(studies, bak.studies);
        seq = bak.seq;
        sources.push(`${file}.bak: ${count(bak.studies)} trials (the previous snapshot)`);
      } else sources.push(`${file}.bak: unreadable (${bak.damage}), not used`);
    }
    merge(studies, snap.studies);
    seq = Math.max(seq, snap.seq);
    id = snap.id;
    if (snap.version === 0) sources.push(`${file}: missing`);
    else {
      sources.push(
        `${file}: ${count(snap.studies)} trial records from ${snap.chunks} intact ${snap.version === 2 ? 'chunks' : 'document'}`,
      );
    }
    if (snap.damage !== undefined) {
      damaged = true;
      lost.push(`${file}: ${snap.damage}; whatever only that part held is lost`);
    }
    for (const s of snap.skipped) {
      damaged = true;
      lost.push(`${file}: snapshot line ${s.line} ${s.detail}; it was skipped (trials it alone held are lost)`);
    }

    // 3: the journal, up to its first damaged record.
    const salvage: { stop?: { line: number; detail: string } } = {};
    const journal = readJournal(wal, file, salvage);
    let applied = 0;
    for (const entry of journal.entries) {
      if (replay(studies, entry.op)) applied++;
      seq = Math.max(seq, entry.seq);
    }
    if (journal.header) {
      id ??= journal.header.id;
      seq = Math.max(seq, journal.header.continues);
    }
    if (!journal.exists) sources.push(`${wal}: none`);
    else
      sources.push(
        `${wal}: ${journal.entries.length} intact records, ${applied} of them not already in the snapshot${journal.torn ? ' (a torn final append was ignored, as after a crash)' : ''}`,
      );
    if (salvage.stop) {
      damaged = true;
      lost.push(`${wal}: journal line ${salvage.stop.line} ${salvage.stop.detail}; it and every record after it are lost`);
    }
    if (snap.version === 2 && !snap.closed && !journal.header && !journal.legacy) {
      damaged = true;
      lost.push(
        `${wal} is ${journal.exists ? 'empty' : 'missing'} although the snapshot's last writer did not close the storage: ` +
          `what it recorded after snapshot seq ${snap.seq} cannot be known (finished trials are typically a few; see docs/storage.md)`,
      );
    }

    // Dense numbering: placeholders for trial numbers no source holds.
    const out: RepairedStudy[] = [];
    const state = new StorageState(file);
    for (const [name, s] of studies) {
      state.loadStudy(s.record);
      const max = s.trials.size === 0 ? -1 : Math.max(...s.trials.keys());
      const missing: number[] = [];
      let finished = 0;
      for (let n = 0; n <= max; n++) {
        let t = s.trials.get(n);
        if (t !== undefined && t.fields.state !== 'running' && t.fields.state !== 'waiting') finished++;
        if (t === undefined) {
          missing.push(n);
          const at = new Date().toISOString();
          t = {
            fields: {
              number: n,
              state: 'failed',
              params: {},
              userAttrs: {},
              system: { lostInRepair: true },
              created: at,
              started: at,
              finished: at,
              reason: 'lost: its records were damaged; placeholder written by tunekit repair',
            },
            curve: { steps: [], values: [], metrics: undefined },
          };
        }
        state.putTrial(name, t, `trial ${n} of study "${name}"`);
      }
      if (missing.length > 0) {
        damaged = true;
        lost.push(`study "${name}": trials ${ranges(missing)} are in no intact record; stored as failed placeholders`);
      }
      out.push({ name, trials: max + 1, finished, lost: missing });
    }

    const written: string[] = [];
    if (!dryRun && damaged) {
      const changes = state.takeChanges(true);
      const text = headerLine(id ?? crypto.randomUUID()) + chunkLine(seq, changes, true);
      for (const p of [file, wal]) {
        if (fs.existsSync(p)) {
          io(p, 'keep a copy of', () => fs.copyFileSync(p, `${p}.damaged`));
          written.push(`${p}.damaged (the damaged file, kept)`);
        }
      }
      writeAtomic(file, text);
      written.push(`${file} (rebuilt)`);
      io(wal, 'remove', () => fs.rmSync(wal, { force: true }));
    }
    return { file, dryRun, healthy: !damaged, sources, lost, studies: out, written };
  } finally {
    if (lock) releaseLock(lock);
  }
}

const count = (studies: Map<string, StudyRecords>): number => [...studies.values()].reduce((n, s) => n + s.trials.size, 0);

/** `0-3, 7, 9-10` */
function ranges(ns: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ns.length;) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j]! + 1) j++;
    parts.push(i === j ? String(ns[i]) : `${ns[i]}-${ns[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

function merge(into: Map<string, StudyRecords>, from: Map<string, StudyRecords>): void {
  for (const [name, s] of from) {
    const cur = into.get(name);
    if (cur === undefined) into.set(name, s);
    else for (const [n, t] of s.trials) cur.trials.set(n, t);
  }
}

interface SnapshotRecords {
  version: 0 | 1 | 2;
  id: string | undefined;
  seq: number;
  closed: boolean;
  chunks: number;
  studies: Map<string, StudyRecords>;
  /** Why the whole file (v1) or its header could not be read. */
  damage: string | undefined;
  skipped: { line: number; detail: string }[];
}

/** Every intact record of a snapshot file, record by record (a damaged chunk is skipped, later ones still count). */
function readSnapshotRecords(file: string): SnapshotRecords {
  const out: SnapshotRecords = {
    version: 0,
    id: undefined,
    seq: 0,
    closed: true,
    chunks: 0,
    studies: new Map(),
    damage: undefined,
    skipped: [],
  };
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw new StorageIOError(file, 'read', e);
  }
  const nl = buf.indexOf(10);
  if (nl < 0 || nl === buf.length - 1) {
    // version 1 (or garbage): all or nothing, through the normal reader
    const state = new StorageState(file);
    try {
      const info = loadSnapshot(file, state);
      out.version = info.version;
      out.seq = info.seq;
      out.chunks = 1;
      const all = state.takeChanges(true);
      for (const st of all.studies) {
        const trials = all.trials[st.name] ?? [];
        out.studies.set(st.name, {
          record: st,
          trials: new Map(trials.map((t) => [checkIndex(t.number, 'number'), decodeStoredTrial(t, 'trial')])),
        });
      }
    } catch (e) {
      if (!(e instanceof SnapshotDamage)) throw e;
      out.version = 1;
      out.damage = e.message;
    }
    return out;
  }
  out.version = 2;
  const header = unframe(buf.toString('utf8', 0, nl));
  if (header !== undefined) out.id = (JSON.parse(header) as { id?: string }).id;
  else out.damage = 'its header line is damaged';
  let start = nl + 1;
  let line = 1;
  while (start < buf.length) {
    line++;
    const end = buf.indexOf(10, start);
    const stop = end < 0 ? buf.length : end;
    const text = end < 0 ? undefined : unframe(buf.toString('utf8', start, end));
    if (text === undefined) {
      const rest = buf.subarray(start);
      if (!rest.every((b) => b === 0 || b === 10) && end >= 0)
        out.skipped.push({ line, detail: 'has a bad checksum (its bytes changed after it was written)' });
      start = stop + 1;
      continue;
    }
    try {
      const c = checkObject(JSON.parse(text), 'chunk');
      for (const st of checkArray(c.studies ?? [], 'chunk.studies')) {
        const record = decodeStudy(st, 'study');
        if (!out.studies.has(record.name)) out.studies.set(record.name, { record, trials: new Map() });
      }
      const trials = checkObject(c.trials ?? {}, 'chunk.trials');
      for (const name of Object.keys(trials)) {
        const s = out.studies.get(name);
        if (s === undefined) {
          out.skipped.push({ line, detail: `holds trials of study "${name}", whose record is in no intact chunk; they were skipped` });
          continue;
        }
        for (const t of checkArray(trials[name], 'trials')) {
          const stored = decodeStoredTrial(t, 'trial');
          s.trials.set(stored.fields.number, { fields: { ...stored.fields }, curve: stored.curve });
        }
      }
      out.seq = Math.max(out.seq, checkIndex(c.seq, 'chunk.seq'));
      out.closed = c.closed === true;
      out.chunks++;
    } catch (e) {
      out.skipped.push({ line, detail: `cannot be loaded: ${(e as Error).message}` });
    }
    start = stop + 1;
  }
  return out;
}

/** Applies one journal op to the collected records if it still applies (the storage's rules); true if it changed something. */
function replay(studies: Map<string, StudyRecords>, op: Op): boolean {
  if (op.op === 'createStudy') {
    if (studies.has(op.study.name)) return false;
    studies.set(op.study.name, { record: op.study, trials: new Map() });
    return true;
  }
  const s = studies.get(op.study);
  if (s === undefined) return false;
  if (op.op === 'createTrial') {
    if (s.trials.has(op.trial.number)) return false;
    const { intermediate, ...fields } = op.trial;
    const curve: Curve = { steps: [], values: [], metrics: undefined };
    for (const iv of intermediate) pushPoint(curve, iv.step, iv.value, iv.metrics);
    s.trials.set(op.trial.number, { fields: { ...fields }, curve });
    return true;
  }
  const t = s.trials.get(op.number);
  if (t === undefined) return false;
  const f = t.fields;
  switch (op.op) {
    case 'startWaiting':
      if (f.state !== 'waiting') return false;
      f.state = 'running';
      f.started = op.at;
      return true;
    case 'markStarted':
      if (f.state !== 'running' || t.curve.steps.length > 0 || f.started === op.at) return false;
      f.started = op.at;
      return true;
    case 'reportIntermediate':
      if (f.state !== 'running' || t.curve.steps.includes(op.step)) return false;
      pushPoint(t.curve, op.step, op.value, op.metrics);
      return true;
    case 'setTrialUserAttr': {
      if (f.state !== 'running' && f.state !== 'waiting') return false;
      const attrs: { [key: string]: JsonValue } = { ...f.userAttrs };
      setOwn(attrs, op.key, op.value);
      f.userAttrs = attrs;
      return true;
    }
    case 'finishTrial': {
      if (f.state !== 'running') return false;
      applyFinish(f, op.result, op.at);
      return true;
    }
  }
}
