// hw-sim's Modbus building blocks: the meter physics, register images, fault scheduling, and the
// clear error when socat (needed for RTU over a pty) is missing.
import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../hw-sim/devices/faults.js';
import { EXC } from '../../hw-sim/devices/modbus-slave.js';
import { SocatMissingError, ptyBridge } from '../../hw-sim/devices/pty.js';
import { RegisterImage } from '../../hw-sim/devices/register-image.js';
import { buildRack } from '../../hw-sim/physics/build.js';
import { meterReadings } from '../../hw-sim/physics/meter.js';
import { pduReadings } from '../../hw-sim/physics/readings.js';
import { demo } from '../../hw-sim/scenarios/demo.js';

describe('meter physics', () => {
  const pdu = pduReadings(buildRack(demo), 'pdu-a');
  it('a meter on the inlet sees the PDU\'s phases and total', () => {
    const m = meterReadings(pdu, 3);
    expect(m.total.powerW).toBeCloseTo(pdu.inlet.powerW, 6);
    expect(m.phases.map((p) => p.currentA)).toEqual(pdu.phases.map((p) => p.currentA));
    expect(m.phases[0]!.reactiveVar).toBeCloseTo(Math.sqrt(pdu.phases[0]!.apparentVA ** 2 - pdu.phases[0]!.powerW ** 2), 6);
  });
  it('a meter on outlets sees only them, on their phases; a single-phase meter sees its outlet\'s phase', () => {
    const m = meterReadings(pdu, 3, [1, 4]); // outlets 1 and 4 are both on L1
    expect(m.phases[0]!.powerW).toBeCloseTo(pdu.outlets[0]!.powerW + pdu.outlets[3]!.powerW, 6);
    expect(m.phases[1]!.powerW).toBe(0);
    const one = meterReadings(pdu, 1, [2]);
    expect(one.phases).toHaveLength(1);
    expect(one.phases[0]!.voltageV).toBe(pdu.phases[1]!.voltageV);
    expect(one.total.powerW).toBeCloseTo(pdu.outlets[1]!.powerW, 6);
    expect(() => meterReadings(pdu, 1, [99])).toThrow('PDU pdu-a has no outlet 99');
  });
});

describe('register images', () => {
  it('answer inside their ranges (unmapped registers read 0) and exception 02 outside', () => {
    const img = new RegisterImage([[0, 4], [10, 12]]).set(0, 'u16', 7).set(10, 'f32', 1.5, 'CDAB');
    expect(img.read(0, 4)).toEqual(Buffer.from([0, 7, 0, 0, 0, 0, 0, 0]));
    expect(img.read(10, 2)).toEqual(Buffer.from([0x00, 0x00, 0x3f, 0xc0]));
    expect(img.read(3, 2)).toBe(EXC.illegalAddress);
    expect(img.read(11, 2)).toBe(EXC.illegalAddress);
  });
});

describe('fault injection', () => {
  it('applies a fault to the next count requests, or every n-th, until cleared', () => {
    const f = new FaultInjector();
    f.inject({ kind: 'timeout', count: 2 });
    expect([1, 2, 3].map(() => f.next(0)?.kind)).toEqual(['timeout', 'timeout', undefined]);
    f.inject({ kind: 'garbage', every: 3 });
    expect([1, 2, 3, 4, 5, 6].map(() => f.next(0)?.kind)).toEqual([undefined, undefined, 'garbage', undefined, undefined, 'garbage']);
    f.clear();
    expect(f.next(0)).toBeUndefined();
    expect(f.applied).toMatchObject({ timeout: 2, garbage: 2 });
  });
  it('a reboot keeps the device down for its duration', () => {
    const f = new FaultInjector();
    f.inject({ kind: 'reboot', durationMs: 500, count: 1 });
    expect(f.next(1000)?.kind).toBe('reboot');
    expect(f.down(1499)).toBe(true);
    expect(f.down(1500)).toBe(false);
  });
});

describe('pty bridge', () => {
  it('says plainly that socat is missing when it is', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      const err = await ptyBridge(1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SocatMissingError);
      expect((err as Error).message).toBe('socat is not installed: simulated RTU devices on a pty need it (apt-get install socat); Modbus/TCP devices work without it');
    } finally {
      process.env['PATH'] = path;
    }
  });
});
