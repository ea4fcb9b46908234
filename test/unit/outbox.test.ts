import { describe, expect, it } from 'vitest';
import type { BuiltBatch } from '../../agent/uplink/encoder.js';
import { MemoryOutbox } from '../../agent/uplink/outbox.js';

const batch = (seq: number, bytes = 10, samples = 5): BuiltBatch => ({ seq, bytes: new Uint8Array(bytes), samples, missing: 0, events: 0, baseTimeMs: seq });

describe('MemoryOutbox', () => {
  it('hands out increasing seqs, removes acked batches and counts them', () => {
    const o = new MemoryOutbox(1, { maxBatches: 10, maxBytes: 1000 });
    for (let i = 0; i < 5; i++) o.append(batch(o.nextSeq()));
    expect(o.lastSeq).toBe(5);
    expect(o.ack(3)).toBe(3);
    expect(o.stats()).toMatchObject({ batches: 2, oldestSeq: 4, ackedBatches: 3, ackedSamples: 15 });
    expect(o.ack(3)).toBe(0);
    expect(() => o.append(batch(5))).toThrow(/not after/);
  });

  it('drops the oldest batch when full, and counts what was dropped', () => {
    const dropped: number[] = [];
    const o = new MemoryOutbox(1, { maxBatches: 3, maxBytes: 1000 }, (b) => dropped.push(b.seq));
    for (let i = 0; i < 5; i++) o.append(batch(o.nextSeq()));
    expect(dropped).toEqual([1, 2]);
    expect(o.stats()).toMatchObject({ batches: 3, droppedBatches: 2, droppedSamples: 10, oldestSeq: 3 });
  });

  it('bounds bytes too, but always keeps the newest batch', () => {
    const o = new MemoryOutbox(1, { maxBatches: 100, maxBytes: 25 });
    o.append(batch(1, 10));
    o.append(batch(2, 10));
    o.append(batch(3, 10));
    expect(o.stats().batches).toBe(2);
    o.append(batch(4, 100));
    expect(o.stats()).toMatchObject({ batches: 1, oldestSeq: 4 });
  });

  it('after() returns batches past a seq, oldest first, limited', () => {
    const o = new MemoryOutbox(1, { maxBatches: 5000, maxBytes: 1 << 30 });
    for (let i = 0; i < 3000; i++) o.append(batch(o.nextSeq()));
    o.ack(1500);
    expect(o.after(0, 2).map((b) => b.seq)).toEqual([1501, 1502]);
    expect(o.after(2999, 5).map((b) => b.seq)).toEqual([3000]);
    expect(o.after(3000, 5)).toEqual([]);
  });
});
