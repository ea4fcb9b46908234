// Contract suite for the Modbus power-device driver, one run per device. Runs against hw-sim's
// mixed-modbus scenario always (a device for every built-in profile: PDUs on Modbus/TCP, meters
// on an RS-485 pty and behind an RTU-over-TCP gateway), and against a real device when
// RACKPILOT_CONTRACT_MODBUS holds its device config as JSON (the keys of a rack.yaml device, e.g.
// {"id":"m1","type":"modbus","profile":"eastron-sdm630","transport":{"type":"rtu","path":"/dev/ttyUSB0","baud":9600,"parity":"even"}}).
// The suite only reads. The same assertions hold for both; against hw-sim the values must also
// match the physics model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../agent/config/load.js';
import { familyOf } from '../../agent/drivers/families.js';
import type { ModbusPowerDevice } from '../../agent/drivers/pdu/driver.js';
import { BUILTIN_PROFILES } from '../../agent/drivers/pdu/profiles/index.js';
import { createDriverDeps } from '../../agent/main.js';
import { systemClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import type { PollResult } from '../../agent/drivers/types.js';
import { keyOf } from '../../agent/core/series.js';
import { meterReadings } from '../../hw-sim/physics/meter.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { mixedModbus } from '../../hw-sim/scenarios/mixed-modbus.js';
import { modbusDevices, type TestDevices } from '../support/modbus.js';

/** Plausible ranges by quantity, for any device (real or simulated). */
const PLAUSIBLE: readonly [RegExp, number, number][] = [
  [/^(phase|inlet|outlet)\.voltage$/, 90, 300],
  [/^line\.voltage$/, 150, 520],
  [/\.frequency$/, 45, 65],
  [/\.pf$/, -1, 1],
  [/\.(current|peak_current|inrush_current)$/, 0, 1000],
  [/^outlet\.state$/, 0, 1],
  [/energy/, 0, 1e12],
  [/^modbus\./, 0, 1e12],
];

function contract(name: string, get: () => { device: ModbusPowerDevice; truth?: () => Map<string, number> }): void {
  describe(name, () => {
    let res: PollResult;
    beforeAll(async () => {
      res = await get().device.poll(new AbortController().signal);
    });

    it('reads every point with quality ok, in the planned number of requests', () => {
      const { device } = get();
      expect(res.failed, res.error).toBe(0);
      expect(res.requests).toBe(device.plan.length);
      expect(device.client.counters.requests).toBe(device.plan.length);
      expect(res.samples.map((s) => s.key).sort()).toEqual(device.series.map(keyOf).sort());
      for (const s of res.samples) expect(s.reading.quality, `${s.key}: ${JSON.stringify(s.reading)}`).toBe('ok');
    });

    it('every value is plausible for its quantity', () => {
      for (const s of res.samples) {
        const quantity = s.key.split('/')[1]!;
        const range = PLAUSIBLE.find(([re]) => re.test(quantity));
        if (!range) continue;
        expect(s.reading.value, s.key).toBeGreaterThanOrEqual(range[1]);
        expect(s.reading.value, s.key).toBeLessThanOrEqual(range[2]);
      }
    });

    it('values match the physics model (hw-sim only)', (ctx) => {
      const truth = get().truth?.();
      if (!truth) return ctx.skip();
      let compared = 0;
      for (const s of res.samples) {
        const want = truth.get(s.key);
        if (want === undefined) continue;
        compared++;
        expect(Math.abs((s.reading.value ?? NaN) - want), `${s.key}: got ${s.reading.value}, physics says ${want}`).toBeLessThanOrEqual(Math.max(1.01, Math.abs(want) * 0.002));
      }
      expect(compared).toBeGreaterThan(0);
    });
  });
}

// ---- against hw-sim -------------------------------------------------------------------------

let sim: RunningSim;
let devs: TestDevices;
beforeAll(async () => {
  sim = await startSimulator(mixedModbus, { basePort: 0, manual: true });
  sim.sim.advance(12);
  devs = await modbusDevices(sim.endpoints);
});
afterAll(async () => {
  await devs?.close();
  await sim?.stop();
});

/** What each device should report, from the physics model (scenario devices by id). */
function physics(id: string): Map<string, number> {
  const out = new Map<string, number>();
  const pdu = mixedModbus.pdus.find((p) => p.id === id);
  const meter = mixedModbus.meters?.find((m) => m.id === id);
  const r = sim.sim.readings(pdu?.id ?? meter!.pdu);
  if (pdu) {
    if (pdu.model !== 'gude-expert-pdu') out.set(`${id}/inlet.power`, r.inlet.powerW);
    r.outlets.forEach((o, i) => {
      out.set(`${id}/outlet.state/${i + 1}`, o.on ? 1 : 0);
      out.set(`${id}/outlet.power/${i + 1}`, o.powerW);
      out.set(`${id}/outlet.current/${i + 1}`, o.currentA);
    });
    r.phases.forEach((p, i) => {
      out.set(`${id}/phase.voltage/L${i + 1}`, p.voltageV);
      out.set(`${id}/phase.current/L${i + 1}`, p.currentA);
    });
  } else {
    const m = meterReadings(r, meter!.model === 'eastron-sdm120' ? 1 : 3, meter!.outlets);
    out.set(`${id}/inlet.power`, m.total.powerW);
    m.phases.forEach((p, i) => {
      out.set(`${id}/phase.voltage/L${i + 1}`, p.voltageV);
      out.set(`${id}/phase.current/L${i + 1}`, p.currentA);
      if (m.phases.length > 1) out.set(`${id}/phase.power/L${i + 1}`, p.powerW);
    });
  }
  return out;
}

describe('hw-sim mixed-modbus', () => {
  it('has a device for every built-in profile', () => {
    expect(new Set(sim.endpoints.map((e) => e.model))).toEqual(new Set(BUILTIN_PROFILES.keys()));
  });
  it('devices on one bus share one line (one queue); other devices have their own', () => {
    const line = (id: string) => devs.devices.get(id)!.client.line;
    expect(line('meter-inlet')).toBe(line('meter-branch'));
    expect(line('meter-inlet')).toBe(line('meter-outlet'));
    expect(line('meter-inlet').opts.key).toMatch(/^rtu:\/\//);
    expect(line('meter-feed').opts.key).toMatch(/^rtu-over-tcp:\/\//);
    expect(line('pdu-x')).not.toBe(line('pdu-n'));
  });
  for (const d of mixedModbus.pdus.map((p) => [p.id, p.model]).concat((mixedModbus.meters ?? []).map((m) => [m.id, m.model]))) {
    const [id, model] = d as [string, string];
    contract(`${model} (${id})`, () => ({ device: devs.devices.get(id)!, truth: () => physics(id) }));
  }
});

// ---- against a real device --------------------------------------------------------------------

const real = process.env['RACKPILOT_CONTRACT_MODBUS'];
describe.runIf(real !== undefined)('real device (RACKPILOT_CONTRACT_MODBUS)', () => {
  let device: ModbusPowerDevice;
  beforeAll(async () => {
    const cfg = { agent: { id: 'contract', site: 'lab', rack: 'bench' }, devices: [JSON.parse(real ?? '{}') as unknown] };
    const loaded = await resolveConfig(cfg, 'RACKPILOT_CONTRACT_MODBUS', process.cwd());
    const d = loaded.config.devices[0]!;
    device = familyOf(d).create(d, loaded.resolved.get(d.id), createDriverDeps(systemClock, nullLogger)) as ModbusPowerDevice;
  });
  afterAll(async () => {
    await device?.close();
  });
  contract('as configured', () => ({ device }));
});
