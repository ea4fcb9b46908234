// The disk spool: an Outbox whose batches survive kill -9, power loss and restarts.
//
// Contract (docs/architecture.md, "Disk spool"):
//  - append() never waits for the disk. It indexes the batch and queues its write; all file I/O
//    runs on one serial async queue, so the poll loop never blocks or stalls on the spool.
//  - A batch is written to the active segment at once (kill -9 loses nothing written) and
//    fsynced at most `fsyncIntervalMs` later (power loss loses at most that interval). It is
//    handed to the hub link only once fsynced: a seq the hub has acked is always on disk, so a
//    restarted agent never gives that seq to new data.
//  - ack(upto) forgets batches; a segment file is deleted once every batch in it is acked.
//  - Bounded: over `maxBytes` on disk, or below `reserveBytes` free on the file system, the
//    oldest segment is dropped (counted, an event with the seq and time range). A write that
//    fails (ENOSPC, EIO) makes the batch memory-only (sendable at once, bounded by
//    `memoryBytes`, oldest dropped and counted beyond) and the disk is retried after `retryMs`.
//  - after() serves the newest batches from memory and older ones from a bounded read-ahead of
//    the segment files; it returns nothing rather than skip a batch still being read, and tells
//    subscribers when more is readable. The backlog is never loaded into memory as a whole.
//  - Seqs whose batch is gone (damaged on disk, dropped from memory) are served as empty
//    placeholder batches carrying a `spool.lost` event, so the hub's window moves on and the
//    loss is visible at the hub.

import { pb } from '../../../protocols/wire/codec.js';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/log.js';
import type { AgentEvent, BuiltBatch } from '../encoder.js';
import type { Outbox, OutboxChange, OutboxStats } from '../outbox.js';
import { BatchIndex, NO_SEGMENT, State } from './batch-index.js';
import { BatchCache } from './cache.js';
import * as ev from './events.js';
import type { SpoolFs } from './fs.js';
import { recover } from './recover.js';
import { SerialIo } from './serial-io.js';
import { readState, writeState } from './state-file.js';
import { SegmentWriter, type WriteOutcome } from './writer.js';

export interface SpoolOptions {
  readonly dir: string;
  /** Bound on the segment files together. */
  readonly maxBytes: number;
  /** A segment is closed and a new one started beyond this size. */
  readonly segmentBytes: number;
  /** Longest time between a batch's write and its fsync. */
  readonly fsyncIntervalMs: number;
  /** Newest batches kept in memory, and the bound on memory-only batches when the disk fails. */
  readonly memoryBytes: number;
  /** Free space to leave on the file system; below it the oldest segment is dropped. */
  readonly reserveBytes: number;
  /** After a write error, the disk is tried again this much later (default 5 s). */
  readonly retryMs?: number;
  /** A write or fsync taking longer than this is a stalled disk: batches go memory-only (default 5 s). */
  readonly stallMs?: number;
}

export interface SpoolDeps {
  readonly fs: SpoolFs;
  readonly clock: Clock;
  readonly log: Logger;
  readonly newStreamId: () => number;
}

export interface SpoolStats extends OutboxStats {
  segments: number;
  diskBytes: number;
  memoryBytes: number;
  memOnlyBatches: number;
  lostBatches: number;
  corruptRegions: number;
  writeErrors: number;
  fsyncs: number;
  degraded: boolean;
}

const READAHEAD_BYTES = 256 << 10;

export class DiskSpool implements Outbox {
  private readonly index = new BatchIndex();
  private readonly cache: BatchCache;
  private readonly io: SerialIo;
  private seq: number;
  private ackedUpto: number;
  private readonly listeners: ((c: OutboxChange) => void)[] = [];
  private eventSink: ((e: AgentEvent) => void) | undefined;
  private readonly queuedEvents: AgentEvent[] = [];
  private stallReported = false;
  private writeQueued = false;
  private readQueued = false;
  private syncTimer: TimerHandle | undefined;
  private stateTimer: TimerHandle | undefined;
  private closed = false;
  private readonly s = { droppedBatches: 0, droppedSamples: 0, ackedBatches: 0, ackedSamples: 0, appendedBatches: 0, appendedSamples: 0, lostBatches: 0, corruptRegions: 0 };

  private constructor(
    private readonly opts: SpoolOptions,
    private readonly deps: SpoolDeps,
    private _streamId: number,
    private readonly writer: SegmentWriter,
    lastSeq: number,
    ackedUpto: number,
  ) {
    this.seq = lastSeq;
    this.ackedUpto = ackedUpto;
    this.cache = new BatchCache(opts.memoryBytes, READAHEAD_BYTES * 4);
    this.io = new SerialIo(deps.clock, (err) => deps.log.error('spool I/O failed', { err }));
  }

  /** Opens (and recovers) the spool in `opts.dir`, creating it if needed. */
  static async open(opts: SpoolOptions, deps: SpoolDeps): Promise<DiskSpool> {
    const { fs, log } = deps;
    await fs.mkdir(opts.dir);
    const st = await readState(fs, opts.dir);
    const acked = st.ok ? (st.state?.ackedUpto ?? 0) : 0;
    const rec = await recover(fs, opts.dir, acked, log);
    const streamId = (st.ok ? st.state?.streamId : undefined) ?? rec.streamId ?? deps.newStreamId();
    const writer = new SegmentWriter(fs, deps.clock, opts.dir, opts.segmentBytes, rec.segments, rec.catalogs);
    const spool = new DiskSpool(opts, deps, streamId, writer, Math.max(rec.lastSeq, acked), acked);
    for (const e of rec.entries) {
      spool.index.push(e);
      writer.noteSeq(e.seg, e.seq);
    }
    spool.s.lostBatches = rec.lostBatches;
    spool.s.corruptRegions = rec.corruptRegions;
    if (!st.ok) spool.event(ev.stateDamaged(st.reason));
    const damage = ev.recoveryDamage(rec);
    if (damage) spool.event(damage);
    await writer.start(streamId, spool.seq + 1, deps.clock.now());
    await writeState(fs, opts.dir, { streamId, ackedUpto: acked });
    await writer.deleteAcked(acked);
    log.info('spool open', { dir: opts.dir, streamId, lastSeq: spool.seq, ackedUpto: acked, unacked: spool.index.size, segments: writer.segmentCount });
    return spool;
  }

  get streamId(): number {
    return this._streamId;
  }

  get lastSeq(): number {
    return this.seq;
  }

  nextSeq(): number {
    return this.seq + 1;
  }

  subscribe(listener: (c: OutboxChange) => void): void {
    this.listeners.push(listener);
  }

  /** Where spool events go (dropped data, damage, disk trouble); events from recovery are replayed. */
  setEventSink(sink: (e: AgentEvent) => void): void {
    this.eventSink = sink;
    for (const e of this.queuedEvents.splice(0)) sink(e);
  }

  /** The current catalog, written into each segment before the first batch that uses it. */
  setCatalog(version: number, series: readonly pb.ISeriesDef[]): void {
    this.writer.setCatalog(version, pb.Catalog.encode({ version, series: [...series] }).finish());
  }

  /** Catalogs that unacked batches refer to, other than `current` (for Hello.previous_catalogs). */
  previousCatalogs(current: number): pb.Catalog[] {
    const versions = new Set<number>();
    for (let i = this.index.first; i < this.index.end; i++) {
      if (this.index.state(i) !== State.lost) versions.add(this.index.get(i).catalog);
    }
    versions.delete(current);
    const out: pb.Catalog[] = [];
    for (const v of versions) {
      const bytes = this.writer.catalog(v);
      if (!bytes) continue;
      try {
        out.push(pb.Catalog.decode(bytes));
      } catch {
        // a catalog record that passed its checksum but does not decode: its batches cannot be read
      }
    }
    return out;
  }

  append(b: BuiltBatch): void {
    if (b.seq <= this.seq) throw new RangeError(`seq ${b.seq} is not after ${this.seq}`);
    this.seq = b.seq;
    // A hung disk, or writes that cannot keep up, must neither hold live data back nor grow memory.
    const stalled = this.closed || this.checkStall() || this.index.count(State.pending) * b.bytes.length > this.opts.memoryBytes;
    this.index.push({
      seq: b.seq, seg: NO_SEGMENT, off: 0, len: 0, samples: b.samples, missing: b.missing, events: b.events,
      timeMs: b.baseTimeMs, catalog: b.catalogVersion ?? 0, state: stalled ? State.memOnly : State.pending,
    });
    this.cache.put(b.seq, b.bytes);
    this.s.appendedBatches++;
    this.s.appendedSamples += b.samples;
    if (stalled) {
      this.emit({ type: 'readable' });
    } else {
      this.scheduleWrite();
    }
    this.enforceMemory();
  }

  ack(upto: number): number {
    const limit = Math.min(upto, this.seq);
    if (limit <= this.ackedUpto) return 0;
    let n = 0;
    while (this.index.size && this.index.seq(this.index.first) <= limit) {
      const e = this.index.get(this.index.first);
      this.cache.forget(e.seq);
      this.index.shift();
      this.s.ackedBatches++;
      this.s.ackedSamples += e.samples;
      n++;
    }
    this.ackedUpto = limit;
    this.scheduleState();
    return n;
  }

  after(after: number, limit: number): readonly BuiltBatch[] {
    const out: BuiltBatch[] = [];
    for (let i = this.index.firstAbove(after); i < this.index.end && out.length < limit; i++) {
      const st = this.index.state(i);
      if (st === State.pending || st === State.written) break; // not durable yet
      if (st === State.lost) {
        out.push(this.placeholder(i));
        continue;
      }
      const e = this.index.get(i);
      const bytes = this.cache.get(e.seq);
      if (!bytes) {
        this.requestRead(i);
        break;
      }
      out.push({ seq: e.seq, bytes, samples: e.samples, missing: e.missing, events: e.events, baseTimeMs: e.timeMs, catalogVersion: e.catalog });
    }
    return out;
  }

  /** The hub holds seqs of this stream that this spool never had: continue on a new stream. */
  restream(): number {
    this._streamId = this.deps.newStreamId();
    this.writer.restream(this._streamId);
    this.scheduleState(0);
    this.deps.log.warn('spool: new stream id', { streamId: this._streamId });
    return this._streamId;
  }

  stats(): SpoolStats {
    return {
      batches: this.index.size, bytes: this.writer.diskBytes, oldestSeq: this.index.size ? this.index.seq(this.index.first) : 0,
      droppedBatches: this.s.droppedBatches, droppedSamples: this.s.droppedSamples, ackedBatches: this.s.ackedBatches, ackedSamples: this.s.ackedSamples,
      appendedBatches: this.s.appendedBatches, appendedSamples: this.s.appendedSamples,
      segments: this.writer.segmentCount, diskBytes: this.writer.diskBytes, memoryBytes: this.cache.bytes,
      memOnlyBatches: this.index.count(State.memOnly), lostBatches: this.s.lostBatches, corruptRegions: this.s.corruptRegions,
      writeErrors: this.writer.stats.writeErrors, fsyncs: this.writer.stats.fsyncs, degraded: this.writer.degraded,
    };
  }

  /** Writes and fsyncs what is pending, saves the state and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stateTimer?.cancel();
    this.syncTimer?.cancel();
    await this.io.run(async () => {
      await this.writeNow();
      await this.writer.sync();
      await writeState(this.deps.fs, this.opts.dir, { streamId: this._streamId, ackedUpto: this.ackedUpto });
      await this.writer.close();
    });
  }

  // ---- writing -----------------------------------------------------------------------------

  private scheduleWrite(): void {
    if (this.writeQueued) return;
    this.writeQueued = true;
    void this.io.run(async () => {
      this.writeQueued = false;
      await this.writeNow();
    });
  }

  private async writeNow(): Promise<void> {
    const out = await this.writer.writePending(this.index, this.cache.held, this.deps.clock.monotonic(), {
      retryMs: this.opts.retryMs ?? 5000, maxBytes: this.opts.maxBytes, reserveBytes: this.opts.reserveBytes,
      dropOldest: (reason) => this.dropOldestSegment(reason),
    });
    this.report(out);
    this.scheduleSync();
  }

  private report(out: WriteOutcome): void {
    if (out.failed) {
      if (out.failed.entered) this.event(ev.degraded(out.failed.code, this.opts.memoryBytes));
      this.emit({ type: 'readable' });
      this.enforceMemory();
    }
    if (out.recovered) this.event(ev.recovered());
  }

  private scheduleSync(): void {
    if (this.syncTimer || !this.writer.unsynced) return;
    const wait = this.writer.lastSyncMono + this.opts.fsyncIntervalMs - this.deps.clock.monotonic();
    const run = (): void => {
      this.syncTimer = undefined;
      void this.io.run(async () => {
        if (await this.writer.syncIndex(this.index)) this.emit({ type: 'readable' });
        this.enforceMemory();
      });
    };
    if (wait <= 0) run();
    else this.syncTimer = this.deps.clock.setTimeout(run, wait);
  }

  private scheduleState(delayMs = this.opts.fsyncIntervalMs): void {
    if (this.stateTimer || this.closed) return;
    this.stateTimer = this.deps.clock.setTimeout(() => {
      this.stateTimer = undefined;
      void this.io.run(async () => {
        try {
          await writeState(this.deps.fs, this.opts.dir, { streamId: this._streamId, ackedUpto: this.ackedUpto });
        } catch (err) {
          this.deps.log.warn('spool state not saved (acked batches may be re-sent after a restart)', { err });
        }
        // Acked segments can go even when the state did not save: the hub holds their batches.
        await this.writer.deleteAcked(this.ackedUpto);
      });
    }, delayMs);
  }

  // ---- dropping ----------------------------------------------------------------------------

  /** Drops the oldest segment and every unacked batch up to its last seq. Returns false if none. */
  private async dropOldestSegment(reason: string): Promise<boolean> {
    const seg = await this.writer.dropOldest();
    if (!seg) return false;
    if (!this.index.size || this.index.seq(this.index.first) > seg.lastSeq) return true; // it held only acked batches
    const first = this.index.get(this.index.first);
    let last = first;
    const d = { batches: 0, samples: 0, events: 0 };
    while (this.index.size && this.index.seq(this.index.first) <= seg.lastSeq) {
      last = this.index.get(this.index.first);
      this.cache.forget(last.seq);
      this.index.shift();
      d.batches++;
      d.samples += last.samples;
      d.events += last.events;
    }
    this.s.droppedBatches += d.batches;
    this.s.droppedSamples += d.samples;
    this.event(ev.dropped(reason, { ...d, firstSeq: first.seq, lastSeq: last.seq, firstTimeMs: first.timeMs, lastTimeMs: last.timeMs }));
    this.emit({ type: 'dropped', batches: d.batches, samples: d.samples });
    return true;
  }

  /** Keeps memory under `memoryBytes`; memory-only batches dropped on the way are counted and reported. */
  private enforceMemory(): void {
    const { batches, samples } = this.cache.shrink(this.index);
    if (!batches) return;
    this.s.lostBatches += batches;
    this.s.droppedBatches += batches;
    this.s.droppedSamples += samples;
    this.event(ev.memoryDropped(batches, samples));
  }

  // ---- reading -----------------------------------------------------------------------------

  private requestRead(pos: number): void {
    if (this.readQueued) return;
    this.readQueued = true;
    const run = this.writer.readRun(this.index, pos, READAHEAD_BYTES);
    void this.io.run(async () => {
      this.readQueued = false;
      const got = await this.writer.read(run);
      for (const r of got) {
        const i = this.index.find(r.seq);
        if (i === -1) continue; // acked or dropped meanwhile
        if (r.bytes) {
          this.cache.putAhead(r.seq, r.bytes);
          continue;
        }
        this.index.setState(i, State.lost);
        this.s.lostBatches++;
        this.s.corruptRegions++;
        this.deps.log.error('spool batch unreadable on disk; sent as lost', { seq: r.seq, reason: r.error });
      }
      this.emit({ type: 'readable' });
    });
  }

  /** The placeholder for lost entry i; the first of a run of lost seqs says how many. */
  private placeholder(i: number): BuiltBatch {
    const seq = this.index.seq(i);
    const lostAt = (j: number, s: number): boolean => j >= this.index.first && j < this.index.end && this.index.state(j) === State.lost && this.index.seq(j) === s;
    let run = 0;
    if (!lostAt(i - 1, seq - 1)) while (lostAt(i + run, seq + run)) run++;
    return ev.lostPlaceholder(seq, this.index.get(i).timeMs, run);
  }

  // ---- plumbing ----------------------------------------------------------------------------

  /** Resolves once every queued I/O operation has finished (tests, shutdown). */
  settled(): Promise<void> {
    return this.io.settled();
  }

  /**
   * True while an I/O operation has run longer than `stallMs`. On entering the stall, batches
   * waiting for that write or fsync become memory-only, so live data keeps flowing to the hub.
   */
  private checkStall(): boolean {
    const busy = this.io.busyMs();
    if (busy <= (this.opts.stallMs ?? 5000)) {
      this.stallReported = false;
      return false;
    }
    if (!this.stallReported) {
      this.stallReported = true;
      let n = 0;
      for (let i = this.index.first; i < this.index.end; i++) {
        const st = this.index.state(i);
        if (st === State.pending || st === State.written) {
          this.index.setState(i, State.memOnly);
          n++;
        }
      }
      this.event(ev.stalled(busy, n));
      this.emit({ type: 'readable' });
    }
    return true;
  }

  private emit(c: OutboxChange): void {
    for (const l of this.listeners) l(c);
  }

  /** Logs the event and hands it to the sink (queued until there is one). */
  private event(e: ev.SpoolEvent): void {
    const out: AgentEvent = { timeMs: this.deps.clock.now(), ...e };
    const level = e.severity === 'critical' ? 'error' : e.severity === 'warning' ? 'warn' : 'info';
    this.deps.log[level](e.message, { type: e.type, ...e.values, ...e.attrs });
    if (this.eventSink) this.eventSink(out);
    else this.queuedEvents.push(out);
  }
}
