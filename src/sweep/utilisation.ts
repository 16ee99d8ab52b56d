/**
 * How busy the machine was during a sweep: CPU time of this process (every worker thread included: process.cpuUsage counts
 * all threads) over wall time gives the busy cores; over the cores Node may use, the utilisation. Device child processes (one
 * per GPU) are not counted: their work is on the GPU.
 */
import { defaultWorkers } from '../pool/slots.js';

/** Utilisation of one run, as the sweep summary and leaderboard.json report it. */
export interface Utilisation {
  readonly wallMs: number;
  /** User + system CPU time of the process, all threads. */
  readonly cpuMs: number;
  /** cpuMs / wallMs: cores kept busy on average. */
  readonly busyCores: number;
  readonly availableCores: number;
  /** busyCores / availableCores, in [0, 1] (slightly above 1 is measurement noise). */
  readonly ratio: number;
}

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
