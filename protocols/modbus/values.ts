// Register value codecs for Modbus device profiles: data types and word/byte orders.
//
// Word/byte order names follow Telegraf: for a 32-bit value whose big-endian bytes are A B C D,
//   ABCD  registers [AB][CD]   big-endian, most significant word first (most devices)
//   CDAB  registers [CD][AB]   little-endian word order, big-endian bytes (Carlo Gavazzi)
//   BADC  registers [BA][DC]   bytes swapped inside each word
//   DCBA  registers [DC][BA]   fully little-endian
// 64-bit types generalise the same rule over four registers. Pure functions, shared by the
// agent (decode) and hw-sim (encode).

export type ValueType = 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'f32' | 'f64' | 'string' | 'bit';
export type WordOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

export const WORD_ORDERS: readonly WordOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
export const VALUE_TYPES: readonly ValueType[] = ['u16', 'i16', 'u32', 'i32', 'u64', 'i64', 'f32', 'f64', 'string', 'bit'];

/** Registers a fixed-size numeric type occupies (string length comes from its definition). */
export function registerCount(type: Exclude<ValueType, 'string'>): number {
  switch (type) {
    case 'bit':
    case 'u16':
    case 'i16':
      return 1;
    case 'u32':
    case 'i32':
    case 'f32':
      return 2;
    case 'u64':
    case 'i64':
    case 'f64':
      return 4;
  }
}

/**
 * Reorders the bytes of one value between wire order and big-endian (ABCD…) order. The mapping
 * is its own inverse, so the same function serves decode and encode.
 */
export function reorder(src: Uint8Array, order: WordOrder): Buffer {
  const n = src.length;
  const out = Buffer.allocUnsafe(n);
  const words = n >> 1;
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA';
  for (let w = 0; w < words; w++) {
    const from = swapWords ? words - 1 - w : w;
    const hi = src[from * 2] ?? 0;
    const lo = src[from * 2 + 1] ?? 0;
    out[w * 2] = swapBytes ? lo : hi;
    out[w * 2 + 1] = swapBytes ? hi : lo;
  }
  if (n % 2 === 1) out[n - 1] = src[n - 1] ?? 0;
  return out;
}

/**
 * Decodes one numeric value from `regs` (raw register bytes as received) at byte `offset`.
 * 64-bit integers beyond ±2^53 lose precision; energy counters stay far below that.
 */
export function decodeNumber(regs: Uint8Array, offset: number, type: Exclude<ValueType, 'string' | 'bit'>, order: WordOrder): number {
  const len = registerCount(type) * 2;
  if (offset < 0 || offset + len > regs.length) {
    throw new RangeError(`value of ${len} bytes at byte ${offset} is outside a ${regs.length}-byte response`);
  }
  const be = type === 'u16' || type === 'i16'
    ? reorder(regs.subarray(offset, offset + 2), order === 'BADC' || order === 'DCBA' ? 'BADC' : 'ABCD')
    : reorder(regs.subarray(offset, offset + len), order);
  switch (type) {
    case 'u16': return be.readUInt16BE(0);
    case 'i16': return be.readInt16BE(0);
    case 'u32': return be.readUInt32BE(0);
    case 'i32': return be.readInt32BE(0);
    case 'u64': return Number(be.readBigUInt64BE(0));
    case 'i64': return Number(be.readBigInt64BE(0));
    case 'f32': return be.readFloatBE(0);
    case 'f64': return be.readDoubleBE(0);
  }
}

/** Encodes one numeric value into wire registers (hw-sim and write paths). */
export function encodeNumber(value: number, type: Exclude<ValueType, 'string' | 'bit'>, order: WordOrder): Buffer {
  const len = registerCount(type) * 2;
  const be = Buffer.alloc(len);
  switch (type) {
    case 'u16': be.writeUInt16BE(clampInt(value, 0, 0xffff), 0); break;
    case 'i16': be.writeInt16BE(clampInt(value, -0x8000, 0x7fff), 0); break;
    case 'u32': be.writeUInt32BE(clampInt(value, 0, 0xffffffff), 0); break;
    case 'i32': be.writeInt32BE(clampInt(value, -0x80000000, 0x7fffffff), 0); break;
    case 'u64': be.writeBigUInt64BE(BigInt(clampInt(value, 0, Number.MAX_SAFE_INTEGER)), 0); break;
    case 'i64': be.writeBigInt64BE(BigInt(clampInt(value, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)), 0); break;
    case 'f32': be.writeFloatBE(value, 0); break;
    case 'f64': be.writeDoubleBE(value, 0); break;
  }
  if (len === 2) return reorder(be, order === 'BADC' || order === 'DCBA' ? 'BADC' : 'ABCD');
  return reorder(be, order);
}

function clampInt(v: number, lo: number, hi: number): number {
  if (!Number.isFinite(v)) return 0;
  return Math.min(hi, Math.max(lo, Math.round(v)));
}

/**
 * Decodes a string of `registers` registers. `placement` 'both' packs two characters per
 * register; 'upper'/'lower' take one character per register from that byte (Carlo Gavazzi
 * EM340, Telegraf #14748). The string ends at the first NUL.
 */
export function decodeString(regs: Uint8Array, offset: number, registers: number, placement: 'both' | 'upper' | 'lower' = 'both'): string {
  const bytes: number[] = [];
  for (let r = 0; r < registers; r++) {
    const hi = regs[offset + r * 2];
    const lo = regs[offset + r * 2 + 1];
    if (hi === undefined || lo === undefined) throw new RangeError('string runs past the end of the response');
    if (placement === 'both') bytes.push(hi, lo);
    else bytes.push(placement === 'upper' ? hi : lo);
  }
  const end = bytes.indexOf(0);
  return Buffer.from(end === -1 ? bytes : bytes.slice(0, end)).toString('latin1').trimEnd();
}

export function encodeString(s: string, registers: number): Buffer {
  const out = Buffer.alloc(registers * 2);
  out.write(s.slice(0, registers * 2), 'latin1');
  return out;
}
