// The spool's in-memory index of unacked batches, in seq order: where each batch lives on disk
// and what it holds. Struct-of-arrays (about 45 bytes a batch, no object per batch), so a spool
// of a few hundred thousand batches costs megabytes, not a garbage-collected object graph.
// Positions are valid until the next push/shift; callers use them only within one call.

export const State = {
  /** Appended; its write has not completed. Not sendable. */
  pending: 0,
  /** Written to the segment, not yet fsynced. Not sendable: the hub could ack a seq that a
   *  power loss then takes away, and the restarted agent would give that seq to new data. */
  written: 1,
  /** fsynced: survives kill -9 and power loss. Sendable. */
  durable: 2,
  /** The disk refused it (full, failing): kept in memory only, sendable at once. */
  memOnly: 3,
  /** Known seq whose batch is gone (corrupted on disk, or dropped from memory): sent as an empty
   *  placeholder batch with a loss event, so the hub's window moves on and the loss is visible. */
  lost: 4,
} as const;
export type EntryState = (typeof State)[keyof typeof State];

export const NO_SEGMENT = 0xffffffff;

export interface Entry {
  readonly seq: number;
  readonly seg: number;
  readonly off: number;
  readonly len: number;
  readonly samples: number;
  readonly missing: number;
  readonly events: number;
  readonly timeMs: number;
  readonly catalog: number;
  readonly state: EntryState;
}

export class BatchIndex {
  private cap = 0;
  private head = 0;
  private tail = 0;
  private seqs = new Float64Array(0);
  private times = new Float64Array(0);
  private u32 = new Uint32Array(0); // 7 per entry: seg, off, len, samples, missing, events, catalog
  private states = new Uint8Array(0);
  private readonly counts = new Uint32Array(5);

  get size(): number {
    return this.tail - this.head;
  }

  /** Absolute position of the first entry (for iteration: first..end). */
  get first(): number {
    return this.head;
  }

  get end(): number {
    return this.tail;
  }

  push(e: Entry): void {
    if (this.tail === this.cap) this.grow();
    const i = this.tail++;
    this.seqs[i] = e.seq;
    this.times[i] = e.timeMs;
    const b = i * 7;
    this.u32[b] = e.seg;
    this.u32[b + 1] = e.off;
    this.u32[b + 2] = e.len;
    this.u32[b + 3] = e.samples;
    this.u32[b + 4] = e.missing;
    this.u32[b + 5] = e.events;
    this.u32[b + 6] = e.catalog;
    this.states[i] = e.state;
    this.bump(e.state, 1);
  }

  shift(): void {
    if (this.head < this.tail) this.bump(this.states[this.head++] as number, -1);
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  seq(i: number): number {
    return this.seqs[i] as number;
  }

  state(i: number): EntryState {
    return this.states[i] as EntryState;
  }

  setState(i: number, s: EntryState): void {
    this.bump(this.states[i] as number, -1);
    this.bump(s, 1);
    this.states[i] = s;
  }

  private bump(s: number, d: number): void {
    this.counts[s] = (this.counts[s] ?? 0) + d;
  }

  /** Entries in state `s`. */
  count(s: EntryState): number {
    return this.counts[s] as number;
  }

  setLocation(i: number, seg: number, off: number, len: number): void {
    this.u32[i * 7] = seg;
    this.u32[i * 7 + 1] = off;
    this.u32[i * 7 + 2] = len;
  }

  get(i: number): Entry {
    const b = i * 7;
    const u = this.u32;
    return {
      seq: this.seqs[i] as number, timeMs: this.times[i] as number, seg: u[b] as number, off: u[b + 1] as number, len: u[b + 2] as number,
      samples: u[b + 3] as number, missing: u[b + 4] as number, events: u[b + 5] as number, catalog: u[b + 6] as number, state: this.states[i] as EntryState,
    };
  }

  /** Position of the first entry with seq > `after` (end when none). */
  firstAbove(after: number): number {
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.seqs[mid] as number) <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Position of `seq`, or -1. */
  find(seq: number): number {
    const i = this.firstAbove(seq - 1);
    return i < this.tail && this.seqs[i] === seq ? i : -1;
  }

  private grow(): void {
    const live = this.tail - this.head;
    const cap = Math.max(1024, live * 2);
    const seqs = new Float64Array(cap);
    const times = new Float64Array(cap);
    const u32 = new Uint32Array(cap * 7);
    const states = new Uint8Array(cap);
    seqs.set(this.seqs.subarray(this.head, this.tail));
    times.set(this.times.subarray(this.head, this.tail));
    u32.set(this.u32.subarray(this.head * 7, this.tail * 7));
    states.set(this.states.subarray(this.head, this.tail));
    this.seqs = seqs;
    this.times = times;
    this.u32 = u32;
    this.states = states;
    this.cap = cap;
    this.head = 0;
    this.tail = live;
  }
}
