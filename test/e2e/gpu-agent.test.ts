// The whole agent with simulated GPU servers (fake nvidia-smi, real processes) and the host
// family, streaming to the hub; slow devices (a hung GPU server in either read mode, a hung host
// read) never delaying the 1 s PDU cycle; and `rackpilot diag gpu` run as the bundled CLI.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { spawn } from 'node:child_process';
import { configForSim } from '../../agent/cli/sim-config.js';
import { resolveConfig } from '../../agent/config/load.js';
import { configShape } from '../../agent/config/schema.js';
import { ok } from '../../agent/core/reading.js';
import { seriesKey } from '../../agent/core/series.js';
import { GpuHostDriver } from '../../agent/drivers/gpu/driver.js';
import { NvidiaSmiRunner } from '../../agent/drivers/gpu/runner.js';
import { HostDriver } from '../../agent/drivers/host/driver.js';
import { realHostSystem } from '../../agent/drivers/host/system.js';
import { isActuating, type DeviceDriver, type PollResult } from '../../agent/drivers/types.js';
import { Agent, startAgent } from '../../agent/main.js';
import { FakeClock, systemClock } from '../../agent/runtime/clock.js';
import { createExec, createExecStream } from '../../agent/runtime/exec.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startHub } from '../../hub/server.js';
import type { SimGpuHost } from '../../hw-sim/devices/sim-gpu-host.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { runCli } from '../support/cli.js';
import { fakeNvidiaSmiOnPath, fakeSsh, gpuScenario } from '../support/gpu.js';
import { until } from '../support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function sim(hosts = 2): Promise<RunningSim> {
  const s = await startSimulator(gpuScenario({ hosts }), { basePort: 0 });
  cleanup.push(() => s.stop());
  for (const c of s.controls.values()) (c as SimGpuHost).setFaults({ privilegedUids: [process.geteuid?.() ?? 0] });
  return s;
}

const host = (s: RunningSim, id: string): SimGpuHost => s.controls.get(id) as SimGpuHost;

describe('agent with GPU servers and the host', () => {
  it('reports simulated GPUs and the controller to the hub, caps a GPU with read-back, and restores it on stop', async () => {
    const s = await sim();
    const hub = await startHub({ host: '127.0.0.1', port: 0, log: nullLogger });
    cleanup.push(() => hub.close());
    const raw = configForSim(s.endpoints, { hubUrl: hub.url, metricsListen: '127.0.0.1:0', intervalMs: 500 }) as { devices: unknown[] };
    raw.devices.push({ id: 'controller', type: 'host', intervalMs: 1000 });
    const agent = await startAgent(await resolveConfig(raw, 'test', '.'), { log: nullLogger, drainMs: 500 });
    let stopped = false;
    cleanup.push(async () => {
      if (!stopped) await agent.stop();
    });
    await until(() => {
      const latest = hub.racks.get('rack-demo')?.latest;
      return latest?.get('gpu-02/gpu.power/7')?.quality === 'ok' && latest.get('controller/host.memory.total')?.quality === 'ok' && latest.get('pdu-a/inlet.power')?.quality === 'ok';
    }, { what: 'GPU, host and PDU readings at the hub', timeoutMs: 20_000 });
    const latest = hub.racks.get('rack-demo')!.latest;
    expect(latest.get('gpu-01/gpu.power.limit/0')?.value).toBe(700);
    expect(latest.get('gpu-01/gpu.fan/0')).toMatchObject({ value: null });
    const metrics = await (await fetch(`http://127.0.0.1:${agent.metricsAddress!.port}/metrics`)).text();
    expect(metrics).toMatch(/rackpilot_reading\{device="gpu-01",quantity="gpu.power",channel="3",unit="W"\} \d+/);
    expect(metrics).toMatch(/rackpilot_device_up\{device="gpu-01",kind="gpu",model="nvidia-smi"\} 1/);
    expect(metrics).toMatch(/rackpilot_device_up\{device="controller",kind="host",model="linux"\} 1/);

    const gpuHost = agent.drivers.find((d) => d.info.id === 'gpu-01')!;
    if (!isActuating(gpuHost)) throw new Error('gpu-host has no actuators');
    expect(gpuHost.actuators().map((a) => a.id)).toEqual(Array.from({ length: 8 }, (_, i) => `gpu-01/${i}`));
    const r = await gpuHost.actuators()[2]!.apply({ type: 'set_power', watts: 350 }, new AbortController().signal);
    expect(r).toMatchObject({ ok: true, verified: true, observedW: 350 });
    expect(host(s, 'gpu-01').gpu(2)!.board.limitW).toBe(350);
    await until(() => hub.racks.get('rack-demo')?.latest.get('gpu-01/gpu.power.limit/2')?.value === 350, { what: 'the cap at the hub' });
    stopped = true;
    await agent.stop();
    expect(host(s, 'gpu-01').gpu(2)!.board.limitW).toBe(700);
  });
});

/** The PDU of the main cycle: answers at once and counts its polls. */
class CountingPdu implements DeviceDriver {
  polls = 0;
  readonly info = { id: 'pdu-a', kind: 'pdu' as const, model: 'stand-in', address: 'mem://', labels: {} };
  readonly series = [{ device: 'pdu-a', quantity: 'inlet.power', channel: '', unit: 'W', scaleExp: 0, kind: 'gauge' as const }];
  constructor(private readonly clock: FakeClock) {}
  async poll(): Promise<PollResult> {
    this.polls++;
    return { samples: [{ key: seriesKey('pdu-a', 'inlet.power'), reading: ok(5000, this.clock.now()) }], failed: 0, requests: 1 };
  }
  counters(): Record<string, number> {
    return {};
  }
  async close(): Promise<void> {}
}

describe('slow devices and the PDU cycle', () => {
  it('hung GPU servers (streaming and one call per poll) and a hung host read never delay the 1 s cycle; their series read unknown', async () => {
    fakeNvidiaSmiOnPath();
    const s = await startSimulator(gpuScenario({ hosts: 2 }), { basePort: 0, manual: true });
    cleanup.push(() => s.stop());
    for (const c of s.controls.values()) (c as SimGpuHost).setFaults({ mode: 'hang' });
    const env = (id: string): string[] => {
      const ep = s.endpoints.find((e) => e.device === id)!;
      return ['env', `RACKPILOT_SIM_NVSMI=${ep.host}:${ep.port}`];
    };
    const clock = new FakeClock();
    const exec = createExec(spawn, systemClock);
    const gpuOpts = { gpus: 8, intervalMs: 2000, restoreTo: 'startup' as const, reapply: false };
    const streaming = new GpuHostDriver({ ...gpuOpts, id: 'gpu-01', stream: true },
      new NvidiaSmiRunner({ prefix: env('gpu-01'), setPrefix: [], nvidiaSmi: 'nvidia-smi', timeoutMs: 1000 }, exec, createExecStream(spawn, systemClock)), clock, nullLogger);
    const oneShot = new GpuHostDriver({ ...gpuOpts, id: 'gpu-02', stream: false },
      new NvidiaSmiRunner({ prefix: env('gpu-02'), setPrefix: [], nvidiaSmi: 'nvidia-smi', timeoutMs: 60_000 }, exec), clock, nullLogger);
    // The controller host with a network mount that hangs (statfs never answers).
    const real = realHostSystem();
    const answered = new Set<string>(); // what the host's real reads have answered (they run on real time)
    const host = new HostDriver({ id: 'controller', intervalMs: 10_000, disks: ['/', '/mnt/nfs'], interfaces: [], temperatures: false }, {
      ...real,
      statfs: (p) => (p === '/mnt/nfs' ? new Promise(() => undefined) : real.statfs(p).finally(() => answered.add(p))),
      mem: () => real.mem().finally(() => answered.add('mem')),
    }, clock);
    const pdu = new CountingPdu(clock);
    const config = configShape.parse({
      agent: { id: 'a', site: 's', rack: 'r' }, metrics: { enabled: false }, control: { enabled: false },
      devices: [
        { id: 'pdu-a', type: 'modbus', profile: 'rackpilot-sim-pdu', transport: { type: 'tcp', host: '127.0.0.1', port: 502 }, outlets: 4 },
        { id: 'gpu-01', type: 'gpu-host', gpus: 8 }, { id: 'gpu-02', type: 'gpu-host', gpus: 8, stream: false }, { id: 'controller', type: 'host' },
      ],
    });
    const agent = new Agent(config, [pdu, streaming, oneShot, host], clock, nullLogger, {});
    cleanup.push(async () => {
      await agent.stop();
    });
    expect(agent.pollGroups.map((g) => [g.intervalMs, g.drivers.map((d) => d.info.id)])).toEqual([[2000, ['gpu-02']], [10_000, ['controller']]]);
    await agent.start();
    await clock.advance(9_000);
    await until(() => answered.has('/') && answered.has('mem'), { what: 'the host’s other reads' });
    await clock.advance(1_500);
    expect(pdu.polls).toBe(11); // t = 0, 1 s … 10 s: none skipped, none late
    expect(agent.scheduler.stats.overruns).toBe(0);
    // The one-shot call hung past its group's deadline and was killed; the host's hung mount timed out alone.
    const now = clock.now();
    expect(agent.rack.get(seriesKey('gpu-02', 'gpu.power', '0'), now)).toMatchObject({ value: null, quality: 'timeout', detail: 'nvidia-smi did not answer before the next poll (2000 ms; killed)' });
    expect(agent.rack.get(seriesKey('controller', 'host.disk.total', '/mnt/nfs'), now)).toMatchObject({ value: null, quality: 'timeout' });
    expect(agent.rack.get(seriesKey('controller', 'host.disk.total', '/'), now)?.quality).toBe('ok');
    expect(agent.rack.get(seriesKey('controller', 'host.memory.total'), now)?.quality).toBe('ok');
    // The stream's check hangs until its own timeout (real time); meanwhile the cycle goes on.
    await until(async () => {
      await clock.advance(1000);
      return agent.rack.get(seriesKey('gpu-01', 'gpu.power', '0'), clock.now())?.quality === 'timeout';
    }, { what: 'the streaming GPU server’s hung check reported' });
    expect(agent.rack.get(seriesKey('gpu-01', 'gpu.power', '0'), clock.now())).toMatchObject({ value: null, detail: expect.stringContaining('no answer within 1000 ms') });
    expect(pdu.polls).toBe(Math.floor((clock.now() - (now - 10_500)) / 1000) + 1);
    expect(agent.scheduler.stats.overruns).toBe(0);
  });
});

describe('rackpilot diag gpu', () => {
  async function configFile(s: RunningSim): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'rp-diag-'));
    const path = join(dir, 'rack.yaml');
    await writeFile(path, stringify(configForSim(s.endpoints)));
    return path;
  }

  it('lists every GPU with power, limits and temperatures; --json gives null for unknown', async () => {
    const s = await sim();
    const cfg = await configFile(s);
    const text = await runCli(['diag', 'gpu', '--config', cfg]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^gpu-01 {2}exec:env {2}driver 550\.54\.15 {2}8 GPUs {2}read in \d+ ms$/m);
    expect(text.stdout).toMatch(/^GPU {2}POWER +LIMIT +ENFORCED +RANGE +DEFAULT +TEMP +MEM +UTIL +THROTTLE +NAME$/m);
    expect(text.stdout).toMatch(/^ {2}7 {2}\d+\.\d W +700 W +700 W +200-700 W +700 W +\d+ C +\d+ C +80 % +- +NVIDIA H100 80GB HBM3$/m);
    expect(text.stdout).toContain('fan.speed: [N/A] (GPU all)');
    expect(text.stdout).toContain('gpu-02  exec:env');

    host(s, 'gpu-02').setFaults({ na: ['temperature.gpu'] });
    const json = await runCli(['diag', 'gpu', '--config', cfg, '--host', 'gpu-02', '--json']);
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as { hosts: { device: string; ok: boolean; gpus: { values: Record<string, unknown>; unknown: Record<string, string> }[] }[] };
    expect(out.hosts.map((h) => h.device)).toEqual(['gpu-02']);
    const g = out.hosts[0]!.gpus[3]!;
    expect(g.values['index']).toBe(3);
    expect(g.values['power.limit']).toBe(700);
    expect(g.values['temperature.gpu']).toBeNull();
    expect(g.values['fan.speed']).toBeNull();
    expect(g.unknown).toEqual({ 'fan.speed': '[N/A]', 'temperature.gpu': '[N/A]' });
    expect(out.hosts[0]!.gpus).toHaveLength(8);
  });

  it('names the host that failed and exits 1; an unknown --host is a usage error', async () => {
    const s = await sim();
    const cfg = await configFile(s);
    host(s, 'gpu-01').setFaults({ mode: 'fail' });
    const r = await runCli(['diag', 'gpu', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^gpu-01 {2}exec:env {2}FAILED: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.*NVIDIA driver not loaded$/m);
    expect(r.stdout).toMatch(/^gpu-02 {2}exec:env {2}driver/m);
    const bad = await runCli(['diag', 'gpu', '--config', cfg, '--host', 'gpu-09']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('has no gpu-host "gpu-09" (it has: gpu-01, gpu-02)');
  });

  it('--host without a config reads a server over ssh (BatchMode), the remote words through its shell', async () => {
    const s = await sim(1);
    const ep = s.endpoints.find((e) => e.kind === 'gpu-host')!;
    const log = join(await mkdtemp(join(tmpdir(), 'rp-ssh-log-')), 'ssh.log');
    const dir = await fakeSsh(log); // the "remote" nvidia-smi is the fake
    const r = await runCli(['diag', 'gpu', '--host', 'admin@gpu01', '--json'], { env: { PATH: `${dir}${delimiter}${process.env['PATH'] ?? ''}`, RACKPILOT_SIM_NVSMI: `${ep.host}:${ep.port}` } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { hosts: { address: string; gpus: unknown[] }[] };
    expect(out.hosts[0]).toMatchObject({ address: 'ssh://admin@gpu01' });
    expect(out.hosts[0]!.gpus).toHaveLength(8);
    expect(await readFile(log, 'utf8')).toMatch(/^-o BatchMode=yes -o ConnectTimeout=5 admin@gpu01 nvidia-smi --query-gpu=index,uuid,.*,name --format=csv,nounits$/m);
  });
});
