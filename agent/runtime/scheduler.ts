// Fixed-rate ticker. Tick k is due at start + k × interval (no drift). Each tick gets a deadline
// (an AbortSignal that fires at the next tick); a tick still running when the next is due makes
// that next tick skip, and the skip is counted as an overrun, so a slow cycle never piles up.

import type { Clock, TimerHandle } from './clock.js';

export interface TickInfo {
  readonly n: number;
  /** Monotonic time this tick was due. */
  readonly dueMs: number;
  readonly signal: AbortSignal;
}

export interface SchedulerStats {
  ticks: number;
  overruns: number;
  /** Longest tick duration seen, ms. */
  maxDurationMs: number;
  lastDurationMs: number;
}

export class FixedRateScheduler {
  readonly stats: SchedulerStats = { ticks: 0, overruns: 0, maxDurationMs: 0, lastDurationMs: 0 };
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private runningCtl: AbortController | undefined;
  private startMs = 0;
  private n = 0;
  private stopped = true;

  constructor(
    private readonly clock: Clock,
    private intervalMs: number,
    private readonly tick: (info: TickInfo) => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {
    if (!(intervalMs > 0)) throw new RangeError('interval must be positive');
  }

  /** Starts ticking; the first tick runs immediately. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.startMs = this.clock.monotonic();
    this.n = 0;
    this.fire();
  }

  /** Changes the interval from the next tick on. */
  setInterval(ms: number): void {
    if (!(ms > 0)) throw new RangeError('interval must be positive');
    this.startMs = this.clock.monotonic() - this.n * ms;
    this.intervalMs = ms;
  }

  get interval(): number {
    return this.intervalMs;
  }

  /**
   * Stops ticking and waits for a tick in progress to finish. `abortRunning` fires that tick's
   * signal now instead of at its deadline (a 10 s miner cycle should not hold up a shutdown).
   */
  async stop(opts: { abortRunning?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    if (opts.abortRunning) this.runningCtl?.abort(new Error('stopping'));
    await this.running;
  }

  private fire(): void {
    if (this.stopped) return;
    const dueMs = this.startMs + this.n * this.intervalMs;
    const n = this.n++;
    if (this.running) {
      this.stats.overruns++;
    } else {
      const ctl = new AbortController();
      this.runningCtl = ctl;
      const deadline = this.clock.setTimeout(() => ctl.abort(new Error('tick deadline')), this.startMs + this.n * this.intervalMs - this.clock.monotonic());
      const began = this.clock.monotonic();
      this.stats.ticks++;
      this.running = (async () => {
        try {
          await this.tick({ n, dueMs, signal: ctl.signal });
        } catch (err) {
          this.onError(err);
        } finally {
          deadline.cancel();
          const d = this.clock.monotonic() - began;
          this.stats.lastDurationMs = d;
          if (d > this.stats.maxDurationMs) this.stats.maxDurationMs = d;
          this.running = undefined;
          this.runningCtl = undefined;
        }
      })();
    }
    const next = this.startMs + this.n * this.intervalMs;
    this.timer = this.clock.setTimeout(() => this.fire(), next - this.clock.monotonic());
  }
}
