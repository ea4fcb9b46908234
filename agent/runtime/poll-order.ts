// The order a bounded poll group starts its drivers in: longest last poll first (LPT). A hung
// device that costs its whole timeout then starts at the beginning of the cycle, in parallel with
// the others, instead of after them — so the cycle lasts about one timeout, not a queue's worth
// plus a timeout. A driver that did not get to start before the deadline goes before everyone
// next time, the longest-waiting first, so nobody starves. New drivers keep their given order.

const STARVED = 1e15;

export class PollOrder<T> {
  private readonly lastMs = new Map<T, number>();

  /** `items` sorted longest-first by their last recorded duration (stable for ties). */
  order(items: readonly T[]): T[] {
    return items
      .map((item, i) => ({ item, i, ms: this.lastMs.get(item) ?? -1 }))
      .sort((a, b) => b.ms - a.ms || a.i - b.i)
      .map((x) => x.item);
  }

  /** A poll's duration, or 'not-started' when the cycle's deadline came first. */
  record(item: T, ms: number | 'not-started'): void {
    if (ms !== 'not-started') {
      this.lastMs.set(item, ms);
      return;
    }
    const prev = this.lastMs.get(item) ?? 0;
    this.lastMs.set(item, prev >= STARVED ? prev + 1 : STARVED);
  }
}
