/**
 * The PostgreSQL storage's tables, created on first use and versioned in `tunekit_migrations` (one row per applied migration).
 * Every table lives in one schema (default `public`; `?schema=NAME` in the URL), so several independent tunekit stores can share
 * a database. Migrations run under a transaction-scoped advisory lock, so processes opening a fresh database at the same time
 * apply each one exactly once; a database migrated by a newer tunekit is refused rather than misread.
 *
 * Concurrency design (why the tables look like this):
 * - `tunekit_studies.seq` is the study's change counter. Every statement that changes a trial first bumps it (`UPDATE ...
 *   RETURNING seq` in a CTE) and stamps the new value on the trial row. The bump takes the study row's lock, so changes to one
 *   study commit in counter order and a reader that has seen counter N has seen every change <= N: reading `seq > N` is a
 *   complete incremental read. (A global sequence would not do: its values are handed out before commit, out of order.)
 * - `next_number` hands out trial numbers under the same lock: dense, 0-based, never reused.
 * - `n_counted` / `n_running`, kept by a trigger on every state change, make the budget check of `createTrialIfBelow` O(1).
 * - `draws` hands out the numbers searchers draw proposals for (see PostgresStorage.nextSuggestionNumber).
 * - `owner` / `heartbeat` serve stale-trial detection; they are not part of the TrialRecord, so heartbeats do not bump `seq`.
 * - `last_req` is the id of the last call that changed the row: after a connection dropped mid-call, the retry looks it up to
 *   learn whether the first attempt committed (so a retried createTrial never makes two trials).
 */
import type { PoolClient } from 'pg';
import { StorageUnavailableError } from '../core/errors.js';

/** Highest migration this code knows. */
export const SCHEMA_VERSION = 2;

/** A checked, quoted schema name (identifiers cannot be query parameters, so only [A-Za-z_][A-Za-z0-9_]* is accepted). */
export function quoteSchema(schema: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(
      `a PostgreSQL schema name must match [A-Za-z_][A-Za-z0-9_]* (at most 63 characters), got ${JSON.stringify(schema)}`,
    );
  }
  return `"${schema}"`;
}

/** The SQL of each migration, in order; `S` is the quoted schema. */
function migrations(S: string): { readonly description: string; readonly sql: string }[] {
  return [
    {
      description: 'studies, trials with change counter, budget counters, stale-trial and artifact tables',
      sql: `
CREATE TABLE ${S}.tunekit_studies (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  record jsonb NOT NULL,
  creator uuid NOT NULL,
  next_number integer NOT NULL DEFAULT 0,
  seq bigint NOT NULL DEFAULT 0,
  n_counted integer NOT NULL DEFAULT 0,
  n_running integer NOT NULL DEFAULT 0
);
CREATE TABLE ${S}.tunekit_trials (
  study_id bigint NOT NULL REFERENCES ${S}.tunekit_studies (id) ON DELETE CASCADE,
  number integer NOT NULL,
  state text NOT NULL CHECK (state IN ('waiting', 'running', 'complete', 'pruned', 'failed')),
  params jsonb NOT NULL,
  budget double precision,
  value double precision,
  metrics jsonb,
  intermediate jsonb NOT NULL DEFAULT '[]',
  reason text,
  error jsonb,
  user_attrs jsonb NOT NULL DEFAULT '{}',
  system jsonb NOT NULL DEFAULT '{}',
  created timestamptz NOT NULL,
  started timestamptz,
  finished timestamptz,
  owner jsonb,
  heartbeat timestamptz,
  last_req uuid,
  seq bigint NOT NULL,
  PRIMARY KEY (study_id, number)
);
CREATE INDEX tunekit_trials_changes ON ${S}.tunekit_trials (study_id, seq);
CREATE INDEX tunekit_trials_waiting ON ${S}.tunekit_trials (study_id, number) WHERE state = 'waiting';
CREATE INDEX tunekit_trials_running ON ${S}.tunekit_trials (study_id, heartbeat) WHERE state = 'running';

-- Whether a trial in this state counts toward a budget (see Storage.createTrialIfBelow).
CREATE FUNCTION ${S}.tunekit_counts(state text, reason text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT state IN ('complete', 'pruned') OR (state = 'failed' AND (reason IS NULL OR (reason <> 'interrupted' AND reason NOT LIKE 'stale:%')))
$$;

CREATE FUNCTION ${S}.tunekit_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d_running integer := (NEW.state = 'running')::integer;
  d_counted integer := ${S}.tunekit_counts(NEW.state, NEW.reason)::integer;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    d_running := d_running - (OLD.state = 'running')::integer;
    d_counted := d_counted - ${S}.tunekit_counts(OLD.state, OLD.reason)::integer;
  END IF;
  IF d_running <> 0 OR d_counted <> 0 THEN
    UPDATE ${S}.tunekit_studies SET n_running = n_running + d_running, n_counted = n_counted + d_counted WHERE id = NEW.study_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER tunekit_keep_counts AFTER INSERT OR UPDATE OF state, reason ON ${S}.tunekit_trials
  FOR EACH ROW EXECUTE FUNCTION ${S}.tunekit_keep_counts();

-- Starts the oldest waiting trial. Locks the study row first (like every writer), so the SELECT below, a new statement with a
-- fresh snapshot, sees every earlier change: two callers never start the same trial, and neither misses a waiting one.
CREATE FUNCTION ${S}.tunekit_start_waiting(p_study bigint, p_owner jsonb, p_req uuid, p_max integer)
RETURNS SETOF ${S}.tunekit_trials LANGUAGE plpgsql AS $$
DECLARE
  st ${S}.tunekit_studies;
  n integer;
BEGIN
  -- Most asks find nothing waiting: answer those without taking the study lock (a trial enqueued meanwhile is simply next).
  IF NOT EXISTS (SELECT 1 FROM ${S}.tunekit_trials WHERE study_id = p_study AND state = 'waiting') THEN RETURN; END IF;
  SELECT * INTO st FROM ${S}.tunekit_studies WHERE id = p_study FOR UPDATE;
  IF p_max IS NOT NULL AND st.n_counted + st.n_running >= p_max THEN RETURN; END IF;
  SELECT number INTO n FROM ${S}.tunekit_trials WHERE study_id = p_study AND state = 'waiting' ORDER BY number LIMIT 1;
  IF n IS NULL THEN RETURN; END IF;
  UPDATE ${S}.tunekit_studies SET seq = seq + 1 WHERE id = p_study RETURNING seq INTO st.seq;
  RETURN QUERY UPDATE ${S}.tunekit_trials SET state = 'running', started = now(), owner = p_owner,
      heartbeat = CASE WHEN p_owner IS NULL THEN NULL ELSE now() END, last_req = p_req, seq = st.seq
    WHERE study_id = p_study AND number = n RETURNING *;
END $$;

-- Creates a trial (numbered under the study lock), only below a budget when p_max is given.
CREATE FUNCTION ${S}.tunekit_create_trial(p_study bigint, p_state text, p_params jsonb, p_budget double precision,
  p_user_attrs jsonb, p_system jsonb, p_owner jsonb, p_req uuid, p_max integer)
RETURNS SETOF ${S}.tunekit_trials LANGUAGE plpgsql AS $$
DECLARE
  st ${S}.tunekit_studies;
BEGIN
  SELECT * INTO st FROM ${S}.tunekit_studies WHERE id = p_study FOR UPDATE;
  IF p_max IS NOT NULL AND st.n_counted + st.n_running >= p_max THEN RETURN; END IF;
  UPDATE ${S}.tunekit_studies SET next_number = next_number + 1, seq = seq + 1 WHERE id = p_study RETURNING * INTO st;
  RETURN QUERY INSERT INTO ${S}.tunekit_trials
      (study_id, number, state, params, budget, user_attrs, system, created, started, owner, heartbeat, last_req, seq)
    VALUES (p_study, st.next_number - 1, p_state, p_params, p_budget, p_user_attrs, p_system, now(),
      CASE WHEN p_state = 'running' THEN now() END, CASE WHEN p_state = 'running' THEN p_owner END,
      CASE WHEN p_state = 'running' AND p_owner IS NOT NULL THEN now() END, p_req, st.seq)
    RETURNING *;
END $$;

-- Fails running trials without a heartbeat for p_grace_ms and enqueues one retry each. The study lock makes concurrent
-- callers take turns, and each re-reads the trials after getting it, so a stale trial is failed and retried exactly once.
-- FOR UPDATE re-checks each row's latest version: a heartbeat that committed meanwhile saves its trial; one that comes later
-- waits for this transaction and then finds the trial failed (and its worker gets StaleTrialError).
CREATE FUNCTION ${S}.tunekit_fail_stale(p_study bigint, p_grace_ms double precision, p_req uuid)
RETURNS SETOF ${S}.tunekit_trials LANGUAGE plpgsql AS $$
DECLARE
  r ${S}.tunekit_trials;
  st ${S}.tunekit_studies;
  why text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ${S}.tunekit_trials WHERE study_id = p_study AND state = 'running'
                 AND heartbeat < now() - p_grace_ms * interval '1 millisecond') THEN
    RETURN;
  END IF;
  PERFORM 1 FROM ${S}.tunekit_studies WHERE id = p_study FOR UPDATE;
  FOR r IN SELECT * FROM ${S}.tunekit_trials WHERE study_id = p_study AND state = 'running'
           AND heartbeat < now() - p_grace_ms * interval '1 millisecond' ORDER BY number FOR UPDATE LOOP
    why := 'stale: no heartbeat since ' || to_char(r.heartbeat AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ' from '
      || coalesce((r.owner ->> 'host') || '/' || (r.owner ->> 'pid'), 'an unknown worker');
    UPDATE ${S}.tunekit_studies SET next_number = next_number + 1, seq = seq + 2 WHERE id = p_study RETURNING * INTO st;
    RETURN QUERY UPDATE ${S}.tunekit_trials SET state = 'failed', finished = now(), reason = why,
        error = jsonb_build_object('message', 'the worker running this trial stopped sending heartbeats; a retry with the same params was enqueued'),
        last_req = p_req, seq = st.seq - 1
      WHERE study_id = p_study AND number = r.number RETURNING *;
    INSERT INTO ${S}.tunekit_trials (study_id, number, state, params, budget, user_attrs, system, created, last_req, seq)
      VALUES (p_study, st.next_number - 1, 'waiting', r.params, r.budget, r.user_attrs,
              r.system || jsonb_build_object('retryOf', r.number), now(), p_req, st.seq);
  END LOOP;
END $$;

-- Checkpoint files, one row per chunk (see artifacts.ts); a key exists once its row in tunekit_artifact_keys is committed.
CREATE TABLE ${S}.tunekit_artifact_keys (key text PRIMARY KEY, files integer NOT NULL, bytes bigint NOT NULL, created timestamptz NOT NULL DEFAULT now());
CREATE TABLE ${S}.tunekit_artifact_chunks (
  key text NOT NULL REFERENCES ${S}.tunekit_artifact_keys (key) ON DELETE CASCADE,
  path text NOT NULL,
  chunk integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (key, path, chunk)
);
`,
    },
    {
      description: 'studies.draws (nextSuggestionNumber); trials.objective_values and constraints (multi-objective studies)',
      sql: `
ALTER TABLE ${S}.tunekit_studies ADD COLUMN draws integer NOT NULL DEFAULT 0;
ALTER TABLE ${S}.tunekit_trials ADD COLUMN objective_values jsonb, ADD COLUMN constraints jsonb;
`,
    },
  ];
}

/**
 * Brings the schema to {@link SCHEMA_VERSION}: a cheap version read when it is current, else the missing migrations in one
 * transaction under an advisory lock keyed by the schema name.
 */
export async function migrate(client: PoolClient, schema: string, where: string): Promise<void> {
  const S = quoteSchema(schema);
  const current = await readVersion(client, S);
  if (current === SCHEMA_VERSION) return;
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`tunekit-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${S}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${S}.tunekit_migrations (version integer PRIMARY KEY, description text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${S}.tunekit_migrations`);
    const have = rows[0]?.v ?? 0;
    if (have > SCHEMA_VERSION) {
      throw new StorageUnavailableError(
        where,
        `its tables are at schema version ${have}, newer than this tunekit understands (${SCHEMA_VERSION})`,
        'upgrade tunekit on this machine: every machine sharing a study must run the same tunekit version',
      );
    }
    const all = migrations(S);
    for (let v = have + 1; v <= SCHEMA_VERSION; v++) {
      const m = all[v - 1]!;
      await client.query(m.sql);
      await client.query(`INSERT INTO ${S}.tunekit_migrations (version, description) VALUES ($1, $2)`, [v, m.description]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

async function readVersion(client: PoolClient, S: string): Promise<number | undefined> {
  try {
    const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${S}.tunekit_migrations`);
    return rows[0]?.v ?? 0;
  } catch (e) {
    // 42P01: the table does not exist yet (3F000: nor the schema): a fresh database.
    const code = (e as { code?: unknown }).code;
    if (code === '42P01' || code === '3F000') return undefined;
    throw e;
  }
}
