// The power-cap controller with the agent in the loop, over real loopback sockets: hw-sim's PDU
// read over Modbus/TCP, miners over their firmwares' APIs, GPU servers through the fake
// nvidia-smi; the agent's controller deciding and its runner acting through those same drivers'
// actuators (PDU outlet coils included), the decisions streamed to the hub, and hub commands
// (leases) through the hub's HTTP API.
import { afterEach, describe, expect, it } from 'vitest';
import { configForSim } from '../../agent/cli/sim-config.js';
import { resolveConfig } from '../../agent/config/load.js';
import { startAgent, type Agent } from '../../agent/main.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startHub, type Hub } from '../../hub/server.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import type { SimGpuHost } from '../../hw-sim/devices/sim-gpu-host.js';
import { apiMiner, nvsmiServer } from '../../hw-sim/scenarios/parts.js';
import type { Scenario, TimelineEvent } from '../../hw-sim/scenarios/types.js';
import { createPrivateKey } from 'node:crypto';
import { writeSigningKey } from '../../agent/cli/pki.js';
import { readSecretFile } from '../../agent/runtime/credentials.js';
import { CuttableProxy } from '../support/proxy.js';
import { tempDir } from '../support/spool.js';
import { until } from '../support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/**
 * Per phase: two 2.2 kW miners (Braiins OS, LuxOS, Whatsminer v3 over their APIs) and a 4 kW
 * GPU server (8× RTX 4090 behind the fake nvidia-smi) on a 32 A PDU (25.6 A continuous).
 */
const rackWith = (timeline: TimelineEvent[]): Scenario => ({
  name: 'e2e', description: 'control e2e', timeline,
  pdus: [{ id: 'pdu-a', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 12, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA: 32 }],
  loads: [
    ...[1, 2, 3, 4, 5, 6].map((o) => apiMiner(`miner-0${o}`, 'pdu-a', o, (['braiins', 'luxos', 'whatsminer'] as const)[(o - 1) % 3] ?? 'braiins', { nominalW: 2200, idleW: 25 })),
    ...[1, 2, 3].map((g) => nvsmiServer(`gpu-0${g}`, 'pdu-a', 6 + g, 'rtx-4090', 8, 400, 0)),
  ],
});

interface Rig { sim: RunningSim; hub: Hub; agent: Agent; proxy?: CuttableProxy }

async function rig(s: Scenario, o: { rackKw?: number; viaProxy?: boolean } = {}): Promise<Rig> {
  const sim = await startSimulator(s, { basePort: 0 });
  cleanup.push(() => sim.stop());
  // Leases and grid events change the rack: the hub signs them and the agent accepts only those.
  const signing = await writeSigningKey(await tempDir('rp-control-'), 'command-signing');
  const hub = await startHub({ host: '127.0.0.1', port: 0, log: nullLogger, signingKey: createPrivateKey((await readSecretFile(signing.privateKey, 'key')).reveal()) });
  cleanup.push(() => hub.close());
  let proxy: CuttableProxy | undefined;
  if (o.viaProxy) {
    proxy = await CuttableProxy.start(hub.address);
    const p = proxy;
    cleanup.push(() => p.close());
  }
  const url = proxy ? `ws://127.0.0.1:${proxy.port}/agent` : hub.url;
  const raw = configForSim(sim.endpoints, { hubUrl: url, metricsListen: '127.0.0.1:0', intervalMs: 250, scenario: s, ...(o.rackKw !== undefined ? { rackKw: o.rackKw } : {}) });
  (raw as { hub: Record<string, unknown> }).hub = { url, backoffInitialMs: 100, backoffMaxMs: 300, heartbeatMs: 1000, commandKeys: [signing.publicKey] };
  // Restore holds of 0.5–1 s instead of 1–10 s keep the test short; the policy is the same.
  (raw as { control: Record<string, unknown> }).control = { ...(raw as { control?: Record<string, unknown> }).control, restore: { minDelayMs: 500, maxDelayMs: 1000 } };
  const agent = await startAgent(await resolveConfig(raw, 'test', '.'), { log: nullLogger, drainMs: 500, controlSeed: 5 });
  cleanup.push(() => agent.stop());
  return proxy ? { sim, hub, agent, proxy } : { sim, hub, agent };
}

const phasesA = (r: Rig): number[] => r.sim.sim.readings('pdu-a').phases.map((p) => p.currentA);
const hubEvents = (r: Rig, type: string): { device: string; message: string }[] => (r.hub.racks.get('rack-demo')?.events ?? []).filter((e) => e.type === type);

async function post(r: Rig, body: unknown): Promise<Record<string, unknown>> {
  const a = r.hub.address;
  const res = await fetch(`http://${a.host}:${a.port}/api/racks/rack-demo/commands`, { method: 'POST', body: JSON.stringify(body) });
  return (await res.json()) as Record<string, unknown>;
}

describe('controller with the agent in the loop', () => {
  it('AI surge: miners yield, the phases come back under their limit, a miner ignoring commands is switched off at its outlet; decisions reach the hub', async () => {
    const r = await rig(rackWith([{ atS: 1.5, loads: 'gpu-*', set: { demand: 1 } }, { atS: 0, fault: 'ignore_commands', target: 'miner-01' }]));
    await until(() => Math.max(...phasesA(r)) > 30, { what: 'the surge' });
    await until(() => hubEvents(r, 'control.shed').length >= 3, { what: 'sheds at the hub' });
    // miner-01 acknowledges and keeps hashing: verified against the readings, then its outlet.
    await until(() => r.sim.sim.relay('pdu-a', 1) === false, { what: 'miner-01 switched off', timeoutMs: 15_000 });
    await until(() => Math.max(...phasesA(r)) < 25.6, { what: 'phases under the continuous limit' });
    expect(r.sim.sim.trips).toEqual([]);
    expect(hubEvents(r, 'control.unresponsive').map((e) => e.device)).toContain('miner-01');
    expect(hubEvents(r, 'control.outlet_off').map((e) => e.device)).toEqual(['miner-01']);
    // The miners were enough: the GPUs run unthrottled.
    expect(hubEvents(r, 'control.throttle_ai')).toEqual([]);
    for (const g of ['gpu-01', 'gpu-02', 'gpu-03']) expect((r.sim.controls.get(g) as SimGpuHost).stats.limitSets).toBe(0);
    expect(r.agent.control!.runner.latencyMs().length).toBeGreaterThan(0);
    expect(r.hub.racks.get('rack-demo')!.hello.capabilities).toContain('command.set_cap_lease');
    const m = await (await fetch(`http://127.0.0.1:${r.agent.metricsAddress!.port}/metrics`)).text();
    expect(m).toMatch(/rackpilot_control_load_setpoint_watts\{load="miner-0\d",class="miner",mode="(paused|limited|off)"\} [\d.]+/);
    expect(m).toMatch(/rackpilot_control_actions_total\{result="issued"\} [1-9]/);
  });

  it('a lease from the hub API caps the rack until it expires, then the local cap applies and miners come back; one above the local cap is refused', async () => {
    const r = await rig(rackWith([]), { rackKw: 16 });
    await until(() => r.hub.racks.get('rack-demo')?.connected);
    expect(await post(r, { action: 'set_cap_lease', kw: 20, ttlMs: 60_000 })).toMatchObject({ status: 'rejected', message: expect.stringMatching(/above the local cap 16 kW/) });
    expect(await post(r, { action: 'set_cap_lease', kw: 8, ttlMs: 8000, leaseId: 'L-e2e' })).toMatchObject({ status: 'ok', values: { kw: 8 } });
    await until(() => r.sim.sim.readings('pdu-a').inlet.powerW < 8000, { what: 'rack under the lease', timeoutMs: 10_000 });
    await until(() => hubEvents(r, 'control.limit').some((e) => /lease L-e2e expired/.test(e.message)), { what: 'lease expiry at the hub', timeoutMs: 12_000 });
    await until(() => hubEvents(r, 'control.restore').length > 0, { what: 'restores after expiry', timeoutMs: 15_000 });
    expect(r.agent.control!.controller.budget).toEqual({ watts: 16_000, source: 'local cap' });
  });

  it('hub outage: the lease is kept while the hub is unreachable and expires on time; the decisions reach the hub afterwards', async () => {
    const r = await rig(rackWith([]), { rackKw: 16, viaProxy: true });
    await until(() => r.hub.racks.get('rack-demo')?.connected);
    expect(await post(r, { action: 'set_cap_lease', kw: 9, ttlMs: 4000, leaseId: 'L-out' })).toMatchObject({ status: 'ok' });
    await until(() => r.agent.control!.controller.budget.source === 'lease L-out', { what: 'lease in force' });
    r.proxy!.outage();
    await until(() => r.agent.link!.state !== 'up', { what: 'link down' });
    await until(() => r.sim.sim.readings('pdu-a').inlet.powerW < 9000, { what: 'rack under the lease while offline' });
    await until(() => r.agent.control!.controller.budget.source === 'local cap', { what: 'lease expiry while offline', timeoutMs: 8000 });
    r.proxy!.restore();
    await until(() => hubEvents(r, 'control.limit').some((e) => /lease L-out expired/.test(e.message)), { what: 'backlog with the expiry at the hub', timeoutMs: 10_000 });
  });

  it('PDU telemetry loss: the controller holds, then estimates (fail-safe) and says so; readings back end it', async () => {
    const r = await rig(rackWith([{ atS: 1, fault: 'telemetry_loss', target: 'pdu-a', forS: 5 }]));
    await until(() => hubEvents(r, 'control.failsafe').length >= 3, { what: 'fail-safe events', timeoutMs: 10_000 });
    await until(() => hubEvents(r, 'control.failsafe_end').length >= 3, { what: 'fail-safe end', timeoutMs: 12_000 });
    expect(hubEvents(r, 'control.failsafe')[0]!.message).toMatch(/reading unknown for [\d.]+ s \(timeout\): estimating/);
    expect(r.sim.sim.trips).toEqual([]);
  });
});
