import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileStorage } from '../../src/storage/lowdb.js';
import { StorageCorruptError, StorageLockedError } from '../../src/core/errors.js';
import { frame } from '../../src/storage/codec.js';
import { rejects, storageContract, studyRecord } from './contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-storage-'));
  dirs.push(dir);
  return dir;
}

storageContract('FileStorage', async () => {
  const file = path.join(tempDir(), 's.json');
  return { storage: await FileStorage.open(file), reopen: () => FileStorage.open(file) };
});

let dead: number | undefined;
/** A pid that belonged to a process that has exited (spawnSync reaps it), as a crashed sweep's lock would name. */
function deadPid(): number {
  dead ??= spawnSync('true').pid;
  assert.ok(dead !== undefined && dead > 0);
  return dead!;
}

function writeLock(file: string, pid: number): void {
  fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid, host: os.hostname(), started: new Date().toISOString() }));
}

/**
 * What a crash would leave: a copy of every file as it is on disk now (written data reaches the OS at once; only what is
 * still queued in the process is missing), with the lock naming a dead process.
 */
function crashImage(file: string): string {
  const dir = tempDir();
  for (const name of fs.readdirSync(path.dirname(file))) fs.copyFileSync(path.join(path.dirname(file), name), path.join(dir, name));
  const copy = path.join(dir, path.basename(file));
  writeLock(copy, deadPid());
  return copy;
}

/** A storage with study "s": trials 0..2 complete, trial 3 running with two reports, trial 4 waiting. */
async function populated(file: string, options?: Parameters<typeof FileStorage.open>[1]): Promise<FileStorage> {
  const st = await FileStorage.open(file, options);
  await st.createStudy(studyRecord('s'));
  for (let i = 0; i < 3; i++) {
    const t = await st.createTrial('s', { state: 'running', params: { i } });
    await st.finishTrial('s', t.number, { state: 'complete', value: i / 10 });
  }
  const r = await st.createTrial('s', { state: 'running', params: { i: 3 } });
  await st.reportIntermediate('s', r.number, 1, 0.5);
  await st.reportIntermediate('s', r.number, 2, 0.4);
  await st.createTrial('s', { state: 'waiting', params: { i: 4 } });
  return st;
}

/** Two crash images of a populated study whose journal was flushed (the study is closed afterwards): one to damage per case. */
async function flushedCrashImages(file: string): Promise<[string, string]> {
  const st = await populated(file);
  await st.flush();
  const images: [string, string] = [crashImage(file), crashImage(file)];
  await st.close();
  return images;
}

const files = (file: string) => fs.readdirSync(path.dirname(file)).sort();

const t = suite('FileStorage durability, corruption and locking');

t.after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

t('journal replay after a crash: every finished trial is back, the stale lock is taken over', async () => {
  const file = path.join(tempDir(), 's.json');
  const st = await populated(file);
  assert.not.match(fs.readFileSync(file, 'utf8'), '"trials"', 'no checkpoint yet: everything is in the journal');
  const copy = crashImage(file);
  await st.close();
  const again = await FileStorage.open(copy);
  const trials = await again.getTrials('s');
  assert.equal(
    trials.map((x) => x.state),
    ['complete', 'complete', 'complete', 'running', 'waiting'],
  );
  assert.equal(
    trials.map((x) => x.value),
    [0, 0.1, 0.2, undefined, undefined],
  );
  assert.equal((JSON.parse(fs.readFileSync(`${copy}.lock`, 'utf8')) as { pid: number }).pid, process.pid);
  assert.is((await again.createTrial('s', { state: 'running', params: {} })).number, 5);
  await again.close();
});

t('a torn final journal line is ignored and cut off', async () => {
  const file = path.join(tempDir(), 's.json');
  const [copy, copy2] = await flushedCrashImages(file);
  const whole = fs.statSync(`${copy}.wal`).size;
  fs.appendFileSync(`${copy}.wal`, '{"seq":999,"op":"finishTrial","study":"s","num');
  const ro = await FileStorage.openReadOnly(copy);
  assert.is((await ro.getTrials('s')).length, 5);
  assert.ok(fs.statSync(`${copy}.wal`).size > whole, 'read-only open writes nothing, not even the cut');
  const again = await FileStorage.open(copy);
  assert.is((await again.getTrials('s')).length, 5);
  assert.equal((await again.getTrial('s', 3))?.intermediate, [
    { step: 1, value: 0.5 },
    { step: 2, value: 0.4 },
  ]);
  assert.is(
    fs.readFileSync(`${copy}.wal`, 'utf8').split('\n').length,
    2,
    'the replayed ops went into the snapshot; a fresh journal (header only) replaces the torn one',
  );
  await again.close();
  // A final line that ends in a newline but is not JSON (e.g. zeros after a power loss) is a torn append too.
  fs.appendFileSync(`${copy2}.wal`, '\0\0\0\0\n');
  const third = await FileStorage.open(copy2);
  assert.is((await third.getTrials('s')).length, 5);
  await third.close();
});

t('a corrupt snapshot is refused, naming `tunekit repair`, and left byte-for-byte untouched', async () => {
  const file = path.join(tempDir(), 's.json');
  await (await populated(file)).close();
  const st = await FileStorage.open(file);
  await st.createTrial('s', { state: 'running', params: {} });
  await st.close();
  const text = fs.readFileSync(file);
  const lines = text.toString('utf8').split('\n');
  const damaged = lines.findIndex((l) => l.includes('"i":1'));
  lines[damaged] = lines[damaged]!.replace('"i":1', '"i":7'); // still parses: only the checksum can tell
  fs.writeFileSync(file, lines.join('\n'));
  const bytes = fs.readFileSync(file);
  const listing = files(file);
  const err = await rejects(FileStorage.open(file), 'ERR_TUNEKIT_STORAGE_CORRUPT');
  assert.instance(err, StorageCorruptError);
  assert.match(err.message, file);
  assert.match(err.message, `tunekit repair ${file}`);
  assert.match(err.message, `line ${damaged + 1}`);
  await rejects(FileStorage.openReadOnly(file), 'ERR_TUNEKIT_STORAGE_CORRUPT');
  assert.equal(fs.readFileSync(file), bytes);
  assert.equal(files(file), listing, 'no lock, journal or temp file was created');
  fs.writeFileSync(file, JSON.stringify({ hello: 1 }));
  assert.match((await rejects(FileStorage.open(file), StorageCorruptError)).message, 'tunekit-storage');
  // Cut in half: the torn tail is what a crash leaves, but the last intact chunk says a writer had it open, and there is
  // no journal: damage, not a crash.
  fs.writeFileSync(file, text.subarray(0, Math.floor(text.length / 2)));
  assert.match((await rejects(FileStorage.open(file), StorageCorruptError)).message, 'journal is missing');
});

t('a bad line in the middle of the journal, or a replay breaking the state machine, is corruption', async () => {
  const file = path.join(tempDir(), 's.json');
  const [copy, copy2] = await flushedCrashImages(file);
  const lines = fs.readFileSync(`${copy}.wal`, 'utf8').split('\n');
  lines[2] = '{"seq": oops';
  fs.writeFileSync(`${copy}.wal`, lines.join('\n'));
  const err = await rejects(FileStorage.open(copy), StorageCorruptError);
  assert.match(err.message, `${copy}.wal`);
  assert.match(err.message, 'line 3');
  assert.not.ok(fs.readFileSync(`${copy}.lock`, 'utf8').includes(`"pid":${process.pid}`), 'the lock was not taken');
  // A well-formed final line that finishes an already complete trial cannot be a torn append: it is refused too.
  const last = (JSON.parse(fs.readFileSync(`${copy2}.wal`, 'utf8').trim().split('\n').pop()!) as { seq: number }).seq;
  const bad = { seq: last + 1, op: 'finishTrial', study: 's', number: 0, at: new Date().toISOString(), result: { state: 'failed' } };
  fs.appendFileSync(`${copy2}.wal`, frame(JSON.stringify(bad)) + '\n');
  assert.match((await rejects(FileStorage.open(copy2), StorageCorruptError)).message, 'cannot be replayed');
});

t('lock: a second open in the same process is refused', async () => {
  const file = path.join(tempDir(), 's.json');
  const st = await FileStorage.open(file);
  const err = await rejects(FileStorage.open(file), StorageLockedError);
  assert.match(err.message, String(process.pid));
  await st.close();
  const again = await FileStorage.open(file);
  await again.close();
});

t('lock: a live foreign process is refused; once it is dead its lock is taken over', async () => {
  const file = path.join(tempDir(), 's.json');
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
    writeLock(file, child.pid!);
    assert.match((await rejects(FileStorage.open(file), StorageLockedError)).message, String(child.pid));
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  const st = await FileStorage.open(file);
  assert.is((JSON.parse(fs.readFileSync(`${file}.lock`, 'utf8')) as { pid: number }).pid, process.pid);
  await st.close();
  fs.writeFileSync(`${file}.lock`, '');
  const fromEmpty = await FileStorage.open(file);
  await fromEmpty.close();
  assert.not.ok(fs.existsSync(`${file}.lock`));
});

t('lock: a lock from another host is refused with the manual fix, never taken over', async () => {
  const file = path.join(tempDir(), 's.json');
  const foreign = JSON.stringify({ pid: 12345, host: `not-${os.hostname()}`, started: new Date().toISOString() }) + '\n';
  fs.writeFileSync(`${file}.lock`, foreign);
  const err = await rejects(FileStorage.open(file), StorageLockedError);
  assert.match(err.message, `delete ${file}.lock`);
  assert.not.match(err.message, 'taken over automatically');
  assert.is(fs.readFileSync(`${file}.lock`, 'utf8'), foreign);
});

t('read-only open works while a writer holds the lock, and refuses writes', async () => {
  const file = path.join(tempDir(), 's.json');
  const st = await populated(file);
  const lock = fs.readFileSync(`${file}.lock`, 'utf8');
  const ro = await FileStorage.openReadOnly(file);
  assert.ok(ro.readOnly);
  assert.equal(
    (await ro.getTrials('s', ['complete'])).map((x) => x.number),
    [0, 1, 2],
  );
  await rejects(ro.createTrial('s', { state: 'running', params: {} }), 'ERR_TUNEKIT_STORAGE_READONLY');
  await ro.close();
  assert.is(fs.readFileSync(`${file}.lock`, 'utf8'), lock);
  await st.close();
});

t('buffered reports reach the disk within flushIntervalMs', async () => {
  const file = path.join(tempDir(), 's.json');
  const st = await FileStorage.open(file, { flushIntervalMs: 50 });
  await st.createStudy(studyRecord('s'));
  const r = await st.createTrial('s', { state: 'running', params: {} });
  for (let step = 1; step <= 3; step++) await st.reportIntermediate('s', r.number, step, step / 10);
  crashImage(file); // taken within the interval: the reports may or may not be there, both are allowed
  await new Promise((resolve) => setTimeout(resolve, 150));
  const copy = crashImage(file);
  await st.close();
  const again = await FileStorage.open(copy);
  assert.equal(
    (await again.getTrial('s', r.number))?.intermediate.map((x) => x.value),
    [0.1, 0.2, 0.3],
  );
  await again.close();
});

t('markStarted is buffered: on disk with the next durable write; replayed, it obeys the state machine', async () => {
  const file = path.join(tempDir(), 's.json');
  const st = await FileStorage.open(file, { flushIntervalMs: 60_000 });
  await st.createStudy(studyRecord('s'));
  const r = await st.createTrial('s', { state: 'running', params: {} });
  await new Promise((resolve) => setTimeout(resolve, 15));
  const marked = await st.markStarted('s', r.number);
  assert.not.match(fs.readFileSync(`${file}.wal`, 'utf8'), '"markStarted"', 'buffered, not written on its own');
  await st.createTrial('s', { state: 'waiting', params: {} }); // durable: writes the buffered lines first
  const copy = crashImage(file);
  await st.close();
  const again = await FileStorage.open(copy);
  const got = await again.getTrial('s', r.number);
  assert.equal([got?.state, got?.created, got?.started], ['running', r.created, marked.started]);
  assert.ok(got!.started! > got!.created);
  await again.reportIntermediate('s', r.number, 0, 0.5);
  await again.flush();
  const copy2 = crashImage(copy);
  await again.close();
  // A well-formed markStarted after the trial reported cannot come from a live storage: the replay refuses it.
  const last = (JSON.parse(fs.readFileSync(`${copy2}.wal`, 'utf8').trim().split('\n').pop()!) as { seq: number }).seq;
  const bad = { seq: last + 1, op: 'markStarted', study: 's', number: r.number, at: new Date().toISOString() };
  fs.appendFileSync(`${copy2}.wal`, frame(JSON.stringify(bad)) + '\n');
  const err = await rejects(FileStorage.open(copy2), StorageCorruptError);
  assert.match(err.message, 'cannot be replayed');
  assert.match(err.message, 'reported nothing');
});

t('checkpoint: past journalLimitBytes a chunk is appended (earlier bytes never rewritten), the journal replaced', async () => {
  const file = path.join(tempDir(), 's.json');
  const st = await populated(file, { journalLimitBytes: 1500 });
  const early = fs.readFileSync(file);
  for (let i = 0; i < 10; i++) {
    const x = await st.createTrial('s', { state: 'running', params: { more: i } });
    await st.finishTrial('s', x.number, { state: 'complete', value: i });
  }
  await st.flush();
  const snap = fs.readFileSync(file);
  assert.ok(snap.length > early.length && snap.subarray(0, early.length).equals(early), 'the snapshot only grew at its end');
  const chunks = snap
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { format?: string; version?: number; seq?: number; trials?: { s: { number: number }[] } });
  assert.equal([chunks[0]!.format, chunks[0]!.version], ['tunekit-storage', 2]);
  const stored = chunks.flatMap((c) => c.trials?.s.map((x) => x.number) ?? []);
  assert.ok(stored.filter((n) => n < 3).length <= 3, `finished trials are written once: ${stored.join(',')}`);
  assert.ok(chunks[chunks.length - 1]!.seq! > 0);
  const written = fs.readFileSync(`${file}.wal`, 'utf8').split('\n').filter(Boolean);
  assert.ok(written.length < 20 + 3, `journal holds ${written.length} lines, the study needed more ops`);
  const copy = crashImage(file);
  const before = await st.getTrials('s');
  await st.close();
  assert.not.ok(fs.existsSync(`${file}.wal`), 'close removes the journal after its final checkpoint');
  for (const f of [file, copy]) {
    const again = await FileStorage.open(f);
    assert.equal(await again.getTrials('s'), before);
    await again.close();
  }
});

t('fsync: false still writes every durable op before it resolves', async () => {
  const file = path.join(tempDir(), 's.json');
  const st = await populated(file, { fsync: false });
  const copy = crashImage(file);
  await st.close();
  const again = await FileStorage.open(copy);
  assert.equal(
    (await again.getTrials('s')).map((x) => x.state),
    ['complete', 'complete', 'complete', 'running', 'waiting'],
  );
  await again.close();
});

t('options are validated', async () => {
  const file = path.join(tempDir(), 's.json');
  await rejects(FileStorage.open(file, { flushIntervalMs: -1 }), 'ERR_TUNEKIT_OPTIONS');
  await rejects(FileStorage.open(file, { flushInterval: 5 } as never), 'ERR_TUNEKIT_OPTIONS');
  await rejects(FileStorage.open(file, { fsync: 'yes' } as never), 'ERR_TUNEKIT_OPTIONS');
  assert.not.ok(fs.existsSync(`${file}.lock`));
});

t.run();
