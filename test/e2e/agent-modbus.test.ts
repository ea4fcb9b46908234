// The agent monitoring a rack with a device of every built-in Modbus profile (PDUs on Modbus/TCP,
// meters on an RS-485 pty and behind an RTU gateway), streaming to the hub: every device's
// readings and communication counters arrive; a device that stops answering turns its readings
// to unknown (never 0) while its bus neighbours keep reporting, and it recovers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configForSim } from '../../agent/cli/sim-config.js';
import { resolveConfig } from '../../agent/config/load.js';
import { startAgent, type Agent } from '../../agent/main.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startHub, type Hub } from '../../hub/server.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { mixedModbus } from '../../hw-sim/scenarios/mixed-modbus.js';
import { until } from '../support/wait.js';

let sim: RunningSim;
let hub: Hub;
let agent: Agent;
beforeAll(async () => {
  sim = await startSimulator(mixedModbus, { basePort: 0 });
  hub = await startHub({ host: '127.0.0.1', port: 0, log: nullLogger });
  const raw = configForSim(sim.endpoints, { hubUrl: hub.url, metricsListen: '127.0.0.1:0', intervalMs: 1000 }) as { devices: Record<string, unknown>[] };
  raw.devices = raw.devices.map((d) => ({ ...d, timeoutMs: 300 }));
  agent = await startAgent(await resolveConfig(raw, 'test', '.'), { log: nullLogger, drainMs: 500 });
});
afterAll(async () => {
  await agent?.stop();
  await hub?.close();
  await sim?.stop();
});

const latest = (key: string) => hub.racks.get('rack-demo')?.latest.get(key);
const ids = [...mixedModbus.pdus.map((p) => p.id), ...(mixedModbus.meters ?? []).map((m) => m.id)];

describe('agent with every built-in Modbus profile', () => {
  it('every device reports good readings and its counters to the hub', async () => {
    await until(() => ids.every((id) => (latest(`${id}/modbus.requests`)?.value ?? 0) > 0 && agent.health.get(id) === 'up'), { what: 'all devices up at the hub', timeoutMs: 15_000 });
    for (const id of ids) {
      const main = id === 'pdu-g' ? `${id}/outlet.state/1` : `${id}/inlet.power`;
      expect(latest(main)?.quality, main).toBe('ok');
      expect(latest(`${id}/modbus.timeouts`)?.value, id).toBe(0);
    }
    const truth = sim.sim.readings('pdu-x');
    expect(Math.abs(latest('meter-inlet/phase.voltage/L1')!.value! - truth.phases[0]!.voltageV)).toBeLessThan(2);
    const m = await (await fetch(`http://127.0.0.1:${agent.metricsAddress!.port}/metrics`)).text();
    expect(m).toMatch(/rackpilot_device_requests_total\{device="meter-inlet",counter="crcErrors"\} 0/);
    expect(m).toMatch(/rackpilot_device_up\{device="meter-feed",kind="meter",model="schneider-pm5xxx"\} 1/);
  });

  it('a meter that stops answering reads as unknown while its bus neighbours keep reporting; then it recovers', async () => {
    sim.faults('meter-branch').inject({ kind: 'timeout' });
    await until(() => agent.health.get('meter-branch') === 'down', { what: 'meter-branch down', timeoutMs: 10_000 });
    await until(() => latest('meter-branch/inlet.power')?.quality === 'timeout', { what: 'unknown at the hub', timeoutMs: 10_000 });
    expect(latest('meter-branch/inlet.power')?.value).toBeNull();
    expect(agent.rack.value('meter-branch/inlet.power', Date.now())).toBeNull();
    expect(agent.recentEvents.some((e) => e.type === 'device.down' && e.device === 'meter-branch')).toBe(true);
    const before = latest('meter-inlet/modbus.requests')!.value!;
    await until(() => (latest('meter-inlet/modbus.requests')?.value ?? 0) > before + 3, { what: 'the neighbour keeps polling', timeoutMs: 10_000 });
    expect(agent.health.get('meter-inlet')).toBe('up');
    expect(latest('meter-inlet/inlet.power')?.quality).toBe('ok');
    sim.faults('meter-branch').clear();
    await until(() => agent.health.get('meter-branch') === 'up' && latest('meter-branch/inlet.power')?.quality === 'ok', { what: 'meter-branch back', timeoutMs: 10_000 });
    expect((latest('meter-branch/modbus.timeouts')?.value ?? 0)).toBeGreaterThan(0);
  });
});
