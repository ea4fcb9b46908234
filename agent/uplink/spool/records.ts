// What a spool segment holds, inside the checksummed record framing of protocols/wire/record.ts.
// Pure encode/decode, little endian:
//   header  u8 1, f64 streamId, f64 firstSeq (the seq the segment's first batch gets), f64 createdMs
//   catalog u8 2, u32 version, Catalog message (so a segment's batches can always be decoded,
//           even after the config changed and the agent restarted)
//   batch   u8 3, f64 seq, u32 samples, u32 missing, u32 events, f64 baseTimeMs, u32 catalogVersion,
//           then the encoded TelemetryBatch exactly as it goes on the wire
// Every segment starts with a header, so the stream and the seq counter survive a lost state file.

import { encodeRecord } from '../../../protocols/wire/record.js';

const HEADER = 1;
const CATALOG = 2;
const BATCH = 3;
const BATCH_FIXED = 1 + 8 + 4 + 4 + 4 + 8 + 4;

export interface SegmentHeader {
  readonly kind: 'header';
  readonly streamId: number;
  readonly firstSeq: number;
  readonly createdMs: number;
}

export interface CatalogRecord {
  readonly kind: 'catalog';
  readonly version: number;
  /** An encoded rackpilot.v1.Catalog. */
  readonly catalog: Uint8Array;
}

export interface BatchMeta {
  readonly seq: number;
  readonly samples: number;
  readonly missing: number;
  readonly events: number;
  readonly baseTimeMs: number;
  readonly catalogVersion: number;
}

export interface BatchRecord extends BatchMeta {
  readonly kind: 'batch';
  readonly bytes: Uint8Array;
}

export type SpoolRecord = SegmentHeader | CatalogRecord | BatchRecord;

export function headerRecord(h: Omit<SegmentHeader, 'kind'>): Uint8Array {
  const p = new Uint8Array(25);
  const dv = view(p);
  p[0] = HEADER;
  dv.setFloat64(1, h.streamId, true);
  dv.setFloat64(9, h.firstSeq, true);
  dv.setFloat64(17, h.createdMs, true);
  return encodeRecord(p);
}

export function catalogRecord(version: number, catalog: Uint8Array): Uint8Array {
  const p = new Uint8Array(5 + catalog.length);
  p[0] = CATALOG;
  view(p).setUint32(1, version, true);
  p.set(catalog, 5);
  return encodeRecord(p);
}

export function batchRecord(m: BatchMeta, bytes: Uint8Array): Uint8Array {
  const p = new Uint8Array(BATCH_FIXED + bytes.length);
  const dv = view(p);
  p[0] = BATCH;
  dv.setFloat64(1, m.seq, true);
  dv.setUint32(9, m.samples, true);
  dv.setUint32(13, m.missing, true);
  dv.setUint32(17, m.events, true);
  dv.setFloat64(21, m.baseTimeMs, true);
  dv.setUint32(29, m.catalogVersion, true);
  p.set(bytes, BATCH_FIXED);
  return encodeRecord(p);
}

/** Decodes a record payload (already checksum-verified); undefined for an unknown kind. */
export function decodeSpoolRecord(p: Uint8Array): SpoolRecord | undefined {
  const dv = view(p);
  switch (p[0]) {
    case HEADER:
      if (p.length < 25) return undefined;
      return { kind: 'header', streamId: dv.getFloat64(1, true), firstSeq: dv.getFloat64(9, true), createdMs: dv.getFloat64(17, true) };
    case CATALOG:
      if (p.length < 5) return undefined;
      return { kind: 'catalog', version: dv.getUint32(1, true), catalog: p.subarray(5) };
    case BATCH:
      if (p.length < BATCH_FIXED) return undefined;
      return {
        kind: 'batch', seq: dv.getFloat64(1, true), samples: dv.getUint32(9, true), missing: dv.getUint32(13, true), events: dv.getUint32(17, true),
        baseTimeMs: dv.getFloat64(21, true), catalogVersion: dv.getUint32(29, true), bytes: p.subarray(BATCH_FIXED),
      };
    default:
      return undefined;
  }
}

function view(p: Uint8Array): DataView {
  return new DataView(p.buffer, p.byteOffset, p.byteLength);
}
