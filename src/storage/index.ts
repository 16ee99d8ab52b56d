/**
 * Storage entry point: pick a backend from a user-facing spec. Called by the study controller (and the CLI) when a study is
 * created or loaded.
 */
import type { Storage } from './types.js';
import { InMemoryStorage } from './memory.js';
import { FileStorage } from './lowdb.js';
import { OptionsError } from '../core/errors.js';
import { isPostgresUrl } from './url.js';
import type { PostgresStorage, PostgresStorageOptions } from './postgres.js';
import type { ArtifactStore } from './artifacts.js';

export type { NewTrial, StartWaitingOptions, Storage, TrialOwner } from './types.js';
export { InMemoryStorage } from './memory.js';
export { FileStorage, type FileStorageOptions } from './lowdb.js';
// Type-only: the PostgreSQL storage and its driver load on first use (openStorage / openPostgresStorage), so file and memory
// users never pay for `pg`.
export type { PostgresStorage, PostgresStorageOptions, PostgresStorageStats } from './postgres.js';
export { redactUrl, isPostgresUrl } from './url.js';
export type { ArtifactStore, PostgresArtifactOptions } from './artifacts.js';
export { keepAlive, newOwner, type KeepAlive, type KeepAliveOptions } from './heartbeat.js';

/** Opens a {@link PostgresStorage} with options (schema, pool size, retry time); `openStorage(url)` uses the defaults. */
export async function openPostgresStorage(url: string, options?: PostgresStorageOptions): Promise<PostgresStorage> {
  const { PostgresStorage: Pg } = await import('./postgres.js');
  return Pg.open(url, options);
}

/** A checkpoint store: a `postgresql://` URL -> rows on that server; anything else -> a directory (local or a shared mount). */
export async function openArtifactStore(spec: string): Promise<ArtifactStore> {
  const { DirectoryArtifactStore, PostgresArtifactStore } = await import('./artifacts.js');
  return isPostgresUrl(spec) ? PostgresArtifactStore.open(spec) : new DirectoryArtifactStore(spec);
}

/**
 * `undefined` -> a new {@link InMemoryStorage}; a `postgresql://` or `postgres://` URL -> `PostgresStorage.open(url)` (shared by
 * any number of processes and machines; `postgresql://` alone reads the PG* environment variables); any other string ->
 * `FileStorage.open(path)` with default options (locked, 1 s report flush); an object -> used as is (any {@link Storage}
 * implementation, e.g. an already opened FileStorage).
 * The caller owns the result and must `close()` it (for a file storage that writes the final snapshot and frees the lock).
 */
export async function openStorage(spec?: string | Storage): Promise<Storage> {
  if (spec === undefined) return new InMemoryStorage();
  if (typeof spec === 'string') {
    if (spec.length === 0) throw new OptionsError('storage must be a file path, a Storage object or undefined, got an empty string');
    return isPostgresUrl(spec) ? openPostgresStorage(spec) : FileStorage.open(spec);
  }
  if (spec !== null && typeof spec === 'object' && typeof (spec as Partial<Storage>).createTrial === 'function') return spec;
  throw new OptionsError(
    `storage must be a file path, a postgresql:// URL, a Storage object (with createTrial, finishTrial, ...) or undefined, got ${spec === null ? 'null' : typeof spec}`,
  );
}
export { repairStorage, type RepairOptions, type RepairReport, type RepairedStudy } from './repair.js';
