// Batches waiting for the hub's ack. The hub link reads from here and the agent appends; acked
// batches are removed. Bounded: when full, the oldest batches are dropped and counted (never
// silently). Two implementations: MemoryOutbox (below) and the crash-safe DiskSpool
// (spool/spool.ts).

import type { BuiltBatch } from './encoder.js';

export interface OutboxStats {
  batches: number;
  bytes: number;
  /** Oldest unacked seq, 0 when empty. */
  oldestSeq: number;
  droppedBatches: number;
  droppedSamples: number;
  ackedBatches: number;
  ackedSamples: number;
  appendedBatches: number;
  appendedSamples: number;
}

/** What an outbox tells its reader (the hub link) without being asked. */
export type OutboxChange =
  /** after() may now return batches it did not return before (fsynced, or read back from disk). */
  | { readonly type: 'readable' }
  /** Unacked batches were dropped: the hub must be told (a Hello with oldest_unacked_seq). */
  | { readonly type: 'dropped'; readonly batches: number; readonly samples: number };

export interface Outbox {
  /** The seq the next batch gets; strictly increasing within `streamId`. */
  nextSeq(): number;
  readonly streamId: number;
  append(b: BuiltBatch): void;
  /** Removes every batch with seq ≤ upto; returns how many were removed. */
  ack(upto: number): number;
  /**
   * Unacked batches with seq > after, oldest first, at most `limit`. May return fewer than it
   * holds (a batch not yet durable, or still being read from disk) but never skips one: what is
   * returned is always the next batches in seq order. 'readable' tells when to ask again.
   */
  after(after: number, limit: number): readonly BuiltBatch[];
  readonly lastSeq: number;
  stats(): OutboxStats;
  /** Registers for changes. An outbox whose after() always returns what it holds need not emit 'readable'. */
  subscribe?(listener: (c: OutboxChange) => void): void;
  /**
   * The hub holds seqs of this stream beyond anything this outbox handed out (a spool that lost
   * its tail): continue with a new stream id, keeping the unacked batches. Returns the new id.
   */
  restream?(): number;
}

export class MemoryOutbox implements Outbox {
  private readonly queue: BuiltBatch[] = [];
  private head = 0;
  private bytes = 0;
  private seq = 0;
  private readonly s = { droppedBatches: 0, droppedSamples: 0, ackedBatches: 0, ackedSamples: 0, appendedBatches: 0, appendedSamples: 0 };
  private readonly listeners: ((c: OutboxChange) => void)[] = [];

  constructor(
    private _streamId: number,
    private readonly limits: { maxBatches: number; maxBytes: number },
    private readonly onDrop: (dropped: BuiltBatch) => void = () => {},
    private readonly newStreamId: () => number = () => 1 + Math.floor(Math.random() * (2 ** 47 - 1)),
  ) {}

  get streamId(): number {
    return this._streamId;
  }

  restream(): number {
    this._streamId = this.newStreamId();
    return this._streamId;
  }

  nextSeq(): number {
    return this.seq + 1;
  }

  get lastSeq(): number {
    return this.seq;
  }

  subscribe(listener: (c: OutboxChange) => void): void {
    this.listeners.push(listener);
  }

  append(b: BuiltBatch): void {
    if (b.seq <= this.seq) throw new RangeError(`seq ${b.seq} is not after ${this.seq}`);
    this.seq = b.seq;
    this.queue.push(b);
    this.bytes += b.bytes.length;
    this.s.appendedBatches++;
    this.s.appendedSamples += b.samples;
    let batches = 0;
    let samples = 0;
    while (this.size > 1 && (this.size > this.limits.maxBatches || this.bytes > this.limits.maxBytes)) {
      const old = this.shift();
      this.s.droppedBatches++;
      this.s.droppedSamples += old.samples;
      batches++;
      samples += old.samples;
      this.onDrop(old);
    }
    if (batches) for (const l of this.listeners) l({ type: 'dropped', batches, samples });
  }

  ack(upto: number): number {
    let n = 0;
    while (this.size && (this.queue[this.head] as BuiltBatch).seq <= upto) {
      const b = this.shift();
      this.s.ackedBatches++;
      this.s.ackedSamples += b.samples;
      n++;
    }
    return n;
  }

  after(after: number, limit: number): readonly BuiltBatch[] {
    const out: BuiltBatch[] = [];
    // Binary search for the first seq > after (seqs are increasing).
    let lo = this.head;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.queue[mid] as BuiltBatch).seq <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.queue.length && out.length < limit; i++) out.push(this.queue[i] as BuiltBatch);
    return out;
  }

  stats(): OutboxStats {
    return { batches: this.size, bytes: this.bytes, oldestSeq: this.size ? (this.queue[this.head] as BuiltBatch).seq : 0, ...this.s };
  }

  private get size(): number {
    return this.queue.length - this.head;
  }

  private shift(): BuiltBatch {
    const b = this.queue[this.head] as BuiltBatch;
    this.queue[this.head] = undefined as unknown as BuiltBatch;
    this.head++;
    this.bytes -= b.bytes.length;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return b;
  }
}
