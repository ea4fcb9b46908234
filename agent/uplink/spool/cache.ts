// The bytes of batches the spool keeps in memory, bounded: batches waiting for their write, the
// newest ones (live data is served from here), memory-only ones (the disk failed), and a
// read-ahead of older batches read back from the segment files.

import { State, type BatchIndex } from './batch-index.js';

export class BatchCache {
  private readonly mem = new Map<number, Uint8Array>();
  private readonly ahead = new Map<number, Uint8Array>();
  private memBytes = 0;
  private aheadBytes = 0;

  constructor(
    /** Bound on `mem` (the newest and memory-only batches). */
    private readonly limit: number,
    /** Bound on the read-ahead. */
    private readonly aheadLimit: number,
  ) {}

  get bytes(): number {
    return this.memBytes + this.aheadBytes;
  }

  /** The batches held in memory proper (not the read-ahead), in seq order. */
  get held(): ReadonlyMap<number, Uint8Array> {
    return this.mem;
  }

  get(seq: number): Uint8Array | undefined {
    return this.mem.get(seq) ?? this.ahead.get(seq);
  }

  put(seq: number, bytes: Uint8Array): void {
    this.mem.set(seq, bytes);
    this.memBytes += bytes.length;
  }

  /** A batch read back from disk; the oldest read-ahead goes beyond its bound. */
  putAhead(seq: number, bytes: Uint8Array): void {
    this.ahead.set(seq, bytes);
    this.aheadBytes += bytes.length;
    for (const [s, b] of this.ahead) {
      if (this.aheadBytes <= this.aheadLimit) return;
      this.ahead.delete(s);
      this.aheadBytes -= b.length;
    }
  }

  forget(seq: number): void {
    const m = this.mem.get(seq);
    if (m) this.dropMem(seq, m);
    const a = this.ahead.get(seq);
    if (a) {
      this.ahead.delete(seq);
      this.aheadBytes -= a.length;
    }
  }

  /**
   * Brings memory under its bound: first forgets fsynced batches (they are on disk), oldest
   * first; then drops memory-only batches, which marks them lost in the index. Returns what
   * was lost.
   */
  shrink(index: BatchIndex): { batches: number; samples: number } {
    const lost = { batches: 0, samples: 0 };
    if (this.memBytes <= this.limit) return lost;
    for (const [seq, bytes] of this.mem) {
      if (this.memBytes <= this.limit) return lost;
      const i = index.find(seq);
      if (i === -1 || index.state(i) === State.durable) this.dropMem(seq, bytes);
    }
    for (const [seq, bytes] of this.mem) {
      if (this.memBytes <= this.limit) break;
      const i = index.find(seq);
      if (i === -1 || index.state(i) !== State.memOnly) continue;
      this.dropMem(seq, bytes);
      index.setState(i, State.lost);
      lost.batches++;
      lost.samples += index.get(i).samples;
    }
    return lost;
  }

  private dropMem(seq: number, bytes: Uint8Array): void {
    this.mem.delete(seq);
    this.memBytes -= bytes.length;
  }
}
