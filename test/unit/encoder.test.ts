import { describe, expect, it } from 'vitest';
import { decodeAgentMessage, frameBatch, pb } from '../../protocols/wire/codec.js';
import { bad, ok, type Sample } from '../../agent/core/reading.js';
import { seriesKey, type SeriesSpec } from '../../agent/core/series.js';
import { buildCatalog } from '../../agent/uplink/catalog.js';
import { BatchBuilder } from '../../agent/uplink/encoder.js';

const spec = (quantity: string, channel: string, scaleExp: number): SeriesSpec => ({ device: 'pdu-a', quantity, channel, unit: 'A', scaleExp, kind: 'gauge' });

function decode(bytes: Uint8Array): pb.TelemetryBatch {
  const r = decodeAgentMessage(frameBatch(bytes, false));
  if (!r.ok) throw r.error;
  return r.message.batch as pb.TelemetryBatch;
}

describe('catalog', () => {
  it('assigns aliases in order and a content-hash version that is stable and sensitive', () => {
    const a = buildCatalog([spec('phase.current', 'L1', -2), spec('phase.current', 'L2', -2)]);
    const b = buildCatalog([spec('phase.current', 'L1', -2), spec('phase.current', 'L2', -2)]);
    const c = buildCatalog([spec('phase.current', 'L1', -1), spec('phase.current', 'L2', -2)]);
    expect(a.entries.map((e) => e.alias)).toEqual([1, 2]);
    expect(a.version).toBe(b.version);
    expect(a.version).not.toBe(c.version);
    expect(() => buildCatalog([spec('x', '', 0), spec('x', '', 0)])).toThrow(/twice/);
  });
});

describe('BatchBuilder', () => {
  const specs = [spec('phase.current', 'L1', -2), spec('phase.current', 'L2', -2), spec('phase.voltage', 'L1', -1), spec('inlet.energy', '', 0)];
  const catalog = buildCatalog(specs);
  const key = (s: SeriesSpec): string => seriesKey(s.device, s.quantity, s.channel);

  it('encodes fixed-point values in alias order, with delta-coded aliases and time offsets', () => {
    const b = new BatchBuilder(catalog);
    b.addGroup(1000, [
      { key: key(specs[2]!), reading: ok(229.96, 1000) },
      { key: key(specs[0]!), reading: ok(12.345, 1000) },
    ]);
    b.addGroup(2000, [{ key: key(specs[3]!), reading: ok(123456.4, 2000) }]);
    const built = b.build(7);
    expect(built.samples).toBe(3);
    const m = decode(built.bytes);
    expect(m.seq).toBe(7);
    expect(m.catalogVersion).toBe(catalog.version);
    expect(m.baseTimeMs).toBe(1000);
    const [g1, g2] = m.groups as pb.SampleGroup[];
    expect(g1!.aliasDeltas).toEqual([1, 2]); // aliases 1 and 3
    expect(g1!.values).toEqual([1235, 2300]); // 12.345 A at 10^-2 (rounded), 229.96 V at 10^-1
    expect(g2!.timeOffsetMs).toBe(1000);
    expect(g2!.values).toEqual([123456]);
  });

  it('sends unknown values as missing with their quality, never as zero', () => {
    const b = new BatchBuilder(catalog);
    b.addGroup(5, [
      // out of alias order: each quality must stay with its alias when they are sorted
      { key: key(specs[1]!), reading: ok(Number.POSITIVE_INFINITY, 5) },
      { key: key(specs[2]!), reading: ok(230, 5) },
      { key: key(specs[0]!), reading: bad('timeout', 5) },
    ]);
    const built = b.build(1);
    expect(built.samples).toBe(1);
    expect(built.missing).toBe(2);
    const g = decode(built.bytes).groups[0] as pb.SampleGroup;
    expect(g.values).toEqual([2300]);
    expect(g.missingAliasDeltas).toEqual([1, 1]);
    expect(g.missingQuality).toEqual([pb.Quality.QUALITY_TIMEOUT, pb.Quality.QUALITY_INVALID]);
  });

  it('counts samples of series not in the catalog and does not send them', () => {
    const b = new BatchBuilder(catalog);
    b.addGroup(1, [{ key: 'nope/x', reading: ok(1, 1) }]);
    expect(b.unknownSeries).toBe(1);
    expect(b.empty).toBe(true);
  });

  it('steady-state PDU batch costs well under 8 bytes per numeric sample', () => {
    const many: SeriesSpec[] = [];
    for (let o = 1; o <= 48; o++) many.push(spec('outlet.current', String(o), -2), spec('outlet.power', String(o), -1), spec('outlet.energy', String(o), 0));
    const cat = buildCatalog(many);
    const b = new BatchBuilder(cat);
    const samples: Sample[] = many.map((s, i) => ({ key: key(s), reading: ok(s.quantity === 'outlet.energy' ? 1_234_567 + i : 5 + i * 13.37, 1) }));
    b.addGroup(1_700_000_000_000, samples);
    const built = b.build(123456);
    const frame = frameBatch(built.bytes, false);
    expect(frame.length / samples.length).toBeLessThan(8);
  });
});
