// The whole agent with simulated GPU servers (fake nvidia-smi, real processes) and the host
// family, streaming to the hub; and `rackpilot diag gpu` run as the bundled CLI.
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { configForSim } from '../../agent/cli/sim-config.js';
import { resolveConfig } from '../../agent/config/load.js';
import { isActuating } from '../../agent/drivers/types.js';
import { startAgent } from '../../agent/main.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startHub } from '../../hub/server.js';
import type { SimGpuHost } from '../../hw-sim/devices/sim-gpu-host.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { runCli } from '../support/cli.js';
import { gpuScenario } from '../support/gpu.js';
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
    const dir = await mkdtemp(join(tmpdir(), 'rp-ssh-'));
    const log = join(dir, 'ssh.log');
    // A stand-in for ssh: takes its options and destination, then runs the remote words through a
    // shell as the remote sshd would; the "remote" nvidia-smi is the fake.
    await writeFile(join(dir, 'ssh'), [
      '#!/bin/sh',
      `echo "$@" >> ${log}`,
      'while [ $# -gt 0 ]; do case "$1" in -o|-p|-i|-l) shift 2;; -*) shift;; *) break;; esac; done',
      'shift',
      `PATH=${join(import.meta.dirname, '../../hw-sim/bin')}:$PATH exec sh -c "$*"`,
    ].join('\n') + '\n');
    await chmod(join(dir, 'ssh'), 0o755);
    const r = await runCli(['diag', 'gpu', '--host', 'admin@gpu01', '--json'], { env: { PATH: `${dir}${delimiter}${process.env['PATH'] ?? ''}`, RACKPILOT_SIM_NVSMI: `${ep.host}:${ep.port}` } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { hosts: { address: string; gpus: unknown[] }[] };
    expect(out.hosts[0]).toMatchObject({ address: 'ssh://admin@gpu01' });
    expect(out.hosts[0]!.gpus).toHaveLength(8);
    expect(await readFile(log, 'utf8')).toMatch(/^-o BatchMode=yes -o ConnectTimeout=5 admin@gpu01 nvidia-smi --query-gpu=index,uuid,.*,name --format=csv,nounits$/m);
  });
});
