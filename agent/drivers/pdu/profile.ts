// Modbus power-device profiles as data: register maps and quirks for one device family, validated
// with the same shape language as the config. A profile lists points; a point may repeat per
// phase or per outlet with a stride. expandProfile() turns a profile plus a device's outlet count
// into concrete points and their series.

import { VALUE_TYPES, WORD_ORDERS, registerCount, type ValueType, type WordOrder } from '../../../protocols/modbus/values.js';
import type { SeriesKind, SeriesSpec } from '../../core/series.js';
import { s, type Infer } from '../../config/shape.js';
import type { PlanLimits, PlanPoint } from '../modbus/plan.js';
import type { Table } from '../modbus/tcp-link.js';

const pointShape = s.object({
  quantity: s.string({ pattern: /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, patternHint: 'a dotted lower-case name such as "phase.current"' }),
  /** Channel name; "{n}" is replaced by the 1-based repetition index. */
  channel: s.string().default(''),
  table: s.enum(['holding', 'input', 'coil', 'discrete'] as const),
  /** Wire address (0-based, as sent in the request) of the first repetition. */
  address: s.int({ min: 0, max: 65535 }),
  type: s.enum(VALUE_TYPES),
  /** Length of a string, in registers. */
  registers: s.int({ min: 1, max: 125 }).opt(),
  order: s.enum(WORD_ORDERS).opt(),
  /** physical = raw × scale + offset */
  scale: s.number().default(1),
  offset: s.number().default(0),
  unit: s.string(),
  /** Decimal exponent of the wire precision (−2 = hundredths). */
  precision: s.int({ min: -9, max: 9 }).default(-2),
  kind: s.enum(['gauge', 'counter', 'state'] as const).default('gauge'),
  repeat: s.object({ over: s.enum(['phases', 'outlets'] as const), stride: s.int({ min: 1, max: 4096 }) }).opt(),
});

export const profileShape = s.object({
  name: s.id(),
  description: s.string(),
  /** What the map was checked against; "unverified: …" when it was not. */
  source: s.string(),
  kind: s.enum(['pdu', 'meter'] as const),
  order: s.enum(WORD_ORDERS).default('ABCD'),
  phases: s.int({ min: 1, max: 3 }),
  /** Outlet count: fixed by the model, or taken from the device config (max bounds it). */
  outlets: s.object({ count: s.int({ min: 0, max: 1024 }).opt(), max: s.int({ min: 0, max: 1024 }).default(64) }).default({ max: 0 }),
  limits: s.object({
    maxRegisters: s.int({ min: 1, max: 125 }).default(125),
    maxBits: s.int({ min: 1, max: 2000 }).default(2000),
    maxGap: s.int({ min: 0, max: 124 }).default(0),
    onePerPoint: s.boolean().default(false),
  }).default({ maxRegisters: 125, maxBits: 2000, maxGap: 0, onePerPoint: false }),
  /** Outlet relays: coil address of outlet 1 and the stride between outlets. */
  outletControl: s.object({ address: s.int({ min: 0, max: 65535 }), stride: s.int({ min: 1, max: 4096 }).default(1) }).opt(),
  points: s.array(pointShape, { min: 1 }),
});

export type Profile = Infer<typeof profileShape>;
export type ProfilePoint = Infer<typeof pointShape>;

export interface ConcretePoint {
  readonly id: number;
  readonly quantity: string;
  readonly channel: string;
  readonly table: Table;
  readonly address: number;
  readonly count: number;
  readonly type: ValueType;
  readonly order: WordOrder;
  readonly scale: number;
  readonly offset: number;
  readonly unit: string;
  readonly precision: number;
  readonly kind: SeriesKind;
}

export interface ExpandedProfile {
  readonly points: readonly ConcretePoint[];
  readonly limits: PlanLimits;
  readonly outlets: number;
}

/** Concrete points for one device. `outlets` is the configured count (ignored when fixed). */
export function expandProfile(p: Profile, outlets: number | undefined): ExpandedProfile {
  const n = p.outlets.count ?? outlets ?? 0;
  if (p.outlets.count === undefined && n > p.outlets.max) throw new RangeError(`profile ${p.name} supports at most ${p.outlets.max} outlets (asked for ${n})`);
  const points: ConcretePoint[] = [];
  for (const pt of p.points) {
    const reps = pt.repeat ? (pt.repeat.over === 'phases' ? p.phases : n) : 1;
    for (let i = 0; i < reps; i++) {
      const count = pt.type === 'string' ? (pt.registers ?? 1) : registerCount(pt.type);
      points.push({
        id: points.length,
        quantity: pt.quantity,
        channel: pt.channel.replaceAll('{n}', String(i + 1)),
        table: pt.table,
        address: pt.address + i * (pt.repeat?.stride ?? 0),
        count,
        type: pt.type,
        order: pt.order ?? p.order,
        scale: pt.scale,
        offset: pt.offset,
        unit: pt.unit,
        precision: pt.precision,
        kind: pt.kind,
      });
    }
  }
  for (const c of points) {
    if (c.address + c.count > 65536) throw new RangeError(`${c.quantity}${c.channel ? `[${c.channel}]` : ''} ends past address 65535`);
  }
  return { points, limits: p.limits, outlets: n };
}

export function planPoints(points: readonly ConcretePoint[]): PlanPoint[] {
  return points.map((p) => ({ id: p.id, table: p.table, address: p.address, count: p.count }));
}

export function seriesOf(device: string, points: readonly ConcretePoint[]): SeriesSpec[] {
  return points
    .filter((p) => p.type !== 'string')
    .map((p) => ({ device, quantity: p.quantity, channel: p.channel, unit: p.unit, scaleExp: p.precision, kind: p.kind }));
}
