/**
 * `tunekit worker <postgresql://...> --study NAME [--workers N] [--devices ...]`: joins a sweep that `tunekit run --storage`
 * started, on any machine. It reads the resolved sweep from the study itself (stored at creation), checks that this machine
 * can run it (the same trainable module at the same path, the dataset), and runs trials until the study holds its budget:
 * trial numbers and the budget are the database's, every trial heartbeats, and a worker that dies has its trials retried
 * elsewhere after the grace period. Local files (curves, checkpoints) go to `--out` (default runs/<name>-worker-<host>).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OptionsError, TunekitError } from '../core/errors.js';
import { openStorage } from '../storage/index.js';
import { resolveSweep } from '../sweep/load.js';
import { formatTrainable } from '../sweep/trainable-hash.js';
import { isPostgresUrl, redactUrl } from '../storage/url.js';
import { intFlag, str, type Parsed } from './args.js';
import { LIMITS } from '../sweep/limits.js';
import { executeSweep, type RunIo } from './run.js';

export interface WorkerArgs {
  readonly storage: string;
  readonly study: string;
  readonly workers?: number;
  readonly devices?: readonly string[];
  readonly trialsPerDevice?: number;
  readonly out?: string;
}

/** `worker`'s arguments from a parse (commands.ts WORKER). */
export function workerArgsFrom(p: Parsed): WorkerArgs {
  if (p.positionals.length !== 1) throw new OptionsError('worker takes the PostgreSQL URL of the sweep; see `tunekit worker --help`');
  const storage = p.positionals[0] as string;
  if (!isPostgresUrl(storage))
    throw new OptionsError(
      `worker needs a postgresql:// URL (the --storage the sweep was started with), got ${JSON.stringify(redactUrl(storage))}`,
    );
  const study = str(p, 'study');
  if (!study) throw new OptionsError('worker needs --study NAME: the name of the sweep to join');
  const workers = intFlag(p, 'workers', 1, LIMITS.workers.max);
  const perDevice = intFlag(p, 'trials-per-device', 1, LIMITS.trialsPerDevice.max);
  const devices = str(p, 'devices')
    ?.split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  const out = str(p, 'out');
  return {
    storage,
    study,
    ...(workers !== undefined ? { workers } : {}),
    ...(devices !== undefined ? { devices } : {}),
    ...(perDevice !== undefined ? { trialsPerDevice: perDevice } : {}),
    ...(out !== undefined ? { out } : {}),
  };
}

/** Runs the worker until the study's budget is met or a signal stops it; returns the exit code. */
export async function workerCommand(args: WorkerArgs, out: (line: string) => void, io: RunIo = {}): Promise<number> {
  // Only the stored sweep is needed here (the run below opens the study with everything the sweep says).
  const storage = await openStorage(args.storage);
  let raw: unknown;
  try {
    const record = await storage.getStudy(args.study);
    if (!record)
      throw new OptionsError(
        `${redactUrl(args.storage)} holds no study "${args.study}" (it has ${(await storage.listStudies()).join(', ') || 'none'}); start it with \`tunekit run <sweep> --storage <url>\``,
      );
    raw = record.userAttrs['sweep'];
  } finally {
    await storage.close();
  }
  if (raw === null || typeof raw !== 'object') {
    throw new OptionsError(
      `study "${args.study}" in ${redactUrl(args.storage)} was not started by \`tunekit run --storage\` (it holds no sweep); workers can only join sweeps`,
    );
  }
  const overridden = {
    ...(raw as { [key: string]: unknown }),
    ...(args.workers !== undefined ? { workers: args.workers } : {}),
    ...(args.devices !== undefined ? { devices: args.devices } : {}),
    ...(args.trialsPerDevice !== undefined ? { trialsPerDevice: args.trialsPerDevice } : {}),
  };
  const where = `${redactUrl(args.storage)} (study ${args.study})`;
  const resolved = await resolveSweep(overridden, where, process.cwd());
  const t = resolved.sweep.trainable;
  if (t !== 'builtin' && !fs.existsSync(t.module)) {
    throw new TunekitError(
      'ERR_TUNEKIT_TRAINABLE_MISSING',
      `this sweep's trainable module ${t.module} does not exist on this machine (${os.hostname()}); every machine must have the same file at the same path (copy or mount it there), then start the worker again`,
    );
  }
  out(`joining ${args.study} on ${redactUrl(args.storage)} from ${os.hostname()} (pid ${process.pid}); ${formatTrainable(resolved.sweep)}`);
  const dir = path.resolve(args.out ?? path.join('runs', `${args.study}-worker-${os.hostname()}`));
  return executeSweep(resolved, where, dir, out, io, { storage: args.storage });
}
