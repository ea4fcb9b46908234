// Modbus PDUs (function code + data), shared by the agent's client and hw-sim's server. Pure:
// encode a request, check a response against the request it answers, and the server-side
// mirror of both. Framing (MBAP for TCP, address + CRC for RTU) lives in tcp-frame.ts and
// rtu-frame.ts. Limits are the spec's (shared/reference/modbus.md §1).

export type ReadFc = 1 | 2 | 3 | 4;

export type ModbusRequest =
  | { readonly fc: ReadFc; readonly address: number; readonly count: number }
  | { readonly fc: 5; readonly address: number; readonly on: boolean }
  | { readonly fc: 6; readonly address: number; readonly value: number }
  | { readonly fc: 15; readonly address: number; readonly bits: readonly boolean[] }
  | { readonly fc: 16; readonly address: number; readonly values: readonly number[] };

export type ResponseBody =
  /** FC03/FC04: the register bytes as received, 2 per register, big-endian within a register. */
  | { readonly kind: 'registers'; readonly data: Buffer }
  /** FC01/FC02: one byte (0 or 1) per requested bit. */
  | { readonly kind: 'bits'; readonly bits: Uint8Array }
  /** FC05/06/15/16: the echo matched the request. */
  | { readonly kind: 'written' }
  | { readonly kind: 'exception'; readonly code: number };

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;
export const MAX_WRITE_REGISTERS = 123;
export const MAX_WRITE_BITS = 1968;

export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export function isReadFc(fc: number): fc is ReadFc {
  return fc >= 1 && fc <= 4;
}

function quantityLimit(fc: number): number {
  switch (fc) {
    case 1: case 2: return MAX_READ_BITS;
    case 3: case 4: return MAX_READ_REGISTERS;
    case 15: return MAX_WRITE_BITS;
    case 16: return MAX_WRITE_REGISTERS;
    default: return 1;
  }
}

/** Number of coils/registers a request covers. */
export function quantityOf(r: ModbusRequest): number {
  switch (r.fc) {
    case 5: case 6: return 1;
    case 15: return r.bits.length;
    case 16: return r.values.length;
    default: return r.count;
  }
}

/** Length of a normal (non-exception) response PDU to `r`. */
export function responsePduLength(r: ModbusRequest): number {
  switch (r.fc) {
    case 1: case 2: return 2 + Math.ceil(r.count / 8);
    case 3: case 4: return 2 + r.count * 2;
    default: return 5;
  }
}

/** Request PDU bytes. Throws RangeError for a request the spec does not allow (a caller bug). */
export function encodeRequestPdu(r: ModbusRequest): Buffer {
  const n = quantityOf(r);
  if (!Number.isInteger(r.address) || r.address < 0 || r.address + n > 0x10000) throw new RangeError(`address ${r.address}+${n} is outside 0–65535`);
  if (n < 1 || n > quantityLimit(r.fc)) throw new RangeError(`FC${r.fc} quantity ${n} is outside 1–${quantityLimit(r.fc)}`);
  switch (r.fc) {
    case 5: return Buffer.from([5, r.address >> 8, r.address & 0xff, r.on ? 0xff : 0, 0]);
    case 6: return Buffer.from([6, r.address >> 8, r.address & 0xff, (r.value >> 8) & 0xff, r.value & 0xff]);
    case 15: {
      const packed = packBits(r.bits);
      return Buffer.concat([Buffer.from([15, r.address >> 8, r.address & 0xff, n >> 8, n & 0xff, packed.length]), packed]);
    }
    case 16: {
      const b = Buffer.alloc(6 + n * 2);
      b.set([16, r.address >> 8, r.address & 0xff, n >> 8, n & 0xff, n * 2]);
      r.values.forEach((v, i) => b.writeUInt16BE(v & 0xffff, 6 + i * 2));
      return b;
    }
    default: return Buffer.from([r.fc, r.address >> 8, r.address & 0xff, n >> 8, n & 0xff]);
  }
}

/**
 * Checks a response PDU against the request it answers: function code, byte count, echoed
 * address/value. A well-formed exception reply decodes to { kind: 'exception' }.
 */
export function decodeResponsePdu(r: ModbusRequest, pdu: Uint8Array): Decoded<ResponseBody> {
  const fc = pdu[0];
  if (fc === undefined) return fail('empty response');
  if (fc === (r.fc | 0x80)) {
    if (pdu.length !== 2) return fail(`exception reply of ${pdu.length} bytes (expected 2)`);
    return { ok: true, value: { kind: 'exception', code: pdu[1] as number } };
  }
  if (fc !== r.fc) return fail(`function code ${fc} in reply to FC${r.fc}`);
  if (isReadFc(r.fc)) {
    const n = quantityOf(r);
    const bytes = r.fc <= 2 ? Math.ceil(n / 8) : n * 2;
    if (pdu[1] !== bytes || pdu.length !== 2 + bytes) return fail(`FC${fc} reply carries ${pdu[1] ?? 0} bytes in ${pdu.length - 2} (expected ${bytes})`);
    const data = Buffer.from(pdu.subarray(2, 2 + bytes));
    return { ok: true, value: r.fc <= 2 ? { kind: 'bits', bits: unpackBits(data, n) } : { kind: 'registers', data } };
  }
  const expected = encodeRequestPdu(r).subarray(0, 5);
  if (pdu.length !== 5 || !Buffer.from(pdu).equals(expected)) return fail(`FC${fc} echo does not match the request`);
  return { ok: true, value: { kind: 'written' } };
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

export function packBits(bits: readonly (boolean | number)[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) out[i >> 3] = (out[i >> 3] as number) | (1 << (i & 7));
  });
  return out;
}

export function unpackBits(data: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = ((data[i >> 3] ?? 0) >> (i & 7)) & 1;
  return out;
}

// ---- server side (hw-sim) -------------------------------------------------------------------

/** A request as a server sees it; a number is the exception to answer (unknown FC, bad quantity). */
export function decodeRequestPdu(pdu: Uint8Array): Decoded<ModbusRequest> | { readonly ok: false; readonly reason: string; readonly exception: number } {
  const fc = pdu[0] ?? 0;
  const word = (i: number): number => ((pdu[i] ?? 0) << 8) | (pdu[i + 1] ?? 0);
  const exc = (exception: number, reason: string) => ({ ok: false as const, reason, exception });
  const address = word(1);
  if (![1, 2, 3, 4, 5, 6, 15, 16].includes(fc)) return exc(1, `function code ${fc} not supported`);
  if (pdu.length < 5) return exc(3, 'request too short');
  let req: ModbusRequest;
  if (isReadFc(fc)) req = { fc, address, count: word(3) };
  else if (fc === 5) {
    const v = word(3);
    if (v !== 0xff00 && v !== 0) return exc(3, `FC05 value 0x${v.toString(16)} is neither 0xFF00 nor 0x0000`);
    req = { fc, address, on: v === 0xff00 };
  } else if (fc === 6) req = { fc, address, value: word(3) };
  else {
    const n = word(3);
    const bytes = pdu[5] ?? 0;
    const want = fc === 15 ? Math.ceil(n / 8) : n * 2;
    if (bytes !== want || pdu.length !== 6 + bytes) return exc(3, `FC${fc} byte count ${bytes} does not match quantity ${n}`);
    req = fc === 15
      ? { fc: 15, address, bits: Array.from(unpackBits(pdu.subarray(6), n), (b) => b === 1) }
      : { fc: 16, address, values: Array.from({ length: n }, (_, i) => word(6 + i * 2)) };
  }
  const n = quantityOf(req);
  if (n < 1 || n > quantityLimit(fc)) return exc(3, `quantity ${n} is outside 1–${quantityLimit(fc)}`);
  if (address + n > 0x10000) return exc(2, 'request runs past address 65535');
  return { ok: true, value: req };
}

export type ServerResult = { readonly registers: Buffer } | { readonly bits: readonly boolean[] } | { readonly written: true } | { readonly exception: number };

export function encodeResponsePdu(r: ModbusRequest, res: ServerResult): Buffer {
  if ('exception' in res) return Buffer.from([r.fc | 0x80, res.exception]);
  if ('registers' in res) return Buffer.concat([Buffer.from([r.fc, res.registers.length]), res.registers]);
  if ('bits' in res) {
    const packed = packBits(res.bits);
    return Buffer.concat([Buffer.from([r.fc, packed.length]), packed]);
  }
  return encodeRequestPdu(r).subarray(0, 5);
}
