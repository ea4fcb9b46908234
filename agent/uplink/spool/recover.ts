// Spool recovery at startup: read every segment once, index the unacked batches, and say what
// was damaged. Never throws for bad data: a torn tail, flipped bytes or an unreadable file cost
// the records they hold (counted, and reported to the hub as lost seqs), never a crash loop.

import { scanAll } from '../../../protocols/wire/record.js';
import type { Logger } from '../../runtime/log.js';
import { NO_SEGMENT, State, type Entry } from './batch-index.js';
import type { SpoolFs } from './fs.js';
import { decodeSpoolRecord } from './records.js';

export const SEGMENT_RE = /^seg-(\d{12})\.rps$/;

export function segmentName(id: number): string {
  return `seg-${String(id).padStart(12, '0')}.rps`;
}

export interface RecoveredSegment {
  readonly id: number;
  readonly name: string;
  readonly bytes: number;
}

export interface Recovery {
  readonly segments: RecoveredSegment[];
  /** Unacked batches in seq order, gaps filled with `lost` entries. */
  readonly entries: Entry[];
  readonly catalogs: Map<number, Uint8Array>;
  readonly streamId: number | undefined;
  /** Highest seq this spool ever handed out, as far as the disk knows. */
  readonly lastSeq: number;
  readonly corruptRegions: number;
  readonly corruptBytes: number;
  readonly lostBatches: number;
  readonly unreadableSegments: number;
}

/** Gaps larger than this are not filled with placeholders (a bug, not a torn write). */
const MAX_GAP = 1_000_000;

export async function recover(fs: SpoolFs, dir: string, ackedUpto: number, log: Logger): Promise<Recovery> {
  const files = await fs.list(dir);
  const names = files.filter((n) => SEGMENT_RE.test(n)).sort();
  for (const n of files) if (n.endsWith('.tmp')) await fs.unlink(`${dir}/${n}`).catch(() => undefined);
  const segments: RecoveredSegment[] = [];
  const found: Entry[] = [];
  const catalogs = new Map<number, Uint8Array>();
  let streamId: number | undefined;
  let seqFloor = ackedUpto;
  let corruptRegions = 0;
  let corruptBytes = 0;
  let unreadableSegments = 0;
  for (const name of names) {
    const id = Number(SEGMENT_RE.exec(name)?.[1]);
    let buf: Uint8Array | undefined;
    try {
      buf = await fs.readFile(`${dir}/${name}`);
    } catch (err) {
      unreadableSegments++;
      log.error('spool segment unreadable; its batches are lost', { segment: name, err });
    }
    segments.push({ id, name, bytes: buf?.length ?? 0 });
    if (!buf) continue;
    scanAll(buf, true, (payload, start, end) => {
      const r = decodeSpoolRecord(payload);
      if (!r) {
        corruptRegions++;
        corruptBytes += end - start;
      } else if (r.kind === 'header') {
        streamId = r.streamId;
        seqFloor = Math.max(seqFloor, r.firstSeq - 1);
      } else if (r.kind === 'catalog') {
        catalogs.set(r.version, r.catalog.slice());
      } else if (r.seq > ackedUpto) {
        found.push({ seq: r.seq, seg: id, off: start, len: end - start, samples: r.samples, missing: r.missing, events: r.events, timeMs: r.baseTimeMs, catalog: r.catalogVersion, state: State.durable });
      }
    }, (start, end) => {
      corruptRegions++;
      corruptBytes += end - start;
    });
  }
  found.sort((a, b) => a.seq - b.seq);
  const entries: Entry[] = [];
  let lostBatches = 0;
  const fill = (from: number, to: number, timeMs: number): void => {
    if (to < from) return;
    if (to - from >= MAX_GAP) {
      log.error('spool: seq gap too large to report batch by batch', { from, to });
      return;
    }
    for (let s = from; s <= to; s++) entries.push(lostEntry(s, timeMs));
    lostBatches += to - from + 1;
  };
  for (const e of found) {
    const prev = entries.at(-1);
    if (prev && e.seq <= prev.seq) continue; // the same seq twice: keep the first
    if (prev) fill(prev.seq + 1, e.seq - 1, prev.timeMs);
    entries.push(e);
  }
  const last = entries.at(-1);
  if (last) fill(last.seq + 1, seqFloor, last.timeMs);
  return {
    segments, entries, catalogs, streamId, lastSeq: Math.max(seqFloor, last?.seq ?? 0),
    corruptRegions, corruptBytes, lostBatches, unreadableSegments,
  };
}

export function lostEntry(seq: number, timeMs: number): Entry {
  return { seq, seg: NO_SEGMENT, off: 0, len: 0, samples: 0, missing: 0, events: 0, timeMs, catalog: 0, state: State.lost };
}
