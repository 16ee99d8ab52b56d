/**
 * Which trials of one study changed, in order, so a reader can catch up on what changed instead of re-reading the study
 * ({@link Storage.getTrialsSince}). The study's pruning path reads this way on every report: with 20,000 trials stored,
 * re-reading (or even copying) the whole list per report was what made a long study's reports slower than its first.
 *
 * A cursor is the number of changes a reader has seen. The log forgets old changes once it is much longer than the study
 * (a reader that far behind is told to read everything, which is still correct), so its memory stays proportional to the
 * trials, not to the reports.
 */

/** The change log of one study (see the file comment). */
export class ChangeLog {
  /** Trial numbers in change order; entry i is change number `base + i + 1`. */
  private log: number[] = [];
  /** Starts at 1: cursor 0 always means "everything", even for a reader that has seen an empty study. */
  private base = 1;

  /** The cursor of a reader that has seen every change. */
  get cursor(): number {
    return this.base + this.log.length;
  }

  /** Records a change of trial `number`; `trialCount` (the study's size) bounds the log's length. */
  note(number: number, trialCount: number): void {
    this.log.push(number);
    if (this.log.length > 4096 && this.log.length > 4 * trialCount) this.forget();
  }

  /** Forgets every change: readers with an older cursor read everything next time. */
  forget(): void {
    this.base = this.cursor + 1;
    this.log = [];
  }

  /** The numbers changed after `cursor`, each once in first-change order; undefined when the reader must read everything. */
  since(cursor: number): number[] | undefined {
    if (!Number.isInteger(cursor) || cursor <= 0 || cursor < this.base || cursor > this.cursor) return undefined;
    const out: number[] = [];
    const seen = new Set<number>();
    for (let i = cursor - this.base; i < this.log.length; i++) {
      const n = this.log[i]!;
      if (!seen.has(n)) {
        seen.add(n);
        out.push(n);
      }
    }
    return out;
  }
}
