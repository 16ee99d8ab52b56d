/**
 * Starting the live dashboard in its own Node process, for `tunekit run --dashboard` (the sweep runner) and `tunekit
 * dashboard`: a dashboard that dies or a browser that hangs can never slow or break the sweep.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TunekitError } from '../core/errors.js';
import { DEFAULT_DASHBOARD_PORT } from './server.js';
import type { DashboardChildMessage } from './dashboard-child.js';

/** Arguments of {@link dashboardCommand} and {@link startDashboard}. */
export interface DashboardArgs {
  /** A run directory, a study file or a storage URL (`postgresql://...`). */
  readonly source: string;
  readonly study?: string;
  /** Default 8123; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. Anything else exposes the (read-only, unauthenticated) page to the network. */
  readonly host?: string;
}

/** A running dashboard: its address, and how to stop it. */
export interface DashboardHandle {
  readonly url: string;
  close(): Promise<void>;
}

export const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function warnHost(host: string | undefined, out: (line: string) => void): void {
  if (host !== undefined && !LOOPBACK.has(host))
    out(`warning: the dashboard listens on ${host}: anyone who can reach it can read the study (it has no login)`);
}

/**
 * Starts the dashboard in a separate Node process (so it can never slow or break the sweep) and resolves with its URL once
 * it listens. Rejects with a tunekit error when it cannot start (port in use, unreadable source): the caller should print it
 * and go on with the sweep. If the dashboard process dies later, the sweep is not affected; `close()` stops it.
 */
export function startDashboard(args: DashboardArgs, out: (line: string) => void = () => {}): Promise<DashboardHandle> {
  warnHost(args.host, out);
  const here = fileURLToPath(import.meta.url);
  const child: ChildProcess = fork(path.join(path.dirname(here), `dashboard-child${path.extname(here)}`), [], {
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    serialization: 'json',
  });
  return new Promise<DashboardHandle>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(
        new TunekitError('ERR_TUNEKIT_DASHBOARD_START', 'the dashboard process did not start within 60 s; the sweep goes on without it'),
      );
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new TunekitError(
          'ERR_TUNEKIT_DASHBOARD_START',
          `the dashboard process exited (code ${String(code)}) before listening; the sweep goes on without it`,
        ),
      );
    });
    child.on('error', () => {}); // a failed kill or IPC write must not become an unhandled error in the sweep
    child.once('message', (m: DashboardChildMessage) => {
      clearTimeout(timer);
      if (m.type === 'error') {
        reject(new TunekitError('ERR_TUNEKIT_DASHBOARD_START', `${m.message}; the sweep goes on without the dashboard`));
        child.kill();
        return;
      }
      child.removeAllListeners('exit');
      child.unref();
      (child.channel as { unref?: () => void } | undefined)?.unref?.();
      resolve({
        url: m.url,
        close: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            // Referenced again while it stops: an unreferenced child would let Node exit before this promise resolves,
            // skipping whatever the caller does after `await close()`.
            child.ref();
            const force = setTimeout(() => child.kill('SIGKILL'), 2000);
            child.once('exit', () => {
              clearTimeout(force);
              done();
            });
            child.kill();
          }),
      });
    });
    child.send({
      source: args.source,
      ...(args.study !== undefined ? { study: args.study } : {}),
      host: args.host ?? '127.0.0.1',
      port: args.port ?? DEFAULT_DASHBOARD_PORT,
    });
  });
}
