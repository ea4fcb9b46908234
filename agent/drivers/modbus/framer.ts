// Turning requests into frames and received bytes back into replies, for the two framings a
// Modbus line can carry. Each framer matches replies to the requests in flight and counts what
// it had to throw away; the line (line.ts) owns timing, queueing and the connection.
//
// TCP: replies are matched by transaction id, so late replies (after a timeout) are recognised
// and dropped instead of being taken for the next request: the "TID drift" of Telegraf #14317
// cannot happen. Devices that answer TID 0 or a constant TID are handled by the tid mode.
// RTU: one request in flight; the reply is found by unit, function code, length and CRC among
// whatever arrived since the request went out (junk before it is skipped). RTU has no
// transaction id: a late reply is recognised only when its length differs from the expected
// reply's, so after a timeout the receive buffer is cleared and the line waits out its gap.

import { encodeRtu, scanRtuResponse } from '../../../protocols/modbus/rtu-frame.js';
import { MbapDecoder, encodeMbap } from '../../../protocols/modbus/tcp-frame.js';

/** How replies are matched to requests on Modbus/TCP (shared/reference/modbus.md §3). */
export type TidMode =
  /** The reply's transaction id must be that of a request in flight. */
  | 'strict'
  /** Also accept TID 0 as the reply to the oldest request in flight (pymodbus #2777). */
  | 'accept-zero'
  /** Ignore TIDs (gateways that answer a constant one); one request in flight. */
  | 'ignore';

export interface Exchange {
  readonly unit: number;
  readonly fc: number;
  /** Length of a normal reply's PDU (RTU: tells a late reply to an earlier request apart). */
  readonly replyPdu: number;
  tid: number;
}

export interface Received<E> {
  readonly replies: readonly (readonly [E, Buffer])[];
  /** Bytes that belonged to no frame. */
  readonly junkBytes: number;
  /** Well-formed frames that answer no request in flight (late or foreign). */
  readonly stale: number;
  /** RTU: candidate replies to the request in flight whose CRC failed (so far). */
  readonly crcErrors: number;
}

export interface Framer<E extends Exchange> {
  /** Encodes a request, assigning its transaction id. */
  frame(e: E, pdu: Buffer): Buffer;
  /** Feeds received bytes; `inFlight` is in send order. */
  receive(chunk: Buffer, inFlight: readonly E[]): Received<E>;
  /** Forgets buffered bytes (new connection, or a new RTU request); returns how many. */
  reset(): number;
}

export class TcpFramer<E extends Exchange> implements Framer<E> {
  private decoder = new MbapDecoder();
  private tid = 0;

  constructor(private readonly mode: TidMode) {}

  frame(e: E, pdu: Buffer): Buffer {
    this.tid = this.tid >= 0xffff ? 1 : this.tid + 1; // 0 is left out: some devices answer 0 to anything
    e.tid = this.tid;
    return encodeMbap(e.tid, e.unit, pdu);
  }

  receive(chunk: Buffer, inFlight: readonly E[]): Received<E> {
    const replies: [E, Buffer][] = [];
    let junkBytes = 0;
    let stale = 0;
    const open = inFlight.slice();
    for (const ev of this.decoder.feed(chunk)) {
      if (ev.type === 'junk') {
        junkBytes += ev.bytes;
        continue;
      }
      const { tid, pdu } = ev.frame;
      let i = open.findIndex((e) => e.tid === tid);
      if (i === -1 && (this.mode === 'ignore' || (this.mode === 'accept-zero' && tid === 0))) i = open.length ? 0 : -1;
      const e = open[i];
      if (e === undefined) {
        stale++;
        continue;
      }
      open.splice(i, 1);
      replies.push([e, pdu]);
    }
    return { replies, junkBytes, stale, crcErrors: 0 };
  }

  reset(): number {
    return this.decoder.reset();
  }
}

/** Bytes kept while hunting for a reply: more than any RTU frame plus some junk. */
const RTU_RX_LIMIT = 1024;

export class RtuFramer<E extends Exchange> implements Framer<E> {
  private rx: Buffer = Buffer.alloc(0);

  frame(e: E, pdu: Buffer): Buffer {
    e.tid = 0;
    return encodeRtu(e.unit, pdu);
  }

  receive(chunk: Buffer, inFlight: readonly E[]): Received<E> {
    const e = inFlight[0];
    if (e === undefined) return { replies: [], junkBytes: chunk.length, stale: 0, crcErrors: 0 }; // a late reply, or noise
    this.rx = this.rx.length ? Buffer.concat([this.rx, chunk]) : Buffer.from(chunk);
    let junkBytes = 0;
    if (this.rx.length > RTU_RX_LIMIT) {
      junkBytes = this.rx.length - RTU_RX_LIMIT;
      this.rx = this.rx.subarray(junkBytes);
    }
    const scan = scanRtuResponse(this.rx, e.unit, e.fc, e.replyPdu);
    if (scan.kind === 'need') return { replies: [], junkBytes, stale: 0, crcErrors: scan.crcErrors };
    junkBytes += scan.start + (this.rx.length - scan.end);
    this.rx = Buffer.alloc(0);
    return { replies: [[e, scan.pdu]], junkBytes, stale: scan.stale, crcErrors: 0 };
  }

  reset(): number {
    const n = this.rx.length;
    this.rx = Buffer.alloc(0);
    return n;
  }
}
