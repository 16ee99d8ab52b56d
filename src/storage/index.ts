/**
 * Storage entry point: pick a backend from a user-facing spec. Called by the study controller (and the CLI) when a study is
 * created or loaded.
 */
import type { Storage } from './types.js';
import { InMemoryStorage } from './memory.js';
import { FileStorage } from './lowdb.js';
import { OptionsError } from '../core/errors.js';

export type { NewTrial, Storage } from './types.js';
export { InMemoryStorage } from './memory.js';
export { FileStorage, type FileStorageOptions } from './lowdb.js';

/**
 * `undefined` -> a new {@link InMemoryStorage}; a string -> `FileStorage.open(path)` with default options (locked,
 * 1 s report flush); an object -> used as is (any {@link Storage} implementation, e.g. an already opened FileStorage).
 * The caller owns the result and must `close()` it (for a file storage that writes the final snapshot and frees the lock).
 */
export async function openStorage(spec?: string | Storage): Promise<Storage> {
  if (spec === undefined) return new InMemoryStorage();
  if (typeof spec === 'string') {
    if (spec.length === 0) throw new OptionsError('storage must be a file path, a Storage object or undefined, got an empty string');
    return FileStorage.open(spec);
  }
  if (spec !== null && typeof spec === 'object' && typeof (spec as Partial<Storage>).createTrial === 'function') return spec;
  throw new OptionsError(
    `storage must be a file path, a Storage object (with createTrial, finishTrial, ...) or undefined, got ${spec === null ? 'null' : typeof spec}`,
  );
}
