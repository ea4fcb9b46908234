// A profile plus a device's outlet count → concrete points with wire addresses, the points'
// series, and the read plan. Pure; computed once per device at startup.

import { registerCount, type ValueType, type WordOrder } from '../../../protocols/modbus/values.js';
import type { SeriesKind, SeriesSpec } from '../../core/series.js';
import type { Table } from '../modbus/client.js';
import { planReads, type PlanLimits, type PlanPoint, type PlannedRead } from '../modbus/plan.js';
import { toWire, type Profile } from './profile.js';

export interface ConcretePoint {
  readonly id: number;
  readonly quantity: string;
  readonly channel: string;
  readonly table: Table;
  /** Wire address (as sent in the request). */
  readonly address: number;
  /** The address as the vendor documents it (profile numbering), for diag. */
  readonly documented: number;
  readonly count: number;
  readonly type: ValueType;
  readonly bit: number | undefined;
  readonly order: WordOrder;
  readonly placement: 'both' | 'upper' | 'lower';
  readonly scale: number;
  readonly offset: number;
  readonly unit: string;
  readonly precision: number;
  readonly kind: SeriesKind | 'info';
}

export interface ExpandedProfile {
  readonly points: readonly ConcretePoint[];
  readonly limits: PlanLimits;
  readonly outlets: number;
}

/** Concrete points for one device. `outlets` is the configured count (ignored when fixed). Throws RangeError. */
export function expandProfile(p: Profile, outlets: number | undefined): ExpandedProfile {
  const n = p.outlets.count ?? outlets ?? 0;
  if (p.outlets.count === undefined && n > p.outlets.max) throw new RangeError(`profile ${p.name} supports at most ${p.outlets.max} outlets (asked for ${n})`);
  const points: ConcretePoint[] = [];
  for (const pt of p.points) {
    const reps = pt.repeat ? (pt.repeat.over === 'phases' ? p.phases : n) : 1;
    for (let i = 0; i < reps; i++) {
      const documented = pt.address + i * (pt.repeat?.stride ?? 0);
      const channel = pt.channel.replaceAll('{n}', String(i + 1));
      const name = `${pt.quantity}${channel ? `[${channel}]` : ''}`;
      const wire = toWire(p.addressing, pt.table, documented);
      if (typeof wire === 'string') throw new RangeError(`${name}: ${wire}`);
      const count = pt.type === 'string' ? (pt.registers ?? 1) : registerCount(pt.type);
      if (wire + count > 65_536) throw new RangeError(`${name} ends past address 65535`);
      points.push({
        id: points.length, quantity: pt.quantity, channel, table: pt.table, address: wire, documented, count, type: pt.type, bit: pt.bit,
        order: pt.order ?? p.order, placement: pt.placement, scale: pt.scale, offset: pt.offset, unit: pt.unit, precision: pt.precision, kind: pt.kind,
      });
    }
  }
  const limits: PlanLimits = { ...p.limits, coilsFromZero: p.workarounds.readCoilsFromZero };
  planReads(planPoints(points), limits); // throws when a point does not fit one request
  return { points, limits, outlets: n };
}

export function planPoints(points: readonly ConcretePoint[]): PlanPoint[] {
  return points.map((p) => ({ id: p.id, table: p.table, address: p.address, count: p.count }));
}

/** The reads of one poll (info points left out) or of a full diag read (all points). */
export function planFor(e: ExpandedProfile, which: 'poll' | 'all'): PlannedRead[] {
  return planReads(planPoints(e.points.filter((p) => which === 'all' || p.kind !== 'info')), e.limits);
}

export function seriesOf(device: string, points: readonly ConcretePoint[]): SeriesSpec[] {
  const out: SeriesSpec[] = [];
  for (const p of points) {
    if (p.kind !== 'info') out.push({ device, quantity: p.quantity, channel: p.channel, unit: p.unit, scaleExp: p.precision, kind: p.kind });
  }
  return out;
}
