/**
 * How busy the machine was during a sweep: CPU time of this process (every worker thread included: process.cpuUsage counts
 * all threads) over wall time gives the busy cores; over the cores Node may use, the utilisation. Device child processes (one
 * per GPU) are not counted: their work is on the GPU.
 */
import { defaultWorkers } from '../pool/slots.js';
import type { RunUtilisation } from '../report/leaderboard.js';

/** Utilisation of one run, as the sweep summary and leaderboard.json (its `run` object) report it. */
export type Utilisation = RunUtilisation;

/** Starts measuring; the returned function reads the utilisation so far. */
export function startUtilisation(): () => Utilisation {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const cpuMs = (c.user + c.system) / 1000;
    const busyCores = wallMs > 0 ? cpuMs / wallMs : 0;
    const availableCores = defaultWorkers();
    return { wallMs, cpuMs, busyCores, availableCores, ratio: busyCores / availableCores };
  };
}

/** One line for the sweep summary, e.g. `utilisation 1.87 of 2 cores (94%)`. */
export function formatUtilisation(u: Utilisation | undefined): string {
  if (!u) return 'utilisation unknown';
  return `utilisation ${u.busyCores.toFixed(2)} of ${u.availableCores} cores (${Math.round(u.ratio * 100)}%)`;
}
