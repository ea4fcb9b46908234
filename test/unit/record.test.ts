// The checksummed record framing under every split point, every flipped byte and torn tails.
import { describe, expect, it } from 'vitest';
import { encodeRecord, RECORD_HEADER, scanAll, scanRecord } from '../../protocols/wire/record.js';

const payloads = [Buffer.from('first record'), Buffer.alloc(0), Buffer.from('x'.repeat(300)), Buffer.from([0x41, 0x52, 0x50, 0x31, 0, 1, 2])];
const file = Buffer.concat(payloads.map((p) => encodeRecord(p)));

/** Feeds `chunks` one by one, as a streaming reader would, keeping incomplete tails. */
function stream(chunks: Uint8Array[]): { records: string[]; corrupt: number } {
  const records: string[] = [];
  let corrupt = 0;
  let carry: Uint8Array = new Uint8Array(0);
  chunks.forEach((c, i) => {
    carry = Buffer.concat([carry, c]);
    const kept = scanAll(carry, i === chunks.length - 1, (p) => records.push(Buffer.from(p).toString('latin1')), () => corrupt++);
    carry = carry.subarray(kept);
  });
  return { records, corrupt };
}

describe('record framing', () => {
  it('gives back every payload whatever the split point', () => {
    const want = payloads.map((p) => p.toString('latin1'));
    for (let cut = 0; cut <= file.length; cut++) {
      expect(stream([file.subarray(0, cut), file.subarray(cut)]), `cut at ${cut}`).toEqual({ records: want, corrupt: 0 });
    }
    expect(stream([...file].map((b) => Uint8Array.of(b)))).toEqual({ records: want, corrupt: 0 });
  });

  it('a flipped byte anywhere costs exactly the record it is in; the others are found', () => {
    const starts: number[] = [];
    let off = 0;
    for (const p of payloads) {
      starts.push(off);
      off += RECORD_HEADER + p.length;
    }
    for (let i = 0; i < file.length; i++) {
      const bad = Buffer.from(file);
      bad[i] = (bad[i] as number) ^ 0x5a;
      const hit = starts.filter((s) => s <= i).length - 1;
      const got = stream([bad]);
      const want = payloads.filter((_, k) => k !== hit).map((p) => p.toString('latin1'));
      expect(got.records, `flip at ${i}`).toEqual(want);
      expect(got.corrupt, `flip at ${i}`).toBeGreaterThanOrEqual(1);
    }
  });

  it('a torn tail is "more" while the file grows and corrupt at its end', () => {
    const torn = file.subarray(0, file.length - 3);
    const lastStart = file.length - (RECORD_HEADER + 7);
    expect(scanRecord(torn, lastStart, false)).toEqual({ kind: 'more', start: lastStart });
    // The last payload starts with the magic itself: the scanner stops there too, and then at the end.
    expect(scanRecord(torn, lastStart, true)).toEqual({ kind: 'corrupt', start: lastStart, end: lastStart + RECORD_HEADER });
    expect(scanRecord(torn, lastStart + RECORD_HEADER, true)).toEqual({ kind: 'corrupt', start: lastStart + RECORD_HEADER, end: torn.length });
    expect(stream([torn]).records).toHaveLength(3);
  });

  it('garbage before, between and after records is skipped', () => {
    const junk = Buffer.from('ARP\u0000 garbage ARP1 more', 'latin1');
    const mixed = Buffer.concat([junk, encodeRecord(Buffer.from('a')), junk, encodeRecord(Buffer.from('b')), junk]);
    const got = stream([mixed]);
    expect(got.records).toEqual(['a', 'b']);
    expect(got.corrupt).toBeGreaterThanOrEqual(3);
  });
});
