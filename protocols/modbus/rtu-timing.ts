// RTU line timing (shared/reference/modbus.md §2): character time from the serial format, the
// 3.5-character silence that separates frames (fixed at 1.75 ms above 19200 baud), and the wire
// time of a request/reply exchange. Used by the agent (inter-frame gap), hw-sim (line emulation)
// and the benchmarks (the wire-time bound).

export interface SerialFormat {
  readonly baud: number;
  readonly parity: 'none' | 'even' | 'odd';
  readonly dataBits: number;
  readonly stopBits: number;
}

/** Bits on the wire per character: start + data + parity + stop. */
export function bitsPerChar(f: SerialFormat): number {
  return 1 + f.dataBits + (f.parity === 'none' ? 0 : 1) + f.stopBits;
}

export function charTimeMs(f: SerialFormat): number {
  return (bitsPerChar(f) * 1000) / f.baud;
}

/** The inter-frame silence t3.5, ms. */
export function silenceMs(f: SerialFormat): number {
  return f.baud > 19200 ? 1.75 : 3.5 * charTimeMs(f);
}

/** Wire + silence time of one exchange: both frames, each followed by t3.5 (no turnaround). */
export function exchangeWireMs(f: SerialFormat, requestBytes: number, replyBytes: number): number {
  return (requestBytes + replyBytes) * charTimeMs(f) + 2 * silenceMs(f);
}

/** RTU frame sizes of a read: request 8 bytes, reply 5 + data bytes. */
export function readFrameBytes(fc: 1 | 2 | 3 | 4, count: number): { request: number; reply: number } {
  return { request: 8, reply: 5 + (fc <= 2 ? Math.ceil(count / 8) : count * 2) };
}
