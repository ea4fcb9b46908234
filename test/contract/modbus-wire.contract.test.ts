// hw-sim's Modbus devices as Debian's mbpoll (libmodbus) sees them: over Modbus/TCP and over RTU
// on the simulated RS-485 bus's pty (socat), the documented register maps carry the physics
// model's values in each vendor's encoding; unit ids route on the bus; coils switch outlets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meterReadings } from '../../hw-sim/physics/meter.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { mixedModbus } from '../../hw-sim/scenarios/mixed-modbus.js';
import { mbpoll } from '../support/mbpoll.js';

let sim: RunningSim;
let tty: string;
beforeAll(async () => {
  sim = await startSimulator(mixedModbus, { basePort: 0, manual: true });
  sim.sim.advance(12);
  tty = sim.buses.get('rs485')!.pty!.path;
});
afterAll(async () => {
  await sim?.stop();
});

const portOf = (id: string): string => String(sim.endpoints.find((e) => e.device === id)!.port);
const tcp = (id: string, ...a: string[]): string[] => ['-m', 'tcp', '-a', '1', '-p', portOf(id), ...a, '127.0.0.1'];
const rtu = (unit: number, ...a: string[]): string[] => ['-m', 'rtu', '-b', '9600', '-P', 'none', '-a', String(unit), ...a, tty];

describe('over Modbus/TCP', () => {
  it('xerus-pdu: inlet block, float32 big-endian at 0x3008…', async () => {
    const r = await mbpoll(tcp('pdu-x', '-t', '4:float', '-B', '-0', '-r', String(0x3012), '-c', '2'));
    expect(r.code, r.stderr).toBe(0);
    const truth = sim.sim.readings('pdu-x');
    expect(r.values.get(0x3012)).toBeCloseTo(truth.inlet.powerW, 0);
    expect(r.values.get(0x3014)).toBeCloseTo(truth.inlet.apparentVA, 0);
    const outlet5 = await mbpoll(tcp('pdu-x', '-t', '4:float', '-B', '-0', '-r', String(0x8000 + 4 * 0x100 + 0x12), '-c', '1'));
    expect(outlet5.values.get(0x8412)).toBeCloseTo(truth.outlets[4]!.powerW, 0);
  });

  it('netio-powerpdu: scaled uint16 input registers, and a coil write switches an output', async () => {
    const r = await mbpoll(tcp('pdu-n', '-t', '3', '-0', '-r', '1', '-c', '5'));
    expect(r.code, r.stderr).toBe(0);
    const truth = sim.sim.readings('pdu-n');
    expect(r.values.get(2)).toBe(Math.round(truth.phases[0]!.voltageV * 10));
    expect(r.values.get(5)).toBe(Math.round(truth.inlet.powerW));
    const w = await mbpoll([...tcp('pdu-n', '-t', '0', '-0', '-r', '104'), '0']); // output 3 off
    expect(w.code, w.stderr).toBe(0);
    expect(sim.sim.relay('pdu-n', 3)).toBe(false);
    const states = await mbpoll(tcp('pdu-n', '-t', '0', '-0', '-r', '102', '-c', '4'));
    expect([...states.values.values()]).toEqual([1, 1, 0, 1]);
  });

  it('gude-expert-pdu: answers any unit id (the vendor says it ignores it)', async () => {
    const r = await mbpoll(['-m', 'tcp', '-a', '77', '-p', portOf('pdu-g'), '-t', '0', '-0', '-r', '0', '-c', '8', '127.0.0.1']);
    expect(r.code, r.stderr).toBe(0);
    expect([...r.values.values()]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('over RTU on the bus pty', () => {
  it('eastron-sdm630 (unit 1): float32 ABCD input registers from 30001 = the PDU inlet', async () => {
    const r = await mbpoll(rtu(1, '-t', '3:float', '-B', '-0', '-r', '0', '-c', '6'));
    expect(r.code, r.stderr).toBe(0);
    const m = meterReadings(sim.sim.readings('pdu-x'), 3);
    expect(r.values.get(0)).toBeCloseTo(m.phases[0]!.voltageV, 2);
    expect(r.values.get(6)).toBeCloseTo(m.phases[0]!.currentA, 3);
    const total = await mbpoll(rtu(1, '-t', '3:float', '-B', '-0', '-r', String(0x34), '-c', '1'));
    expect(total.values.get(0x34)).toBeCloseTo(m.total.powerW, 0);
  });

  it('carlo-gavazzi-em24 (unit 2): int32 low word first (mbpoll\'s default word order), ÷10 V', async () => {
    const r = await mbpoll(rtu(2, '-t', '3:int', '-0', '-r', '0', '-c', '3'));
    expect(r.code, r.stderr).toBe(0);
    const m = meterReadings(sim.sim.readings('pdu-x'), 3, mixedModbus.meters![1]!.outlets);
    expect(r.values.get(0)).toBe(Math.round(m.phases[0]!.voltageV * 10));
    expect(r.values.get(4)).toBe(Math.round(m.phases[2]!.voltageV * 10));
  });

  it('eastron-sdm120 (unit 3) meters NETIO outlet 1; unit 9 is not on the bus', async () => {
    const r = await mbpoll(rtu(3, '-t', '3:float', '-B', '-0', '-r', String(0x0c), '-c', '1'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.values.get(0x0c)).toBeCloseTo(sim.sim.readings('pdu-n').outlets[0]!.powerW, 0);
    const none = await mbpoll(rtu(9, '-o', '0.3', '-t', '3', '-0', '-r', '0', '-c', '1'));
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/timed out/i);
  });

  it('answers exception 02 outside the map and 01 for a table the meter does not have', async () => {
    const r = await mbpoll(rtu(1, '-t', '3', '-0', '-r', String(0x50), '-c', '2'));
    expect(r.stderr).toMatch(/Illegal data address/);
    const h = await mbpoll(rtu(1, '-t', '4', '-0', '-r', '0', '-c', '2'));
    expect(h.stderr).toMatch(/Illegal function/);
    expect(sim.server('rs485').stats.collisions).toBe(0);
  });
});
