// Miners end to end over real loopback sockets: the bundled CLI's `diag miner probe|set` against
// simulated miners, and the agent polling a mixed fleet on its own schedule (a hung miner
// included) while the PDU cycle keeps its pace, streaming miner series to the hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../agent/config/load.js';
import { configForSim } from '../../agent/cli/sim-config.js';
import { startAgent } from '../../agent/main.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startHub } from '../../hub/server.js';
import { startSimulator, type RunningSim, type SimEndpoint } from '../../hw-sim/run.js';
import { minerFleet } from '../../hw-sim/scenarios/miner-fleet.js';
import { runCli } from '../support/cli.js';
import { minerScenario } from '../support/miners.js';
import { until } from '../support/wait.js';

describe('rackpilot diag miner', () => {
  let sim: RunningSim;
  const target = (id: string): string[] => {
    const e = sim.endpoints.find((x) => x.device === id) as SimEndpoint;
    const p = e.params;
    return ['--host', `${e.host}:${e.port}`, '--v3-port', String(p['v3Port'] ?? 0), ...(typeof p['httpPort'] === 'number' ? ['--http-port', String(p['httpPort'])] : [])];
  };
  beforeAll(async () => {
    sim = await startSimulator(minerScenario([
      { id: 'lux', model: 'luxos', ramp: 'luxos' },
      { id: 'bos', model: 'braiins-os', ramp: 'braiins', params: { hardware: 'antminer-s19kpro' } },
      { id: 'ant', model: 'antminer-stock', ramp: 'antminer' },
      { id: 'wm2', model: 'whatsminer-v2', ramp: 'whatsminer', params: { password: 's3cret-wm' } },
      { id: 'hung', model: 'luxos', ramp: 'luxos', params: { quirks: ['hang'] } },
    ]), { basePort: 0, manual: true });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('probe --json: detects the firmware and prints the normalised data', async () => {
    const r = await runCli(['diag', 'miner', 'probe', ...target('lux'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { firmware: { name: string }; data: { hashrateTHs: number; powerW: number; powerSource: string; boards: unknown[] }; capabilities: { pause: boolean; setPower: { minW: number } }; failures: unknown[] };
    expect(j.firmware.name).toBe('luxos');
    expect(j.data.hashrateTHs).toBeGreaterThan(100);
    expect(j.data.powerSource).toBe('miner');
    expect(j.data.boards).toHaveLength(3);
    expect(j.capabilities).toMatchObject({ pause: true, setPower: { minW: expect.any(Number) } });
    expect(j.failures).toEqual([]);
  });

  it('probe (text): stock Antminer, power estimated from the model, no watt target', async () => {
    const r = await runCli(['diag', 'miner', 'probe', ...target('ant')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Antminer stock 49\.0\.1\.3/);
    expect(r.stdout).toMatch(/power\s+\d+ W \(estimated from the model\)/);
    expect(r.stdout).toMatch(/control\s+pause ~60 s \/ resume ~120 s · no power target/);
  });

  it('probe of a hung miner: exit 1 with the timeout, after one timeout', async () => {
    const r = await runCli(['diag', 'miner', 'probe', ...target('hung'), '--timeout', '700']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no complete reply .* within 700 ms/);
  });

  it('set asks first: "n" (or no answer) sends nothing', async () => {
    for (const input of ['n\n', undefined]) {
      const r = await runCli(['diag', 'miner', 'set', ...target('bos'), '--power', '2000'], input === undefined ? {} : { input });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/set the power target to 2000 W \(expect ~120 s\)\? \[y\/N\] nothing sent/);
    }
    expect(sim.sim.load('bos')?.limitW).toBeNull();
  });

  it('set --power after "y": applied and confirmed by read-back', async () => {
    const r = await runCli(['diag', 'miner', 'set', ...target('bos'), '--power', '2000'], { input: 'y\n' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/done: PUT performance\/power-target 2000 W; read back mining, target 2000 W/);
    expect(sim.sim.load('bos')?.limitW).toBe(2000);
  });

  it('set --pause --yes on a Whatsminer with the password from the environment; the password is never printed', async () => {
    const r = await runCli(['diag', 'miner', 'set', ...target('wm2'), '--pause', '--yes'], { env: { RACKPILOT_MINER_PASSWORD: 's3cret-wm' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/done: power_off; read back not mining/);
    expect(sim.sim.load('wm2')?.demand).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('s3cret-wm');
    const wrong = await runCli(['diag', 'miner', 'set', ...target('wm2'), '--resume', '--yes', '--password', 'not-it-either']);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/check the admin password/);
    expect(wrong.stdout + wrong.stderr).not.toContain('not-it-either');
  });

  it('usage errors exit 2: no verb, two verbs, a watt target on stock Antminer', async () => {
    expect((await runCli(['diag', 'miner', 'set', ...target('lux')])).code).toBe(2);
    expect((await runCli(['diag', 'miner', 'set', ...target('lux'), '--pause', '--resume'])).stderr).toMatch(/exactly one of/);
    const ant = await runCli(['diag', 'miner', 'set', ...target('ant'), '--power', '2000', '--yes']);
    expect(ant.code).toBe(1);
    expect(ant.stderr).toMatch(/no watt target; use --pause or --resume/);
    expect((await runCli(['diag', 'miner', 'probe'])).stderr).toMatch(/--host is required/);
  });
});

describe('agent with a mixed-firmware fleet', () => {
  it('polls miners on their own interval beside the 1 s PDU cycle and streams their series to the hub', async () => {
    const sim = await startSimulator(minerFleet, { basePort: 0 });
    const hub = await startHub({ host: '127.0.0.1', port: 0, log: nullLogger });
    const raw = configForSim(sim.endpoints, { hubUrl: hub.url, metricsListen: '127.0.0.1:0', intervalMs: 500 }) as { devices: Record<string, unknown>[] };
    raw.devices = raw.devices.map((d) => (d['type'] === 'miner' ? { ...d, pollIntervalMs: 2000, staleAfterMs: 6000, timeoutMs: 1500 } : d));
    const agent = await startAgent(await resolveConfig(raw, 'test', '.'), { log: nullLogger, drainMs: 1000 });
    try {
      const rack = await until(() => hub.racks.get('rack-demo'), { what: 'rack at the hub' });
      await until(() => rack.latest.get('wm3-01/miner.hashrate')?.quality === 'ok' && rack.latest.get('ant-02/miner.power')?.quality === 'ok', { what: 'miner series at the hub', timeoutMs: 15_000 });
      for (const id of ['lux-01', 'bos-01', 'ant-01', 'wm2-02', 'wm3-01', 'vn-01']) {
        expect(rack.latest.get(`${id}/miner.hashrate`)?.value, id).toBeGreaterThan(10);
        expect(rack.latest.get(`${id}/miner.mining`)?.value, id).toBe(1);
      }
      expect(rack.latest.get('ant-01/miner.power_estimated')?.value).toBe(1);
      expect(rack.latest.get('lux-01/miner.power_estimated')?.value).toBe(0);
      // The hung miner: unknown with its reason, never 0.
      expect(agent.rack.get('hung-01/miner.hashrate', Date.now())).toMatchObject({ value: null, quality: 'timeout' });
      // Miners are polled in their own group, not in the PDU cycle (its timing is tested with a
      // FakeClock in test/unit/poll-groups.test.ts).
      expect(agent.pollGroups.map((g) => [g.intervalMs, g.drivers.length])).toEqual([[2000, 11]]);
      expect(agent.scheduler.stats.ticks).toBeGreaterThan(agent.pollGroups[0]!.scheduler.stats.ticks);
    } finally {
      await agent.stop();
      await hub.close();
      await sim.stop();
    }
  });
});
