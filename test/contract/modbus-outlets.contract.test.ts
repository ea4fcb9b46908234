// Outlet relays as actuators, against hw-sim's PDUs over Modbus/TCP: every command is written and
// read back; a write whose reply is lost is read back before any retry; turn-ons on one PDU are
// spaced by the inrush guard (checked on the injected FakeClock, never on wall-clock time).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InrushGuard } from '../../agent/drivers/pdu/outlets.js';
import type { PowerActuator } from '../../agent/drivers/types.js';
import { FakeClock } from '../../agent/runtime/clock.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import type { Scenario } from '../../hw-sim/scenarios/types.js';
import { modbusDevices, type TestDevices } from '../support/modbus.js';
import { until } from '../support/wait.js';

const base = { unit: 1, phases: 1, outlets: 4, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA: 16 } as const;
const scenario: Scenario = {
  name: 'outlets',
  description: 'switched PDUs of three families',
  pdus: [
    { id: 'sim', model: 'rackpilot-sim-pdu', ...base, phases: 3 },
    { id: 'netio', model: 'netio-powerpdu', ...base },
    { id: 'gude', model: 'gude-expert-pdu', ...base },
  ],
  loads: [{ id: 'm1', family: 'miner', pdu: 'sim', outlet: 1, nominalW: 2000, demand: 1 }],
  timeline: [],
};

let sim: RunningSim;
let t: TestDevices;
beforeAll(async () => {
  sim = await startSimulator(scenario, { basePort: 0, manual: true });
  t = await modbusDevices(sim.endpoints, { patch: (d) => ({ ...d, timeoutMs: 250 }) });
});
afterAll(async () => {
  await t?.close();
  await sim?.stop();
});

const actuator = (pdu: string, outlet: number): PowerActuator => t.devices.get(pdu)!.actuators().find((a) => a.id === `${pdu}/outlet/${outlet}`)!;
const signal = (): AbortSignal => new AbortController().signal;

describe.each(['sim', 'netio', 'gude'])('%s outlets', (pdu) => {
  it('exposes one outlet actuator per outlet', () => {
    const acts = t.devices.get(pdu)!.actuators();
    expect(acts.map((a) => a.id)).toEqual([1, 2, 3, 4].map((o) => `${pdu}/outlet/${o}`));
    expect(acts[0]).toMatchObject({ kind: 'outlet', device: pdu, capabilities: { outlet: true } });
  });

  it('off then on: each confirmed by read-back, the relay follows, restore returns to the start', async () => {
    const a = actuator(pdu, 2);
    expect(await a.apply({ type: 'outlet_off' }, signal())).toMatchObject({ ok: true, verified: true, detail: 'outlet 2 off: confirmed by read-back' });
    expect(sim.sim.relay(pdu, 2)).toBe(false);
    expect(await a.apply({ type: 'outlet_on' }, signal())).toMatchObject({ ok: true, verified: true });
    expect(sim.sim.relay(pdu, 2)).toBe(true);
    await a.apply({ type: 'outlet_off' }, signal());
    expect(await a.apply({ type: 'restore' }, signal())).toMatchObject({ ok: true, verified: true });
    expect(sim.sim.relay(pdu, 2)).toBe(true);
  });

  it('a write whose reply is lost is read back, not repeated, when it took effect', async () => {
    const server = sim.server(pdu);
    await actuator(pdu, 3).apply({ type: 'outlet_on' }, signal()); // the actuator learns the relay's original state
    sim.faults(pdu).inject({ kind: 'timeout', applied: true, count: 1 });
    const before = server.stats.requests;
    const r = await actuator(pdu, 3).apply({ type: 'outlet_off' }, signal());
    expect(r).toMatchObject({ ok: true, verified: true, detail: 'outlet 3 off: confirmed by read-back (the write reply was lost)' });
    expect(server.stats.requests - before).toBe(2); // the write and the read-back: no second write
    expect(sim.sim.relay(pdu, 3)).toBe(false);
  });

  it('a write lost on the way is read back, found not applied, and retried once', async () => {
    sim.faults(pdu).inject({ kind: 'timeout', count: 1 });
    const r = await actuator(pdu, 3).apply({ type: 'outlet_on' }, signal());
    expect(r).toMatchObject({ ok: true, verified: true, detail: 'outlet 3 on: confirmed by read-back after a retry (the first write timed out without effect)' });
    expect(sim.sim.relay(pdu, 3)).toBe(true);
  });
});

describe('failures', () => {
  it('an exception to the write is a failure with its code, and nothing is retried', async () => {
    sim.faults('sim').inject({ kind: 'exception', code: 4, count: 2 });
    const r = await actuator('sim', 4).apply({ type: 'outlet_off' }, signal());
    expect(r).toMatchObject({ ok: false, verified: false });
    expect(r.detail).toMatch(/^outlet 4 off: write failed: modbus_exception: exception 4/);
    expect(sim.sim.relay('sim', 4)).toBe(true);
    sim.faults('sim').clear();
  });

  it('commands an outlet cannot carry out are refused, not sent', async () => {
    expect(await actuator('sim', 1).apply({ type: 'set_power', watts: 100 }, signal())).toMatchObject({ ok: false, verified: false });
  });

  it('devices without outletSwitching expose no actuators', async () => {
    const plain = await modbusDevices(sim.endpoints.filter((e) => e.device === 'sim'), { patch: (d) => ({ ...d, outletSwitching: false }) });
    try {
      expect(plain.devices.get('sim')!.actuators()).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});

describe('inrush guard', () => {
  it('hands out turn-on slots at least the spacing apart, in call order', async () => {
    const clock = new FakeClock();
    const g = new InrushGuard(clock, 100);
    const done: number[] = [];
    const t0 = clock.monotonic();
    const all = [0, 1, 2].map((i) => g.wait().then(() => done.push(i) && undefined));
    await clock.advance(0);
    expect(done).toEqual([0]);
    await clock.advance(99);
    expect(done).toEqual([0]);
    await clock.advance(1);
    expect(done).toEqual([0, 1]);
    await clock.advance(100);
    await Promise.all(all);
    expect(done).toEqual([0, 1, 2]);
    expect(clock.monotonic() - t0).toBe(200);
    await clock.advance(500);
    const late = g.wait();
    await clock.advance(0);
    await late; // a turn-on long after the last one waits for nothing
  });

  it('spaces outlet turn-ons on one PDU (FakeClock drives the guard; the PDU is real)', async () => {
    const clock = new FakeClock();
    const d = await modbusDevices(sim.endpoints.filter((e) => e.device === 'gude'), { clock, patch: (c) => ({ ...c, inrushSpacingMs: 100 }) });
    try {
      const acts = d.devices.get('gude')!.actuators();
      for (const o of [1, 2, 3]) sim.sim.setRelay('gude', o, false);
      const on = acts.slice(0, 3).map((a) => a.apply({ type: 'outlet_on' }, signal()));
      const relays = (): boolean[] => [1, 2, 3].map((o) => sim.sim.relay('gude', o) ?? false);
      /** Lets the real socket I/O run (the fake clock does not move) until outlet n is on. */
      const settled = (n: number) => until(async () => {
        await clock.advance(0);
        return relays()[n - 1];
      }, { what: `outlet ${n} on` });
      await settled(1);
      expect(relays()).toEqual([true, false, false]);
      await clock.advance(100);
      await settled(2);
      expect(relays()).toEqual([true, true, false]);
      await clock.advance(100);
      const results = await Promise.all(on);
      expect(results.every((r) => r.ok && r.verified)).toBe(true);
      expect(relays()).toEqual([true, true, true]);
    } finally {
      await d.close();
    }
  });
});
