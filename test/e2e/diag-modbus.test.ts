// `rackpilot diag modbus read|raw|scan` as a field tech runs them (the bundled CLI in a child
// process), against hw-sim over Modbus/TCP, the RS-485 pty and the RTU gateway, and against an
// independent pymodbus server; plus the usage errors.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { meterReadings } from '../../hw-sim/physics/meter.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { mixedModbus } from '../../hw-sim/scenarios/mixed-modbus.js';
import { runCli } from '../support/cli.js';
import { startPymodbus, type PymodbusServer } from '../support/pymodbus.js';

let sim: RunningSim;
let peer: PymodbusServer;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator(mixedModbus, { basePort: 0, manual: true });
  sim.sim.advance(12);
  peer = await startPymodbus('tcp', [{ address: 10, type: 'f32', order: 'CDAB', value: 49.5 }, { address: 12, type: 'i32', order: 'ABCD', value: -42 }]);
  dir = await mkdtemp(join(tmpdir(), 'rp-diag-'));
  await writeFile(join(dir, 'lab-meter.yaml'), stringify({
    name: 'lab-meter', description: 'two points', source: 'test', kind: 'meter', addressing: 'wire', phases: 1,
    points: [
      { quantity: 'inlet.frequency', table: 'holding', address: 10, type: 'f32', order: 'CDAB', unit: 'Hz' },
      { quantity: 'inlet.offset', table: 'holding', address: 12, type: 'i32', unit: 'W', precision: 0 },
      { quantity: 'inlet.missing', table: 'holding', address: 5000, type: 'u16', unit: 'W' },
    ],
  }));
});
afterAll(async () => {
  await peer?.stop();
  await sim?.stop();
});

const ep = (id: string) => sim.endpoints.find((e) => e.device === id)!;
const host = (id: string): string[] => ['--host', `127.0.0.1:${ep(id).port}`];
const serial = (): string[] => ['--serial', String(ep('meter-inlet').params['path']), '--baud', '9600', '--parity', 'N'];
type Json = Record<string, { value: number | string | null; unit: string }>;

describe('diag modbus read', () => {
  it('--json over Modbus/TCP: one object, point → {value, unit}, the physics values', async () => {
    const r = await runCli(['diag', 'modbus', 'read', ...host('pdu-x'), '--unit', '1', '--profile', 'xerus-pdu', '--outlets', '24', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Json;
    const truth = sim.sim.readings('pdu-x');
    expect(out['inlet.power']!.unit).toBe('W');
    expect(out['inlet.power']!.value).toBeCloseTo(truth.inlet.powerW, 0);
    expect(out['outlet.power/7']!.value).toBeCloseTo(truth.outlets[6]!.powerW, 0);
    expect(out['info.outlets']).toEqual({ value: 24, unit: '' });
  });

  it('text over RTU on the bus pty: every point with its unit and documented address', async () => {
    const r = await runCli(['diag', 'modbus', 'read', ...serial(), '--unit', '1', '--profile', 'eastron-sdm630']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^eastron-sdm630 at rtu:\/\/\S+ 9600 8N1 unit 1 — 3 requests, 0 failed/);
    const m = meterReadings(sim.sim.readings('pdu-x'), 3);
    const line = r.stdout.split('\n').find((l) => l.trim().startsWith('phase.voltage/L2'))!;
    expect(line).toContain(`${m.phases[1]!.voltageV.toFixed(1)}  V     input 30003 (wire 2)`);
    expect(r.stdout).not.toContain('\x1b['); // no colours when stdout is not a terminal
  });

  it('through the RTU gateway, a profile\'s identity strings included', async () => {
    const r = await runCli(['diag', 'modbus', 'read', ...host('meter-feed'), '--rtu', '--unit', '4', '--profile', 'schneider-pm5xxx', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Json)['info.name']).toEqual({ value: 'PM5560 hw-sim', unit: '' });
  });

  it('a YAML profile file against pymodbus; an unreadable point is null in JSON and explained on stderr', async () => {
    const r = await runCli(['diag', 'modbus', 'read', '--host', `127.0.0.1:${peer.port}`, '--unit', '1', '--profile', './lab-meter.yaml', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ 'inlet.frequency': { value: 49.5, unit: 'Hz' }, 'inlet.offset': { value: -42, unit: 'W' }, 'inlet.missing': { value: null, unit: 'W' } });
    expect(r.stderr).toMatch(/^inlet\.missing: modbus_exception: exception 2 \(illegal data address\)/m);
  });

  it('exit 1 when the device does not answer at all', async () => {
    const r = await runCli(['diag', 'modbus', 'read', ...serial(), '--unit', '9', '--timeout', '100', '--profile', 'eastron-sdm120']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no request was answered');
    expect(r.stdout).toContain('modbus_timeout');
  });
});

describe('diag modbus raw', () => {
  it('prints registers as unsigned, hex and signed, and coils as bits', async () => {
    const r = await runCli(['diag', 'modbus', 'raw', ...host('pdu-n'), '--fc', '4', '--addr', '1', '--count', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^FC4 input 1\+2 from unit 1 at tcp:\/\/127\.0\.0\.1:\d+\n/);
    expect(r.stdout).toContain('        1  0x0001   5000  0x1388    5000'); // 50.00 Hz × 100
    const j = await runCli(['diag', 'modbus', 'raw', ...serial(), '--unit', '2', '--fc', '4', '--addr', '0x00', '--count', '2', '--json']);
    const v = JSON.parse(j.stdout) as { values: number[] };
    const m = meterReadings(sim.sim.readings('pdu-x'), 3, mixedModbus.meters![1]!.outlets);
    expect(v.values).toEqual([Math.round(m.phases[0]!.voltageV * 10), 0]); // EM24: INT32 low word first
    const c = await runCli(['diag', 'modbus', 'raw', '--host', `127.0.0.1:${peer.port}`, '--fc', '3', '--addr', '12', '--count', '2', '--json']);
    expect((JSON.parse(c.stdout) as { values: number[] }).values).toEqual([0xffff, 0xffd6]); // -42 from pymodbus
  });

  it('an exception reply is an error with its name, exit 1', async () => {
    const r = await runCli(['diag', 'modbus', 'raw', ...host('pdu-x'), '--fc', '4', '--addr', '0', '--count', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('modbus_exception: exception 1 (illegal function)');
  });
});

describe('diag modbus scan', () => {
  it('lists the unit ids on the RS-485 bus', async () => {
    const r = await runCli(['diag', 'modbus', 'scan', ...serial(), '--units', '1-5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { units: { unit: number }[] }).units.map((u) => u.unit)).toEqual([1, 2, 3]);
  });

  it('behind a gateway, and as text', async () => {
    const r = await runCli(['diag', 'modbus', 'scan', ...host('meter-feed'), '--rtu', '--units', '3,4,5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1 of 3 unit ids answer at rtu-over-tcp:\/\/127\.0\.0\.1:\d+/);
    expect(r.stdout).toContain('unit   4  exception 2 (illegal data address)');
  });
});

describe('usage', () => {
  it('every diag modbus command has help; the group lists them', async () => {
    for (const c of ['read', 'raw', 'scan']) {
      const r = await runCli(['diag', 'modbus', c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`usage: rackpilot diag modbus ${c} (--host H:PORT | --serial DEV --baud B [--parity N|E|O])`);
    }
    const g = await runCli(['diag', 'modbus']);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain('rackpilot diag modbus read');
  });

  it('bad targets and formats are usage errors (exit 2) that say what to do', async () => {
    const bad = async (args: string[], msg: string | RegExp) => {
      const r = await runCli(['diag', 'modbus', 'raw', '--fc', '3', '--addr', '0', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
    };
    await bad([], 'give either --host HOST:PORT or --serial DEV --baud B');
    await bad(['--host', '127.0.0.1:1', '--serial', '/dev/null', '--baud', '9600'], 'give either');
    await bad(['--serial', '/dev/ttyUSB0'], '--serial needs --baud B');
    await bad(['--serial', '/dev/ttyUSB0', '--baud', '9601'], 'baud 9601 is not a standard rate');
    await bad(['--serial', '/dev/ttyUSB0', '--baud', '9600', '--parity', 'X'], '--parity must be N, E or O');
    await bad(['--serial', '/dev/ttyUSB0', '--baud', '9600', '--parity', 'E', '--stop-bits', '2'], /12-bit character/);
    await bad(['--host', '127.0.0.1:502', '--fc', '7'], '--fc must be 1, 2, 3 or 4');
    const p = await runCli(['diag', 'modbus', 'read', '--host', '127.0.0.1:502', '--profile', 'apc-9000']);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('unknown profile "apc-9000"');
    const o = await runCli(['diag', 'modbus', 'read', '--host', '127.0.0.1:502', '--profile', 'xerus-pdu']);
    expect(o.stderr).toContain('profile xerus-pdu needs --outlets N');
  });

  it('an unreachable device is a runtime failure (exit 1) with the reason', async () => {
    const r = await runCli(['diag', 'modbus', 'scan', '--host', '127.0.0.1:1', '--units', '1-3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach tcp:\/\/127\.0\.0\.1:1: modbus_offline: connect to tcp:\/\/127\.0\.0\.1:1 failed: connect ECONNREFUSED/);
  });
});
