/**
 * `tunekit dashboard <dir|storage> [--port N] [--host H] [--study NAME]` (a foreground server) and `startDashboard`, which the
 * sweep runner calls for `tunekit run <sweep> --dashboard [--port N]`: the report page served live on 127.0.0.1.
 */
import { createDashboardServer, DEFAULT_DASHBOARD_PORT } from '../report/server.js';

export { startDashboard, type DashboardArgs, type DashboardHandle } from '../report/launch.js';
import { warnHost, type DashboardArgs } from '../report/launch.js';

/** `tunekit dashboard`: serves until SIGINT/SIGTERM; returns the exit code. */
export async function dashboardCommand(args: DashboardArgs, out: (line: string) => void): Promise<number> {
  warnHost(args.host, out);
  const server = await createDashboardServer({
    source: args.source,
    ...(args.study !== undefined ? { study: args.study } : {}),
    host: args.host ?? '127.0.0.1',
    port: args.port ?? DEFAULT_DASHBOARD_PORT,
  });
  out(`dashboard of ${args.source} at ${server.url} (read-only; Ctrl-C stops it)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
