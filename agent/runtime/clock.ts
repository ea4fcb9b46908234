// Time, injected. Every loop takes a Clock; tests pass a FakeClock and advance it instead of
// sleeping.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the epoch (timestamps on the wire). */
  now(): number;
  /** Monotonic milliseconds (durations, deadlines); unaffected by wall-clock steps. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
};

/** Resolves after `ms` on `clock`, or as soon as `signal` aborts (never rejects). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      t.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = clock.setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A clock that moves only when told to. Timers fire in time order during advance(). */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  monotonic(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => { timer.cancelled = true; } };
  }

  /** Advances time by `ms`, running due timers (and letting their promise chains settle). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flushMicrotasks(); // settle what the caller just started, as real time would
    for (;;) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await flushMicrotasks();
    }
    this.t = end;
    await flushMicrotasks();
  }

  pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
