// Checksummed record framing for append-only files (the agent's spool segments, the reference
// hub's journal). Pure and incremental: the scanner takes bytes and says "record", "need more"
// or "corrupt, resume here", so a torn tail or flipped bytes cost the damaged records only and
// never stop recovery.
//
// Layout (little endian):
//   0  u32  magic 0x31505241 ("ARP1")
//   4  u32  payload length n (≤ MAX_RECORD_PAYLOAD)
//   8  u32  CRC-32 (zlib polynomial) of bytes 4..8 and the payload, so a damaged length fails too
//  12  n bytes payload
// After a bad record the scanner resynchronises on the next magic whose record checks out.
import { crc32 } from 'node:zlib';

export const RECORD_MAGIC = 0x31505241;
export const RECORD_HEADER = 12;
export const MAX_RECORD_PAYLOAD = 16 << 20;

export type ScanResult =
  /** A valid record at [start, end). */
  | { readonly kind: 'record'; readonly start: number; readonly end: number; readonly payload: Uint8Array }
  /** The bytes from `start` on may be the beginning of a record: call again with more. */
  | { readonly kind: 'more'; readonly start: number }
  /** [start, end) is not a valid record (damaged, torn or garbage); scanning resumes at end. */
  | { readonly kind: 'corrupt'; readonly start: number; readonly end: number };

/** Frames one payload as a record. */
export function encodeRecord(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_RECORD_PAYLOAD) throw new RangeError(`record payload of ${payload.length} bytes exceeds ${MAX_RECORD_PAYLOAD}`);
  const out = new Uint8Array(RECORD_HEADER + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, RECORD_MAGIC, true);
  dv.setUint32(4, payload.length, true);
  out.set(payload, RECORD_HEADER);
  dv.setUint32(8, checksum(out, payload.length), true);
  return out;
}

/**
 * Reads the record at `pos` of `buf`. `final` says no more bytes will follow (end of file): an
 * incomplete record is then corrupt (a torn write) instead of "more".
 */
export function scanRecord(buf: Uint8Array, pos: number, final: boolean): ScanResult {
  const avail = buf.length - pos;
  if (avail <= 0) return { kind: 'more', start: pos };
  if (avail < 4) return final ? { kind: 'corrupt', start: pos, end: buf.length } : { kind: 'more', start: pos };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(pos, true) !== RECORD_MAGIC) return skip(buf, pos, final);
  if (avail < RECORD_HEADER) return final ? skip(buf, pos, final) : { kind: 'more', start: pos };
  const len = dv.getUint32(pos + 4, true);
  if (len > MAX_RECORD_PAYLOAD) return skip(buf, pos, final);
  const end = pos + RECORD_HEADER + len;
  if (end > buf.length) return final ? skip(buf, pos, final) : { kind: 'more', start: pos };
  const rec = buf.subarray(pos, end);
  if (checksum(rec, len) !== dv.getUint32(pos + 8, true)) return skip(buf, pos, final);
  return { kind: 'record', start: pos, end, payload: rec.subarray(RECORD_HEADER) };
}

function checksum(rec: Uint8Array, len: number): number {
  return crc32(rec.subarray(RECORD_HEADER, RECORD_HEADER + len), crc32(rec.subarray(4, 8))) >>> 0;
}

/** Bytes from `pos` are not a record: corrupt up to the next magic (or as far as is safe). */
function skip(buf: Uint8Array, pos: number, final: boolean): ScanResult {
  const next = findMagic(buf, pos + 1);
  if (next !== -1) return { kind: 'corrupt', start: pos, end: next };
  // A magic may straddle the end of what we have: keep the last 3 bytes unless this is the end.
  const end = final ? buf.length : Math.max(pos + 1, buf.length - 3);
  return { kind: 'corrupt', start: pos, end };
}

const M0 = RECORD_MAGIC & 0xff;
const M1 = (RECORD_MAGIC >>> 8) & 0xff;
const M2 = (RECORD_MAGIC >>> 16) & 0xff;
const M3 = RECORD_MAGIC >>> 24;

function findMagic(buf: Uint8Array, from: number): number {
  for (let i = buf.indexOf(M0, from); i !== -1 && i + 3 < buf.length; i = buf.indexOf(M0, i + 1)) {
    if (buf[i + 1] === M1 && buf[i + 2] === M2 && buf[i + 3] === M3) return i;
  }
  return -1;
}

/**
 * Scans a whole buffer (a file read at once, or the pieces a streaming reader hands over).
 * Calls `onRecord` for each valid record and `onCorrupt` for each damaged stretch; returns the
 * offset where an incomplete record starts (buf.length when none), for the caller to keep.
 */
export function scanAll(
  buf: Uint8Array,
  final: boolean,
  onRecord: (payload: Uint8Array, start: number, end: number) => void,
  onCorrupt: (start: number, end: number) => void,
): number {
  let pos = 0;
  while (pos < buf.length) {
    const r = scanRecord(buf, pos, final);
    if (r.kind === 'more') return r.start;
    if (r.kind === 'corrupt') {
      onCorrupt(r.start, r.end);
      pos = r.end;
      continue;
    }
    onRecord(r.payload, r.start, r.end);
    pos = r.end;
  }
  return pos;
}
