// A token bucket: `ratePerS` tokens a second, at most one second's worth saved up. take() may
// drive the balance below zero by one item (a batch is sent whole); waitMs() says when the
// balance is positive again. Time comes from the caller (a Clock's monotonic milliseconds).

export class TokenBucket {
  private tokens = 0;
  private atMs: number | undefined;

  constructor(private readonly ratePerS: number) {}

  /** True when something may go now (always, for a rate of 0 = unlimited). */
  ready(nowMs: number): boolean {
    if (this.ratePerS <= 0) return true;
    this.refill(nowMs);
    return this.tokens > 0;
  }

  take(n: number): void {
    if (this.ratePerS > 0) this.tokens -= n;
  }

  /** Milliseconds until ready() turns true. */
  waitMs(nowMs: number): number {
    if (this.ratePerS <= 0) return 0;
    this.refill(nowMs);
    return this.tokens > 0 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerS);
  }

  private refill(nowMs: number): void {
    this.tokens = this.atMs === undefined ? this.ratePerS : Math.min(this.ratePerS, this.tokens + ((nowMs - this.atMs) * this.ratePerS) / 1000);
    this.atMs = nowMs;
  }
}
