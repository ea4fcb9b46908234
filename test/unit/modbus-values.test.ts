// Register codecs against the computed vectors of shared/reference/modbus.md §4.6 and the real
// SDM630 captures of §4.2 (mbmd #63).
import { describe, expect, it } from 'vitest';
import { decodeNumber, decodeString, encodeNumber, encodeString, reorder, WORD_ORDERS } from '../../protocols/modbus/values.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('float32 word orders (modbus.md §4.6)', () => {
  const vectors: [number, Record<string, string>][] = [
    [230.0, { ABCD: '43660000', CDAB: '00004366', BADC: '66430000', DCBA: '00006643' }],
    [231.68, { ABCD: '4367AE14', CDAB: 'AE144367', BADC: '674314AE', DCBA: '14AE6743' }],
    [1234.5, { ABCD: '449A5000', CDAB: '5000449A', BADC: '9A440050', DCBA: '00509A44' }],
  ];
  for (const [value, orders] of vectors) {
    for (const [order, bytes] of Object.entries(orders)) {
      it(`${value} in ${order} is ${bytes}`, () => {
        const o = order as (typeof WORD_ORDERS)[number];
        expect(decodeNumber(hex(bytes), 0, 'f32', o)).toBeCloseTo(value, 4);
        expect(encodeNumber(value, 'f32', o).toString('hex').toUpperCase()).toBe(bytes);
      });
    }
  }
});

describe('integers', () => {
  it('int32 2300 (EM24 230.0 V) in ABCD and CDAB', () => {
    expect(decodeNumber(hex('000008FC'), 0, 'i32', 'ABCD')).toBe(2300);
    expect(decodeNumber(hex('08FC0000'), 0, 'i32', 'CDAB')).toBe(2300);
  });
  it('int32 -12345 in ABCD and CDAB', () => {
    expect(decodeNumber(hex('FFFFCFC7'), 0, 'i32', 'ABCD')).toBe(-12345);
    expect(decodeNumber(hex('CFC7FFFF'), 0, 'i32', 'CDAB')).toBe(-12345);
    expect(encodeNumber(-12345, 'i32', 'CDAB').toString('hex').toUpperCase()).toBe('CFC7FFFF');
  });
  it('int64 123456789 Wh (Schneider energy)', () => {
    expect(decodeNumber(hex('00000000075BCD15'), 0, 'i64', 'ABCD')).toBe(123456789);
    expect(decodeNumber(hex('00000000075BCD15'), 0, 'u64', 'ABCD')).toBe(123456789);
  });
  it('u16/i16 honour byte swapping in BADC/DCBA and ignore word swapping', () => {
    expect(decodeNumber(hex('1234'), 0, 'u16', 'ABCD')).toBe(0x1234);
    expect(decodeNumber(hex('1234'), 0, 'u16', 'CDAB')).toBe(0x1234);
    expect(decodeNumber(hex('3412'), 0, 'u16', 'BADC')).toBe(0x1234);
    expect(decodeNumber(hex('FFFE'), 0, 'i16', 'ABCD')).toBe(-2);
  });
  it('encode clamps integers to their range and maps non-finite to 0', () => {
    expect(encodeNumber(70000, 'u16', 'ABCD').readUInt16BE(0)).toBe(0xffff);
    expect(encodeNumber(-5, 'u32', 'ABCD').readUInt32BE(0)).toBe(0);
    expect(encodeNumber(Number.NaN, 'i32', 'ABCD').readInt32BE(0)).toBe(0);
  });
  it('round-trips every numeric type in every order', () => {
    const types = ['u16', 'i16', 'u32', 'i32', 'u64', 'i64', 'f32', 'f64'] as const;
    const sample = { u16: 54321, i16: -1234, u32: 3_000_000_000, i32: -2_000_000_000, u64: 2 ** 40 + 7, i64: -(2 ** 40) - 7, f32: 0.5, f64: 1234.000001 };
    for (const t of types) for (const o of WORD_ORDERS) expect(decodeNumber(encodeNumber(sample[t], t, o), 0, t, o)).toBe(sample[t]);
  });
});

describe('real captures (SDM630 via USR-410, mbmd #63)', () => {
  it('01 04 04 43 67 AF 55 … is 231.685 V', () => {
    const frame = hex('01040443 67AF55E210');
    expect(decodeNumber(frame, 3, 'f32', 'ABCD')).toBeCloseTo(231.685, 3);
  });
  it('01 04 04 40 88 FA 31 … is 4.2805 A', () => {
    expect(decodeNumber(hex('0104044088FA31ED1A'), 3, 'f32', 'ABCD')).toBeCloseTo(4.2805, 4);
  });
});

describe('bounds and strings', () => {
  it('refuses a value past the end of the response', () => {
    expect(() => decodeNumber(hex('4366'), 0, 'f32', 'ABCD')).toThrow(RangeError);
  });
  it('reorder is its own inverse', () => {
    const b = hex('0102030405060708');
    for (const o of WORD_ORDERS) expect(reorder(reorder(b, o), o).equals(b)).toBe(true);
  });
  it('strings: two characters per register, one per register (EM340 upper/lower), NUL ends', () => {
    expect(decodeString(encodeString('PX3-5190', 10), 0, 10)).toBe('PX3-5190');
    expect(decodeString(hex('4100 4200 0000'), 0, 3, 'upper')).toBe('AB');
    expect(decodeString(hex('0041 0042 0043'), 0, 3, 'lower')).toBe('ABC');
  });
});
