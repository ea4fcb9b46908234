// Capped exponential backoff with full jitter (AWS "full jitter"; Fluent Bit does the same):
// delay n is uniform in [min, min(cap, base × 2^n)]. Pure apart from the injected random source.

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Lower bound of every delay, so a flapping peer is never hammered. */
  readonly minMs?: number;
}

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const min = Math.min(this.opts.minMs ?? 0, ceiling);
    return Math.round(min + this.random() * (ceiling - min));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
