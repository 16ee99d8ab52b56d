/**
 * The lowdb adapter of the file storage's snapshot. Reading checks the top-level shape (the per-study contents are checked
 * when they are loaded into the state machine). Writing is an atomic replace that keeps the previous good copy as `.bak`:
 *
 *   1. write `<file>.tmp` and fsync it;
 *   2. hard-link the current file to `<file>.bak.tmp`, rename that over `<file>.bak` (so `.bak` is replaced atomically too);
 *   3. rename `<file>.tmp` over `<file>`;
 *   4. fsync the directory so the renames survive a power loss.
 *
 * A crash at any point leaves `<file>` either the old or the new complete snapshot, never a torn one.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import { StorageCorruptError } from '../core/errors.js';
import { checkIndex, checkObject, describe } from './codec.js';

/** The snapshot document (see the format comment in `lowdb.ts`). Study contents stay `unknown` until loaded and checked. */
export interface SnapshotDoc {
  format: 'tunekit-storage';
  version: 1;
  /** Sequence number of the last journal op included; journal lines with seq <= this are already applied. */
  seq: number;
  studies: { [name: string]: unknown };
}

/** A fresh document for a storage that has no snapshot yet. */
export function emptySnapshot(): SnapshotDoc {
  return { format: 'tunekit-storage', version: 1, seq: 0, studies: {} };
}

/** `<file>.bak` if it exists (named in corruption errors as the copy to restore), else undefined. */
export function backupOf(file: string): string | undefined {
  const bak = `${file}.bak`;
  return fs.existsSync(bak) ? bak : undefined;
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

/** lowdb adapter for one snapshot file; `read` returns null for a missing file (a new storage). */
export class SnapshotAdapter implements Adapter<SnapshotDoc> {
  constructor(readonly file: string) {}

  async read(): Promise<SnapshotDoc | null> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw this.corrupt(`the snapshot is not valid JSON: ${(e as Error).message}`);
    }
    return this.check(doc);
  }

  async write(doc: SnapshotDoc): Promise<void> {
    const text = JSON.stringify(doc);
    const tmp = `${this.file}.tmp`;
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    const bak = `${this.file}.bak`;
    const bakTmp = `${bak}.tmp`;
    await fsp.rm(bakTmp, { force: true }); // left by a crash between link and rename
    try {
      await fsp.link(this.file, bakTmp);
      await fsp.rename(bakTmp, bak);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // ENOENT: first snapshot, nothing to keep
    }
    await fsp.rename(tmp, this.file);
    fsyncDir(path.dirname(this.file));
  }

  private check(doc: unknown): SnapshotDoc {
    let o: { readonly [key: string]: unknown };
    try {
      o = checkObject(doc, 'the snapshot');
    } catch (e) {
      throw this.corrupt((e as Error).message);
    }
    if (o.format !== 'tunekit-storage') {
      throw this.corrupt(`"format" must be "tunekit-storage", got ${describe(o.format)}: this is not a tunekit storage file`);
    }
    if (o.version !== 1) {
      const newer = typeof o.version === 'number' && o.version > 1;
      throw this.corrupt(
        newer
          ? `format version ${o.version} is newer than this tunekit supports (1); upgrade tunekit to read it`
          : `"version" must be 1, got ${describe(o.version)}`,
      );
    }
    try {
      checkIndex(o.seq, 'seq');
      checkObject(o.studies, 'studies');
    } catch (e) {
      throw this.corrupt((e as Error).message);
    }
    return o as unknown as SnapshotDoc;
  }

  private corrupt(detail: string): StorageCorruptError {
    return new StorageCorruptError(this.file, detail, backupOf(this.file));
  }
}
