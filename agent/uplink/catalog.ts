// The series catalog sent in Hello: every series with a small numeric alias. Aliases are
// assigned in declaration order (stable for a given config), and the catalog version is a
// content hash, so a restarted agent with the same config announces the same catalog and the
// hub can decode spooled batches of an earlier run.

import type { pb } from '../../protocols/wire/codec.js';
import { keyOf, type SeriesKey, type SeriesSpec } from '../core/series.js';

export interface CatalogEntry {
  readonly alias: number;
  readonly spec: SeriesSpec;
  /** 10^-scaleExp: multiply a physical value by this to get the wire integer. */
  readonly factor: number;
}

export interface Catalog {
  readonly entries: readonly CatalogEntry[];
  readonly byKey: ReadonlyMap<SeriesKey, CatalogEntry>;
  readonly version: number;
}

const KIND = { gauge: 0, counter: 1, state: 2 } as const;

export function buildCatalog(specs: readonly SeriesSpec[]): Catalog {
  const byKey = new Map<SeriesKey, CatalogEntry>();
  const entries: CatalogEntry[] = [];
  for (const spec of specs) {
    const key = keyOf(spec);
    if (byKey.has(key)) throw new Error(`series ${key} declared twice`);
    const e = { alias: entries.length + 1, spec, factor: 10 ** -spec.scaleExp };
    entries.push(e);
    byKey.set(key, e);
  }
  return { entries, byKey, version: fnv1a32(entries.map((e) => `${e.alias}|${keyOf(e.spec)}|${e.spec.unit}|${e.spec.scaleExp}|${e.spec.kind}`).join('\n')) };
}

export function catalogToWire(c: Catalog): pb.ISeriesDef[] {
  return c.entries.map((e) => ({
    alias: e.alias,
    device: e.spec.device,
    quantity: e.spec.quantity,
    channel: e.spec.channel,
    unit: e.spec.unit,
    scaleExp: e.spec.scaleExp,
    kind: KIND[e.spec.kind],
  }));
}

export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
