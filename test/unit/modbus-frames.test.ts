// Modbus framing codecs (protocols/modbus/): literal frames from shared/reference/modbus.md §4,
// every frame split at every byte boundary, junk prefixes, CRC errors and the spec's limits.
import { describe, expect, it } from 'vitest';
import { crc16 } from '../../protocols/modbus/crc.js';
import { decodeRequestPdu, decodeResponsePdu, encodeRequestPdu, encodeResponsePdu, type ModbusRequest } from '../../protocols/modbus/pdu.js';
import { encodeRtu, scanRtuRequest, scanRtuResponse } from '../../protocols/modbus/rtu-frame.js';
import { MbapDecoder, encodeMbap, type MbapEvent } from '../../protocols/modbus/tcp-frame.js';
import { exchangeWireMs, silenceMs, charTimeMs } from '../../protocols/modbus/rtu-timing.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Every way of cutting `b` into two pieces, plus one byte at a time. */
function splits(b: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let i = 1; i < b.length; i++) out.push([b.subarray(0, i), b.subarray(i)]);
  out.push([...b].map((x) => Buffer.from([x])));
  return out;
}

describe('RTU frames', () => {
  it('CRC and encoding match the captured and computed frames', () => {
    expect(encodeRtu(1, encodeRequestPdu({ fc: 4, address: 0, count: 2 }))).toEqual(hex('01 04 00 00 00 02 71 CB'));
    expect(encodeRtu(1, encodeRequestPdu({ fc: 4, address: 8, count: 2 }))).toEqual(hex('01 04 00 08 00 02 F0 09'));
    expect(encodeRtu(1, encodeRequestPdu({ fc: 5, address: 5, on: true }))).toEqual(hex('01 05 00 05 FF 00 9C 3B'));
    expect(crc16(hex('01 04 04 43 67 AF 55'))).toBe(0x10e2);
  });

  it('finds the SDM630 reply (231.685 V) however the bytes arrive', () => {
    const req: ModbusRequest = { fc: 4, address: 0, count: 2 };
    const reply = hex('01 04 04 43 67 AF 55 E2 10');
    for (const parts of splits(reply)) {
      let acc = Buffer.alloc(0);
      for (const [i, p] of parts.entries()) {
        acc = Buffer.concat([acc, p]);
        const r = scanRtuResponse(acc, 1, 4);
        if (i < parts.length - 1) expect(r.kind).toBe('need');
        else {
          expect(r.kind).toBe('frame');
          if (r.kind !== 'frame') return;
          const body = decodeResponsePdu(req, r.pdu);
          expect(body.ok && body.value.kind === 'registers' && body.value.data.readFloatBE(0)).toBeCloseTo(231.685, 3);
        }
      }
    }
  });

  it('skips junk before a reply, and junk that looks like a header', () => {
    const reply = hex('01 04 04 40 88 FA 31 ED 1A');
    for (const junk of [hex('00 FF'), hex('01 04 7C'), hex('01 84'), hex('13 37 01')]) {
      const r = scanRtuResponse(Buffer.concat([junk, reply]), 1, 4);
      expect(r.kind, junk.toString('hex')).toBe('frame');
      if (r.kind === 'frame') expect(r.start).toBe(junk.length);
    }
  });

  it('counts a reply with a bad CRC and does not accept it', () => {
    const bad = hex('01 04 04 43 67 AF 55 E2 11');
    expect(scanRtuResponse(bad, 1, 4)).toEqual({ kind: 'need', crcErrors: 1, stale: 0 });
    expect(scanRtuResponse(hex('01 04 04 43 67 AF 55 E2 10'), 2, 4).kind).toBe('need'); // another unit's reply
  });

  it('with the expected length, a late reply of another length is skipped as stale', () => {
    const late = encodeRtu(1, Buffer.from([4, 12, ...new Array<number>(12).fill(7)])); // 6 registers, from an earlier request
    const reply = hex('01 04 04 43 67 AF 55 E2 10');
    const r = scanRtuResponse(Buffer.concat([late, reply]), 1, 4, 2 + 4);
    expect(r).toMatchObject({ kind: 'frame', start: late.length, stale: 1 });
    expect(scanRtuResponse(late, 1, 4, 6)).toEqual({ kind: 'need', crcErrors: 0, stale: 1 });
  });

  it('exception replies are 5-byte frames', () => {
    const exc = encodeRtu(1, Buffer.from([0x84, 0x02]));
    const r = scanRtuResponse(exc, 1, 4);
    expect(r.kind).toBe('frame');
    if (r.kind === 'frame') expect(decodeResponsePdu({ fc: 4, address: 0, count: 2 }, r.pdu)).toEqual({ ok: true, value: { kind: 'exception', code: 2 } });
  });

  it('server side: requests of every kind survive any split; bad CRC and unknown FCs are dropped', () => {
    const reqs: ModbusRequest[] = [
      { fc: 3, address: 0x3008, count: 125 }, { fc: 1, address: 0, count: 2000 }, { fc: 5, address: 102, on: false },
      { fc: 6, address: 7, value: 0xbeef }, { fc: 15, address: 3, bits: [true, false, true, true, false, false, false, false, true] },
      { fc: 16, address: 300, values: [777, 888] },
    ];
    for (const req of reqs) {
      const frame = encodeRtu(9, encodeRequestPdu(req));
      for (const parts of splits(frame)) {
        let acc = Buffer.alloc(0);
        let got: { unit: number; pdu: Buffer } | undefined;
        for (const p of parts) {
          acc = Buffer.concat([acc, p]);
          const r = scanRtuRequest(acc);
          if (r.kind === 'frame') got = r;
          else expect(r.kind).toBe('need');
        }
        expect(got?.unit).toBe(9);
        const d = decodeRequestPdu(got?.pdu ?? Buffer.alloc(0));
        expect(d).toEqual({ ok: true, value: req });
      }
    }
    const corrupt = encodeRtu(9, encodeRequestPdu({ fc: 3, address: 0, count: 1 }));
    corrupt[7] = (corrupt[7] ?? 0) ^ 1;
    expect(scanRtuRequest(corrupt)).toMatchObject({ kind: 'bad', reason: 'CRC mismatch' });
    expect(scanRtuRequest(hex('09 41 00'))).toMatchObject({ kind: 'bad', reason: 'unknown function code 65' });
  });
});

describe('MBAP frames', () => {
  const frame = hex('00 01 00 00 00 06 01 03 30 08 00 7D');

  it('encodes the reference FC03 request', () => {
    expect(encodeMbap(1, 1, encodeRequestPdu({ fc: 3, address: 0x3008, count: 125 }))).toEqual(frame);
  });

  it('decodes a frame split at every byte boundary, and several frames in one chunk', () => {
    for (const parts of splits(frame)) {
      const d = new MbapDecoder();
      const events = parts.flatMap((p) => d.feed(p));
      expect(events).toEqual([{ type: 'frame', frame: { tid: 1, unit: 1, pdu: hex('03 30 08 00 7D') } }]);
      expect(d.buffered).toBe(0);
    }
    const two = Buffer.concat([frame, encodeMbap(2, 7, hex('83 02'))]);
    const ev = new MbapDecoder().feed(two);
    expect(ev.map((e) => e.type === 'frame' && e.frame.tid)).toEqual([1, 2]);
  });

  it('skips a garbage prefix and reports it as junk', () => {
    const d = new MbapDecoder();
    const ev: MbapEvent[] = [...d.feed(hex('DE AD BE')), ...d.feed(Buffer.concat([hex('EF'), frame]))];
    expect(ev.filter((e) => e.type === 'junk').reduce((n, e) => n + (e.type === 'junk' ? e.bytes : 0), 0)).toBe(4);
    expect(ev.filter((e) => e.type === 'frame')).toHaveLength(1);
  });
});

describe('PDUs', () => {
  it('checks byte counts and echoes against the request', () => {
    const req: ModbusRequest = { fc: 3, address: 0, count: 2 };
    expect(decodeResponsePdu(req, hex('03 04 00 01 00 02'))).toMatchObject({ ok: true, value: { kind: 'registers' } });
    expect(decodeResponsePdu(req, hex('03 02 00 01'))).toMatchObject({ ok: false });
    expect(decodeResponsePdu(req, hex('04 04 00 01 00 02'))).toMatchObject({ ok: false, reason: 'function code 4 in reply to FC3' });
    const coil: ModbusRequest = { fc: 5, address: 5, on: true };
    expect(decodeResponsePdu(coil, hex('05 00 05 FF 00'))).toEqual({ ok: true, value: { kind: 'written' } });
    expect(decodeResponsePdu(coil, hex('05 00 05 00 00'))).toMatchObject({ ok: false });
    const bits = decodeResponsePdu({ fc: 1, address: 0, count: 10 }, hex('01 02 CD 01'));
    expect(bits.ok && bits.value.kind === 'bits' && [...bits.value.bits]).toEqual([1, 0, 1, 1, 0, 0, 1, 1, 1, 0]);
  });

  it('refuses requests outside the spec limits', () => {
    expect(() => encodeRequestPdu({ fc: 3, address: 0, count: 126 })).toThrow(RangeError);
    expect(() => encodeRequestPdu({ fc: 1, address: 0, count: 2001 })).toThrow(RangeError);
    expect(() => encodeRequestPdu({ fc: 3, address: 65535, count: 2 })).toThrow(RangeError);
    expect(decodeRequestPdu(hex('03 00 00 00 7E'))).toMatchObject({ ok: false, exception: 3 });
    expect(decodeRequestPdu(hex('05 00 00 12 34'))).toMatchObject({ ok: false, exception: 3 });
    expect(decodeRequestPdu(hex('2B 0E 01 00'))).toMatchObject({ ok: false, exception: 1 });
  });

  it('server responses round-trip through the client decoder', () => {
    const req: ModbusRequest = { fc: 2, address: 0x400, count: 3 };
    const pdu = encodeResponsePdu(req, { bits: [true, false, true] });
    expect(decodeResponsePdu(req, pdu)).toEqual({ ok: true, value: { kind: 'bits', bits: Uint8Array.from([1, 0, 1]) } });
    expect(decodeResponsePdu(req, encodeResponsePdu(req, { exception: 6 }))).toEqual({ ok: true, value: { kind: 'exception', code: 6 } });
  });
});

describe('RTU timing (modbus.md §2 table)', () => {
  const f = (baud: number, parity: 'none' | 'even' = 'none') => ({ baud, parity, dataBits: 8, stopBits: 1 });
  it('matches the reference numbers', () => {
    expect(charTimeMs(f(9600))).toBeCloseTo(1.042, 3);
    expect(silenceMs(f(9600))).toBeCloseTo(3.65, 2);
    expect(silenceMs(f(9600, 'even'))).toBeCloseTo(4.01, 2);
    expect(silenceMs(f(115200))).toBe(1.75);
    expect(exchangeWireMs(f(9600), 8, 25)).toBeCloseTo(41.7, 1);
    expect(exchangeWireMs(f(9600), 8, 255)).toBeCloseTo(281, 0);
    expect(exchangeWireMs(f(115200), 8, 25)).toBeCloseTo(6.4, 1);
    expect(exchangeWireMs(f(19200, 'even'), 8, 255)).toBeCloseTo(155, 0);
  });
});
