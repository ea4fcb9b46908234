import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { planReads, type PlanPoint } from '../../agent/drivers/modbus/plan.js';
import { expandProfile, planPoints } from '../../agent/drivers/pdu/expand.js';
import { BUILTIN_PROFILES } from '../../agent/drivers/pdu/profiles/index.js';

const pt = (id: number, address: number, count = 2, table: PlanPoint['table'] = 'holding'): PlanPoint => ({ id, table, address, count });
const limits = { maxRegisters: 125, maxBits: 2000, maxGap: 0 };

describe('planReads', () => {
  it('merges adjacent points into one read', () => {
    const r = planReads([pt(0, 0), pt(1, 2), pt(2, 4)], limits);
    expect(r).toEqual([{ table: 'holding', address: 0, count: 6, points: [{ id: 0, offset: 0 }, { id: 1, offset: 2 }, { id: 2, offset: 4 }] }]);
  });
  it('reads across holes up to maxGap, and splits beyond it', () => {
    expect(planReads([pt(0, 0), pt(1, 10)], { ...limits, maxGap: 8 })).toHaveLength(1);
    expect(planReads([pt(0, 0), pt(1, 11)], { ...limits, maxGap: 8 })).toHaveLength(2);
  });
  it('never exceeds the register limit and never splits a point', () => {
    const points = Array.from({ length: 100 }, (_, i) => pt(i, i * 2));
    const r = planReads(points, { ...limits, maxRegisters: 40 });
    expect(r).toHaveLength(5);
    for (const read of r) expect(read.count).toBeLessThanOrEqual(40);
  });
  it('keeps tables apart and uses the bit limit for coils', () => {
    const r = planReads([pt(0, 0, 1, 'coil'), pt(1, 1999, 1, 'coil'), pt(2, 0, 2, 'input')], { ...limits, maxGap: 2000 });
    expect(r.map((x) => [x.table, x.count])).toEqual([['coil', 2000], ['input', 2]]);
  });
  it('one request per point when the device needs it', () => {
    expect(planReads([pt(0, 0), pt(1, 2)], { ...limits, onePerPoint: true })).toHaveLength(2);
  });
  it('rejects a point longer than one request', () => {
    expect(() => planReads([pt(0, 0, 130)], limits)).toThrow(/more than one request/);
  });
  it('the rackpilot-sim-pdu plan for 24 outlets needs the minimum number of reads', () => {
    const p = BUILTIN_PROFILES.get('rackpilot-sim-pdu')!;
    const ex = expandProfile(p, 24);
    const r = planReads(planPoints(ex.points), ex.limits);
    // inlet + phases span 0x10..0x4B = 1 read; an outlet block is 16 registers of which the
    // first 10 are read, so k outlets take (k−1)·16 + 10 ≤ 125 → 8 per read → 3 reads for 24.
    expect(r).toHaveLength(4);
  });
  it('is minimal and covers every point exactly once (property, against a brute-force lower bound)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 2, max: 125 }),
        fc.integer({ min: 0, max: 20 }),
        (addrs, maxRegisters, maxGap) => {
          const points = addrs.map((a, i) => pt(i, a * 2, 2));
          const reads = planReads(points, { maxRegisters, maxBits: 2000, maxGap });
          const seen = reads.flatMap((r) => r.points.map((p) => p.id)).sort((a, b) => a - b);
          expect(seen).toEqual(points.map((p) => p.id));
          for (const r of reads) {
            expect(r.count).toBeLessThanOrEqual(maxRegisters);
            for (const p of r.points) expect((points[p.id] as PlanPoint).address - r.address).toBe(p.offset);
          }
          // Lower bound by dynamic programming over the sorted points: the true minimum.
          const sorted = points.slice().sort((a, b) => a.address - b.address);
          const best: number[] = new Array<number>(sorted.length + 1).fill(Infinity);
          best[0] = 0;
          for (let i = 0; i < sorted.length; i++) {
            const start = (sorted[i] as PlanPoint).address;
            for (let j = i; j < sorted.length; j++) {
              const q = sorted[j] as PlanPoint;
              if (j > i && q.address - ((sorted[j - 1] as PlanPoint).address + 2) > maxGap) break;
              if (q.address + 2 - start > maxRegisters) break;
              best[j + 1] = Math.min(best[j + 1] as number, (best[i] as number) + 1);
            }
          }
          expect(reads.length).toBe(best[sorted.length]);
        },
      ),
      { seed: 4242, numRuns: 300 },
    );
  });
});
