/**
 * Entry point of the dashboard process that `startDashboard` forks beside a sweep: the server runs here, not in the sweep's
 * process, so reading the study and building charts data never takes time from the sweep, and a crash here cannot stop it.
 * Protocol (IPC): the parent sends { source, study?, host?, port? }; the child answers { url } or { error }. The child exits
 * when the parent disconnects (sweep finished or killed).
 */
import os from 'node:os';
import { createDashboardServer, type DashboardServerOptions } from './server.js';

// Lowest CPU priority: on a machine the sweep keeps busy, the dashboard takes only what the trials leave.
try {
  os.setPriority(19);
} catch {
  // not permitted here (some containers): the dashboard still runs in its own process
}

/** IPC messages from the dashboard child to the sweep. */
export type DashboardChildMessage =
  { readonly type: 'listening'; readonly url: string } | { readonly type: 'error'; readonly message: string };

process.once('message', (options: DashboardServerOptions) => {
  createDashboardServer(options).then(
    (server) => process.send?.({ type: 'listening', url: server.url } satisfies DashboardChildMessage),
    (error: unknown) => {
      process.send?.({ type: 'error', message: (error as Error).message } satisfies DashboardChildMessage, () => process.exit(1));
    },
  );
});
process.on('disconnect', () => process.exit(0));
