// Modbus RTU framing: unit address + PDU + CRC-16 (low byte first). RTU has no length field and
// Node cannot see the 3.5-character silences that delimit frames (shared/reference/modbus.md §2),
// so frames are found by their expected length: the function code (and byte count) say how long
// a frame is, and the CRC confirms it. Both scanners are pure and take the whole buffer received
// so far (an RTU frame is at most 256 bytes), so they work on any split of the bytes.

import { crc16 } from './crc.js';

export const MAX_RTU_FRAME = 256;

export function encodeRtu(unit: number, pdu: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(pdu.length + 3);
  b[0] = unit & 0xff;
  b.set(pdu, 1);
  b.writeUInt16LE(crc16(b, 0, pdu.length + 1), pdu.length + 1);
  return b;
}

export function crcOk(buf: Uint8Array, start: number, end: number): boolean {
  return crc16(buf, start, end - 2) === (((buf[end - 1] as number) << 8) | (buf[end - 2] as number));
}

/**
 * Length of the response frame starting at `at` (address byte), from its function code and byte
 * count: a number, undefined when more bytes are needed to tell, or -1 for a function code no
 * response of ours can carry.
 */
export function responseLength(buf: Uint8Array, at: number): number | undefined {
  const fc = buf[at + 1];
  if (fc === undefined) return undefined;
  if (fc & 0x80) return 5;
  if (fc >= 1 && fc <= 4) {
    const bytes = buf[at + 2];
    return bytes === undefined ? undefined : 5 + bytes;
  }
  if (fc === 5 || fc === 6 || fc === 15 || fc === 16) return 8;
  return -1;
}

/** Length of the request frame starting at `at` (server side), as responseLength(). */
export function requestLength(buf: Uint8Array, at: number): number | undefined {
  const fc = buf[at + 1];
  if (fc === undefined) return undefined;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) {
    const bytes = buf[at + 6];
    return bytes === undefined ? undefined : 9 + bytes;
  }
  return -1;
}

export type RtuScan =
  | { readonly kind: 'frame'; readonly pdu: Buffer; readonly start: number; readonly end: number; readonly crcErrors: number; readonly stale: number }
  | { readonly kind: 'need'; readonly crcErrors: number; readonly stale: number };

/**
 * Finds the reply to a request to `unit` with function code `fc` in the bytes received since the
 * request was sent. Leading junk is skipped (a frame may start anywhere); a candidate whose CRC
 * fails is counted and skipped, so junk that happens to look like a header cannot hide the real
 * reply behind it. With `replyPdu` (the length of a normal reply's PDU), a well-formed frame of
 * another length is a late reply to an earlier request: it is counted as stale and skipped.
 */
export function scanRtuResponse(buf: Uint8Array, unit: number, fc: number, replyPdu?: number): RtuScan {
  let crcErrors = 0;
  let stale = 0;
  for (let start = 0; start < buf.length; start++) {
    if (buf[start] !== unit) continue;
    const f = buf[start + 1];
    if (f === undefined) break;
    if (f !== fc && f !== (fc | 0x80)) continue;
    const len = responseLength(buf, start);
    if (len === undefined || len < 0 || start + len > buf.length) continue;
    if (!crcOk(buf, start, start + len)) {
      crcErrors++;
      continue;
    }
    if (replyPdu !== undefined && f === fc && len !== replyPdu + 3) {
      stale++;
      start += len - 1;
      continue;
    }
    return { kind: 'frame', pdu: Buffer.from(buf.subarray(start + 1, start + len - 2)), start, end: start + len, crcErrors, stale };
  }
  return { kind: 'need', crcErrors, stale };
}

export type RtuRequestScan =
  | { readonly kind: 'frame'; readonly unit: number; readonly pdu: Buffer; readonly end: number }
  | { readonly kind: 'need' }
  | { readonly kind: 'bad'; readonly drop: number; readonly reason: string };

/**
 * The next request frame at the start of `buf` (server side). A slave that receives a frame it
 * cannot parse or whose CRC fails stays silent; 'bad' tells how many bytes to discard.
 */
export function scanRtuRequest(buf: Uint8Array): RtuRequestScan {
  const len = requestLength(buf, 0);
  if (len === undefined) return { kind: 'need' };
  if (len < 0) return { kind: 'bad', drop: buf.length, reason: `unknown function code ${buf[1] ?? 0}` };
  if (len > MAX_RTU_FRAME) return { kind: 'bad', drop: buf.length, reason: 'frame longer than 256 bytes' };
  if (buf.length < len) return { kind: 'need' };
  if (!crcOk(buf, 0, len)) return { kind: 'bad', drop: buf.length, reason: 'CRC mismatch' };
  return { kind: 'frame', unit: buf[0] as number, pdu: Buffer.from(buf.subarray(1, len - 2)), end: len };
}
