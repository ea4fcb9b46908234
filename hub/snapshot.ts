// The hub's state as JSON, for the journal's compaction (hub/journal.ts): per rack the last
// Hello, every catalog, the exactly-once windows of every stream, the latest values, recent
// events and counters. Restoring gives the same RackRecords the journal replay would.

import { pb } from '../protocols/wire/codec.js';
import { RackRecord, SeqWindow, type LatestValue, type StoredEvent } from './state.js';

interface RackSnapshot {
  readonly hello: string;
  readonly catalogs: string[];
  readonly streams: [number, number, number[]][];
  readonly latest: [string, LatestValue][];
  readonly events: StoredEvent[];
  readonly counters: RackRecord['counters'];
  readonly lastSeenMs: number;
}

export interface HubSnapshot {
  readonly version: 1;
  readonly racks: RackSnapshot[];
}

const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
const unb64 = (s: string): Uint8Array => Buffer.from(s, 'base64');

export function snapshotOf(racks: Iterable<RackRecord>): HubSnapshot {
  const out: RackSnapshot[] = [];
  for (const r of racks) {
    out.push({
      hello: b64(pb.Hello.encode(r.hello).finish()),
      catalogs: [...r.catalogs].map(([version, cat]) => b64(pb.Catalog.encode({ version, series: [...cat.values()] }).finish())),
      streams: [...r.streams].map(([id, w]) => [id, w.watermark, w.pending]),
      latest: [...r.latest],
      events: [...r.events],
      counters: { ...r.counters },
      lastSeenMs: r.lastSeenMs,
    });
  }
  return { version: 1, racks: out };
}

/** Rebuilds the racks of a snapshot; throws on a malformed one (the caller refuses to start). */
export function restoreSnapshot(snap: HubSnapshot): RackRecord[] {
  if (snap.version !== 1 || !Array.isArray(snap.racks)) throw new Error('unknown snapshot format');
  return snap.racks.map((s) => {
    const rack = new RackRecord(pb.Hello.decode(unb64(s.hello)));
    for (const c of s.catalogs.map((x) => pb.Catalog.decode(unb64(x)))) {
      rack.catalogs.set(c.version, new Map((c.series as pb.SeriesDef[]).map((d) => [d.alias, { alias: d.alias, device: d.device, quantity: d.quantity, channel: d.channel, unit: d.unit, scaleExp: d.scaleExp, kind: d.kind }])));
    }
    for (const [id, watermark, pending] of s.streams) rack.streams.set(id, SeqWindow.restore(watermark, pending));
    for (const [k, v] of s.latest) rack.latest.set(k, v);
    rack.events.push(...s.events);
    Object.assign(rack.counters, s.counters);
    rack.lastSeenMs = s.lastSeenMs;
    return rack;
  });
}
