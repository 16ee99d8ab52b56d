/**
 * Worker-side helpers around the optional heartbeat primitives of shared storages ({@link Storage.heartbeat},
 * {@link Storage.failStale}): an identity for this process, and a timer that keeps one running trial alive and says when the
 * trial was taken away (so the worker stops it instead of computing a result that will be refused).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { StaleTrialError, TrialNotFoundError } from '../core/errors.js';
import type { Storage, TrialOwner } from './types.js';

/** This process as a trial owner: host name, pid, and a random id (a restarted process with a reused pid is another owner). */
export function newOwner(): TrialOwner {
  return Object.freeze({ host: os.hostname(), pid: process.pid, id: randomUUID() });
}

/** Options of {@link keepAlive}. */
export interface KeepAliveOptions {
  /** Time between heartbeats (default 10,000 ms); keep it well below the grace period `failStale` is called with (e.g. 1/6). */
  readonly intervalMs?: number;
  /** Called once when the trial is no longer this owner's (failed as stale, finished elsewhere, or gone); beats stop then. */
  readonly onLost: (error: StaleTrialError | TrialNotFoundError) => void;
}

/** What {@link keepAlive} returns. */
export interface KeepAlive {
  /** Stops the heartbeats; resolves after a beat in flight (if any) has settled. */
  stop(): Promise<void>;
}

/**
 * Sends `storage.heartbeat(study, number, owner)` every `intervalMs` until stopped or the trial is lost. A storage without
 * heartbeats (memory, file: single process) makes this a no-op. Other errors (a server still unreachable after the storage's
 * own retries) skip one beat: the trial is only lost if the grace period passes without any beat getting through.
 */
export function keepAlive(storage: Storage, study: string, number: number, owner: TrialOwner, options: KeepAliveOptions): KeepAlive {
  const beat = storage.heartbeat?.bind(storage);
  if (beat === undefined) return { stop: async () => undefined };
  const intervalMs = options.intervalMs ?? 10_000;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new TypeError(`keepAlive intervalMs must be a finite number > 0, got ${String(intervalMs)}`);
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = inFlight.then(async () => {
      if (stopped) return;
      try {
        await beat(study, number, owner);
      } catch (e) {
        if (stopped || !(e instanceof StaleTrialError || e instanceof TrialNotFoundError)) return;
        stopped = true;
        clearInterval(timer);
        options.onLost(e);
      }
    });
  }, intervalMs);
  // A heartbeat timer alone must not keep a finished process alive.
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
