/**
 * Connecting to PostgreSQL for the storage: the URL (with tunekit's own `schema` parameter), password redaction, the two pools,
 * retries with backoff across dropped connections and server restarts, and the translation of driver errors into tunekit errors
 * that name the server (password removed) and say what to fix. Nothing here knows about trials.
 */
import pg from 'pg';
import { StorageUnavailableError, TunekitError } from '../core/errors.js';
import { redactUrl } from './url.js';

export { redactUrl, isPostgresUrl } from './url.js';

/** What {@link parseUrl} gives: the driver's connection string (tunekit's parameters removed), the schema, secrets to scrub. */
export interface ParsedUrl {
  readonly connectionString: string | undefined;
  readonly schema: string;
  readonly where: string;
  readonly secrets: readonly string[];
}

/**
 * Splits tunekit's `schema` parameter off the URL. `postgresql://` alone (no host, user or database) leaves everything to the
 * PG* environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), as libpq does.
 */
export function parseUrl(url: string, schemaOption: string | undefined): ParsedUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`storage ${redactUrl(url)} is not a valid URL; expected postgresql://user:password@host:5432/database`);
  }
  const schema = schemaOption ?? u.searchParams.get('schema') ?? 'public';
  u.searchParams.delete('schema');
  const secrets = [decodeURIComponent(u.password), u.searchParams.get('password') ?? '', process.env.PGPASSWORD ?? ''].filter(
    (s) => s.length >= 3,
  );
  const bare = u.host === '' && u.pathname.replace(/\//g, '') === '' && [...u.searchParams.keys()].length === 0;
  const where = bare
    ? `postgresql://${process.env.PGUSER ?? ''}@${process.env.PGHOST ?? 'localhost'}:${process.env.PGPORT ?? '5432'}/${process.env.PGDATABASE ?? ''} (from PG* variables)`
    : redactUrl(u.toString());
  return {
    connectionString: bare ? undefined : u.toString(),
    schema,
    where: schema === 'public' ? where : `${where} (schema ${schema})`,
    secrets,
  };
}

/** Options of the storage's connections. */
export interface ConnectOptions {
  /** Connections per pool (there are two pools, see {@link openPools}); default 4. */
  readonly poolSize?: number;
  /** How long a call keeps retrying a lost server before it rejects with StorageUnavailableError (default 30,000 ms). */
  readonly retryMs?: number;
}

/**
 * Two pools on the same server: `durable` commits wait for the WAL flush (finished trials, waiting trials, studies), `fast`
 * connections run with `synchronous_commit = off` for what the Storage contract allows to be lost on a server crash (reports,
 * running-trial creation, heartbeats): a server crash loses at most ~0.6 s of those, and a later durable commit flushes
 * everything before it, so a finished trial never outlives its creation or reports.
 */
export function openPools(parsed: ParsedUrl, options: ConnectOptions): { durable: pg.Pool; fast: pg.Pool } {
  const base: pg.PoolConfig = {
    ...(parsed.connectionString !== undefined ? { connectionString: parsed.connectionString } : {}),
    max: options.poolSize ?? 4,
    application_name: 'tunekit',
    connectionTimeoutMillis: 10_000,
  };
  return { durable: new pg.Pool(base), fast: new pg.Pool({ ...base, options: '-c synchronous_commit=off' }) };
}

const RETRY_CODES = new Set(['08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '40001', '40P01', '53300']);
const RETRY_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** A lost connection, a server starting or shutting down, a serialization failure or deadlock: worth trying again. */
export function isRetryable(e: unknown): boolean {
  if (e instanceof TunekitError) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (RETRY_CODES.has(code) || RETRY_ERRNO.has(code))) return true;
  const msg = e instanceof Error ? e.message : '';
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Connection ended/i.test(msg);
}

/** Removes every secret from a message. */
function scrub(msg: string, secrets: readonly string[]): string {
  let out = msg;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

/** A driver error as a tunekit error naming the server and the fix; tunekit errors pass through. Never the raw error. */
export function translate(e: unknown, parsed: ParsedUrl, what: string): Error {
  if (e instanceof TunekitError || e instanceof TypeError) return e as Error;
  // pg's SQLSTATE and Node's system error codes are strings; anything else is no code.
  const rawCode = (e as { code?: unknown }).code;
  const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? String(rawCode) : '';
  const msg = scrub(e instanceof Error ? e.message : String(e), parsed.secrets);
  const w = parsed.where;
  switch (code) {
    case '28P01':
    case '28000':
      return new StorageUnavailableError(
        w,
        `the server refused the login (${msg})`,
        'check the user and password in the URL, PGPASSWORD or ~/.pgpass',
      );
    case '3D000':
      return new StorageUnavailableError(
        w,
        `the database does not exist (${msg})`,
        'create it first (createdb NAME) or fix the database name in the URL',
      );
    case '42501':
      return new StorageUnavailableError(
        w,
        `permission denied while ${what} (${msg})`,
        'grant the role CREATE and USAGE on the schema, or use the role that owns the tunekit tables',
      );
    case 'ECONNREFUSED':
      return new StorageUnavailableError(
        w,
        'nothing accepts connections at that host and port',
        'start PostgreSQL there, or fix the host and port in the URL',
      );
    case 'ENOTFOUND':
      return new StorageUnavailableError(w, 'the host name does not resolve', 'fix the host in the URL');
  }
  if (isRetryable(e)) {
    return new StorageUnavailableError(
      w,
      `the server stayed unreachable while ${what} (${msg})`,
      'check that PostgreSQL is running and reachable from this machine',
    );
  }
  return new StorageUnavailableError(
    w,
    `PostgreSQL failed while ${what}: ${msg}${code ? ` (SQLSTATE ${code})` : ''}`,
    'see the PostgreSQL server log for details',
  );
}

/**
 * Runs `attempt` until it succeeds, retrying retryable errors with exponential backoff (50 ms doubling to 2 s, with jitter)
 * for up to `retryMs`. `attempt` receives whether an earlier attempt failed after it may have reached the server, so it can
 * first check whether that attempt committed.
 */
export async function withRetry<T>(retryMs: number, attempt: (retry: boolean) => Promise<T>): Promise<T> {
  const deadline = Date.now() + retryMs;
  let delay = 50;
  for (let retry = false; ; retry = true) {
    try {
      return await attempt(retry);
    } catch (e) {
      const left = deadline - Date.now();
      if (!isRetryable(e) || left <= 0) throw e;
      // The last wait is cut to the deadline, so the final attempt happens at retryMs, not up to one backoff step earlier.
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, delay * (0.75 + Math.random() / 2))));
      delay = Math.min(delay * 2, 2000);
    }
  }
}

/**
 * Runs `work` on one pooled connection and gives it back. pg-pool listens for errors only on idle connections, so a connection
 * lost while checked out (a server restart in the middle of a transaction, or between its statements) would be an unhandled
 * 'error' event that kills the process: the many-machines fault test saw a worker die that way. Here the loss is only noted:
 * the statement in flight, or the next one, rejects with a retryable error, and the dead connection is dropped, not pooled.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } catch (e) {
    broken = true;
    throw e;
  } finally {
    client.removeListener('error', onError);
    // `true` removes the connection from the pool: after a failure it may be mid-transaction or dead.
    client.release(broken);
  }
}
