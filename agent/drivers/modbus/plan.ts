// Poll planning: which Modbus requests read a set of points. Pure; computed once at startup.
//
// Points are intervals of registers (or bits) in one table. A request reads one contiguous
// window of at most `maxCount` units. Within that limit, reading across a hole is allowed when
// the hole is at most `maxGap` units (devices may answer exception 02 for unmapped addresses,
// hence the bound). Greedy left-to-right packing is optimal for covering intervals on a line with
// windows of bounded length: each request starts at the first unread point and takes every
// following point whose end still fits and whose hole from the previous point is allowed. So the
// plan uses the minimum number of requests the limits allow.

import { isBitTable, type Table } from './client.js';

export interface PlanPoint {
  readonly id: number;
  readonly table: Table;
  readonly address: number;
  /** Registers (or bits) the point occupies. */
  readonly count: number;
}

export interface PlanLimits {
  /** Max registers per FC03/FC04 request (spec 125) and bits per FC01/FC02 (spec 2000). */
  readonly maxRegisters: number;
  readonly maxBits: number;
  /** Largest hole between two points that one request may read across. */
  readonly maxGap: number;
  /** One request per point (devices that return zeros on multi-register reads). */
  readonly onePerPoint?: boolean;
  /** Coil reads start at address 0 (gateways that return wrong bits otherwise; Telegraf #12408). */
  readonly coilsFromZero?: boolean;
}

export interface PlannedRead {
  readonly table: Table;
  readonly address: number;
  readonly count: number;
  /** Points served by this read, with their offset (in registers or bits) into it. */
  readonly points: readonly { readonly id: number; readonly offset: number }[];
}

export const TABLE_ORDER: readonly Table[] = ['coil', 'discrete', 'holding', 'input'];

export function planReads(points: readonly PlanPoint[], limits: PlanLimits): PlannedRead[] {
  const reads: PlannedRead[] = [];
  for (const table of TABLE_ORDER) {
    const max = isBitTable(table) ? limits.maxBits : limits.maxRegisters;
    const pts = points.filter((p) => p.table === table).sort((a, b) => a.address - b.address || b.count - a.count);
    if (table === 'coil' && limits.coilsFromZero && pts.length) {
      reads.push(fromZero(pts, max));
      continue;
    }
    let i = 0;
    while (i < pts.length) {
      const first = pts[i] as PlanPoint;
      if (first.count > max) throw new RangeError(`point ${first.id} at ${table} ${first.address} spans ${first.count}, more than one request allows (${max})`);
      const start = first.address;
      let end = start + first.count; // exclusive
      const served = [{ id: first.id, offset: 0 }];
      i++;
      while (!limits.onePerPoint && i < pts.length) {
        const p = pts[i] as PlanPoint;
        const pEnd = Math.max(end, p.address + p.count);
        if (p.address - end > limits.maxGap || pEnd - start > max) break;
        served.push({ id: p.id, offset: p.address - start });
        end = pEnd;
        i++;
      }
      reads.push({ table, address: start, count: end - start, points: served });
    }
  }
  return reads;
}

/** One coil read from address 0 covering every point (the coils-from-zero quirk). */
function fromZero(pts: readonly PlanPoint[], max: number): PlannedRead {
  const end = Math.max(...pts.map((p) => p.address + p.count));
  if (end > max) throw new RangeError(`coils must end by ${max} to be read from address 0 in one request (a point ends at ${end})`);
  return { table: 'coil', address: 0, count: end, points: pts.map((p) => ({ id: p.id, offset: p.address })) };
}
