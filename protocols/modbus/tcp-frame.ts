// Modbus/TCP framing: the 7-byte MBAP header (transaction id, protocol 0, length, unit id) in
// front of a PDU. MbapDecoder is incremental: feed it whatever the socket delivered (a frame
// may arrive in pieces, several frames may arrive in one chunk) and it returns the frames the
// new bytes complete. Bytes that cannot start a header (protocol id not 0, impossible length)
// are skipped one at a time and reported as junk, so a garbage prefix costs only itself.

export interface MbapFrame {
  readonly tid: number;
  readonly unit: number;
  readonly pdu: Buffer;
}

export type MbapEvent = { readonly type: 'frame'; readonly frame: MbapFrame } | { readonly type: 'junk'; readonly bytes: number };

export const MBAP_HEADER = 7;
/** Unit id + the largest PDU (253 bytes). */
const MAX_LENGTH = 254;

export function encodeMbap(tid: number, unit: number, pdu: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(MBAP_HEADER + pdu.length);
  b.writeUInt16BE(tid & 0xffff, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unit & 0xff;
  b.set(pdu, MBAP_HEADER);
  return b;
}

export class MbapDecoder {
  private buf: Buffer = Buffer.alloc(0);

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.buf.length;
  }

  feed(chunk: Uint8Array): MbapEvent[] {
    const buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: MbapEvent[] = [];
    let i = 0;
    let junk = 0;
    while (buf.length - i >= 6) {
      const protocol = buf.readUInt16BE(i + 2);
      const length = buf.readUInt16BE(i + 4);
      if (protocol !== 0 || length < 2 || length > MAX_LENGTH) {
        junk++;
        i++;
        continue;
      }
      if (buf.length - i < 6 + length) break;
      if (junk) out.push({ type: 'junk', bytes: junk });
      junk = 0;
      // Copy: the frame outlives this chunk, and the chunk's memory may be reused by the socket.
      out.push({ type: 'frame', frame: { tid: buf.readUInt16BE(i), unit: buf[i + 6] as number, pdu: Buffer.from(buf.subarray(i + 7, i + 6 + length)) } });
      i += 6 + length;
    }
    if (junk) out.push({ type: 'junk', bytes: junk });
    this.buf = i >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(i));
    return out;
  }

  /** Drops buffered bytes (after a reconnect); returns how many were dropped. */
  reset(): number {
    const n = this.buf.length;
    this.buf = Buffer.alloc(0);
    return n;
  }
}
