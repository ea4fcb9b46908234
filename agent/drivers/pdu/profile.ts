// Modbus power-device profiles as data: the register map of one device family and the
// workarounds it needs, validated with the same shape language as the config. A profile lists
// points; a point may repeat per phase or per outlet with a stride. Addresses are written as the
// vendor documents them, and `addressing` says how that numbering maps to the wire (expand.ts).
// checkProfile() adds the checks that span fields, each with its path and reason.

import { VALUE_TYPES, WORD_ORDERS } from '../../../protocols/modbus/values.js';
import { s, type Infer, type Issue } from '../../config/shape.js';

export const ADDRESSINGS = ['wire', 'one-based', 'modicon'] as const;
export type Addressing = (typeof ADDRESSINGS)[number];
export const TRANSPORT_TYPES = ['tcp', 'rtu', 'rtu-over-tcp'] as const;
const TABLES = ['holding', 'input', 'coil', 'discrete'] as const;

const pointShape = s.object({
  quantity: s.string({ pattern: /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, patternHint: 'a dotted lower-case name such as "phase.current"' }),
  /** Channel name; "{n}" is replaced by the 1-based repetition index. */
  channel: s.string().default(''),
  table: s.enum(TABLES),
  /** Address of the first repetition, in the profile's `addressing`. */
  address: s.int({ min: 0, max: 465_536 }),
  type: s.enum(VALUE_TYPES),
  /** Length of a string, in registers. */
  registers: s.int({ min: 1, max: 125 }).opt(),
  /** Bit index (0 = least significant) of a `bit` point in a register. */
  bit: s.int({ min: 0, max: 15 }).opt(),
  order: s.enum(WORD_ORDERS).opt(),
  /** Strings: two characters per register, or one in the upper/lower byte (EM340, Telegraf #14748). */
  placement: s.enum(['both', 'upper', 'lower'] as const).default('both'),
  /** physical = raw × scale + offset */
  scale: s.number().default(1),
  offset: s.number().default(0),
  unit: s.string().default(''),
  /** Decimal exponent of the wire precision (−2 = hundredths). */
  precision: s.int({ min: -9, max: 9 }).default(-2),
  /** info: identity data (model, serial, counts) read by `diag`, not polled. */
  kind: s.enum(['gauge', 'counter', 'state', 'info'] as const).default('gauge'),
  repeat: s.object({ over: s.enum(['phases', 'outlets'] as const), stride: s.int({ min: 1, max: 65_535 }) }).opt(),
});

const workaroundsShape = s.object({
  /** Wait between the requests of one poll (serial meters that need time, Telegraf #9253). */
  pauseBetweenRequestsMs: s.int({ min: 0, max: 10_000, unit: 'ms' }).default(0),
  /** Wait after a connection opens before the first request (Telegraf #11983). */
  pauseAfterConnectMs: s.int({ min: 0, max: 10_000, unit: 'ms' }).default(0),
  /** Close the TCP connection after every poll (devices with few sockets, Telegraf #8225). */
  closeAfterPoll: s.boolean().default(false),
  /** Read coils starting at address 0 (mbusd returns wrong bits otherwise, Telegraf #12408). */
  readCoilsFromZero: s.boolean().default(false),
});

export const DEFAULT_WORKAROUNDS = { pauseBetweenRequestsMs: 0, pauseAfterConnectMs: 0, closeAfterPoll: false, readCoilsFromZero: false };

export const profileShape = s.object({
  name: s.id(),
  description: s.string(),
  /** What the map was checked against; "unverified: …" for every part that was not. */
  source: s.string(),
  kind: s.enum(['pdu', 'meter'] as const),
  /** How `address` numbers map to wire addresses (expand.ts). */
  addressing: s.enum(ADDRESSINGS),
  /** Transports the device speaks (e.g. Xerus PDUs: tcp only). */
  transports: s.array(s.enum(TRANSPORT_TYPES), { min: 1 }).default([...TRANSPORT_TYPES]),
  /** Unit id when the device config gives none. */
  defaultUnit: s.int({ min: 0, max: 255 }).default(1),
  /** Serial formats the device supports; a config outside them is rejected. */
  serial: s.object({
    parity: s.array(s.enum(['none', 'even', 'odd'] as const), { min: 1 }).opt(),
    stopBits: s.array(s.int({ min: 1, max: 2 }), { min: 1 }).opt(),
    baud: s.array(s.int({ min: 300, max: 921_600 }), { min: 1 }).opt(),
  }).default({}),
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
  workarounds: workaroundsShape.default(DEFAULT_WORKAROUNDS),
  /** Outlet relays (switched PDUs). Addresses in the profile's `addressing`. */
  outletControl: s.object({
    /** FC05 to a coil (on = 0xFF00), or FC06 to a register with onValue/offValue. */
    write: s.enum(['coil', 'register'] as const).default('coil'),
    address: s.int({ min: 0, max: 465_536 }),
    stride: s.int({ min: 1, max: 65_535 }).default(1),
    onValue: s.int({ min: 0, max: 65_535 }).default(1),
    offValue: s.int({ min: 0, max: 65_535 }).default(0),
    /** Where the relay state is read back; default: the written coil or register. */
    readback: s.object({ table: s.enum(TABLES), address: s.int({ min: 0, max: 465_536 }), stride: s.int({ min: 1, max: 65_535 }).default(1) }).opt(),
    /** Whether the addresses were checked against the vendor document for a firmware. */
    verified: s.boolean(),
  }).opt(),
  points: s.array(pointShape, { min: 1 }),
});

export type Profile = Infer<typeof profileShape>;
export type Workarounds = Infer<typeof workaroundsShape>;

/** Wire address of a documented address, or the reason it cannot be one. */
export function toWire(addressing: Addressing, table: (typeof TABLES)[number], address: number): number | string {
  switch (addressing) {
    case 'wire':
      return address <= 65_535 ? address : `wire address ${address} is above 65535`;
    case 'one-based':
      return address >= 1 && address <= 65_536 ? address - 1 : `one-based address ${address} must be 1–65536`;
    case 'modicon':
      return modicon(table, address);
  }
}

const MODICON = { coil: 0, discrete: 1, input: 3, holding: 4 } as const;

/** Modicon numbering: 0xxxx coils, 1xxxx discrete inputs, 3xxxx input and 4xxxx holding registers (5 or 6 digits). */
function modicon(table: (typeof TABLES)[number], n: number): number | string {
  const prefix = MODICON[table];
  if (table === 'coil') return n >= 1 && n <= 65_536 ? n - 1 : `Modicon coil number ${n} must be 1–65536`;
  for (const base of [prefix * 10_000, prefix * 100_000]) {
    const span = base < 100_000 ? 9_999 : 65_536;
    if (n > base && n <= base + span) return n - base - 1;
  }
  const actual = n >= 100_000 ? Math.floor(n / 100_000) : Math.floor(n / 10_000);
  const names: Record<number, string> = { 0: 'a coil', 1: 'a discrete input', 3: 'an input register', 4: 'a holding register' };
  return `${n} is ${names[actual] ?? 'no table'} in Modicon numbering (${actual}xxxx), but table is ${table} (${prefix}xxxx)`;
}

/** Checks that span fields: addresses against the addressing, types against tables. */
export function checkProfile(p: Profile): Issue[] {
  const issues: Issue[] = [];
  p.points.forEach((pt, i) => {
    const at = `points[${i}]`;
    const wire = toWire(p.addressing, pt.table, pt.address);
    if (typeof wire === 'string') issues.push({ path: `${at}.address`, reason: wire });
    const bitTable = pt.table === 'coil' || pt.table === 'discrete';
    if (bitTable && pt.type !== 'bit') issues.push({ path: `${at}.type`, reason: `${pt.table} points are single bits: type must be bit (got ${pt.type})` });
    if (!bitTable && pt.type === 'bit' && pt.bit === undefined) issues.push({ path: `${at}.bit`, reason: 'is required for a bit in a register (0 = least significant)' });
    if (pt.bit !== undefined && (bitTable || pt.type !== 'bit')) issues.push({ path: `${at}.bit`, reason: 'only applies to type bit in a holding or input register' });
    if (pt.type === 'string' && pt.registers === undefined) issues.push({ path: `${at}.registers`, reason: 'is required for a string (its length in registers)' });
    if (pt.type === 'string' && pt.kind !== 'info') issues.push({ path: `${at}.kind`, reason: 'a string cannot be a series: use kind info' });
    if (pt.registers !== undefined && pt.type !== 'string') issues.push({ path: `${at}.registers`, reason: `only applies to strings (type is ${pt.type})` });
    if (pt.repeat?.over === 'outlets' && p.outlets.max === 0 && !p.outlets.count) issues.push({ path: `${at}.repeat.over`, reason: 'the profile has no outlets (set outlets.count or outlets.max)' });
  });
  const oc = p.outletControl;
  if (oc) {
    const wire = toWire(p.addressing, oc.write === 'coil' ? 'coil' : 'holding', oc.address);
    if (typeof wire === 'string') issues.push({ path: 'outletControl.address', reason: wire });
    const rb = oc.readback;
    const rbWire = rb && toWire(p.addressing, rb.table, rb.address);
    if (typeof rbWire === 'string') issues.push({ path: 'outletControl.readback.address', reason: rbWire });
    if (p.outlets.max === 0 && !p.outlets.count) issues.push({ path: 'outletControl', reason: 'the profile has no outlets to switch' });
  }
  return issues;
}
