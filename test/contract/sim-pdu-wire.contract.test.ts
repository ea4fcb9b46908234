// hw-sim's PDU speaks real Modbus/TCP: Debian's mbpoll (libmodbus) reads the physics model's
// values from the documented register map, gets real exceptions, and switches outlets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { demo } from '../../hw-sim/scenarios/demo.js';
import { mbpoll } from '../support/mbpoll.js';

let sim: RunningSim;
let port: string;
beforeAll(async () => {
  sim = await startSimulator(demo, { basePort: 0, manual: true });
  sim.sim.advance(10);
  port = String(sim.endpoints[0]!.port);
});
afterAll(async () => {
  await sim.stop();
});

const tcp = (...a: string[]): string[] => ['-m', 'tcp', '-a', '1', '-p', port, ...a, '127.0.0.1'];

describe('sim PDU register map as seen by mbpoll', () => {
  it('header: map version 1, 3 phases, 24 outlets, 32 A breakers', async () => {
    const r = await mbpoll(tcp('-t', '4', '-0', '-r', '0', '-c', '4'));
    expect(r.code).toBe(0);
    expect([...r.values.values()]).toEqual([1, 3, 24, 32]);
  });

  it('phase blocks match the physics model (float32 big-endian)', async () => {
    const truth = sim.sim.readings('pdu-a');
    for (let ph = 0; ph < 3; ph++) {
      const base = 0x20 + ph * 0x10;
      const r = await mbpoll(tcp('-t', '4:float', '-B', '-0', '-r', String(base), '-c', '5'));
      expect(r.code).toBe(0);
      const p = truth.phases[ph]!;
      expect(r.values.get(base)).toBeCloseTo(p.voltageV, 2);
      expect(r.values.get(base + 2)).toBeCloseTo(p.currentA, 2);
      expect(r.values.get(base + 4)).toBeCloseTo(p.powerW, 0);
      expect(r.values.get(base + 8)).toBeCloseTo(p.pf, 4);
    }
  });

  it('outlet blocks: power per outlet and the phase each outlet is on', async () => {
    const truth = sim.sim.readings('pdu-a');
    for (const o of [1, 7, 24]) {
      const base = 0x100 + (o - 1) * 0x10;
      const f = await mbpoll(tcp('-t', '4:float', '-B', '-0', '-r', String(base + 2), '-c', '1'));
      expect(f.values.get(base + 2)).toBeCloseTo(truth.outlets[o - 1]!.powerW, 0);
      const u = await mbpoll(tcp('-t', '4', '-0', '-r', String(base + 8), '-c', '2'));
      expect([...u.values.values()]).toEqual([1, ((o - 1) % 3) + 1]);
    }
  });

  it('reads past the map get exception 02 (illegal data address); other unit ids get no answer', async () => {
    const r = await mbpoll(tcp('-t', '4', '-0', '-r', String(0x100 + 24 * 0x10 - 1), '-c', '2'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Illegal data address/);
    const other = await mbpoll(['-m', 'tcp', '-a', '9', '-p', port, '-o', '0.5', '-t', '4', '-0', '-r', '0', '-c', '1', '127.0.0.1']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/timed out/i);
  });

  it('a coil write turns an outlet off: relay, register state and the load\'s power follow', async () => {
    const w = await mbpoll([...tcp('-t', '0', '-0', '-r', '2'), '0']); // write 0 to coil 2 (outlet 3)
    expect(w.code).toBe(0);
    expect(sim.sim.relay('pdu-a', 3)).toBe(false);
    const c = await mbpoll(tcp('-t', '0', '-0', '-r', '0', '-c', '4'));
    expect([...c.values.values()]).toEqual([1, 1, 0, 1]);
    sim.sim.advance(20); // the miner's PSU decays with its 1.5 s time constant
    expect(sim.sim.readings('pdu-a').outlets[2]!.powerW).toBeLessThan(1);
    const st = await mbpoll(tcp('-t', '4', '-0', '-r', String(0x100 + 2 * 0x10 + 8), '-c', '1'));
    expect([...st.values.values()]).toEqual([0]);
  });
});
