/**
 * Device names and default capacities, without loading the pool itself (piscina): the sweep validator and the progress display
 * need them before (or without) any worker starting.
 */
import os from 'node:os';

/** Default worker threads: the cores Node may use. */
export function defaultWorkers(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

const DEVICE_RE = /^(cpu|gpu:(0|[1-9]\d*))$/;

/** Validates a device list ('cpu', 'gpu:0', 'gpu:1'...): known names, no duplicates. Returns the problems (empty: fine). */
export function deviceProblems(devices: unknown): string[] {
  if (!Array.isArray(devices) || devices.length === 0)
    return [`must be a non-empty list such as ["cpu"] or ["gpu:0", "gpu:1"], got ${JSON.stringify(devices)}`];
  const problems: string[] = [];
  const seen = new Set<string>();
  devices.forEach((d, i) => {
    if (typeof d !== 'string' || !DEVICE_RE.test(d))
      problems.push(`[${i}] must be "cpu" or "gpu:<index>" (e.g. "gpu:0"), got ${JSON.stringify(d)}`);
    else if (seen.has(d))
      problems.push(`[${i}] lists ${JSON.stringify(d)} twice; each device appears once (use trialsPerDevice for more trials per GPU)`);
    else seen.add(d);
  });
  return problems;
}
