/**
 * Sweep progress. On a terminal: a block redrawn in place (plain ANSI: cursor up + clear), a sweep line (finished / budget,
 * bar, elapsed, ETA, best so far) and one line per worker slot (trial, epoch, current metric); trial results scroll above it.
 * Elsewhere (a log file, CI): one line per finished trial and a summary line every `logIntervalMs`.
 */
import { escapeControl } from '../core/terminal.js';
import type { Direction, Metrics, TrialRecord } from '../core/types.js';
import type { TrialReportEvent, TrialStartEvent } from '../study/loop.js';

/** Where progress goes: process.stdout, or a fake in tests. */
export interface ProgressSink {
  write(text: string): void;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  readonly name: string;
  /** The budget (finished trials wanted in total). */
  readonly total: number;
  /** Finished trials already in the study when this run started. */
  readonly already: number;
  readonly metric: string;
  readonly direction: Direction;
  /** One entry per worker slot: its device. */
  readonly slots: readonly string[];
  /** Max epochs per trial, when known (shown as epoch e/E). */
  readonly maxEpochs?: number;
  /** Total time budget in seconds (ETA never exceeds what is left of it). */
  readonly seconds?: number;
  /** The best complete trial so far (resumed sweeps). */
  readonly best?: TrialRecord;
  /** TTY redraw period (default 250 ms). */
  readonly redrawMs?: number;
  /** Plain-mode summary period (default 30 s). */
  readonly logIntervalMs?: number;
}

interface SlotState {
  number?: number;
  step?: number;
  value?: number;
}

/** Durations as 1h02m, 3m05s, 12s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const fmt = (v: number | undefined): string =>
  v === undefined
    ? '-'
    : !Number.isFinite(v)
      ? String(v)
      : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)
        ? v.toExponential(3)
        : v.toFixed(4);

/** Tracks a sweep and renders it; hooked to the pool's events by the sweep runner. */
export class Progress {
  readonly #sink: ProgressSink;
  readonly #o: ProgressOptions;
  readonly #slots: SlotState[];
  readonly #t0 = Date.now();
  #finished = 0;
  #counts = { complete: 0, pruned: 0, failed: 0 };
  #best: TrialRecord | undefined;
  #drawn = 0;
  #dirty = true;
  #timer: NodeJS.Timeout | undefined;

  constructor(sink: ProgressSink, options: ProgressOptions) {
    this.#sink = sink;
    this.#o = options;
    this.#slots = options.slots.map(() => ({}));
    this.#best = options.best;
  }

  get tty(): boolean {
    return this.#sink.isTTY === true;
  }

  /** Starts the redraw (TTY) or summary (plain) timer. */
  start(): void {
    if (this.tty) {
      this.#draw();
      this.#timer = setInterval(() => this.#dirty && this.#draw(), this.#o.redrawMs ?? 250);
    } else {
      this.#timer = setInterval(() => this.#sink.write(`${escapeControl(this.summary())}\n`), this.#o.logIntervalMs ?? 30_000);
    }
    this.#timer.unref();
  }

  /** Stops the timers and leaves the last block on screen. */
  stop(): void {
    clearInterval(this.#timer);
    if (this.tty) this.#draw();
  }

  started(e: TrialStartEvent): void {
    this.#slots[e.slot] = { number: e.number };
    this.#dirty = true;
  }

  report(e: TrialReportEvent): void {
    const s = this.#slots[e.slot];
    if (!s || s.number !== e.number) return;
    s.step = e.step;
    s.value = typeof e.value === 'number' ? e.value : (e.value as Metrics)[this.#o.metric];
    this.#dirty = true;
  }

  /**
   * A trial finished. `best` is the study's best after it (the study knows feasibility and several objectives); without it the
   * best is tracked here by value.
   */
  finished(t: TrialRecord, slot: number, best?: TrialRecord | null): void {
    this.#finished++;
    if (t.state === 'complete' || t.state === 'pruned' || t.state === 'failed') this.#counts[t.state]++;
    const better = (a: number, b: number) => (this.#o.direction === 'minimize' ? a < b : a > b);
    if (best !== undefined) this.#best = best ?? undefined;
    else if (
      t.state === 'complete' &&
      t.value !== undefined &&
      Number.isFinite(t.value) &&
      (!this.#best || better(t.value, this.#best.value as number))
    )
      this.#best = t;
    if (this.#slots[slot]?.number === t.number) this.#slots[slot] = {};
    this.log(this.#trialLine(t));
  }

  interrupted(number: number, slot: number): void {
    if (this.#slots[slot]?.number === number) this.#slots[slot] = {};
    this.log(`trial ${number} interrupted (re-run on resume)`);
  }

  /** A line above the live block (TTY) or on its own (plain). */
  log(text: string): void {
    // Names, params and error text are user data: control characters must not reach the terminal.
    const line = escapeControl(text);
    if (this.tty) {
      this.#clear();
      this.#sink.write(`${line}\n`);
      this.#draw();
    } else {
      this.#sink.write(`${line}\n`);
    }
  }

  #trialLine(t: TrialRecord): string {
    const done = `[${this.#o.already + this.#finished}/${this.#o.total}]`;
    const dur = t.started && t.finished ? ` ${formatDuration(Date.parse(t.finished) - Date.parse(t.started))}` : '';
    const why = t.state === 'complete' ? '' : ` ${t.reason ?? t.error?.message.split('\n')[0] ?? ''}`.trimEnd();
    const best = this.#best ? ` (best ${fmt(this.#best.value)} #${this.#best.number})` : '';
    return `${done} trial ${t.number} ${t.state} ${this.#o.metric}=${fmt(t.value)}${why}${dur}${best}`;
  }

  /** ETA from the finish rate of this run, capped by the time budget. */
  eta(): number {
    const elapsed = Date.now() - this.#t0;
    const left = this.#o.total - this.#o.already - this.#finished;
    let eta = this.#finished > 0 ? (elapsed / this.#finished) * Math.max(0, left) : NaN;
    if (this.#o.seconds !== undefined) {
      const rest = this.#o.seconds * 1000 - elapsed;
      eta = Number.isNaN(eta) ? rest : Math.min(eta, rest);
    }
    return eta;
  }

  /** The one-line sweep summary (also the periodic plain log line). */
  summary(): string {
    const done = this.#o.already + this.#finished;
    const c = this.#counts;
    const best = this.#best ? `best ${this.#o.metric} ${fmt(this.#best.value)} (#${this.#best.number})` : 'best -';
    const running = this.#slots.filter((s) => s.number !== undefined).length;
    return (
      `${this.#o.name}: ${done}/${this.#o.total} finished (${c.complete} complete, ${c.pruned} pruned, ${c.failed} failed), ${running} running, ` +
      `elapsed ${formatDuration(Date.now() - this.#t0)}, ETA ${formatDuration(this.eta())}, ${best}`
    );
  }

  /** The live block: the sweep line (bar, finished / budget, elapsed, ETA, best), the counts, one line per worker slot. */
  lines(): string[] {
    const width = Math.max(40, (this.#sink.columns || 120) - 1);
    const done = this.#o.already + this.#finished;
    const frac = this.#o.total > 0 ? Math.min(1, done / this.#o.total) : 1;
    const barWidth = 30;
    const filled = Math.round(frac * barWidth);
    const c = this.#counts;
    const best = this.#best ? `best ${this.#o.metric} ${fmt(this.#best.value)} (#${this.#best.number})` : 'best -';
    const out = [
      `${this.#o.name} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${done}/${this.#o.total} trials  ` +
        `elapsed ${formatDuration(Date.now() - this.#t0)}  ETA ${formatDuration(this.eta())}  ${best}`,
      `  ${c.complete} complete, ${c.pruned} pruned, ${c.failed} failed`,
    ];
    this.#slots.forEach((s, i) => {
      const device = (this.#o.slots[i] ?? '').padEnd(6);
      const body =
        s.number === undefined
          ? 'idle'
          : `trial ${String(s.number).padEnd(5)} epoch ${s.step === undefined ? '-' : `${s.step}${this.#o.maxEpochs ? `/${this.#o.maxEpochs}` : ''}`}  ${this.#o.metric} ${fmt(s.value)}`;
      out.push(`  worker ${String(i).padEnd(2)} ${device} ${body}`);
    });
    return out.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
  }

  #clear(): void {
    if (this.#drawn > 0) this.#sink.write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    const lines = this.lines();
    this.#clear();
    this.#sink.write(lines.map((l) => `\x1b[2K${escapeControl(l)}\n`).join(''));
    this.#drawn = lines.length;
    this.#dirty = false;
  }
}
