/**
 * Issue item 11 (storage part): file system errors are tunekit errors naming the file and the fix, never a raw errno; nothing
 * stored is lost or overwritten and no *.tmp file is left behind. EACCES and ENOSPC are injected (the tests may run as root,
 * and no small file system is at hand) by wrapping the `fs` functions the storage calls.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileStorage } from '../../src/storage/lowdb.js';
import { TunekitError } from '../../src/core/errors.js';
import { rejects, studyRecord } from './contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-errno-'));
  dirs.push(dir);
  return dir;
}

type Patchable = { [K in 'openSync' | 'writeSync']: (...args: unknown[]) => unknown };
/** Replaces fs[name] while `body` runs. */
async function patched<T>(
  name: keyof Patchable,
  wrap: (orig: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown,
  body: () => Promise<T>,
): Promise<T> {
  const target = fs as unknown as Patchable;
  const orig = target[name];
  target[name] = wrap(orig.bind(fs));
  try {
    return await body();
  } finally {
    target[name] = orig;
  }
}
const errno = (code: string, p: string) => Object.assign(new Error(`${code}: injected, '${p}'`), { code });

function assertIoError(err: Error, file: string, fix: RegExp): void {
  assert.instance(err, TunekitError);
  assert.is((err as TunekitError).code, 'ERR_TUNEKIT_STORAGE_IO');
  assert.match(err.message, file);
  assert.match(err.message, fix);
  assert.not.match(err.message, /\n\s+at /, 'no stack trace in the message');
}

const tmpFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

async function stored(file: string, n: number): Promise<FileStorage> {
  const st = await FileStorage.open(file);
  await st.createStudy(studyRecord('s'));
  for (let i = 0; i < n; i++) {
    const t = await st.createTrial('s', { state: 'running', params: { i } });
    await st.finishTrial('s', t.number, { state: 'complete', value: i });
  }
  return st;
}

const t = suite('storage errno errors (issue item 11)');
t.after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

t('the storage file, its journal or its lock being a directory: EISDIR named, nothing created', async () => {
  for (const which of ['', '.wal', '.lock']) {
    const dir = tempDir();
    const file = path.join(dir, 's.json');
    fs.mkdirSync(file + which);
    const err = await rejects(FileStorage.open(file), TunekitError);
    assertIoError(err, file + which, /is a directory, not a file/);
    assert.equal(fs.readdirSync(dir), [path.basename(file + which)], 'nothing else was created');
  }
});

t('a read-only directory (EACCES) is named with the fix; an existing study is left as it was', async () => {
  const dir = tempDir();
  const file = path.join(dir, 's.json');
  await (await stored(file, 3)).close();
  const before = fs.readFileSync(file);
  const err = await patched(
    'openSync',
    (orig) =>
      (p, flags, ...rest) => {
        if (String(p).startsWith(dir) && flags !== 'r' && flags !== undefined) throw errno('EACCES', String(p));
        return orig(p, flags, ...rest);
      },
    () => rejects(FileStorage.open(file), TunekitError),
  );
  assertIoError(err, `${file}.lock`, /permission denied: make .* writable/);
  assert.equal(fs.readFileSync(file), before);
  assert.equal(tmpFiles(dir), []);
  const again = await FileStorage.open(file);
  assert.is((await again.getTrials('s')).length, 3);
  await again.close();
});

t('disk full (ENOSPC) on a journal write and on a checkpoint: a tunekit error, acknowledged trials kept, no *.tmp left', async () => {
  for (const when of ['journal', 'checkpoint'] as const) {
    const dir = tempDir();
    const file = path.join(dir, 's.json');
    const st = await stored(file, 5);
    let failWrites = false;
    const err = await patched(
      'writeSync',
      (orig) =>
        (fd, ...rest) => {
          if (failWrites) throw errno('ENOSPC', 'write');
          return orig(fd, ...rest);
        },
      async () => {
        if (when === 'journal') {
          const x = await st.createTrial('s', { state: 'running', params: {} });
          failWrites = true;
          return rejects(st.finishTrial('s', x.number, { state: 'complete', value: 9 }), TunekitError);
        }
        failWrites = true;
        return rejects(st.close(), TunekitError);
      },
    );
    assertIoError(err, file, /disk .* is full: free some space/);
    if (when === 'journal') await st.close().catch(() => undefined);
    assert.equal(tmpFiles(dir), [], `${when}: no temp file left`);
    fs.rmSync(`${file}.lock`, { force: true }); // the failed close could not release it cleanly in every case
    const again = await FileStorage.open(file);
    assert.equal(
      (await again.getTrials('s', ['complete'])).map((x) => x.value),
      [0, 1, 2, 3, 4],
      `${when}: every acknowledged trial is there`,
    );
    await again.close();
  }
});

t.run();
