/**
 * Issue items 5, 6 and 11: a crash's traces are accepted silently, damage is refused with an error naming `tunekit repair`,
 * the repair rebuilds what is intact and says what is lost, and file system errors become tunekit errors naming the file.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileStorage } from '../../src/storage/lowdb.js';
import { repairStorage } from '../../src/storage/repair.js';
import { repairCommand } from '../../src/cli/repair.js';
import { StorageCorruptError } from '../../src/core/errors.js';
import { frame } from '../../src/storage/codec.js';
import { rejects, studyRecord } from './contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-damage-'));
  dirs.push(dir);
  return dir;
}
const dead = spawnSync('true').pid!;

/** Copies every file of the storage as it is on disk now, with a lock naming a dead process: what a crash leaves. */
function crashImage(file: string): string {
  const dir = tempDir();
  for (const name of fs.readdirSync(path.dirname(file))) fs.copyFileSync(path.join(path.dirname(file), name), path.join(dir, name));
  const copy = path.join(dir, path.basename(file));
  fs.writeFileSync(`${copy}.lock`, JSON.stringify({ pid: dead, host: os.hostname(), started: new Date().toISOString() }));
  return copy;
}

/**
 * A study whose writer "died" after `finished` finished trials with 3 reports each; the journal limit is small so some
 * checkpoints happened: part of the trials are in snapshot chunks, the last ones only in the journal.
 */
async function crashed(finished: number, limit = 4000): Promise<{ copy: string; journalOnly: number }> {
  const file = path.join(tempDir(), 's.json');
  const st = await FileStorage.open(file, { journalLimitBytes: limit });
  await st.createStudy(studyRecord('s'));
  for (let i = 0; i < finished; i++) {
    const t = await st.createTrial('s', { state: 'running', params: { i } });
    for (let step = 1; step <= 3; step++) await st.reportIntermediate('s', t.number, step, i + step / 10);
    await st.finishTrial('s', t.number, { state: 'complete', value: i });
  }
  await st.flush();
  const copy = crashImage(file);
  await st.close();
  const journalOnly = fs
    .readFileSync(`${copy}.wal`, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"op":"finishTrial"')).length;
  return { copy, journalOnly };
}

const finishedCount = async (file: string): Promise<number> => {
  const ro = await FileStorage.openReadOnly(file);
  try {
    return (await ro.getTrials('s', ['complete'])).length;
  } finally {
    await ro.close();
  }
};

const t = suite('crash or damage (issue items 5, 6)');
t.after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

t('a torn final record is accepted silently: a partial line, a NUL-filled tail, or both', async () => {
  const { copy } = await crashed(12);
  const wal = fs.readFileSync(`${copy}.wal`);
  for (const tail of [
    '{"c":"0badc0de","seq":999,"op":"fin',
    '\0'.repeat(4096),
    '{"c":"0badc0de","seq":999' + '\0'.repeat(3000),
    '\0'.repeat(100) + '\n',
  ]) {
    fs.writeFileSync(`${copy}.wal`, Buffer.concat([wal, Buffer.from(tail)]));
    assert.is(await finishedCount(copy), 12, JSON.stringify(tail.slice(0, 30)));
  }
  const st = await FileStorage.open(copy);
  assert.is((await st.getTrials('s', ['complete'])).length, 12);
  await st.close();
});

t('a snapshot chunk torn by a crash mid-checkpoint (partial, NUL-filled) is ignored; the journal still covers it', async () => {
  const { copy } = await crashed(12);
  const snap = fs.readFileSync(copy);
  const lastChunk = snap.toString('utf8').trim().split('\n').pop()!;
  fs.writeFileSync(copy, Buffer.concat([snap, Buffer.from(lastChunk.slice(0, lastChunk.length / 2)), Buffer.alloc(8192)]));
  assert.is(await finishedCount(copy), 12);
  const st = await FileStorage.open(copy);
  assert.is((await st.getTrials('s', ['complete'])).length, 12);
  assert.ok(fs.statSync(copy).size < snap.length + 8192, 'the writer cut the torn tail before appending');
  await st.close();
  assert.is(await finishedCount(copy), 12);
});

t('an emptied or deleted journal next to a snapshot whose writer died is refused, naming tunekit repair', async () => {
  const { copy, journalOnly } = await crashed(20);
  assert.ok(journalOnly > 0, 'the last finished trials are only in the journal');
  for (const damage of ['empty', 'delete'] as const) {
    const c = crashImage(copy);
    if (damage === 'empty') fs.writeFileSync(`${c}.wal`, '');
    else fs.rmSync(`${c}.wal`);
    const lockBefore = fs.readFileSync(`${c}.lock`, 'utf8');
    const err = await rejects(FileStorage.open(c), StorageCorruptError);
    assert.match(err.message, damage === 'empty' ? 'journal is empty' : 'journal is missing');
    assert.match(err.message, `tunekit repair ${c}`);
    assert.is(fs.readFileSync(`${c}.lock`, 'utf8'), lockBefore, 'nothing written, the lock included');
    await rejects(FileStorage.openReadOnly(c), StorageCorruptError);
  }
});

t('a snapshot byte flip that still parses (a timestamp digit) is refused', async () => {
  const { copy } = await crashed(20);
  const text = fs.readFileSync(copy, 'utf8');
  const at = text.indexOf('"finished":"') + '"finished":"20'.length;
  const flipped = text.slice(0, at) + (text[at] === '9' ? '8' : '9') + text.slice(at + 1);
  assert.ok(JSON.parse(flipped.split('\n')[flipped.slice(0, at).split('\n').length - 1]!), 'the damaged line still parses');
  fs.writeFileSync(copy, flipped);
  const err = await rejects(FileStorage.open(copy), StorageCorruptError);
  assert.match(err.message, 'bad checksum');
  assert.match(err.message, 'tunekit repair');
});

t('documented limit: a journal cut exactly at a record boundary reads as a crash and loses the records after the cut', async () => {
  const { copy } = await crashed(20);
  const lines = fs.readFileSync(`${copy}.wal`, 'utf8').split('\n');
  const lastFinish = lines.map((l) => l.includes('"op":"finishTrial"')).lastIndexOf(true);
  fs.writeFileSync(`${copy}.wal`, lines.slice(0, lastFinish).join('\n') + '\n');
  assert.is(await finishedCount(copy), 19, 'opens without a word, one finished trial short');
});

t('repair: a damaged snapshot chunk; the rest (later chunks, the journal) is rebuilt and the loss reported exactly', async () => {
  const { copy } = await crashed(40, 3000);
  const snap = fs.readFileSync(copy, 'utf8').split('\n');
  const victim = snap.findIndex((l, i) => i > 3 && l.includes('"trials"') && !l.includes('"studies"'));
  const lostNumbers = (JSON.parse(snap[victim]!) as { trials: { s: { number: number; state: string }[] } }).trials.s
    .filter((x) => x.state === 'complete')
    .map((x) => x.number);
  snap[victim] = snap[victim]!.replace('"state":"complete"', '"state":"completE"');
  fs.writeFileSync(copy, snap.join('\n'));
  const err = await rejects(FileStorage.open(copy), StorageCorruptError);
  assert.match(err.message, `tunekit repair ${copy}`);

  const before = fs.readFileSync(copy);
  const dry = await repairStorage(copy, { dryRun: true });
  assert.not.ok(dry.healthy);
  assert.equal(fs.readFileSync(copy), before, 'a dry run writes nothing');
  const report = await repairStorage(copy);
  assert.equal(report.studies[0]!.lost, lostNumbers, 'exactly the trials only that chunk held are lost');
  assert.is(report.lost.length, 2, report.lost.join('\n'));
  assert.match(report.lost.join('\n'), `snapshot line ${victim + 1}`);
  assert.ok(fs.existsSync(`${copy}.damaged`));
  const st = await FileStorage.open(copy);
  const trials = await st.getTrials('s');
  assert.is(trials.length, 40);
  assert.is(trials.filter((x) => x.state === 'complete').length, 40 - lostNumbers.length);
  assert.ok(lostNumbers.every((n) => trials[n]!.state === 'failed' && /lost/.test(trials[n]!.reason ?? '')));
  assert.equal(
    trials[39]!.intermediate.map((x) => x.value),
    [39.1, 39.2, 39.3],
    'the journal-only trials are back',
  );
  await st.close();
  assert.ok((await repairStorage(copy)).healthy, 'a second repair finds nothing to do');
});

t("repair replays markStarted by the storage's rules: the re-stamped start is kept, one after a report is skipped", async () => {
  const file = path.join(tempDir(), 's.json');
  const st = await FileStorage.open(file);
  await st.createStudy(studyRecord('s'));
  const r = await st.createTrial('s', { state: 'running', params: {} });
  await new Promise((resolve) => setTimeout(resolve, 15));
  const marked = await st.markStarted('s', r.number);
  await st.reportIntermediate('s', r.number, 0, 0.5);
  await st.flush();
  const copy = crashImage(file);
  await st.close();
  const lines = fs.readFileSync(`${copy}.wal`, 'utf8').trim().split('\n');
  const seq = (JSON.parse(lines[lines.length - 1]!) as { seq: number }).seq;
  const mark = (n: number) =>
    frame(JSON.stringify({ seq: n, op: 'markStarted', study: 's', number: r.number, at: new Date().toISOString() }));
  // A markStarted after the report (no live storage writes one), then a damaged record with an intact one after it.
  lines.push(mark(seq + 1), '{"c":"0badc0de","seq":' + String(seq + 2) + '}', mark(seq + 3));
  fs.writeFileSync(`${copy}.wal`, lines.join('\n') + '\n');
  await rejects(FileStorage.open(copy), StorageCorruptError);
  const report = await repairStorage(copy);
  assert.not.ok(report.healthy);
  const again = await FileStorage.open(copy);
  const got = await again.getTrial('s', r.number);
  assert.equal([got?.state, got?.started, got?.intermediate], ['running', marked.started, [{ step: 0, value: 0.5 }]]);
  await again.close();
});

t('repair: a deleted journal (single-run directory, no .bak): the snapshot part is kept, the unknown loss said', async () => {
  const { copy, journalOnly } = await crashed(20);
  const dir = path.dirname(copy);
  fs.renameSync(copy, path.join(dir, 'study.json'));
  fs.renameSync(`${copy}.lock`, path.join(dir, 'study.json.lock'));
  fs.rmSync(`${copy}.wal`);
  const lines: string[] = [];
  const code = await repairCommand({ storage: dir }, (l) => lines.push(l));
  assert.is(code, 2, lines.join('\n'));
  assert.match(lines.join('\n'), 'study.json.wal is missing although');
  assert.is(await finishedCount(path.join(dir, 'study.json')), 20 - journalOnly);
  const again: string[] = [];
  assert.is(await repairCommand({ storage: dir }, (l) => again.push(l)), 0);
  assert.match(again.join('\n'), 'no damage found');
});

t('repair of a version-1 storage: the .bak plus the journal, where copying .bak over the snapshot failed', async () => {
  const dir = tempDir();
  const file = path.join(dir, 's.json');
  const trial = (n: number, state: string) => ({
    number: n,
    state,
    params: { n },
    intermediate: [],
    userAttrs: {},
    system: {},
    created: 't',
    started: 't',
    ...(state === 'complete' ? { value: n, finished: 't' } : {}),
  });
  const doc = (seq: number, n: number) =>
    JSON.stringify({
      format: 'tunekit-storage',
      version: 1,
      seq,
      studies: { s: { study: studyRecord('s'), trials: Array.from({ length: n }, (_, i) => trial(i, 'complete')) } },
    });
  fs.writeFileSync(`${file}.bak`, doc(10, 5));
  fs.writeFileSync(file, doc(20, 8).slice(0, 200)); // the current snapshot is damaged
  const ops = [];
  for (let n = 8; n < 12; n++) {
    ops.push({ seq: 13 + 2 * n, op: 'createTrial', study: 's', trial: trial(n, 'running') });
    ops.push({ seq: 14 + 2 * n, op: 'finishTrial', study: 's', number: n, at: 't', result: { state: 'complete', value: n } });
  }
  fs.writeFileSync(`${file}.wal`, ops.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const err = await rejects(FileStorage.open(file), StorageCorruptError);
  assert.match(err.message, 'tunekit repair');
  const report = await repairStorage(file);
  assert.equal(report.studies[0]!.lost, [5, 6, 7], 'trials 5-7 were only in the damaged snapshot');
  const st = await FileStorage.open(file);
  assert.equal(
    (await st.getTrials('s')).map((x) => x.state),
    [...Array<string>(5).fill('complete'), 'failed', 'failed', 'failed', ...Array<string>(4).fill('complete')],
  );
  await st.close();
});

t('a version-1 storage opens as before and is converted by its first writer', async () => {
  const dir = tempDir();
  const file = path.join(dir, 's.json');
  const v1 = {
    format: 'tunekit-storage',
    version: 1,
    seq: 3,
    studies: {
      s: {
        study: studyRecord('s'),
        trials: [
          {
            number: 0,
            state: 'complete',
            params: {},
            value: 'NaN',
            intermediate: [{ step: 1, value: 0.5 }],
            userAttrs: {},
            system: {},
            created: 't',
            started: 't',
            finished: 't',
          },
        ],
      },
    },
  };
  v1.studies.s.trials[0]!.value = 1 as never;
  fs.writeFileSync(file, JSON.stringify(v1));
  fs.writeFileSync(
    `${file}.wal`,
    JSON.stringify({
      seq: 4,
      op: 'createTrial',
      study: 's',
      trial: { number: 1, state: 'waiting', params: { a: 1 }, intermediate: [], userAttrs: {}, system: {}, created: 't' },
    }) + '\n',
  );
  const ro = await FileStorage.openReadOnly(file);
  assert.equal(
    (await ro.getTrials('s')).map((x) => x.state),
    ['complete', 'waiting'],
  );
  const st = await FileStorage.open(file);
  assert.equal((await st.getTrial('s', 0))?.intermediate, [{ step: 1, value: 0.5 }]);
  await st.close();
  assert.match(fs.readFileSync(file, 'utf8').split('\n')[0]!, '"version":2');
  assert.equal(JSON.parse(fs.readFileSync(`${file}.bak`, 'utf8')), v1, 'the version-1 snapshot is kept as .bak');
  assert.equal(
    (await (await FileStorage.openReadOnly(file)).getTrials('s')).map((x) => x.state),
    ['complete', 'waiting'],
  );
});

t.run();
