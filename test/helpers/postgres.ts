/**
 * A real PostgreSQL server for tests (and benches). `TUNEKIT_TEST_PG` (set by `.ci/postgres.sh start` in CI) is used when set;
 * otherwise the first call starts a private throwaway server with the same script and stops it when the process exits, so
 * `npm test` works on a developer machine. There is no skipping: when no server can be started, the call throws with the
 * script's explanation, and the tests that need it fail.
 *
 * Isolation: {@link freshSchema} hands each storage its own schema (cheap), {@link freshDatabase} its own database.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '.ci', 'postgres.sh');

/** A server started by {@link startServer}: its URL, and the means to restart or stop it. */
export interface TestServer {
  readonly url: string;
  readonly dir: string;
  /** `pg_ctl stop -m <mode>` without removing the data; async, so the test's own calls keep running meanwhile. */
  stopOnly(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the stopped server again on the same port. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): void;
}

async function asPostgres(cmd: string, args: string[]): Promise<void> {
  const bin = `${process.env.TUNEKIT_PG_BIN ?? '/usr/lib/postgresql/15/bin'}/${cmd}`;
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  await promisify(execFile)(file, argv);
}

/** Starts a new private server with `.ci/postgres.sh start`; throws with the script's reason when it cannot. */
export function startServer(): TestServer {
  let out: string;
  try {
    out = execFileSync('bash', [SCRIPT, 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    // execFileSync with an encoding: the error's stderr is a string (absent when bash could not be started).
    const stderr = (e as { stderr?: string }).stderr ?? '';
    throw new Error(`the PostgreSQL tests need a server and none could be started (.ci/postgres.sh start):\n${stderr}`);
  }
  const url = /TUNEKIT_TEST_PG=(\S+)/.exec(out)?.[1];
  const dir = /TUNEKIT_TEST_PG_DIR=(\S+)/.exec(out)?.[1];
  if (!url || !dir) throw new Error(`.ci/postgres.sh start printed no URL:\n${out}`);
  const port = new URL(url).port;
  const ctl = (args: string[]) => asPostgres('pg_ctl', ['-D', `${dir}/data`, '-w', ...args]);
  let destroyed = false;
  const server: TestServer = {
    url,
    dir,
    stopOnly: (mode = 'fast') => ctl(['-m', mode, 'stop']),
    start: () =>
      ctl(['-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`, '-l', `${dir}/server.log`, 'start']),
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      try {
        execFileSync('bash', [SCRIPT, 'stop', dir], { stdio: 'ignore' });
      } catch {
        // best effort at exit
      }
    },
  };
  process.on('exit', () => server.destroy());
  // Ctrl-C or a CI timeout: stop the server too, then end as the signal would have.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.destroy();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  return server;
}

let shared: string | undefined;

/** The shared test server's URL (TUNEKIT_TEST_PG, else a private server started once per process). */
export function testServerUrl(): string {
  shared ??= process.env.TUNEKIT_TEST_PG || startServer().url;
  return shared;
}

/** A new, empty schema name on the shared server (the storage creates it on first use). */
export function freshSchema(prefix = 't'): string {
  testServerUrl();
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** `url` with `?schema=` set. */
export function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** Creates a new database on the server of `base` (default: the shared one) and returns its URL. */
export async function freshDatabase(base = testServerUrl()): Promise<string> {
  const name = `tk_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}
