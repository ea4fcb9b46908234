// Contract suite for the Modbus PDU driver. Runs against hw-sim always; against a real device
// when RACKPILOT_CONTRACT_PDU names one ("host:port#unit:profile:outlets", read-only: it only
// reads registers). The same assertions hold for both: every point reads with quality ok and
// plausible values, and a poll needs exactly the planned number of requests.
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusTcpLink } from '../../agent/drivers/modbus/tcp-link.js';
import { ModbusPowerDevice } from '../../agent/drivers/pdu/driver.js';
import { BUILTIN_PROFILES } from '../../agent/drivers/pdu/profiles/index.js';
import { systemClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { demo } from '../../hw-sim/scenarios/demo.js';

interface Target {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly unit: number;
  readonly profile: string;
  readonly outlets: number;
}

function realTarget(): Target | undefined {
  const spec = process.env['RACKPILOT_CONTRACT_PDU'];
  if (!spec) return undefined;
  const m = /^([^:#]+):(\d+)#(\d+):([\w.-]+):(\d+)$/.exec(spec);
  if (!m) throw new Error('RACKPILOT_CONTRACT_PDU must be host:port#unit:profile:outlets');
  return { name: `real device ${m[1]}`, host: m[1]!, port: Number(m[2]), unit: Number(m[3]), profile: m[4]!, outlets: Number(m[5]) };
}

let sim: RunningSim;
beforeAll(async () => {
  sim = await startSimulator(demo, { basePort: 0 });
});
afterAll(async () => {
  await sim.stop();
});

function contract(target: () => Target): void {
  it('reads every point with quality ok, in the planned number of requests', async () => {
    const t = target();
    const link = new ModbusTcpLink({ host: t.host, port: t.port, unitId: t.unit, timeoutMs: 1000, connectTimeoutMs: 2000, reconnectDelayMs: 100 }, { dial: (h, p) => createConnection({ host: h, port: p }), clock: systemClock, log: nullLogger });
    const dev = new ModbusPowerDevice({ id: 'pdu', profile: BUILTIN_PROFILES.get(t.profile)!, outlets: t.outlets }, link, systemClock);
    try {
      const res = await dev.poll(new AbortController().signal);
      expect(res.failed).toBe(0);
      expect(res.requests).toBe(dev.plan.length);
      expect(link.counters.requests).toBe(dev.plan.length);
      expect(res.samples).toHaveLength(dev.series.length);
      for (const s of res.samples) expect(s.reading.quality, s.key).toBe('ok');
      const v = (k: string): number => res.samples.find((s) => s.key === `pdu/${k}`)!.reading.value!;
      for (const ph of ['L1', 'L2', 'L3']) {
        expect(v(`phase.voltage/${ph}`)).toBeGreaterThan(90);
        expect(v(`phase.voltage/${ph}`)).toBeLessThan(300);
        expect(v(`phase.current/${ph}`)).toBeGreaterThanOrEqual(0);
      }
      expect(v('inlet.frequency')).toBeGreaterThan(45);
    } finally {
      await dev.close();
    }
  });
}

describe('hw-sim rackpilot-sim-pdu', () => {
  contract(() => ({ name: 'sim', host: sim.endpoints[0]!.host, port: sim.endpoints[0]!.port, unit: 1, profile: 'rackpilot-sim-pdu', outlets: 24 }));
});

describe.runIf(realTarget() !== undefined)('real PDU (RACKPILOT_CONTRACT_PDU)', () => {
  contract(() => realTarget()!);
});
