/**
 * The output directory of a sweep:
 *
 *   <out>/study.json            the study storage (FileStorage: snapshot + .wal journal + .lock while running)
 *   <out>/sweep.json            the resolved sweep (what `tunekit resume <out>` runs again)
 *   <out>/leaderboard.json      rewritten (atomically, at most once a second) as trials finish, and at the end
 *   <out>/trials/<n>/config.json   params, the config the trainable got, device, budget, start time
 *   <out>/trials/<n>/curves.json   one entry per report: { step, <metrics or value>, ...extra numbers, t (ms since start) }
 *   <out>/trials/<n>/model/        the best checkpoint (built-in trainer: model.json + weights.bin); only the best
 *                                  `keepCheckpoints` complete trials keep theirs, so an overnight sweep does not fill the disk.
 *                                  Multi-fidelity sweeps rank each budget (rung) separately, so the best trials of every rung
 *                                  keep the checkpoints their promotions continue from.
 */
import fs from 'node:fs';
import { writeJsonAtomic } from '../core/json-file.js';
import { runDir } from '../core/run-dir.js';
import type { Direction, Metrics, TrialRecord } from '../core/types.js';
import type { TrialReportEvent, TrialStartEvent } from '../study/loop.js';

/** Where a trial's files go (the layout lives in src/core/run-dir.ts). */
export function trialDir(out: string, number: number): string {
  return runDir(out).trial(number);
}

/** Where a trial's checkpoint goes (runTrial's outDir; ctx.checkpointDir of modules). */
export function checkpointDir(out: string, number: number): string {
  return runDir(out).model(number);
}

export interface SweepOutputOptions {
  /** Checkpoints kept: the best `keep` complete trials'. */
  readonly keep: number;
  readonly direction: Direction;
  /** Builds the current leaderboard document (the study's). */
  readonly leaderboard: () => Promise<unknown>;
  /** Least time between two leaderboard writes (default 1000 ms); the last change is always written. */
  readonly leaderboardIntervalMs?: number;
}

interface CurvePoint {
  readonly step: number;
  readonly [name: string]: number;
}

/**
 * Writes a sweep's per-trial files, the leaderboard and the checkpoint retention. Created by the sweep runner; its methods
 * are hooked to the pool's events (started, report, finished). File errors propagate (a full disk should stop the sweep).
 */
export class SweepOutput {
  readonly #curves = new Map<number, CurvePoint[]>();
  readonly #started = new Map<number, number>();
  /** Complete trials with their values and budgets (for the top-k retention). */
  readonly #complete: { number: number; value: number; budget: number }[] = [];
  /** Finished trials whose checkpoint directory may exist. */
  readonly #withCheckpoint = new Set<number>();
  #lastWrite = 0;
  #pending: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly options: SweepOutputOptions,
  ) {
    fs.mkdirSync(runDir(dir).trials, { recursive: true });
  }

  /** Notes the finished trials of a resumed sweep (their checkpoints take part in the retention). */
  init(trials: readonly TrialRecord[]): void {
    for (const t of trials) {
      if (t.state === 'running' || t.state === 'waiting') continue;
      this.#noteComplete(t);
      if (fs.existsSync(checkpointDir(this.dir, t.number))) this.#withCheckpoint.add(t.number);
    }
    this.#retain();
  }

  /** Pool hook: a trial started; writes its config.json. */
  started(e: TrialStartEvent): void {
    this.#curves.set(e.number, []);
    this.#started.set(e.number, Date.now());
    writeJsonAtomic(runDir(this.dir).config(e.number), {
      number: e.number,
      device: e.device,
      slot: e.slot,
      ...(e.budget !== undefined ? { budget: e.budget } : {}),
      started: new Date().toISOString(),
      params: e.params,
      config: e.config,
    });
  }

  /** Pool hook: one streamed report, kept in memory until the trial finishes. */
  report(e: TrialReportEvent): void {
    const curve = this.#curves.get(e.number);
    if (!curve) return;
    const values: Metrics = typeof e.value === 'number' ? { value: e.value } : e.value;
    curve.push({ ...values, ...e.curve, step: e.step, t: Date.now() - (this.#started.get(e.number) ?? Date.now()) });
  }

  /**
   * Pool hook: a trial is durably finished. Writes its curves.json, applies the checkpoint retention and schedules a
   * leaderboard write. Interrupted trials pass through here too (their partial curves are kept).
   */
  async finished(t: TrialRecord): Promise<void> {
    const curve = this.#curves.get(t.number) ?? [];
    this.#curves.delete(t.number);
    this.#started.delete(t.number);
    if (fs.existsSync(trialDir(this.dir, t.number))) writeJsonAtomic(runDir(this.dir).curves(t.number), curve);
    this.#noteComplete(t);
    if (fs.existsSync(checkpointDir(this.dir, t.number))) this.#withCheckpoint.add(t.number);
    this.#retain();
    this.#scheduleLeaderboard();
  }

  /** Pool hook: a trial was interrupted (its retry runs under a new number); its partial curves are written. */
  interrupted(number: number): void {
    const curve = this.#curves.get(number) ?? [];
    this.#curves.delete(number);
    this.#started.delete(number);
    if (fs.existsSync(trialDir(this.dir, number))) writeJsonAtomic(runDir(this.dir).curves(number), curve);
  }

  #noteComplete(t: TrialRecord): void {
    if (t.state === 'complete' && t.value !== undefined && Number.isFinite(t.value))
      this.#complete.push({ number: t.number, value: t.value, budget: t.budget ?? -1 });
  }

  /** Deletes the checkpoints of finished trials outside the best `keep` complete ones (of each budget). */
  #retain(): void {
    const sign = this.options.direction === 'minimize' ? 1 : -1;
    const byBudget = new Map<number, { number: number; value: number }[]>();
    for (const c of this.#complete) {
      const group = byBudget.get(c.budget) ?? [];
      group.push(c);
      byBudget.set(c.budget, group);
    }
    const keep = new Set<number>();
    for (const group of byBudget.values()) {
      group.sort((a, b) => sign * (a.value - b.value) || a.number - b.number);
      for (const c of group.slice(0, this.options.keep)) keep.add(c.number);
    }
    for (const n of [...this.#withCheckpoint]) {
      if (keep.has(n)) continue;
      fs.rmSync(checkpointDir(this.dir, n), { recursive: true, force: true });
      this.#withCheckpoint.delete(n);
    }
  }

  #scheduleLeaderboard(): void {
    if (this.#pending) return;
    const interval = this.options.leaderboardIntervalMs ?? 1000;
    const wait = Math.max(0, this.#lastWrite + interval - Date.now());
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      void this.#writeLeaderboard();
    }, wait);
  }

  #writeLeaderboard(): Promise<void> {
    this.#writing = this.#writing
      .then(async () => {
        this.#lastWrite = Date.now();
        writeJsonAtomic(runDir(this.dir).leaderboard, await this.options.leaderboard());
      })
      .catch((error: unknown) => {
        process.stderr.write(`tunekit: could not write ${runDir(this.dir).leaderboard}: ${(error as Error).message}\n`);
      });
    return this.#writing;
  }

  /** Writes the final leaderboard now (cancelling a scheduled write). Call before closing the study. */
  async flush(): Promise<void> {
    clearTimeout(this.#pending);
    this.#pending = undefined;
    await this.#writeLeaderboard();
  }

  /** The trial numbers whose checkpoints are currently kept (for tests and the final summary). */
  get checkpoints(): number[] {
    return [...this.#withCheckpoint].sort((a, b) => a - b);
  }
}
