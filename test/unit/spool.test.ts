// The disk spool on real files: durability before sending, restart and kill -9 recovery,
// corrupted segments, the size bound, a full or failing disk (through the fs seam), reading a
// backlog back from disk in bounded pieces, and catalogs kept with their batches.
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAgentMessage, frameBatch, pb } from '../../protocols/wire/codec.js';
import { batchOf, drain, FaultyFs, openSpool, segmentFiles, settle, tempDir } from '../support/spool.js';

function values(b: { bytes: Uint8Array }): number[] {
  const m = decodeAgentMessage(frameBatch(b.bytes, false));
  if (!m.ok) throw m.error;
  return (m.message.batch!.groups as pb.SampleGroup[]).flatMap((g) => g.values);
}

describe('DiskSpool', () => {
  it('hands a batch to the link only once it is fsynced, and keeps seq, stream and backlog across a restart', async () => {
    const dir = await tempDir();
    const a = await openSpool(dir);
    const changes: string[] = [];
    a.spool.subscribe((c) => changes.push(c.type));
    for (let i = 0; i < 5; i++) a.spool.append(batchOf(a.spool.nextSeq()));
    expect(a.spool.after(0, 10)).toEqual([]); // written maybe, not yet durable
    await settle(a);
    expect(changes).toContain('readable');
    expect(a.spool.after(0, 10).map((b) => b.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(a.spool.ack(2)).toBe(2);
    const stream = a.spool.streamId;
    await a.spool.close();

    const b = await openSpool(dir);
    expect(b.spool.streamId).toBe(stream);
    expect(b.spool.lastSeq).toBe(5);
    expect(b.spool.nextSeq()).toBe(6);
    const back = await drain(b);
    expect(back.map((x) => x.seq)).toEqual([3, 4, 5]);
    expect(values(back[0]!)[0]).toBe(3000);
    expect(b.spool.stats()).toMatchObject({ batches: 3, oldestSeq: 3 });
    expect(b.events).toEqual([]);
  });

  it('kill -9: a spool abandoned without close() is recovered with everything it wrote', async () => {
    const dir = await tempDir();
    const a = await openSpool(dir);
    for (let i = 0; i < 30; i++) a.spool.append(batchOf(a.spool.nextSeq()));
    await settle(a);
    a.spool.ack(10);
    await settle(a); // the ack watermark reaches the state file
    for (let i = 0; i < 3; i++) a.spool.append(batchOf(a.spool.nextSeq()));
    await a.spool.settled(); // written, maybe not fsynced: still there after a process kill
    // no close(): the process is gone
    const b = await openSpool(dir);
    expect(b.spool.lastSeq).toBe(33);
    expect((await drain(b)).map((x) => x.seq)).toEqual(Array.from({ length: 23 }, (_, i) => 11 + i));
  });

  it('flipped bytes in a segment cost only the damaged batches, which reach the hub as a loss event', async () => {
    const dir = await tempDir();
    const a = await openSpool(dir);
    for (let i = 0; i < 10; i++) a.spool.append(batchOf(a.spool.nextSeq()));
    await a.spool.close();
    const [seg] = await segmentFiles(dir);
    const path = join(dir, seg!);
    const bytes = await readFile(path);
    const at = bytes.indexOf(Buffer.from(batchOf(4).bytes)) + 10; // inside batch 4
    bytes[at] = (bytes[at] as number) ^ 0xff;
    await writeFile(path, bytes);

    const b = await openSpool(dir);
    const got = await drain(b);
    expect(got.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const lost = got[3]!;
    expect(lost.samples).toBe(0);
    const m = decodeAgentMessage(frameBatch(lost.bytes, true));
    expect(m.ok && (m.message.batch as pb.TelemetryBatch).events[0]).toMatchObject({ type: 'spool.lost', severity: pb.Severity.SEVERITY_CRITICAL });
    expect(values(got[4]!)[0]).toBe(5000);
    expect(b.spool.stats()).toMatchObject({ lostBatches: 1, corruptRegions: 1 });
    expect(b.events.map((e) => e.type)).toEqual(['spool.recovered_damage']);
  });

  it('a torn tail (power loss mid-write) is cut off; a garbage file and a damaged state file do not stop it', async () => {
    const dir = await tempDir();
    const a = await openSpool(dir);
    for (let i = 0; i < 5; i++) a.spool.append(batchOf(a.spool.nextSeq()));
    await a.spool.close();
    const [seg] = await segmentFiles(dir);
    const size = (await readFile(join(dir, seg!))).length;
    await truncate(join(dir, seg!), size - 7);
    await writeFile(join(dir, 'seg-000000000099.rps'), Buffer.from('not a segment at all'));
    await writeFile(join(dir, 'state.json'), '{"version":1,"stream');
    const b = await openSpool(dir);
    expect(b.spool.lastSeq).toBe(4); // seq 5 was torn: it was never fsynced, so never sent, and is reused
    expect((await drain(b)).map((x) => x.seq)).toEqual([1, 2, 3, 4]);
    expect(b.events.map((e) => e.type)).toEqual(['spool.state_damaged', 'spool.recovered_damage']);
    b.spool.append(batchOf(b.spool.nextSeq()));
    await settle(b);
    expect(b.spool.after(4, 5).map((x) => x.seq)).toEqual([5]);
  });

  it('drops the oldest segment at the size bound, with the seq and time range in an event', async () => {
    const dir = await tempDir();
    const a = await openSpool(dir, { maxBytes: 40 << 10, segmentBytes: 8 << 10 });
    const changes: string[] = [];
    a.spool.subscribe((c) => changes.push(c.type));
    for (let i = 0; i < 200; i++) {
      a.spool.append(batchOf(a.spool.nextSeq(), 100));
      if (i % 10 === 0) await settle(a, 0);
    }
    await settle(a);
    const st = a.spool.stats();
    expect(st.diskBytes).toBeLessThanOrEqual(40 << 10);
    expect(st.droppedBatches).toBeGreaterThan(0);
    expect(st.droppedBatches + st.batches).toBe(200);
    expect(st.droppedSamples).toBe(st.droppedBatches * 100);
    expect(changes).toContain('dropped');
    const drop = a.events.find((e) => e.type === 'spool.dropped')!;
    expect(drop.values).toMatchObject({ first_seq: 1 });
    expect(drop.message).toMatch(/seq 1–\d+, 2023-/);
    expect((await drain(a))[0]!.seq).toBe(st.oldestSeq);
  });

  it('disk full: drops the oldest segment to make room; with nothing left to drop, keeps batches in memory and sends them', async () => {
    const dir = await tempDir();
    const fs = new FaultyFs();
    const a = await openSpool(dir, { segmentBytes: 4 << 10, retryMs: 1000 }, fs);
    for (let i = 0; i < 40; i++) a.spool.append(batchOf(a.spool.nextSeq(), 100));
    await settle(a);
    expect(a.spool.stats().segments).toBeGreaterThan(2);
    fs.fail.write = 'ENOSPC';
    a.spool.append(batchOf(41)); // ENOSPC: the oldest segment goes, the retry fails again, …
    await settle(a, 0);
    expect(a.events.map((e) => e.type)).toContain('spool.dropped');
    expect(a.events.map((e) => e.type)).toContain('spool.degraded');
    const st = a.spool.stats();
    expect(st).toMatchObject({ degraded: true, memOnlyBatches: 1 });
    expect(a.spool.after(40, 5).map((b) => b.seq)).toEqual([41]); // sendable from memory
    for (let i = 0; i < 5; i++) a.spool.append(batchOf(a.spool.nextSeq())); // the control loop goes on
    await settle(a, 0);
    expect(a.spool.after(41, 10).map((b) => b.seq)).toEqual([42, 43, 44, 45, 46]);
    delete fs.fail.write; // space again
    await a.clock.advance(1000);
    a.spool.append(batchOf(a.spool.nextSeq()));
    await settle(a);
    expect(a.events.at(-1)!.type).toBe('spool.recovered');
    expect(a.spool.stats()).toMatchObject({ degraded: false });
    expect(a.spool.after(46, 5).map((b) => b.seq)).toEqual([47]);
  });

  it('keeps the configured free-space reserve by dropping the oldest segments', async () => {
    const dir = await tempDir();
    const fs = new FaultyFs();
    const a = await openSpool(dir, { segmentBytes: 4 << 10, reserveBytes: 1 << 20 }, fs);
    for (let i = 0; i < 40; i++) a.spool.append(batchOf(a.spool.nextSeq(), 100));
    await settle(a);
    const before = a.spool.stats().segments;
    fs.free = 100; // another program filled the disk
    await a.clock.advance(6000);
    a.spool.append(batchOf(a.spool.nextSeq()));
    await settle(a, 0);
    const st = a.spool.stats();
    expect(st.segments).toBeLessThan(before);
    expect(st.droppedBatches).toBeGreaterThan(0);
    expect(a.events.find((e) => e.type === 'spool.dropped')?.attrs?.['reason']).toMatch(/reserve/);
  });

  it('memory-only batches beyond the memory bound are dropped, counted, and sent as a loss', async () => {
    const dir = await tempDir();
    const fs = new FaultyFs();
    const a = await openSpool(dir, { memoryBytes: 2000 }, fs);
    fs.fail.write = 'EIO';
    for (let i = 0; i < 30; i++) a.spool.append(batchOf(a.spool.nextSeq()));
    await settle(a, 0);
    const st = a.spool.stats();
    expect(st.memoryBytes).toBeLessThanOrEqual(2000);
    expect(st.lostBatches).toBeGreaterThan(0);
    const out = a.spool.after(0, 100);
    expect(out.map((b) => b.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1)); // every seq, none skipped
    const lost = out.filter((b) => b.samples === 0);
    expect(lost).toHaveLength(st.lostBatches);
    expect(out.reduce((n, b) => n + b.samples, 0) + st.droppedSamples).toBe(30 * 20);
    expect(a.events.find((e) => e.type === 'spool.dropped')?.attrs?.['reason']).toBe('memory bound');
  });

  it('a hung disk does not hold live data back: after the stall limit batches are sent from memory', async () => {
    const dir = await tempDir();
    const fs = new FaultyFs();
    const a = await openSpool(dir, { stallMs: 2000 }, fs);
    fs.hang.write = true;
    a.spool.append(batchOf(1));
    await a.clock.advance(1000);
    a.spool.append(batchOf(2));
    expect(a.spool.after(0, 5)).toEqual([]);
    await a.clock.advance(1500);
    a.spool.append(batchOf(3)); // the write of 1 has hung for 2.5 s
    expect(a.spool.after(0, 5).map((b) => b.seq)).toEqual([1, 2, 3]);
    expect(a.events.find((e) => e.type === 'spool.degraded')?.attrs?.['code']).toBe('STALLED');
  });

  it('an fsync that fails makes the batches memory-only, never silently durable', async () => {
    const dir = await tempDir();
    const fs = new FaultyFs();
    const a = await openSpool(dir, {}, fs);
    fs.fail.datasync = 'EIO';
    a.spool.append(batchOf(1));
    await settle(a);
    expect(a.spool.stats().memOnlyBatches).toBe(1);
    expect(a.spool.after(0, 5).map((b) => b.seq)).toEqual([1]);
  });

  it('reads a backlog back from disk in bounded pieces, in order, never skipping a batch', async () => {
    const dir = await tempDir();
    const a = await openSpool(dir, { memoryBytes: 64 << 10, segmentBytes: 32 << 10, maxBytes: 8 << 20 });
    for (let i = 0; i < 2000; i++) {
      a.spool.append(batchOf(a.spool.nextSeq()));
      if (i % 100 === 0) await settle(a, 0);
    }
    await settle(a);
    expect(a.spool.stats().memoryBytes).toBeLessThan(2 << 20);
    expect(a.spool.after(0, 1)).toEqual([]); // not in memory: a read is started, nothing skipped
    const all = await drain(a);
    expect(all.map((b) => b.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(all.every((b) => values(b)[0] === b.seq * 1000)).toBe(true);
    a.spool.ack(2000);
    await settle(a);
    expect(await segmentFiles(dir)).toHaveLength(1); // acked segments deleted, the active one kept
  });

  it('keeps the catalog with its batches: after a restart with a new catalog the old one is still known', async () => {
    const dir = await tempDir();
    const a = await openSpool(dir);
    a.spool.setCatalog(7, [{ alias: 1, device: 'pdu-a', quantity: 'inlet.power', unit: 'W' }]);
    a.spool.append(batchOf(1, 5, 7));
    await a.spool.close();
    const b = await openSpool(dir);
    b.spool.setCatalog(8, []);
    b.spool.append(batchOf(2, 5, 8));
    const prev = b.spool.previousCatalogs(8);
    expect(prev).toHaveLength(1);
    expect(prev[0]).toMatchObject({ version: 7, series: [{ device: 'pdu-a', quantity: 'inlet.power' }] });
    b.spool.ack(1);
    expect(b.spool.previousCatalogs(8)).toEqual([]);
  });

  it('restream() gives a new stream id that survives a restart, keeping the unacked batches', async () => {
    const dir = await tempDir();
    const a = await openSpool(dir);
    a.spool.append(batchOf(1));
    await settle(a);
    const first = a.spool.streamId;
    const next = a.spool.restream();
    expect(next).not.toBe(first);
    await a.spool.close();
    const b = await openSpool(dir);
    expect(b.spool.streamId).toBe(next);
    expect((await drain(b)).map((x) => x.seq)).toEqual([1]);
  });
});
