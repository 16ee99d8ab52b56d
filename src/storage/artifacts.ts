/**
 * Artifact stores: where checkpoint directories live so that every machine of a multi-machine study can reach them (a trial
 * retried or promoted on another machine continues from the checkpoint its predecessor saved). Two backends:
 *
 * - {@link DirectoryArtifactStore}: a directory, local or a shared mount (NFS, SMB...) mounted at the same path or not on every
 *   machine. A put is copied beside its final place and renamed in, so readers never see half a checkpoint.
 * - {@link PostgresArtifactStore}: the study's PostgreSQL server, files as rows of `bytea` chunks in the tables the storage
 *   creates (postgres-schema.ts); a put is one transaction. Nothing else to mount or share; best for checkpoints up to a few
 *   hundred MB (each chunk passes through memory once).
 *
 * Keys are relative paths such as `mnist-sweep/trial-12`: letters, digits, `.`, `_`, `-` and `/` between non-empty segments.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { type ConnectOptions, openPools, parseUrl, translate, withClient, withRetry, type ParsedUrl } from './postgres-connect.js';
import { migrate, quoteSchema } from './postgres-schema.js';

/** A place to keep checkpoint directories under keys. */
export interface ArtifactStore {
  /** Stores every file under `dir` (recursively; empty directories are not kept) as `key`, replacing an earlier `key` whole. */
  put(key: string, dir: string): Promise<void>;
  /** Writes the files of `key` into `destDir` (created if missing); resolves false, writing nothing, if `key` is not stored. */
  get(key: string, destDir: string): Promise<boolean>;
  /** Whether `key` is stored (completely: a put in progress is not visible). */
  has(key: string): Promise<boolean>;
  /** Removes `key`; resolves false if it was not stored. */
  delete(key: string): Promise<boolean>;
  /** Releases connections; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** Throws a TypeError unless `key` is a safe relative path (no `..`, no absolute path, no empty segment). */
export function checkKey(key: unknown): asserts key is string {
  if (
    typeof key !== 'string' ||
    !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) ||
    key.split('/').some((p) => p === '.' || p === '..')
  ) {
    throw new TypeError(
      `an artifact key must be a relative path of letters, digits, ".", "_", "-" joined by "/" (no "." or ".." segment), got ${JSON.stringify(key)}`,
    );
  }
}

/** Relative paths (with `/`) of the files under `dir`, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(dir);
  } catch {
    throw new TypeError(`artifact source ${dir} does not exist; pass the checkpoint directory to store`);
  }
  if (!stat.isDirectory()) throw new TypeError(`artifact source ${dir} is not a directory; pass the checkpoint directory to store`);
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await fs.promises.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

/** Checkpoints in a directory tree: `<root>/<key>/...`. See the file comment. */
export class DirectoryArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  async put(key: string, dir: string): Promise<void> {
    checkKey(key);
    await listFiles(dir);
    const final = path.join(this.root, key);
    await fs.promises.mkdir(path.dirname(final), { recursive: true });
    // Copy next to the final place (same file system), then swap it in with renames: readers see the old or the new, whole.
    const tmp = `${final}.tmp-${randomUUID()}`;
    await fs.promises.cp(dir, tmp, { recursive: true });
    const old = `${final}.old-${randomUUID()}`;
    const hadOld = await fs.promises.rename(final, old).then(
      () => true,
      () => false,
    );
    await fs.promises.rename(tmp, final);
    if (hadOld) await fs.promises.rm(old, { recursive: true, force: true });
  }

  async get(key: string, destDir: string): Promise<boolean> {
    checkKey(key);
    const src = path.join(this.root, key);
    if (!(await this.has(key))) return false;
    await fs.promises.mkdir(destDir, { recursive: true });
    await fs.promises.cp(src, destDir, { recursive: true });
    return true;
  }

  async has(key: string): Promise<boolean> {
    checkKey(key);
    return fs.promises.stat(path.join(this.root, key)).then(
      (s) => s.isDirectory(),
      () => false,
    );
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    const gone = `${path.join(this.root, key)}.old-${randomUUID()}`;
    if (
      !(await fs.promises.rename(path.join(this.root, key), gone).then(
        () => true,
        () => false,
      ))
    )
      return false;
    await fs.promises.rm(gone, { recursive: true, force: true });
    return true;
  }

  async close(): Promise<void> {}
}

/** Options of {@link PostgresArtifactStore.open}. */
export interface PostgresArtifactOptions extends ConnectOptions {
  /** Schema of the tunekit tables (default: the URL's `schema` parameter, else `public`). */
  readonly schema?: string;
  /** Bytes per stored chunk (default 4 MiB). */
  readonly chunkBytes?: number;
}

/** Checkpoints as rows on the study's PostgreSQL server. See the file comment. */
export class PostgresArtifactStore implements ArtifactStore {
  private closed = false;

  private constructor(
    private readonly parsed: ParsedUrl,
    private readonly pool: pg.Pool,
    private readonly S: string,
    private readonly chunkBytes: number,
    private readonly retryMs: number,
  ) {
    pool.on('error', () => undefined);
  }

  /** Connects and creates the tables if needed (the same migrations as the storage). */
  static async open(url: string, options: PostgresArtifactOptions = {}): Promise<PostgresArtifactStore> {
    const parsed = parseUrl(url, options.schema);
    const chunk = options.chunkBytes ?? 4 * 1024 * 1024;
    if (!Number.isSafeInteger(chunk) || chunk < 1) throw new TypeError(`chunkBytes must be an integer >= 1, got ${String(chunk)}`);
    const { durable, fast } = openPools(parsed, { ...options, poolSize: options.poolSize ?? 2 });
    await fast.end();
    const store = new PostgresArtifactStore(parsed, durable, quoteSchema(parsed.schema), chunk, options.retryMs ?? 30_000);
    await store
      .run('creating the tunekit tables', async () => {
        await withClient(durable, (client) => migrate(client, parsed.schema, parsed.where));
      })
      .catch(async (e: unknown) => {
        await durable.end();
        throw e;
      });
    return store;
  }

  async put(key: string, dir: string): Promise<void> {
    checkKey(key);
    const files = await listFiles(dir);
    await this.run(`storing artifact ${key}`, async () => {
      await withClient(this.pool, async (client) => {
        try {
          await client.query('BEGIN');
          await client.query(`DELETE FROM ${this.S}.tunekit_artifact_keys WHERE key = $1`, [key]);
          await client.query(`INSERT INTO ${this.S}.tunekit_artifact_keys (key, files, bytes) VALUES ($1, $2, 0)`, [key, files.length]);
          let bytes = 0;
          for (const rel of files) {
            const fh = await fs.promises.open(path.join(dir, rel), 'r');
            try {
              const buf = Buffer.alloc(this.chunkBytes);
              for (let chunk = 0; ; chunk++) {
                const { bytesRead } = await fh.read(buf, 0, buf.length, null);
                // Every file has chunk 0, so an empty file is stored too.
                if (bytesRead === 0 && chunk > 0) break;
                bytes += bytesRead;
                await client.query(`INSERT INTO ${this.S}.tunekit_artifact_chunks (key, path, chunk, data) VALUES ($1, $2, $3, $4)`, [
                  key,
                  rel,
                  chunk,
                  buf.subarray(0, bytesRead),
                ]);
                if (bytesRead < buf.length) break;
              }
            } finally {
              await fh.close();
            }
          }
          await client.query(`UPDATE ${this.S}.tunekit_artifact_keys SET bytes = $2 WHERE key = $1`, [key, bytes]);
          await client.query('COMMIT');
        } catch (e) {
          // withClient drops the connection afterwards: after a failure it may be dead or mid-transaction.
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
      });
    });
  }

  async get(key: string, destDir: string): Promise<boolean> {
    checkKey(key);
    return this.run(`reading artifact ${key}`, async () => {
      return withClient(this.pool, async (client) => {
        try {
          // One snapshot for the whole read, so a concurrent put cannot mix two versions.
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          const files = await client.query<{ path: string; chunks: number }>(
            `SELECT c.path, max(c.chunk) AS chunks FROM ${this.S}.tunekit_artifact_keys k JOIN ${this.S}.tunekit_artifact_chunks c USING (key)
             WHERE k.key = $1 GROUP BY c.path ORDER BY c.path`,
            [key],
          );
          const exists =
            files.rows.length > 0 ||
            (await client.query(`SELECT 1 FROM ${this.S}.tunekit_artifact_keys WHERE key = $1`, [key])).rows.length > 0;
          if (!exists) return false;
          await fs.promises.mkdir(destDir, { recursive: true });
          for (const f of files.rows) {
            const target = path.join(destDir, ...f.path.split('/'));
            await fs.promises.mkdir(path.dirname(target), { recursive: true });
            const fh = await fs.promises.open(target, 'w');
            try {
              for (let chunk = 0; chunk <= f.chunks; chunk++) {
                const { rows } = await client.query<{ data: Buffer }>(
                  `SELECT data FROM ${this.S}.tunekit_artifact_chunks WHERE key = $1 AND path = $2 AND chunk = $3`,
                  [key, f.path, chunk],
                );
                await fh.write(rows[0]!.data);
              }
            } finally {
              await fh.close();
            }
          }
          return true;
        } finally {
          // Read only: ending it with ROLLBACK on every path (an early `return false` included) leaves the pooled client clean.
          await client.query('ROLLBACK').catch(() => undefined);
        }
      });
    });
  }

  async has(key: string): Promise<boolean> {
    checkKey(key);
    const { rows } = await this.run('reading artifacts', () =>
      this.pool.query(`SELECT 1 FROM ${this.S}.tunekit_artifact_keys WHERE key = $1`, [key]),
    );
    return rows.length > 0;
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    const { rows } = await this.run(`deleting artifact ${key}`, () =>
      this.pool.query(`DELETE FROM ${this.S}.tunekit_artifact_keys WHERE key = $1 RETURNING key`, [key]),
    );
    return rows.length > 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }

  private async run<T>(what: string, f: () => Promise<T>): Promise<T> {
    if (this.closed) throw new TypeError(`the PostgreSQL artifact store ${this.parsed.where} was closed, so ${what} cannot run`);
    try {
      return await withRetry(this.retryMs, f);
    } catch (e) {
      throw translate(e, this.parsed, what);
    }
  }
}
