/**
 * Where the optimize loop's lanes get their trials (loop.ts): a queue of asked trials shared by every lane.
 *
 * Ask ahead: with `ahead`, the feeder keeps `perLane` asked trials per lane ready while the lanes' trials run (one by
 * default), so a lane whose trial ends starts the next one at once instead of waiting for the searcher (a GP's ask grows with
 * the trials it fits). Without it, a free lane asks for its own trial and waits, as the loop always did. The loop asks four
 * per lane of searchers whose proposals ignore results (random, Sobol, grid): a deeper queue gives the longest-first choice
 * more to choose from at no cost to the search. Replayed (bench/replay.ts) on the trial durations of sixteen measured 12-trial
 * MNIST runs on 2 workers, with the built-in trainer's cost hints and four per lane the sweeps ended 0-3.5 s after the best
 * split of their durations (0.8 s on average), against 3-7.5 s (5 s) with one per lane and no hints; on four 36-trial runs,
 * 0-1.5 s against 1-2.5 s.
 *
 * The queue is shared rather than one trial per lane so that a trial asked ahead never waits behind a long trial while
 * another lane is free, and so that the lanes can choose among several trials: a free lane starts the queued trial with the
 * highest predicted running time (cost.ts), which shortens the tail of a sweep (longest processing time first); a trial of
 * unknown cost goes before them, and a trial passed over as many times as the queue holds trials already goes first of all
 * (no trial predicted short waits in the queue for long). Without predictions (nothing finished yet, or not asking ahead)
 * trials start in ask order.
 *
 * Bookkeeping: an asked trial is a normal trial in storage (state running, created by `core.ask`), counted in the ledger's
 * `inFlight` from its ask until the lane that runs it settles it, so the budget (and the global budget of shared storages,
 * which counts running trials) covers the trials waiting in the queue. On shared storages a queued trial heartbeats like a
 * running one; one declared stale by another process meanwhile is dropped (that process enqueued its retry). Trials still
 * queued when the loop stops (signal, timeout, too many failures) are recorded interrupted by {@link TrialFeeder.close}:
 * failed with reason `interrupted` and a retry with the same params enqueued, so nothing is lost or counted twice.
 */
import { SearchExhaustedError } from '../core/errors.js';
import { BudgetReached, type AskedTrial, type StudyCore } from './core.js';
import type { CostModel } from './cost.js';
import type { SweepLedger } from './ledger.js';

/** An asked trial on its way to a lane. */
export interface HeldTrial<P> {
  readonly asked: AskedTrial<P>;
  /** Heartbeats of the trial (shared storages) from its ask until the lane that runs it stops them. */
  readonly alive: { stop(): Promise<void> };
  /** True once another process declared the trial stale (its result would be refused). */
  readonly lost: boolean;
  /** Called once if the trial is lost while running (the lane kills it). */
  onLost?: () => void;
}

/** What the feeder needs from the loop. */
export interface FeederOptions {
  /** The lanes: with `ahead`, this many trials are kept asked ahead. */
  readonly lanes: number;
  /** Keep trials asked ahead (see the file comment). */
  readonly ahead: boolean;
  /** With `ahead`: trials kept asked per lane (default 1). */
  readonly perLane?: number;
  /** Predicts queued trials' running times (longest first); absent: ask order. */
  readonly cost?: CostModel;
  /** Asks the study for one trial (the loop passes the budget and the deterministic lag). */
  readonly ask: () => Promise<AskedTrial<unknown>>;
  /** True once the loop stops starting trials (signal, timeout); queued trials are then left to close(). */
  readonly halted: () => boolean;
  /** The searcher is exhausted or the global budget is reached: no more asks; queued trials still run. */
  readonly onAskClosed: (why: 'exhausted' | 'budget') => void;
}

class Held<P> implements HeldTrial<P> {
  lost = false;
  /** Picks at which another queued trial started instead of this one. */
  passed = 0;
  onLost?: () => void;
  alive: { stop(): Promise<void> } = { stop: async () => undefined };
  constructor(readonly asked: AskedTrial<P>) {}
}

/** The queue of asked trials the lanes of one optimize call take their trials from (see the file comment). */
export class TrialFeeder<P> {
  readonly #core: StudyCore<P>;
  readonly #ledger: SweepLedger;
  readonly #o: FeederOptions;
  readonly #ready: Held<P>[] = [];
  #asking = 0;
  /** Lanes inside next() without a trial yet. */
  #waiting = 0;
  #askClosed = false;
  #wakers: (() => void)[] = [];

  constructor(core: StudyCore<P>, ledger: SweepLedger, o: FeederOptions) {
    this.#core = core;
    this.#ledger = ledger;
    this.#o = o;
  }

  /**
   * The next trial for a free lane, or undefined when none will come: the loop is stopping, the budget leaves no room, the
   * searcher is exhausted and the queue is empty, or a fatal error happened.
   */
  async next(): Promise<HeldTrial<P> | undefined> {
    this.#waiting++;
    try {
      for (;;) {
        if (this.#stopped()) return undefined;
        const held = this.#take();
        if (held) return held;
        if (this.#asking < this.#waiting && this.#canAsk()) this.#startAsk();
        if (this.#asking === 0) return undefined;
        await new Promise<void>((resolve) => this.#wakers.push(resolve));
      }
    } finally {
      this.#waiting--;
      this.#refill();
    }
  }

  /**
   * Waits for asks in flight, then records every trial still queued as interrupted (a retry with the same params is
   * enqueued; it does not count). Called once, after every lane ended.
   */
  async close(): Promise<void> {
    this.#askClosed = true;
    while (this.#asking > 0) await new Promise<void>((resolve) => this.#wakers.push(resolve));
    for (const held of this.#ready.splice(0)) {
      try {
        await held.alive.stop();
        if (!held.lost) await this.#core.markInterrupted(held.asked.number);
      } finally {
        this.#ledger.inFlight--;
      }
    }
  }

  #stopped(): boolean {
    return this.#o.halted() || this.#ledger.fatal !== undefined;
  }

  #canAsk(): boolean {
    return !this.#askClosed && !this.#stopped() && this.#ledger.canStart();
  }

  /** Trials the queue holds when full (with `ahead`). */
  #capacity(): number {
    return this.#o.lanes * Math.max(1, this.#o.perLane ?? 1);
  }

  /** Keeps `perLane` trials per lane asked ahead (and one per waiting lane), within the budget. */
  #refill(): void {
    if (!this.#o.ahead) return;
    while (this.#canAsk() && this.#ready.length + this.#asking < this.#capacity() + this.#waiting) this.#startAsk();
  }

  #startAsk(): void {
    this.#asking++;
    this.#ledger.inFlight++;
    // Called a tick later so that even a synchronous throw (a closed study) settles this ask like any failed one.
    void Promise.resolve()
      .then(() => this.#o.ask())
      .then(
        (asked) => {
          const held = new Held<P>(asked as AskedTrial<P>);
          this.#ready.push(held);
          try {
            held.alive = this.#core.keepAlive(asked.number, () => {
              held.lost = true;
              held.onLost?.();
            });
          } catch (error) {
            this.#ledger.fail(error); // the loop stops; close() records the trial interrupted
          }
        },
        (error: unknown) => {
          this.#ledger.inFlight--;
          if (error instanceof BudgetReached || error instanceof SearchExhaustedError) {
            this.#askClosed = true;
            this.#o.onAskClosed(error instanceof BudgetReached ? 'budget' : 'exhausted');
          } else {
            this.#ledger.fail(error);
          }
        },
      )
      .finally(() => {
        this.#asking--;
        const wakers = this.#wakers.splice(0);
        for (const w of wakers) w();
      });
  }

  /** Removes and returns the queued trial to start now (see #pick); drops lost ones. */
  #take(): Held<P> | undefined {
    for (;;) {
      if (this.#ready.length === 0) return undefined;
      const i = this.#pick();
      const [held] = this.#ready.splice(i, 1) as [Held<P>];
      if (!held.lost) return held;
      // Declared stale while queued: another process enqueued its retry; this one never ran and does not count.
      this.#ledger.inFlight--;
      void held.alive.stop();
    }
  }

  /**
   * The index of the queued trial to start: the first one (oldest) already passed over as many times as the queue holds
   * trials, so no trial waits behind more than that many others (a short one is not starved, and a searcher's proposal does not
   * grow stale); else the first of unknown cost (a kind or shape no finished trial had: it may be long); else the
   * predicted-longest (ties: the first asked).
   */
  #pick(): number {
    const cost = this.#o.cost;
    if (!cost || this.#ready.length < 2) return 0;
    let best = 0;
    let bestCost = -Infinity;
    for (let i = 0; i < this.#ready.length; i++) {
      const h = this.#ready[i] as Held<P>;
      if (h.passed >= this.#capacity()) {
        best = i;
        break;
      }
      const c = cost.predict(h.asked) ?? Infinity;
      if (c > bestCost) {
        best = i;
        bestCost = c;
      }
    }
    this.#ready.forEach((h, i) => {
      if (i !== best) h.passed++;
    });
    return best;
  }
}
