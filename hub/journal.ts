// The reference hub's durable state (`rackpilot hub --state-dir DIR`): an append-only journal of
// every Hello and every batch the hub accepted, in the order it accepted them, plus a snapshot
// that compacts it. The hub acks a batch only once the journal record holding it is fsynced, so
// after a hub crash or restart (replay: snapshot, then the journal) it still knows every seq it
// acked and drops re-sent batches as duplicates: the effect stays exactly once.
//
// Files: snapshot.json {version, journal: N, state} (replaced atomically) and journal-N.log,
// journal-(N+1).log, … (checksummed records, protocols/wire/record.ts). Each start writes a new
// journal file, so a torn tail from a crash is never appended to. Writes are group-committed:
// records that arrive while an fsync runs go out together with the next one.

import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecord, scanAll } from '../protocols/wire/record.js';
import type { Logger } from '../agent/runtime/log.js';
import type { HubSnapshot } from './snapshot.js';

export interface JournalEntry {
  readonly kind: 'hello' | 'batch';
  readonly rack: string;
  /** The AgentMessage frame as received. */
  readonly frame: Uint8Array;
}

export interface JournalOpen {
  readonly journal: HubJournal;
  readonly snapshot: HubSnapshot | undefined;
  readonly entries: JournalEntry[];
  readonly corruptRegions: number;
}

const FILE_RE = /^journal-(\d{12})\.log$/;
const KINDS = ['hello', 'batch'] as const;
const fileName = (n: number): string => `journal-${String(n).padStart(12, '0')}.log`;

export class HubJournal {
  private queue: { payload: Uint8Array; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing: Promise<void> = Promise.resolve();
  private draining = false;
  private pos = 0;
  private snapshotSource: (() => HubSnapshot) | undefined;
  readonly stats = { records: 0, fsyncs: 0, errors: 0, compactions: 0 };

  private constructor(
    private readonly dir: string,
    private fh: FileHandle,
    private fileNo: number,
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  static async open(dir: string, log: Logger, maxBytes = 64 << 20): Promise<JournalOpen> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let snapshot: HubSnapshot | undefined;
    let from = 0;
    const raw = await readFile(join(dir, 'snapshot.json'), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (raw !== undefined) {
      const parsed = JSON.parse(raw) as { journal: number; state: HubSnapshot };
      snapshot = parsed.state;
      from = parsed.journal;
    }
    const files = (await readdir(dir)).filter((n) => FILE_RE.test(n)).map((n) => Number(FILE_RE.exec(n)?.[1])).sort((a, b) => a - b);
    const entries: JournalEntry[] = [];
    let corruptRegions = 0;
    for (const n of files.filter((f) => f >= from)) {
      const buf = await readFile(join(dir, fileName(n)));
      scanAll(buf, true, (p) => {
        const e = decodeEntry(p);
        if (e) entries.push(e);
        else corruptRegions++;
      }, () => corruptRegions++);
    }
    if (corruptRegions) log.warn('hub journal: damaged records skipped (a torn tail after a crash is normal)', { corruptRegions });
    const fileNo = (files.at(-1) ?? from) + 1;
    const fh = await open(join(dir, fileName(fileNo)), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    return { journal: new HubJournal(dir, fh, fileNo, maxBytes, log), snapshot, entries, corruptRegions };
  }

  /** What a compaction saves (the hub's in-memory state, taken when the journal is quiescent). */
  setSnapshotSource(fn: () => HubSnapshot): void {
    this.snapshotSource = fn;
  }

  /** Resolves once the entry is fsynced; rejects if it could not be written. */
  append(e: JournalEntry): Promise<void> {
    const rack = Buffer.from(e.rack, 'utf8');
    const payload = new Uint8Array(3 + rack.length + e.frame.length);
    payload[0] = KINDS.indexOf(e.kind) + 1;
    new DataView(payload.buffer).setUint16(1, rack.length, true);
    payload.set(rack, 3);
    payload.set(e.frame, 3 + rack.length);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ payload, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        this.writing = this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      await this.drainQueue();
    } finally {
      this.draining = false; // in the same tick as the last empty-queue check: no append is missed
    }
  }

  private async drainQueue(): Promise<void> {
    while (this.queue.length) {
      const group = this.queue.splice(0);
      const buf = Buffer.concat(group.map((r) => encodeRecord(r.payload)));
      try {
        await this.fh.write(buf, 0, buf.length, this.pos);
        await this.fh.datasync();
        this.pos += buf.length;
        this.stats.records += group.length;
        this.stats.fsyncs++;
        for (const r of group) r.resolve();
      } catch (err) {
        this.stats.errors++;
        this.log.error('hub journal write failed; those batches stay unacked', { err });
        await this.fh.truncate(this.pos).catch(() => undefined);
        for (const r of group) r.reject(err);
      }
      if (!this.queue.length && this.pos > this.maxBytes) await this.compact();
    }
  }

  /** Saves a snapshot and starts a new journal file; older files are deleted. */
  private async compact(): Promise<void> {
    const source = this.snapshotSource;
    if (!source) return;
    const next = this.fileNo + 1;
    const state = source(); // taken now: everything it holds is in the journal and fsynced
    try {
      const fh = await open(join(this.dir, fileName(next)), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
      const tmp = join(this.dir, 'snapshot.json.tmp');
      const sfh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
      await sfh.writeFile(JSON.stringify({ journal: next, state }));
      await sfh.datasync();
      await sfh.close();
      await rename(tmp, join(this.dir, 'snapshot.json'));
      await this.fh.close();
      [this.fh, this.fileNo, this.pos] = [fh, next, 0];
      for (const n of await readdir(this.dir)) {
        const m = FILE_RE.exec(n);
        if (m && Number(m[1]) < next) await unlink(join(this.dir, n)).catch(() => undefined);
      }
      this.stats.compactions++;
    } catch (err) {
      this.log.error('hub journal compaction failed; the journal keeps growing', { err });
    }
  }

  async close(): Promise<void> {
    await this.writing;
    await this.fh.close().catch(() => undefined);
  }
}

function decodeEntry(p: Uint8Array): JournalEntry | undefined {
  const kind = KINDS[(p[0] ?? 0) - 1];
  if (!kind || p.length < 3) return undefined;
  const len = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint16(1, true);
  if (3 + len > p.length) return undefined;
  return { kind, rack: Buffer.from(p.subarray(3, 3 + len)).toString('utf8'), frame: p.subarray(3 + len) };
}
