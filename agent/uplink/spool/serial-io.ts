// One file operation at a time: the spool's writes, fsyncs, state saves, deletions and
// read-backs run in order on this queue, off the caller's path (nothing here is awaited by the
// poll loop). It also says how long the operation in progress has run, so a hung disk is seen.

import type { Clock } from '../../runtime/clock.js';

export class SerialIo {
  private tail: Promise<void> = Promise.resolve();
  private since: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Queues `op`; the promise settles when it has run (never rejects: errors go to onError). */
  run(op: () => Promise<void>): Promise<void> {
    const p = this.tail.then(async () => {
      this.since = this.clock.monotonic();
      try {
        await op();
      } finally {
        this.since = undefined;
      }
    }).catch(this.onError);
    this.tail = p;
    return p;
  }

  /** Resolves once everything queued so far, and anything those queue, has run. */
  async settled(): Promise<void> {
    for (let p = this.tail; ; p = this.tail) {
      await p;
      if (p === this.tail) return;
    }
  }

  /** How long the operation in progress has been running, 0 when idle. */
  busyMs(): number {
    return this.since === undefined ? 0 : this.clock.monotonic() - this.since;
  }
}
