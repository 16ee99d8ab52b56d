/**
 * The live dashboard's HTTP server (node:http, read-only, loopback by default): `/` the report page in live mode,
 * `/api/version` a cheap change marker the page polls, `/api/data` the page data.
 *
 * Bounded work: the study is re-read and the data rebuilt at most once per `minRebuildMs`, only when the storage changed, and
 * concurrent requests share one build. Bounded memory: at most `maxConnections` sockets, each with one response in flight
 * (HTTP/1.1), and a client that does not read its response within `writeTimeoutMs` is disconnected, so a hung browser cannot
 * make the server buffer without limit.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { OptionsError, StudyNotFoundError, TunekitError } from '../core/errors.js';
import { existingStudyFile as resolveStorageFile } from '../core/run-dir.js';
import { buildReportData, type ReportData } from './data.js';
import { readStudy, withSweepPruner, type StudySource } from './source.js';
import { renderReportHtml } from './html.js';

/** Options of {@link createDashboardServer}. */
export interface DashboardServerOptions extends StudySource {
  /** Default 127.0.0.1 (loopback): the dashboard has no authentication. */
  readonly host?: string;
  /** Default 8123; 0 picks a free port. */
  readonly port?: number;
  readonly minRebuildMs?: number;
  readonly maxConnections?: number;
  readonly writeTimeoutMs?: number;
  /** Least time between two importance refits while trials keep completing (default 30 s). */
  readonly importanceEveryMs?: number;
}

/** A running dashboard server. */
export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

export const DEFAULT_DASHBOARD_PORT = 8123;

/** Served until the study can be read (a sweep still starting): reloads itself. */
const WAITING =
  '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>tunekit dashboard</title><p>Waiting for the study to be written&hellip;</p>';

const existsAsSource = (source: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || fs.existsSync(source);

/** A marker that changes whenever the study changes: file sizes and times for file storages, else a digest of the trials. */
function fileVersion(source: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return undefined;
  let file: string;
  try {
    file = resolveStorageFile(source);
  } catch {
    return undefined; // a run directory whose study lives in a database (storage.json): compare the trials instead
  }
  const parts = [file, `${file}.wal`, path.join(path.dirname(file), 'leaderboard.json')].map((f) => {
    try {
      const s = fs.statSync(f);
      return `${s.size}:${s.mtimeMs}`;
    } catch {
      return '-';
    }
  });
  return parts.join('|');
}

export async function createDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_DASHBOARD_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OptionsError(`--port must be an integer from 0 to 65535, got ${port}`);
  const minRebuildMs = options.minRebuildMs ?? 1000;
  const src: StudySource = { source: options.source, ...(options.study !== undefined ? { study: options.study } : {}) };
  // Fail early (before listening) on a source that does not exist; a study not written yet (a sweep starting) is waited for.
  await readStudy(src).catch((error: unknown) => {
    if (!(error instanceof OptionsError || error instanceof StudyNotFoundError) || !existsAsSource(options.source)) throw error;
  });

  // One build per storage version, shared by every request: the data, its JSON and (when asked for) the page.
  let cached: { version: string; data: ReportData; json: Buffer; at: number; html?: string } | undefined;
  let building: Promise<NonNullable<typeof cached>> | undefined;
  let importance: { complete: number; at: number; result: ReportData['importance'] } | undefined;
  const current = (): Promise<NonNullable<typeof cached>> => {
    if (building) return building;
    if (cached && Date.now() - cached.at < minRebuildMs) return Promise.resolve(cached);
    const fv = fileVersion(options.source);
    if (cached && fv !== undefined && fv === cached.version) {
      cached = { ...cached, at: Date.now() };
      return Promise.resolve(cached);
    }
    building = (async () => {
      const snap = await readStudy(src);
      const version =
        fv ??
        createHash('sha1')
          .update(snap.trials.map((t) => `${t.number}:${t.state}:${t.intermediate.length}`).join(','))
          .digest('hex');
      if (cached && cached.version === version) return (cached = { ...cached, at: Date.now() });
      // The forests (the costly part) are refitted when the complete trials changed and importanceEveryMs passed, or 10% more completed.
      const complete = snap.trials.filter((t) => t.state === 'complete').length;
      const refit =
        importance === undefined ||
        (complete !== importance.complete &&
          (Date.now() - importance.at >= (options.importanceEveryMs ?? 30_000) || complete >= importance.complete * 1.1 + 1));
      const reuse = !refit;
      const data: ReportData = {
        ...buildReportData(withSweepPruner(snap), snap.trials, {
          live: true,
          importance: { refits: 3, maxTrials: 500 },
          ...(reuse && importance ? { importanceResult: importance.result } : {}),
          ...(snap.dir !== undefined ? { dir: snap.dir } : {}),
        }),
        liveVersion: version,
      };
      if (!reuse) importance = { complete, at: Date.now(), result: data.importance };
      return (cached = { version, data, json: Buffer.from(JSON.stringify(data)), at: Date.now() });
    })().finally(() => {
      building = undefined;
    });
    return building;
  };

  const send = (res: http.ServerResponse, status: number, type: string, body: string | Buffer): void => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    res.setTimeout(options.writeTimeoutMs ?? 30_000, () => res.destroy());
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'read-only dashboard: GET only\n');
    const url = (req.url ?? '/').split('?')[0];
    const fail = (error: unknown) => send(res, 503, 'application/json', JSON.stringify({ error: (error as Error).message }));
    if (url === '/')
      current().then(
        (c) => send(res, 200, 'text/html; charset=utf-8', (c.html ??= renderReportHtml(c.data))),
        () => send(res, 200, 'text/html; charset=utf-8', WAITING),
      );
    else if (url === '/api/version')
      current().then((c) => send(res, 200, 'application/json', JSON.stringify({ version: c.version, trials: c.data.trials.length })), fail);
    else if (url === '/api/data') current().then((c) => send(res, 200, 'application/json', c.json), fail);
    else send(res, 404, 'text/plain', 'not found\n');
  });
  server.maxConnections = options.maxConnections ?? 32;
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new TunekitError(
              'ERR_TUNEKIT_DASHBOARD_PORT',
              `port ${port} on ${host} is already in use; pick another with --port N (or --port 0 for any free port)`,
            )
          : new TunekitError(
              'ERR_TUNEKIT_DASHBOARD_LISTEN',
              `the dashboard could not listen on ${host}:${port} (${error.code ?? error.message}); check --host and --port`,
            ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
