// Progress for diag work that can take more than a second (selftests, probes): nothing for the
// first second, then what is being done, on stderr so stdout stays the result. A terminal gets
// one line rewritten in place (and cleared at the end); anything else gets a plain line at most
// once a second, so a log file shows progress without a line per step.

export interface ProgressOptions {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  /** Time source, ms (performance.now by default; tests pass their own). */
  readonly now?: () => number;
  /** Quiet before this much time has passed (default 1000 ms). */
  readonly afterMs?: number;
}

export class Progress {
  private readonly t0: number;
  private lastLineAt = -Infinity;
  private shown = false;
  private what = '';
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ProgressOptions) {
    this.now = o.now ?? (() => performance.now());
    this.t0 = this.now();
  }

  /** Repaints every `everyMs` on its own, so a single slow step still shows (real time only). */
  tick(everyMs = 250): this {
    this.timer = setInterval(() => this.render(), everyMs);
    this.timer.unref();
    return this;
  }

  /** Says what is happening now, e.g. "checking miner-03 (4/12)". */
  update(what: string): void {
    this.what = what;
    this.render();
  }

  render(): void {
    const what = this.what;
    if (!what) return;
    const t = this.now();
    if (t - this.t0 < (this.o.afterMs ?? 1000)) return;
    const secs = `${((t - this.t0) / 1000).toFixed(0)} s`;
    if (this.o.out.isTTY) {
      this.o.out.write(`\r\x1b[K${what} … ${secs}`);
      this.shown = true;
    } else if (t - this.lastLineAt >= 1000) {
      this.o.out.write(`… ${what} (${secs})\n`);
      this.lastLineAt = t;
    }
  }

  /** Clears the progress line before the result is printed. */
  done(): void {
    clearInterval(this.timer);
    if (this.shown) this.o.out.write('\r\x1b[K');
    this.shown = false;
  }
}

/** Runs `fn` with progress on `out` (ticking on its own), cleared when it ends. */
export async function withProgress<T>(out: ProgressOptions['out'], fn: (p: Progress) => Promise<T>): Promise<T> {
  const p = new Progress({ out }).tick();
  try {
    return await fn(p);
  } finally {
    p.done();
  }
}
