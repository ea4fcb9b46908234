// Device profiles as data: the built-ins, documented-vs-wire addressing, the planner's new
// knobs, and the config checks that tie a device's transport to its profile and its bus.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../agent/config/load.js';
import { ConfigError } from '../../agent/config/shape.js';
import { planReads, type PlanPoint } from '../../agent/drivers/modbus/plan.js';
import { expandProfile, planFor } from '../../agent/drivers/pdu/expand.js';
import type { ResolvedModbus } from '../../agent/drivers/pdu/family.js';
import { checkProfile, profileShape, toWire } from '../../agent/drivers/pdu/profile.js';
import { BUILTIN_PROFILES } from '../../agent/drivers/pdu/profiles/index.js';

const profile = (name: string) => BUILTIN_PROFILES.get(name)!;
/** An outlet count for profiles whose count comes from the device config. */
const outletsFor = (name: string): number | undefined => (profile(name).outlets.max > 0 ? 8 : undefined);

describe('built-in profiles', () => {
  it('are the ones the issue names, plus the simulator reference PDU', () => {
    expect([...BUILTIN_PROFILES.keys()].sort()).toEqual(['carlo-gavazzi-em24', 'eastron-sdm120', 'eastron-sdm630', 'gude-expert-pdu', 'netio-powerpdu', 'rackpilot-sim-pdu', 'schneider-pm5xxx', 'xerus-pdu']);
  });

  it('say what is unverified, and do not claim unverified relay maps as verified', () => {
    for (const name of ['xerus-pdu', 'eastron-sdm120', 'schneider-pm5xxx', 'carlo-gavazzi-em24', 'netio-powerpdu', 'gude-expert-pdu']) {
      expect(profile(name).source, name).toMatch(/UNVERIFIED/);
    }
    for (const name of ['xerus-pdu', 'netio-powerpdu', 'gude-expert-pdu']) expect(profile(name).outletControl?.verified, name).toBe(false);
  });

  it('map the reference addresses to the wire as documented (modbus.md §4)', () => {
    const wire = (name: string, q: string, ch = '') => expandProfile(profile(name), outletsFor(name)).points.find((p) => p.quantity === q && p.channel === ch)!;
    expect(wire('eastron-sdm630', 'phase.current', 'L2')).toMatchObject({ table: 'input', address: 0x0008, documented: 30009 }); // mbmd #63 capture: 01 04 00 08 00 02
    expect(wire('eastron-sdm630', 'inlet.power')).toMatchObject({ address: 0x0034, type: 'f32', order: 'ABCD' });
    expect(wire('schneider-pm5xxx', 'inlet.power')).toMatchObject({ table: 'holding', address: 3059, documented: 3060, scale: 1000 });
    expect(wire('schneider-pm5xxx', 'inlet.energy')).toMatchObject({ address: 3203, type: 'i64', count: 4 });
    expect(wire('carlo-gavazzi-em24', 'inlet.power')).toMatchObject({ table: 'input', address: 0x28, type: 'i32', order: 'CDAB', scale: 0.1 });
    expect(wire('xerus-pdu', 'inlet.power')).toMatchObject({ table: 'holding', address: 0x3012, type: 'f32' });
    expect(wire('netio-powerpdu', 'outlet.state', '3')).toMatchObject({ table: 'coil', address: 104 });
  });

  it('poll in the minimum number of requests their limits allow', () => {
    const reads = (name: string, outlets?: number) => planFor(expandProfile(profile(name), outlets), 'poll').length;
    expect(reads('eastron-sdm630')).toBe(3); // 0x00–0x4F is exactly 80 registers; THD and the totals are >80 further
    expect(reads('eastron-sdm120')).toBe(3); // V…PF, Hz…energy (38 unmapped registers apart), totals
    expect(reads('schneider-pm5xxx')).toBe(2); // 2999–3110 in one read, as the reference says
    expect(reads('carlo-gavazzi-em24')).toBe(1);
    expect(reads('xerus-pdu', 24)).toBe(1 + 3 + 24); // inlet, one per OCP, one per outlet (blocks 0x100 apart)
    expect(reads('netio-powerpdu', 8)).toBe(5);
    expect(reads('gude-expert-pdu', 12)).toBe(1);
    for (const p of BUILTIN_PROFILES.values()) {
      for (const r of planFor(expandProfile(p, outletsFor(p.name)), 'all')) expect(r.count).toBeLessThanOrEqual(r.table === 'coil' || r.table === 'discrete' ? p.limits.maxBits : p.limits.maxRegisters);
    }
  });

  it('info points (model, serial, name) are read by diag but never polled', () => {
    const e = expandProfile(profile('schneider-pm5xxx'), undefined);
    const ids = (which: 'poll' | 'all') => planFor(e, which).flatMap((r) => r.points.map((p) => e.points[p.id]!.quantity));
    expect(ids('poll')).not.toContain('info.name');
    expect(ids('all')).toEqual(expect.arrayContaining(['info.name', 'info.model', 'info.serial']));
  });
});

describe('addressing', () => {
  it('converts documented numbers to wire addresses', () => {
    expect(toWire('wire', 'holding', 0x3008)).toBe(0x3008);
    expect(toWire('one-based', 'holding', 3000)).toBe(2999);
    expect(toWire('modicon', 'input', 30001)).toBe(0);
    expect(toWire('modicon', 'holding', 40010)).toBe(9);
    expect(toWire('modicon', 'input', 300001)).toBe(0);
    expect(toWire('modicon', 'coil', 1)).toBe(0);
    expect(toWire('modicon', 'discrete', 10001)).toBe(0);
  });

  it('says why a documented number does not fit its table', () => {
    expect(toWire('modicon', 'holding', 30001)).toBe('30001 is an input register in Modicon numbering (3xxxx), but table is holding (4xxxx)');
    expect(toWire('one-based', 'holding', 0)).toBe('one-based address 0 must be 1–65536');
    expect(toWire('wire', 'holding', 70000)).toBe('wire address 70000 is above 65535');
  });
});

describe('profile checks', () => {
  const base = { name: 'x', description: 'x', source: 'x', kind: 'meter', addressing: 'modicon', phases: 1 };
  const issues = (points: unknown[], extra: Record<string, unknown> = {}) => checkProfile(profileShape.parse({ ...base, ...extra, points })).map((i) => `${i.path}: ${i.reason}`);

  it('reject points that contradict their table, type or addressing, with the path', () => {
    expect(issues([{ quantity: 'a', table: 'holding', address: 30001, type: 'f32' }])).toEqual(['points[0].address: 30001 is an input register in Modicon numbering (3xxxx), but table is holding (4xxxx)']);
    expect(issues([{ quantity: 'a', table: 'coil', address: 1, type: 'u16' }])).toEqual(['points[0].type: coil points are single bits: type must be bit (got u16)']);
    expect(issues([{ quantity: 'a', table: 'input', address: 30001, type: 'bit' }])).toEqual(['points[0].bit: is required for a bit in a register (0 = least significant)']);
    expect(issues([{ quantity: 'a', table: 'input', address: 30001, type: 'string', registers: 4 }])).toEqual(['points[0].kind: a string cannot be a series: use kind info']);
    expect(issues([{ quantity: 'a', table: 'input', address: 30001, type: 'f32', repeat: { over: 'outlets', stride: 2 } }])).toEqual(['points[0].repeat.over: the profile has no outlets (set outlets.count or outlets.max)']);
  });

  it('reject unknown keys and bad values through the shape, with the path', () => {
    expect(() => profileShape.parse({ ...base, points: [{ quantity: 'a', table: 'input', address: 30001, type: 'f32', ordr: 'CDAB' }] })).toThrow('points[0].ordr: unknown key (did you mean "order"?)');
    expect(() => profileShape.parse({ ...base, addressing: 'decimal', points: [] })).toThrow(/addressing: must be one of wire, one-based, modicon/);
  });
});

describe('planner knobs', () => {
  const pt = (id: number, address: number, table: PlanPoint['table'] = 'coil'): PlanPoint => ({ id, table, address, count: 1 });
  it('reads coils from address 0 when the device needs it (Telegraf #12408)', () => {
    expect(planReads([pt(0, 5), pt(1, 9)], { maxRegisters: 125, maxBits: 2000, maxGap: 0, coilsFromZero: true })).toEqual([
      { table: 'coil', address: 0, count: 10, points: [{ id: 0, offset: 5 }, { id: 1, offset: 9 }] },
    ]);
    expect(() => planReads([pt(0, 2000)], { maxRegisters: 125, maxBits: 2000, maxGap: 0, coilsFromZero: true })).toThrow(/end by 2000/);
  });
});

describe('config: transports, profiles and shared lines', () => {
  async function issuesOf(devices: unknown[]): Promise<string[]> {
    const dir = await mkdtemp(join(tmpdir(), 'rp-mb-'));
    await writeFile(join(dir, 'rack.yaml'), stringify({ agent: { id: 'a', site: 's', rack: 'r' }, devices }));
    try {
      await loadConfig(join(dir, 'rack.yaml'));
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.reason}`);
      throw err;
    }
  }
  const rtu = (id: string, t: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    ({ id, type: 'modbus', profile: 'eastron-sdm630', transport: { type: 'rtu', path: '/dev/ttyUSB0', baud: 9600, parity: 'even', ...t }, ...extra });

  it('reject impossible serial formats with the path and why', async () => {
    expect(await issuesOf([rtu('m', { dataBits: 7 })])).toEqual(['devices[0].transport: dataBits 7: Modbus RTU needs 8 data bits (7 is Modbus ASCII, which rackpilot does not speak)']);
    expect(await issuesOf([rtu('m', { baud: 12345 })])).toEqual([expect.stringMatching(/^devices\[0\]\.transport: baud 12345 is not a standard rate/)]);
    expect(await issuesOf([rtu('m', { stopBits: 2 })])).toEqual(['devices[0].transport: parity even with 2 stop bits makes a 12-bit character; RTU characters are 11 bits (use 1 stop bit with parity)']);
    expect(await issuesOf([rtu('m', { interFrameGapMs: 1 })])).toEqual(['devices[0].transport: interFrameGapMs 1 is below the 3.5-character silence at 9600 baud (4.01 ms)']);
    expect(await issuesOf([rtu('m', { parity: undefined })])).toEqual(['devices[0].transport.parity: is required (one of none, even, odd)']);
    expect(await issuesOf([{ ...rtu('m'), transport: { type: 'tcp', host: 'gw', tid: 'ignore', maxInFlight: 2 } }]))
      .toEqual(['devices[0].transport: tid ignore matches replies by order, so only one request may be in flight (maxInFlight 2)']);
    expect(await issuesOf([rtu('m', {}, { unit: 0 })])).toEqual(['devices[0].unit: an RTU slave address is 1–247 (0 is broadcast: nobody answers; got 0)']);
  });

  it('reject what the profile says the device cannot do', async () => {
    expect(await issuesOf([{ ...rtu('em'), profile: 'carlo-gavazzi-em24' }])).toEqual(['devices[0].transport.parity: carlo-gavazzi-em24 supports parity none only (got even)']);
    expect(await issuesOf([{ id: 'x', type: 'modbus', profile: 'xerus-pdu', outlets: 8, transport: { type: 'rtu', path: '/dev/ttyS0', baud: 9600, parity: 'none' } }]))
      .toEqual(['devices[0].transport.type: xerus-pdu devices speak tcp, not rtu']);
    expect(await issuesOf([rtu('m', {}, { outletSwitching: true })])).toEqual(['devices[0].outletSwitching: profile eastron-sdm630 maps no outlet relays']);
  });

  it('devices on one serial port must agree on the line; on separate ports they need not', async () => {
    expect(await issuesOf([rtu('a', {}, { unit: 1 }), rtu('b', { baud: 19200 }, { unit: 2 })])).toEqual([expect.stringMatching(/^devices\[1\]\.transport: shares rtu:\/\/\/dev\/ttyUSB0 with devices\[0\]/)]);
    expect(await issuesOf([rtu('a', {}, { unit: 1 }), rtu('b', { path: '/dev/ttyUSB1', baud: 19200 }, { unit: 2 })])).toEqual([]);
    const gw = (id: string, unit: number) => ({ id, type: 'modbus', profile: 'eastron-sdm630', unit, transport: { type: 'rtu-over-tcp', host: '10.0.0.9', port: 4196 } });
    expect(await issuesOf([gw('a', 1), gw('b', 2), gw('c', 3)])).toEqual([]);
    expect(await issuesOf([gw('a', 1), { ...gw('b', 2), transport: { type: 'tcp', host: '10.0.0.9', port: 4196 } }])).toEqual([expect.stringMatching(/^devices\[1\]\.transport: shares rtu-over-tcp:\/\/10\.0\.0\.9:4196/)]);
  });

  it('per-device workarounds override the profile and change the plan', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rp-mb-'));
    await writeFile(join(dir, 'rack.yaml'), stringify({ agent: { id: 'a', site: 's', rack: 'r' }, devices: [rtu('m', {}, { workarounds: { maxRegisters: 40, pauseBetweenRequestsMs: 100 } })] }));
    const { resolved } = await loadConfig(join(dir, 'rack.yaml'));
    const r = resolved.get('m') as ResolvedModbus;
    expect(r.workarounds.pauseBetweenRequestsMs).toBe(100);
    expect(planFor(r.expanded, 'poll').length).toBe(4);
    expect(planFor(r.expanded, 'poll').every((x) => x.count <= 40)).toBe(true);
  });
});
