// The spool's segment files: the active segment it appends to, sealed ones it reads back,
// deletion of acked segments and dropping of the oldest. Every method runs on the spool's
// serial I/O queue (one at a time), so no two of them touch the files concurrently.

import { scanRecord } from '../../../protocols/wire/record.js';
import type { Clock } from '../../runtime/clock.js';
import { State, type BatchIndex } from './batch-index.js';
import type { SpoolFile, SpoolFs } from './fs.js';
import { segmentName, type RecoveredSegment } from './recover.js';
import { batchRecord, catalogRecord, decodeSpoolRecord, headerRecord } from './records.js';

interface Segment {
  readonly id: number;
  readonly name: string;
  bytes: number;
  /** Highest batch seq in the file (0 when none). */
  lastSeq: number;
}

export interface WritePolicy {
  readonly retryMs: number;
  readonly maxBytes: number;
  readonly reserveBytes: number;
  /** Drops the oldest segment (and its batches from the index); false when there is none. */
  readonly dropOldest: (reason: string) => Promise<boolean>;
}

export interface WriteOutcome {
  /** The write failed; `entered` when this starts a degraded episode. */
  readonly failed?: { readonly code: string; readonly entered: boolean };
  /** A write worked again after a degraded episode. */
  readonly recovered?: boolean;
}

export interface ReadRun {
  readonly seg: number;
  readonly items: readonly { readonly seq: number; readonly off: number; readonly len: number }[];
}

const FREE_CHECK_MS = 5000;

export class SegmentWriter {
  readonly stats = { writeErrors: 0, fsyncs: 0 };
  degraded = false;
  lastSyncMono = -Infinity;
  private readonly segs: Segment[];
  private active: { seg: Segment; file: SpoolFile } | undefined;
  private reader: { id: number; file: SpoolFile } | undefined;
  private readonly catalogs: Map<number, Uint8Array>;
  private readonly written = new Set<number>(); // catalog versions in the active segment
  private streamId = 0;
  private writtenSeq = 0;
  private syncedSeq = 0;
  private mustRoll = false;
  private retryAt = 0;
  private lastCode = '';
  private freeCheckedAt = -Infinity;

  constructor(
    private readonly fs: SpoolFs,
    private readonly clock: Clock,
    private readonly dir: string,
    private readonly segmentBytes: number,
    recovered: readonly RecoveredSegment[],
    catalogs: Map<number, Uint8Array>,
  ) {
    this.segs = recovered.map((r) => ({ id: r.id, name: r.name, bytes: r.bytes, lastSeq: 0 }));
    this.catalogs = catalogs;
  }

  get segmentCount(): number {
    return this.segs.length;
  }

  get diskBytes(): number {
    return this.segs.reduce((n, s) => n + s.bytes, 0);
  }

  get unsynced(): boolean {
    return this.writtenSeq > this.syncedSeq;
  }

  noteSeq(segId: number, seq: number): void {
    const s = this.segs.find((x) => x.id === segId);
    if (s && seq > s.lastSeq) s.lastSeq = seq;
  }

  setCatalog(version: number, catalog: Uint8Array): void {
    this.catalogs.set(version, catalog);
  }

  catalog(version: number): Uint8Array | undefined {
    return this.catalogs.get(version);
  }

  /** Starts a new active segment whose first batch will get `firstSeq`. */
  async start(streamId: number, firstSeq: number, nowMs: number): Promise<void> {
    this.streamId = streamId;
    const id = (this.segs.at(-1)?.id ?? 0) + 1;
    const name = segmentName(id);
    const file = await this.fs.open(`${this.dir}/${name}`, true);
    const header = headerRecord({ streamId, firstSeq, createdMs: nowMs });
    try {
      await file.write(header, 0);
      await file.datasync();
      await this.fs.syncDir(this.dir);
    } catch (err) {
      await file.close().catch(() => undefined);
      throw err;
    }
    const seg: Segment = { id, name, bytes: header.length, lastSeq: 0 };
    this.segs.push(seg);
    this.active = { seg, file };
    this.written.clear();
    this.mustRoll = false;
  }

  restream(streamId: number): void {
    this.streamId = streamId;
    this.mustRoll = true;
  }

  /**
   * Writes every pending batch of the index (in seq order) and marks it written; on failure marks
   * them memory-only. Enforces the size bound and the free-space reserve by dropping the oldest.
   */
  async writePending(index: BatchIndex, mem: ReadonlyMap<number, Uint8Array>, nowMono: number, policy: WritePolicy): Promise<WriteOutcome> {
    const todo: number[] = [];
    for (let i = index.firstAbove(this.writtenSeq); i < index.end; i++) if (index.state(i) === State.pending) todo.push(index.seq(i));
    if (!todo.length) return {};
    if (this.degraded && nowMono < this.retryAt) return this.fail(index, todo, this.lastCode, nowMono, policy);
    let outcome: WriteOutcome = {};
    // Disk full: drop the oldest segment and try once more (one segment per attempt, so a disk
    // filled by someone else erodes the backlog slowly instead of all at once).
    let work = todo;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.ensureSpace(work, mem, nowMono, policy);
        await this.writeAll(index, mem, work);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
        this.stats.writeErrors++;
        // Cut a partial write off; if even that fails, the next write starts a new segment.
        await this.active?.file.truncate(this.active.seg.bytes).catch(() => (this.mustRoll = true));
        work = work.filter((s) => index.state(index.find(s)) === State.pending);
        if (code === 'ENOSPC' && attempt === 0 && (await policy.dropOldest('disk full'))) continue;
        return this.fail(index, work, code, nowMono, policy);
      }
    }
    if (this.degraded) {
      this.degraded = false;
      outcome = { recovered: true };
    }
    while (this.diskBytes > policy.maxBytes && this.segs.length > 1) {
      if (!(await policy.dropOldest('size bound reached'))) break;
    }
    return outcome;
  }

  /** Marks what could not be written memory-only (sendable now) and enters or extends degraded mode. */
  private fail(index: BatchIndex, seqs: readonly number[], code: string, nowMono: number, policy: WritePolicy): WriteOutcome {
    for (const s of seqs) {
      const i = index.find(s);
      if (i !== -1 && index.state(i) === State.pending) index.setState(i, State.memOnly);
    }
    this.writtenSeq = Math.max(this.writtenSeq, seqs.at(-1) ?? 0);
    const entered = !this.degraded;
    if (entered) this.retryAt = nowMono + policy.retryMs;
    else if (nowMono >= this.retryAt) this.retryAt = nowMono + policy.retryMs;
    this.degraded = true;
    this.lastCode = code;
    return { failed: { code, entered } };
  }

  /** Keeps `reserveBytes` free: drops the oldest segments, or fails with ENOSPC when none is left. */
  private async ensureSpace(todo: readonly number[], mem: ReadonlyMap<number, Uint8Array>, nowMono: number, policy: WritePolicy): Promise<void> {
    if (policy.reserveBytes <= 0 || (!this.degraded && nowMono - this.freeCheckedAt < FREE_CHECK_MS)) return;
    this.freeCheckedAt = nowMono;
    const need = policy.reserveBytes + todo.reduce((n, s) => n + (mem.get(s)?.length ?? 0) + 64, 0);
    for (let free = await this.fs.freeBytes(this.dir); free < need; free = await this.fs.freeBytes(this.dir)) {
      if (this.segs.length <= 1 || !(await policy.dropOldest(`free space below the ${policy.reserveBytes}-byte reserve`))) {
        throw Object.assign(new Error(`free space ${free} bytes is below the reserve`), { code: 'ENOSPC' });
      }
    }
  }

  private async writeAll(index: BatchIndex, mem: ReadonlyMap<number, Uint8Array>, todo: readonly number[]): Promise<void> {
    let parts: { seq: number; bytes: Uint8Array; isBatch: boolean }[] = [];
    const flush = async (): Promise<void> => {
      if (!parts.length || !this.active) return;
      const { seg, file } = this.active;
      const buf = Buffer.concat(parts.map((p) => p.bytes));
      await file.write(buf, seg.bytes);
      let off = seg.bytes;
      for (const p of parts) {
        const i = p.isBatch ? index.find(p.seq) : -1;
        if (i !== -1) {
          index.setLocation(i, seg.id, off, p.bytes.length);
          // A batch made memory-only meanwhile (the write stalled) stays so: it may be sent already.
          if (index.state(i) === State.pending) index.setState(i, State.written);
          seg.lastSeq = Math.max(seg.lastSeq, p.seq);
          this.writtenSeq = Math.max(this.writtenSeq, p.seq);
        }
        off += p.bytes.length;
      }
      seg.bytes = off;
      parts = [];
    };
    let size = this.active?.seg.bytes ?? 0;
    for (const seq of todo) {
      const i = index.find(seq);
      const bytes = mem.get(seq);
      if (i === -1 || !bytes) continue; // acked meanwhile (a hub acking what it cannot have)
      const e = index.get(i);
      const rec = batchRecord({ seq, samples: e.samples, missing: e.missing, events: e.events, baseTimeMs: e.timeMs, catalogVersion: e.catalog }, bytes);
      if (!this.active || this.mustRoll || (size + rec.length > this.segmentBytes && size > 64)) {
        await flush();
        await this.roll(seq);
        size = (this.active as { seg: Segment }).seg.bytes;
      }
      const cat = this.catalogs.get(e.catalog);
      if (cat && !this.written.has(e.catalog)) {
        const c = catalogRecord(e.catalog, cat);
        parts.push({ seq, bytes: c, isBatch: false });
        size += c.length;
        this.written.add(e.catalog);
      }
      parts.push({ seq, bytes: rec, isBatch: true });
      size += rec.length;
    }
    await flush();
  }

  /**
   * Seals the active segment (fsync, close) and starts the next. The sealed segment's batches
   * stay `written` until the next syncIndex, which marks them durable with the new segment's.
   */
  private async roll(firstSeq: number): Promise<void> {
    const old = this.active;
    if (old) {
      await old.file.datasync();
      this.stats.fsyncs++;
      await old.file.close().catch(() => undefined);
      this.active = undefined;
    }
    await this.start(this.streamId, firstSeq, this.clock.now());
  }

  /** fsyncs the active segment; marks written batches durable. True when any became durable. */
  async syncIndex(index: BatchIndex): Promise<boolean> {
    const upto = this.writtenSeq;
    const from = this.syncedSeq;
    if (upto <= from) return false;
    try {
      await this.active?.file.datasync();
      this.stats.fsyncs++;
    } catch {
      this.stats.writeErrors++;
      for (let i = index.firstAbove(from); i < index.end && index.seq(i) <= upto; i++) if (index.state(i) === State.written) index.setState(i, State.memOnly);
      this.syncedSeq = upto;
      this.degraded = true;
      return true;
    }
    this.lastSyncMono = this.clock.monotonic();
    let any = false;
    for (let i = index.firstAbove(from); i < index.end && index.seq(i) <= upto; i++) {
      if (index.state(i) === State.written) {
        index.setState(i, State.durable);
        any = true;
      }
    }
    this.syncedSeq = upto;
    return any;
  }

  async sync(): Promise<void> {
    await this.active?.file.datasync().catch(() => undefined);
  }

  /** The batches to read back from `pos` on: one segment, contiguous, at most `maxBytes`. */
  readRun(index: BatchIndex, pos: number, maxBytes: number): ReadRun {
    const seg = index.get(pos).seg;
    const items: { seq: number; off: number; len: number }[] = [];
    let bytes = 0;
    for (let i = pos; i < index.end && bytes < maxBytes; i++) {
      const e = index.get(i);
      if (e.state !== State.durable || e.seg !== seg) break;
      items.push({ seq: e.seq, off: e.off, len: e.len });
      bytes += e.len;
    }
    return { seg, items };
  }

  /** Reads a run back; each item gets its batch bytes, or the reason it is unreadable. */
  async read(run: ReadRun): Promise<{ seq: number; bytes?: Uint8Array; error?: string }[]> {
    const first = run.items[0];
    const last = run.items.at(-1);
    if (!first || !last) return [];
    const seg = this.segs.find((s) => s.id === run.seg);
    if (!seg) return []; // deleted meanwhile
    let buf: Uint8Array;
    try {
      if (this.reader?.id !== seg.id) {
        await this.reader?.file.close().catch(() => undefined);
        this.reader = { id: seg.id, file: await this.fs.open(`${this.dir}/${seg.name}`, false) };
      }
      buf = new Uint8Array(last.off + last.len - first.off);
      const n = await this.reader.file.read(buf, first.off);
      buf = buf.subarray(0, n);
    } catch (err) {
      return run.items.map((it) => ({ seq: it.seq, error: (err as Error).message }));
    }
    return run.items.map((it) => {
      const r = scanRecord(buf, it.off - first.off, true);
      const rec = r.kind === 'record' && r.start === it.off - first.off ? decodeSpoolRecord(r.payload) : undefined;
      if (rec?.kind === 'batch' && rec.seq === it.seq) return { seq: it.seq, bytes: rec.bytes.slice() };
      return { seq: it.seq, error: 'checksum or framing mismatch' };
    });
  }

  /** Deletes sealed segments whose batches are all acked. */
  async deleteAcked(ackedUpto: number): Promise<void> {
    while (this.segs.length > 1 && (this.segs[0] as Segment) !== this.active?.seg && (this.segs[0] as Segment).lastSeq <= ackedUpto) {
      await this.remove(this.segs[0] as Segment);
    }
  }

  /** Removes the oldest sealed segment; undefined when only the active one is left. */
  async dropOldest(): Promise<{ lastSeq: number } | undefined> {
    const seg = this.segs[0];
    if (!seg || this.segs.length <= 1 || seg === this.active?.seg) return undefined;
    await this.remove(seg);
    return { lastSeq: seg.lastSeq };
  }

  private async remove(seg: Segment): Promise<void> {
    this.segs.shift();
    if (this.reader?.id === seg.id) {
      await this.reader.file.close().catch(() => undefined);
      this.reader = undefined;
    }
    await this.fs.unlink(`${this.dir}/${seg.name}`).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.active?.file.close().catch(() => undefined);
    await this.reader?.file.close().catch(() => undefined);
    this.active = undefined;
    this.reader = undefined;
  }
}
