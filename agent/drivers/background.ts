// Reading a slow device off the poll cycle. Some reads take far longer than a cycle should wait
// (nvidia-smi needs tens of ms with persistence mode and ~1.5 s without it; an SSH hop adds a
// round trip; host stats are cheap but not worth reading every second). A driver for such a
// device keeps a BackgroundSampler: each poll() hands over the result that completed since the
// last poll (or nothing) and starts the next read when it is due, so the 1 s cycle of the PDUs
// never waits on it.
//
// Contract: at most one read in flight; a read starts no earlier than `intervalMs` after the
// previous one started (resolution: the poll cycle); results keep the time they were read, so
// their age is honest; close() aborts a read in flight and waits for it to settle.

import type { Clock } from '../runtime/clock.js';
import type { PollResult } from './types.js';

/** What poll() returns when no new read completed since the last one. */
export const NOTHING_NEW: PollResult = { samples: [], failed: 0, requests: 0 };

export class BackgroundSampler {
  private inflight: Promise<void> | undefined;
  private ready: PollResult | undefined;
  private nextDue = -Infinity;
  private ctl = new AbortController();
  private closed = false;
  readonly stats = { reads: 0, lastReadMs: 0, maxReadMs: 0 };

  constructor(
    private readonly clock: Clock,
    readonly intervalMs: number,
    /** One read; must not reject (failures are samples of bad quality). */
    private readonly read: (signal: AbortSignal) => Promise<PollResult>,
  ) {}

  /** The result completed since the last take() (or NOTHING_NEW); starts a read when due. */
  take(): PollResult {
    const now = this.clock.monotonic();
    if (!this.closed && !this.inflight && now >= this.nextDue) this.start(now);
    const r = this.ready;
    this.ready = undefined;
    return r ?? NOTHING_NEW;
  }

  /** Waits for the read in flight, if any (tests, diag). */
  async settle(): Promise<void> {
    await this.inflight;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.ctl.abort(new Error('driver closing'));
    await this.inflight;
  }

  private start(now: number): void {
    this.nextDue = now + this.intervalMs;
    this.stats.reads++;
    this.inflight = this.read(this.ctl.signal).then(
      (r) => {
        this.ready = r;
      },
      (err: unknown) => {
        // A read that broke its contract: report it as a failed request rather than lose it.
        this.ready = { samples: [], failed: 1, requests: 1, error: `read failed: ${(err as Error).message}` };
      },
    ).finally(() => {
      const took = this.clock.monotonic() - now;
      this.stats.lastReadMs = took;
      if (took > this.stats.maxReadMs) this.stats.maxReadMs = took;
      this.inflight = undefined;
    });
  }
}
