// Framing the stream of `nvidia-smi … --format=csv,noheader,nounits -lms N` into samples: the
// pure BlockFramer behind the exec layer's LineSplitter, fed output built from the nvidia-smi
// fixtures (test/fixtures/nvidia-smi/) split at every byte boundary, and cross-checked against the
// one-shot parser of the same fixture. Also: a GPU lost mid-stream, messages between samples, and
// what counts as garbage.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlockFramer, type Block, type FramerEvent } from '../../agent/drivers/gpu/blocks.js';
import { parseQueryCsv, text, type Cell } from '../../agent/drivers/gpu/csv.js';
import { GPU_FIELDS } from '../../agent/drivers/gpu/fields.js';
import type { QueryColumn } from '../../agent/drivers/gpu/reader.js';
import { LineSplitter } from '../../agent/runtime/exec.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/nvidia-smi');
const COLUMNS: QueryColumn[] = GPU_FIELDS.map((f) => ({ field: f, spelling: f.query[0] as string }));
const H100 = readFileSync(join(FIXTURES, 'h100-sxm5-x8_driver-550.54.15.csv'), 'utf8');
const LOST = readFileSync(join(FIXTURES, 'h100-sxm5-x8_driver-550.54.15_gpu-fell-off-bus.csv'), 'utf8');
const CRLF = readFileSync(join(FIXTURES, 'synthetic_crlf_name-with-comma.csv'), 'utf8');

/** The rows of a one-shot fixture without its header (what the stream prints per sample). */
function sample(csv: string): string {
  return csv.split('\n').filter((l) => /^\d+, /.test(l)).map((l) => `${l}\n`).join('');
}

function framer(expectedRows = 8, mismatches = parseQueryCsv(H100, COLUMNS).mismatches): BlockFramer {
  return new BlockFramer({ columns: COLUMNS, mismatches, expectedRows, complete: (r) => r });
}

/** Feeds `chunks` through a LineSplitter into a framer, then a quiet gap (flush); returns blocks and garbage in order. */
function run(f: BlockFramer, chunks: readonly Buffer[]): FramerEvent[] {
  const out: FramerEvent[] = [];
  const lines = new LineSplitter(4096, (l) => out.push(...f.push(l, 0, 0)), () => out.push({ kind: 'garbage', reason: 'line too long' }));
  for (const c of chunks) lines.push(c);
  lines.end();
  const last = f.flush();
  if (last) out.push({ kind: 'block', block: last });
  return out;
}

const blocks = (events: readonly FramerEvent[]): Block[] => events.flatMap((e) => (e.kind === 'block' ? [e.block] : []));
const garbageOf = (events: readonly FramerEvent[]): string[] => events.flatMap((e) => (e.kind === 'garbage' ? [e.reason] : []));

describe('BlockFramer', () => {
  it('three samples of 8 GPUs split at every byte boundary give the same three blocks as the one-shot parser', () => {
    const bytes = Buffer.from(sample(H100).repeat(3));
    const oneShot = JSON.stringify(parseQueryCsv(H100, COLUMNS).rows);
    expect(oneShot).toContain('"value":450'); // the capped GPU: the rows are the fixture's
    const wrong: number[] = [];
    for (let at = 0; at <= bytes.length; at++) {
      const events = run(framer(), [bytes.subarray(0, at), bytes.subarray(at)]);
      const got = blocks(events);
      if (garbageOf(events).length || got.length !== 3 || got.some((b) => JSON.stringify(b.rows) !== oneShot)) wrong.push(at);
    }
    expect(wrong).toEqual([]);
  });

  it('CRLF line ends, a name with ", " and a multi-byte character survive any split', () => {
    const withUtf8 = sample(CRLF).replace(/\r\n/g, ' — ½\r\n');
    const bytes = Buffer.from(withUtf8.repeat(2));
    const rows = withUtf8.split('\r\n').filter(Boolean).length;
    for (let at = 0; at <= bytes.length; at += 1) {
      const got = blocks(run(framer(rows), [bytes.subarray(0, at), bytes.subarray(at)]));
      expect(got).toHaveLength(2);
      expect(got[1]!.rows.map((r) => text(r['name']))).toEqual(got[0]!.rows.map((r) => text(r['name'])));
      expect(text(got[0]!.rows[0]!['name'])).toMatch(/, .* — ½$/);
    }
  });

  it('a sample is complete as soon as it has every GPU, without waiting for the next one', () => {
    const f = framer();
    const lines = sample(H100).trimEnd().split('\n');
    lines.slice(0, 7).forEach((l) => expect(f.push(l, 0, 0)).toEqual([]));
    expect(f.pending).toBe(true);
    const [done] = f.push(lines[7]!, 5, 5);
    expect(done).toMatchObject({ kind: 'block', block: { atMs: 0 } });
    expect(f.pending).toBe(false);
  });

  it('a GPU lost mid-stream: the short sample ends when the next begins, with nvidia-smi’s message', () => {
    const lostSample = LOST.split('\n').filter((l) => !l.startsWith('index,')).join('\n'); // message first, 7 renumbered rows
    const events = run(framer(), [Buffer.from(sample(H100) + lostSample + lostSample)]);
    expect(garbageOf(events)).toEqual([]);
    const got = blocks(events);
    expect(got.map((b) => b.rows.length)).toEqual([8, 7, 7]); // the second by the third's first row, the third by the gap
    expect(got[1]!.messages).toEqual([expect.stringContaining('Unable to determine the device handle for GPU 00000000:5D:00.0: GPU is lost')]);
    expect(got[1]!.rows.map((r) => text(r['uuid']))).not.toContain(text(parseQueryCsv(H100, COLUMNS).rows[3]!['uuid']));
  });

  it('flush() closes a short sample (a quiet gap); a row that would continue it afterwards is garbage', () => {
    const f = framer();
    const lines = sample(H100).trimEnd().split('\n');
    for (const l of lines.slice(0, 5)) f.push(l, 0, 0);
    expect(f.flush()?.rows).toHaveLength(5);
    expect(f.flush()).toBeUndefined();
    expect(garbageOf(f.push(lines[5]!, 0, 0))[0]).toMatch(/GPU row 5 came after its sample was complete/);
    // … while the next sample starting over is fine.
    const g = framer();
    for (const l of lines.slice(0, 5)) g.push(l, 0, 0);
    g.flush();
    expect(g.push(lines[0]!, 0, 0)).toEqual([]);
  });

  it('without readable UUIDs the index alone tells where the next sample begins', () => {
    const columns = COLUMNS.filter((c) => ['index', 'uuid', 'power.draw', 'name'].includes(c.field.key));
    const f = new BlockFramer({ columns, mismatches: [], expectedRows: 4, complete: (r) => r }); // more than it will see: no early close
    const one = '0, [GPU requires reset], 100.00, A\n1, [GPU requires reset], 101.00, B\n2, [N/A], 102.00, C\n';
    const got = blocks(run(f, [Buffer.from(one + one)]));
    expect(got.map((b) => b.rows.map((r) => r['power.draw']))).toEqual([0, 1].map(() => [100, 101, 102].map((value) => ({ ok: true, value }))));
  });

  it('more rows than the stream started with are garbage, not a second sample', () => {
    const events = run(framer(7), [Buffer.from(sample(H100))]);
    expect(blocks(events)).toHaveLength(1);
    expect(garbageOf(events)).toEqual([expect.stringMatching(/GPU row 7 came after its sample was complete/)]);
  });

  it('messages between samples (XID events) are kept with the next block and counted, not garbage', () => {
    const xid = 'Xid (PCI:0000:5d:00): 79, pid=1234, GPU has fallen off the bus.';
    const f = framer();
    const got = blocks(run(f, [Buffer.from(sample(H100) + `${xid}\n\n` + sample(H100))]));
    expect(got.map((b) => b.messages)).toEqual([[], [xid]]);
    expect(f.stats).toMatchObject({ blocks: 2, rows: 16, strayLines: 1 });
  });

  it('a row whose index is a placeholder is left out (its GPU is missing from the block), not garbage', () => {
    const rows = sample(H100).trimEnd().split('\n');
    rows[2] = rows[2]!.replace(/^2,/, '[GPU is lost],');
    const got = blocks(run(framer(), [Buffer.from(rows.join('\n') + '\n' + sample(H100))]));
    expect(got.map((b) => b.rows.length)).toEqual([7, 8]);
  });

  it('garbage: control characters, a row cut short, an index that is not a number', () => {
    const row = sample(H100).split('\n')[0]!;
    expect(garbageOf(framer().push('0, GPU-\u0000\u0001junk', 0, 0))[0]).toMatch(/control characters/);
    expect(garbageOf(framer().push(row.slice(0, 60), 0, 0))[0]).toMatch(/not a row of the 25 queried columns/);
    expect(garbageOf(framer().push(row.replace(/^0,/, 'x,'), 0, 0))[0]).toMatch(/not a row/);
    expect(garbageOf(framer().push('index, uuid, pci.bus_id' + ', x'.repeat(22), 0, 0))[0]).toMatch(/not a row/); // a header where none was asked for
  });

  it('placeholders stay unknown with the reason; a column the one-shot check found renamed stays invalid', () => {
    const mismatch = [{ column: 6, key: 'power.draw', expected: 'power.draw [W]', got: 'power.draw.instant [mW]' }];
    const [b] = blocks(run(framer(8, mismatch), [Buffer.from(sample(H100))]));
    const r0 = b!.rows[0]!;
    expect(r0['fan.speed']).toEqual<Cell>({ ok: false, quality: 'unsupported', reason: '[N/A]' });
    expect(r0['power.draw']).toMatchObject({ ok: false, quality: 'invalid', reason: expect.stringContaining('power.draw.instant [mW]') });
    expect(r0['power.limit']).toEqual<Cell>({ ok: true, value: 700 });
  });
});
