// codec.*: encode and decode throughput of a 200-sample TelemetryBatch (the real encoder path:
// BatchBuilder.addGroup + build, and the hub's decode).
import { ok, type Sample } from '../../agent/core/reading.js';
import type { SeriesSpec } from '../../agent/core/series.js';
import { keyOf } from '../../agent/core/series.js';
import { buildCatalog } from '../../agent/uplink/catalog.js';
import { BatchBuilder } from '../../agent/uplink/encoder.js';
import { decodeAgentMessage, frameBatch } from '../../protocols/wire/codec.js';
import type { Section } from '../harness.js';
import { round } from '../harness.js';

function timeLoop(fn: () => void, minMs: number): number {
  for (let i = 0; i < 200; i++) fn(); // warm up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < minMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    now = performance.now();
  }
  return (n / (now - start)) * 1000;
}

export const codec: Section = {
  name: 'codec: 200-sample batch',
  prefixes: ['codec.'],
  notes: { 'codec.encode_batches_per_s': 'batches/s, one core', 'codec.decode_batches_per_s': 'batches/s, one core' },
  async run() {
    const specs: SeriesSpec[] = [];
    for (let o = 1; o <= 50; o++) for (const q of ['outlet.current', 'outlet.power', 'outlet.energy', 'outlet.pf']) {
      specs.push({ device: 'pdu-a', quantity: q, channel: String(o), unit: 'x', scaleExp: q === 'outlet.energy' ? 0 : -2, kind: 'gauge' });
    }
    const cat = buildCatalog(specs);
    let t = 1_700_000_000_000;
    const samples = (): Sample[] => specs.map((s, i) => ({ key: keyOf(s), reading: ok(s.quantity === 'outlet.energy' ? 1_000_000 + i : 10 + (i % 17) * 3.7, t) }));
    const fixed = samples();
    const b = new BatchBuilder(cat);
    let seq = 0;
    let last: Uint8Array = new Uint8Array();
    const encode = timeLoop(() => {
      t += 1000;
      b.addGroup(t, fixed);
      last = b.build(++seq).bytes;
    }, 1500);
    const frame = frameBatch(last, false);
    const decode = timeLoop(() => {
      const r = decodeAgentMessage(frame);
      if (!r.ok) throw r.error;
    }, 1500);
    return { 'codec.encode_batches_per_s': round(encode, 0), 'codec.decode_batches_per_s': round(decode, 0) };
  },
};
