/**
 * PostgresStorage: the Storage contract on a PostgreSQL server, for studies shared by any number of processes and machines.
 * `createStudy({ storage: 'postgresql://user:pass@host:5432/db' })` opens one (see `openStorage`); `?schema=NAME` keeps the
 * tables in another schema; `postgresql://` alone takes everything from the PG* environment variables.
 *
 * - Tables are created on first use and versioned (postgres-schema.ts), which also explains the concurrency design: a per-study
 *   change counter bumped under the study row's lock orders every change, numbers trials, and makes reads incremental.
 * - Reads are incremental: each study's trials are cached here and a read fetches only rows changed since the last one
 *   (`stats.rowsRead` counts them), so reading a study costs the rows that changed, not the rows stored.
 * - Every state change is one guarded statement (or one server-side function), so it is atomic across processes; a call on a
 *   trial that is no longer running rejects (TrialStateError) and changes nothing (fencing after `failStale`).
 * - Durability follows the contract: study creation, waiting trials, user attributes, `finishTrial` and `failStale` commit
 *   durably before resolving; reports, running-trial creation, `startWaiting`, `markStarted` and heartbeats commit asynchronously.
 * - Dropped connections and server restarts are retried with backoff (`retryMs`); a retried change first checks whether its
 *   earlier attempt committed, so nothing acknowledged is lost and nothing is applied twice.
 * - The password never appears in messages: errors name the server with {@link redactUrl}; all SQL is parameterised.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  StaleTrialError,
  StudyExistsError,
  StudyNotFoundError,
  TrialNotFoundError,
  TrialStateError,
  TunekitError,
} from '../core/errors.js';
import type { JsonValue, Metrics, StudyRecord, TrialRecord, TrialResult, TrialState } from '../core/types.js';
import type { NewTrial, StartWaitingOptions, Storage, TrialOwner, TrialsSince } from './types.js';
import { decodeMetrics, encodeMetrics, encodeNumber, freezeJson, freezeJsonObject } from './codec.js';
import { MARK_STARTED, decodeResult, decodeStudy } from './records.js';
import { type ConnectOptions, type ParsedUrl, openPools, parseUrl, translate, withClient, withRetry } from './postgres-connect.js';
import { StudyCache, type TrialRow, asTypeError, checkOwner, rowToTrial } from './postgres-rows.js';
import { migrate, quoteSchema } from './postgres-schema.js';

export { redactUrl, isPostgresUrl } from './postgres-connect.js';

/** Options of {@link PostgresStorage.open}. */
export interface PostgresStorageOptions extends ConnectOptions {
  /** Schema holding the tables (default: the URL's `schema` parameter, else `public`); created if missing. */
  readonly schema?: string;
}

/** Counters for tests and benches: statements sent, trial rows fetched by incremental reads. */
export interface PostgresStorageStats {
  queries: number;
  rowsRead: number;
}

interface StudyEntry {
  readonly id: string;
  readonly record: StudyRecord;
  readonly cache: StudyCache;
}

/** A list of numbers as jsonb text (non-finite ones as strings, like every stored number), or null. */
const numbers = (xs: readonly number[] | undefined): string | null => (xs === undefined ? null : JSON.stringify(xs.map(encodeNumber)));

/** PostgreSQL {@link Storage}; see the file comment. Open with {@link PostgresStorage.open}. */
export class PostgresStorage implements Storage {
  readonly stats: PostgresStorageStats = { queries: 0, rowsRead: 0 };
  /** The server as shown in messages: the URL with its password removed, plus the schema when it is not `public`. */
  readonly where: string;
  private readonly S: string;
  private readonly studies = new Map<string, StudyEntry>();
  private closed = false;
  /** Set when a pool opens a new connection: the next read checks whether the server restarted (see refresh). */
  private bootCheck = true;
  private boot: string | undefined;

  private constructor(
    private readonly parsed: ParsedUrl,
    private readonly pools: { durable: pg.Pool; fast: pg.Pool },
    private readonly retryMs: number,
  ) {
    this.where = parsed.where;
    this.S = quoteSchema(parsed.schema);
    for (const pool of [pools.durable, pools.fast]) {
      // An idle connection dropped by a server restart: the pool discards it; the next call reconnects (with retries).
      pool.on('error', () => undefined);
      pool.on('connect', () => (this.bootCheck = true));
    }
  }

  /** Connects, creates or upgrades the tables, and returns the storage. Rejects with StorageUnavailableError (password removed). */
  static async open(url: string, options: PostgresStorageOptions = {}): Promise<PostgresStorage> {
    const parsed = parseUrl(url, options.schema);
    quoteSchema(parsed.schema);
    const retryMs = options.retryMs ?? 30_000;
    const storage = new PostgresStorage(parsed, openPools(parsed, options), retryMs);
    try {
      // A wrong address or password fails fast; a server that is still starting gets a few seconds.
      await withRetry(Math.min(retryMs, 10_000), async () => {
        await withClient(storage.pools.durable, (client) => migrate(client, parsed.schema, parsed.where));
      });
    } catch (e) {
      await storage.end();
      throw translate(e, parsed, 'creating the tunekit tables');
    }
    return storage;
  }

  async createStudy(study: StudyRecord): Promise<void> {
    const record = asTypeError(() => decodeStudy(study, 'study'));
    const token = randomUUID();
    const id = await this.op('createStudy', async () => {
      const rows = await this.sql<{ id: string }>(
        'durable',
        `INSERT INTO ${this.S}.tunekit_studies (name, record, creator) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING id`,
        [record.name, JSON.stringify(record), token],
      );
      if (rows[0]) return rows[0].id;
      // Taken: by us (an earlier attempt that committed before its connection dropped) or by another process.
      const mine = await this.sql<{ id: string }>('durable', `SELECT id FROM ${this.S}.tunekit_studies WHERE name = $1 AND creator = $2`, [
        record.name,
        token,
      ]);
      if (mine[0]) return mine[0].id;
      throw new StudyExistsError(record.name, this.where);
    });
    this.studies.set(record.name, { id, record, cache: new StudyCache() });
  }

  async getStudy(name: string): Promise<StudyRecord | undefined> {
    return (await this.lookup(name))?.record;
  }

  async listStudies(): Promise<string[]> {
    const rows = await this.op('listStudies', () =>
      this.sql<{ name: string }>('fast', `SELECT name FROM ${this.S}.tunekit_studies ORDER BY id`, []),
    );
    return rows.map((r) => r.name);
  }

  async createTrial(study: string, trial: NewTrial): Promise<TrialRecord> {
    return (await this.create('createTrial', study, trial, null))!;
  }

  /** See {@link Storage.createTrialIfBelow}. */
  async createTrialIfBelow(study: string, trial: NewTrial, maxCounted: number): Promise<TrialRecord | undefined> {
    if (!Number.isSafeInteger(maxCounted) || maxCounted < 0)
      throw new TypeError(`maxCounted must be an integer >= 0, got ${String(maxCounted)}`);
    return this.create('createTrialIfBelow', study, trial, maxCounted);
  }

  async startWaiting(study: string, options: StartWaitingOptions = {}): Promise<TrialRecord | undefined> {
    const owner = checkOwner(options.owner, 'startWaiting options.owner');
    const max = options.maxCounted ?? null;
    if (max !== null && (!Number.isSafeInteger(max) || max < 0))
      throw new TypeError(`startWaiting options.maxCounted must be an integer >= 0, got ${String(max)}`);
    const s = await this.entry(study);
    const token = randomUUID();
    const rows = await this.op('startWaiting', async (retry) => {
      if (retry) {
        const done = await this.byToken(s, token);
        if (done.length) return done;
      }
      return this.sql<TrialRow>(
        'fast',
        `SELECT * FROM ${this.S}.tunekit_start_waiting($1, $2, $3, $4)`,
        [s.id, owner, token, max],
        'tk_start_waiting',
      );
    });
    return rows[0] ? rowToTrial(rows[0]) : undefined;
  }

  /** See {@link Storage.markStarted}: the server's clock, like every stored time; an asynchronous commit (lost: the ask time stays). */
  async markStarted(study: string, number: number): Promise<TrialRecord> {
    const s = await this.entry(study);
    this.checkNumber(study, number);
    const rows = await this.op('markStarted', () =>
      this.sql<TrialRow>(
        'fast',
        `WITH c AS (UPDATE ${this.S}.tunekit_studies SET seq = seq + 1 WHERE id = $1 RETURNING seq)
         UPDATE ${this.S}.tunekit_trials t SET started = now(), seq = c.seq FROM c
         WHERE t.study_id = $1 AND t.number = $2 AND t.state = 'running' AND jsonb_array_length(t.intermediate) = 0 RETURNING t.*`,
        [s.id, number],
        'tk_mark_started',
      ),
    );
    // No allowed state: a running trial is refused too once it has reported (see MARK_STARTED).
    if (!rows[0]) return this.refuse(study, s, number, MARK_STARTED, []);
    return rowToTrial(rows[0]);
  }

  /** Reporting a step that was already reported keeps the first value (like the other storages). */
  async reportIntermediate(study: string, number: number, step: number, value: number, metrics?: Metrics): Promise<void> {
    if (typeof step !== 'number' || !Number.isFinite(step)) throw new TypeError(`step must be a finite number, got ${String(step)}`);
    if (typeof value !== 'number') throw new TypeError(`an intermediate value must be a number (NaN allowed), got ${typeof value}`);
    const m = metrics === undefined ? undefined : asTypeError(() => decodeMetrics(metrics, 'metrics'));
    const s = await this.entry(study);
    this.checkNumber(study, number);
    const entry = m === undefined ? { step, value: encodeNumber(value) } : { step, value: encodeNumber(value), metrics: encodeMetrics(m) };
    const done = await this.op('reportIntermediate', () =>
      this.sql(
        'fast',
        `WITH c AS (UPDATE ${this.S}.tunekit_studies SET seq = seq + 1 WHERE id = $1 RETURNING seq)
         UPDATE ${this.S}.tunekit_trials t SET intermediate = t.intermediate || $3::jsonb, seq = c.seq FROM c
         WHERE t.study_id = $1 AND t.number = $2 AND t.state = 'running' AND NOT t.intermediate @> $4::jsonb RETURNING t.number`,
        [s.id, number, JSON.stringify([entry]), JSON.stringify([{ step }])],
        'tk_report',
      ),
    );
    if (done.length === 0) await this.refuse(study, s, number, 'report an intermediate value', ['running']);
  }

  async setTrialUserAttr(study: string, number: number, key: string, value: JsonValue): Promise<void> {
    if (typeof key !== 'string') throw new TypeError(`a user attribute key must be a string, got ${typeof key}`);
    const v = asTypeError(() => freezeJson(value, `userAttrs[${JSON.stringify(key)}]`));
    const s = await this.entry(study);
    this.checkNumber(study, number);
    const token = randomUUID();
    await this.op('setTrialUserAttr', async (retry) => {
      const done = await this.sql(
        'durable',
        `WITH c AS (UPDATE ${this.S}.tunekit_studies SET seq = seq + 1 WHERE id = $1 RETURNING seq)
         UPDATE ${this.S}.tunekit_trials t SET user_attrs = t.user_attrs || jsonb_build_object($3::text, $4::jsonb), last_req = $5, seq = c.seq
         FROM c WHERE t.study_id = $1 AND t.number = $2 AND t.state IN ('waiting', 'running') RETURNING t.number`,
        [s.id, number, key, JSON.stringify(v), token],
      );
      if (done.length === 0 && !(retry && (await this.byToken(s, token)).length))
        await this.refuse(study, s, number, `set user attribute "${key}"`, ['waiting', 'running']);
    });
  }

  async finishTrial(study: string, number: number, result: TrialResult): Promise<TrialRecord> {
    const r = asTypeError(() => decodeResult(result, 'result'));
    const s = await this.entry(study);
    this.checkNumber(study, number);
    const token = randomUUID();
    const rows = await this.op('finishTrial', async (retry) => {
      const done = await this.sql<TrialRow>(
        'durable',
        `WITH c AS (UPDATE ${this.S}.tunekit_studies SET seq = seq + 1 WHERE id = $1 RETURNING seq)
         UPDATE ${this.S}.tunekit_trials t SET state = $3, value = $4, metrics = $5, reason = $6, error = $7, finished = now(),
           last_req = $8, objective_values = $9, constraints = $10, seq = c.seq
         FROM c WHERE t.study_id = $1 AND t.number = $2 AND t.state = 'running' RETURNING t.*`,
        [
          s.id,
          number,
          r.state,
          r.value ?? null,
          r.metrics ? JSON.stringify(encodeMetrics(r.metrics)) : null,
          r.reason ?? null,
          r.error ? JSON.stringify(r.error) : null,
          token,
          numbers(r.values),
          numbers(r.constraints),
        ],
        'tk_finish',
      );
      return done.length || !retry ? done : this.byToken(s, token);
    });
    if (!rows[0]) return this.refuse(study, s, number, `finish as ${r.state}`, ['running']);
    return rowToTrial(rows[0]);
  }

  async getTrial(study: string, number: number): Promise<TrialRecord | undefined> {
    const s = await this.entry(study);
    await this.refresh(s);
    return s.cache.get(number);
  }

  async getTrials(study: string, states?: readonly TrialState[]): Promise<readonly TrialRecord[]> {
    const s = await this.entry(study);
    await this.refresh(s);
    return s.cache.list(states);
  }

  async getTrialsSince(study: string, cursor: number): Promise<TrialsSince> {
    const s = await this.entry(study);
    await this.refresh(s);
    return s.cache.since(cursor);
  }

  /** See {@link Storage.nextSuggestionNumber}: max(last one + 1, next trial number), atomically. */
  async nextSuggestionNumber(study: string): Promise<number> {
    const s = await this.entry(study);
    const rows = await this.op('nextSuggestionNumber', () =>
      this.sql<{ n: number }>(
        'fast',
        `UPDATE ${this.S}.tunekit_studies SET draws = greatest(draws, next_number) + 1 WHERE id = $1 RETURNING draws - 1 AS n`,
        [s.id],
        'tk_draw',
      ),
    );
    return rows[0]!.n;
  }

  /** See {@link Storage.heartbeat}. Does not change the trial's record, so readers fetch nothing for it. */
  async heartbeat(study: string, number: number, owner: TrialOwner): Promise<void> {
    const o = checkOwner(owner, 'heartbeat owner')!;
    const s = await this.entry(study);
    this.checkNumber(study, number);
    const done = await this.op('heartbeat', () =>
      this.sql(
        'fast',
        `UPDATE ${this.S}.tunekit_trials SET heartbeat = now(), owner = coalesce(owner, $3::jsonb)
         WHERE study_id = $1 AND number = $2 AND state = 'running' AND (owner IS NULL OR owner ->> 'id' = $4) RETURNING number`,
        [s.id, number, o, owner.id],
        'tk_heartbeat',
      ),
    );
    if (done.length) return;
    const rows = await this.op('heartbeat', () =>
      this.sql<{ state: string; reason: string | null; owner: TrialOwner | null }>(
        'fast',
        `SELECT state, reason, owner FROM ${this.S}.tunekit_trials WHERE study_id = $1 AND number = $2`,
        [s.id, number],
      ),
    );
    const t = rows[0];
    if (!t) throw new TrialNotFoundError(study, number);
    if (t.state !== 'running') throw new StaleTrialError(study, number, `it is ${t.state}${t.reason ? ` (${t.reason})` : ''}`);
    throw new StaleTrialError(
      study,
      number,
      `it is run by ${t.owner ? `${t.owner.host}/${t.owner.pid}` : 'no owner'}, not ${owner.host}/${owner.pid}`,
    );
  }

  /** See {@link Storage.failStale}. */
  async failStale(study: string, graceMs: number): Promise<readonly TrialRecord[]> {
    if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0)
      throw new TypeError(`graceMs must be a finite number >= 0, got ${String(graceMs)}`);
    const s = await this.entry(study);
    const token = randomUUID();
    const rows = await this.op('failStale', async (retry) => {
      if (retry) {
        const done = await this.byToken(s, token);
        if (done.length) return done;
      }
      return this.sql<TrialRow>('durable', `SELECT * FROM ${this.S}.tunekit_fail_stale($1, $2, $3)`, [s.id, graceMs, token]);
    });
    return rows.filter((r) => r.state === 'failed').map(rowToTrial);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.end();
  }

  /* ---- internals ---- */

  private async create(method: string, study: string, trial: NewTrial, max: number | null): Promise<TrialRecord | undefined> {
    if (trial === null || typeof trial !== 'object' || (trial.state !== 'running' && trial.state !== 'waiting')) {
      throw new TypeError(`a new trial's state must be "running" or "waiting", got ${JSON.stringify(trial?.state)}`);
    }
    const params = asTypeError(() => freezeJsonObject(trial.params, 'trial.params'));
    const attrs = asTypeError(() => freezeJsonObject(trial.userAttrs ?? {}, 'trial.userAttrs'));
    const system = asTypeError(() => freezeJsonObject(trial.system ?? {}, 'trial.system'));
    if (trial.budget !== undefined && (typeof trial.budget !== 'number' || !(trial.budget > 0) || !Number.isFinite(trial.budget))) {
      throw new TypeError(`trial.budget must be a finite number > 0, got ${String(trial.budget)}`);
    }
    const owner = checkOwner(trial.owner, 'trial.owner');
    const s = await this.entry(study);
    const token = randomUUID();
    const rows = await this.op(method, async (retry) => {
      if (retry) {
        const done = await this.byToken(s, token);
        if (done.length) return done;
      }
      return this.sql<TrialRow>(
        trial.state === 'waiting' ? 'durable' : 'fast',
        `SELECT * FROM ${this.S}.tunekit_create_trial($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [s.id, trial.state, JSON.stringify(params), trial.budget ?? null, JSON.stringify(attrs), JSON.stringify(system), owner, token, max],
        'tk_create_trial',
      );
    });
    return rows[0] ? rowToTrial(rows[0]) : undefined;
  }

  /**
   * Fetches the rows changed since the last read into the study's cache. After the pool opened a new connection, first checks
   * the server's start time: a restarted server may have lost asynchronously committed changes, so counters can repeat and the
   * cache must be rebuilt from scratch.
   */
  private async refresh(s: StudyEntry): Promise<void> {
    if (this.bootCheck) {
      this.bootCheck = false;
      const [row] = await this.op('reading trials', () =>
        this.sql<{ boot: string }>('fast', 'SELECT pg_postmaster_start_time()::text AS boot', []),
      );
      if (this.boot !== undefined && row!.boot !== this.boot) for (const e of this.studies.values()) e.cache.reset();
      this.boot = row!.boot;
    }
    const since = s.cache.lastSeq;
    const rows = await this.op('reading trials', () =>
      this.sql<TrialRow>('fast', `SELECT * FROM ${this.S}.tunekit_trials WHERE study_id = $1 AND seq > $2`, [s.id, since], 'tk_changes'),
    );
    this.stats.rowsRead += rows.length;
    s.cache.apply(rows);
  }

  /** Rows an earlier attempt of the call identified by `token` changed (empty when it did not commit). */
  private byToken(s: StudyEntry, token: string): Promise<TrialRow[]> {
    return this.sql<TrialRow>('durable', `SELECT * FROM ${this.S}.tunekit_trials WHERE study_id = $1 AND last_req = $2 ORDER BY number`, [
      s.id,
      token,
    ]);
  }

  /** A guarded change matched no row: rejects with TrialNotFoundError, or TrialStateError naming the trial's state. */
  private async refuse(study: string, s: StudyEntry, number: number, wanted: string, allowed: readonly TrialState[]): Promise<never> {
    const rows = await this.op(wanted, () =>
      this.sql<{ state: TrialState }>('fast', `SELECT state FROM ${this.S}.tunekit_trials WHERE study_id = $1 AND number = $2`, [
        s.id,
        number,
      ]),
    );
    if (!rows[0]) throw new TrialNotFoundError(study, number);
    if (allowed.includes(rows[0].state)) return undefined as never; // a repeated report step: accepted, first value kept
    throw new TrialStateError(study, number, rows[0].state, wanted);
  }

  private checkNumber(study: string, number: number): void {
    if (!Number.isSafeInteger(number) || number < 0) throw new TrialNotFoundError(study, number);
  }

  private async lookup(name: string): Promise<StudyEntry | undefined> {
    this.checkOpen('getStudy');
    const known = this.studies.get(name);
    if (known) return known;
    const rows = await this.op('reading a study', () =>
      this.sql<{ id: string; record: unknown }>('fast', `SELECT id, record FROM ${this.S}.tunekit_studies WHERE name = $1`, [name]),
    );
    if (!rows[0]) return undefined;
    const entry = { id: rows[0].id, record: decodeStudy(rows[0].record, `study ${JSON.stringify(name)}`), cache: new StudyCache() };
    this.studies.set(name, entry);
    return entry;
  }

  private async entry(name: string): Promise<StudyEntry> {
    const e = await this.lookup(name);
    if (e === undefined) throw new StudyNotFoundError(name, this.where, await this.listStudies());
    return e;
  }

  /** Runs one storage call with retries; errors become tunekit errors naming the server without its password. */
  private async op<T>(what: string, attempt: (retry: boolean) => Promise<T>): Promise<T> {
    this.checkOpen(what);
    try {
      return await withRetry(this.retryMs, attempt);
    } catch (e) {
      throw translate(e, this.parsed, what);
    }
  }

  private async sql<R extends object = object>(
    pool: 'durable' | 'fast',
    text: string,
    values: readonly unknown[],
    name?: string,
  ): Promise<R[]> {
    this.checkOpen('a query');
    this.stats.queries++;
    const res = await this.pools[pool].query<R>(name ? { name, text, values: values as unknown[] } : { text, values: values as unknown[] });
    return res.rows;
  }

  private checkOpen(method: string): void {
    if (this.closed) {
      throw new TunekitError(
        'ERR_TUNEKIT_STORAGE_CLOSED',
        `the PostgreSQL storage ${this.where} was closed, so ${method} cannot run; open it again`,
      );
    }
  }

  private async end(): Promise<void> {
    await Promise.all([this.pools.durable.end(), this.pools.fast.end()]).catch(() => undefined);
  }
}
