// agent.*: the bundled agent as a separate process (node dist/rackpilot.cjs agent) with the
// systemd unit's environment, on the demo rack (one PDU, 6 miners, 3 GPU servers behind the fake
// nvidia-smi), streaming to a hub run by the bench process:
//   agent.startup_ms            spawn → first batch received by the hub (median of 5 cold
//                               starts), the agent of the rack's PDU alone
//   agent.startup_ms_demo_rack  the same with the whole demo rack: its GPU servers' fake
//                               nvidia-smi is a Node process, and three of them start at once on
//                               the same cores as the agent (a real one is a small C program, on
//                               another machine when read over ssh)
//   agent.rss_mb                resident memory after one minute at 1 Hz (VmRSS), demo rack
//   agent.cpu_pct               CPU over that minute, % of one core
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { configForSim } from '../../agent/cli/sim-config.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startHub, type Hub } from '../../hub/server.js';
import { startSimulator } from '../../hw-sim/run.js';
import { demo } from '../../hw-sim/scenarios/demo.js';
import type { Section } from '../harness.js';
import { median, round } from '../harness.js';

/** NAME → value of every `Environment=NAME=value` line of a systemd unit (quotes removed). */
function unitEnvironment(unit: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(unit, 'utf8').split('\n')) {
    const m = /^Environment=(?:"([^"]*)"|(\S+))\s*$/.exec(line.trim());
    const kv = m?.[1] ?? m?.[2];
    if (kv?.includes('=')) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  }
  return env;
}

/** The agent runs as the systemd unit runs it: with the unit's environment (V8 and malloc memory settings). */
export const AGENT_ENV: NodeJS.ProcessEnv = { ...process.env, ...unitEnvironment(join(process.cwd(), 'build/systemd/rackpilot.service')) };

export async function procStat(pid: number): Promise<{ rssKb: number; cpuTicks: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return { rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0), cpuTicks: Number(stat[11]) + Number(stat[12]) };
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

export function agentSection(bundle = process.env['RACKPILOT_BUNDLE'] ?? join(process.cwd(), 'dist/rackpilot.cjs')): Section {
  return {
    name: 'agent: bundled process',
    prefixes: ['agent.startup', 'agent.rss_mb', 'agent.cpu_pct'],
    targets: { 'agent.startup_ms': { op: '<=', value: 300 }, 'agent.rss_mb': { op: '<=', value: 70 } },
    notes: {
      'agent.startup_ms': 'spawn → first batch at hub, the PDU', 'agent.startup_ms_demo_rack': 'the same, demo rack (fake nvidia-smi starts beside it)',
      'agent.rss_mb': 'after 60 s at 1 Hz, demo rack', 'agent.cpu_pct': '% of one core, demo rack',
    },
    async run() {
      const sim = await startSimulator(demo, { basePort: 0 });
      let firstBatch: (() => void) | undefined;
      const hub: Hub = await startHub({ host: '127.0.0.1', port: 0, log: nullLogger, onBatch: () => firstBatch?.() });
      const dir = await mkdtemp(join(tmpdir(), 'rp-bench-'));
      const cfg = join(dir, 'rack.yaml');
      const pduOnly = join(dir, 'pdu.yaml');
      const raw = configForSim(sim.endpoints, { hubUrl: hub.url, metricsListen: '127.0.0.1:0' }) as { devices: { type: string }[] };
      await writeFile(cfg, stringify({ ...raw, log: { level: 'warn' } }));
      await writeFile(pduOnly, stringify({ ...raw, devices: raw.devices.filter((d) => d.type === 'modbus'), control: { enabled: false }, log: { level: 'warn' } }));
      /** Median of 5 cold starts: spawn → the hub has the first batch. */
      const startup = async (config: string): Promise<number> => {
        const startups: number[] = [];
        for (let i = 0; i < 5; i++) {
          const t0 = performance.now();
          const got = new Promise<number>((resolve) => (firstBatch = () => resolve(performance.now() - t0)));
          const child = spawn(process.execPath, [bundle, 'agent', '--config', config], { stdio: 'ignore', env: AGENT_ENV });
          startups.push(await got);
          firstBatch = undefined;
          await stop(child);
        }
        return median(startups);
      };
      try {
        const startupMs = await startup(pduOnly);
        const startupDemoMs = await startup(cfg);
        const child = spawn(process.execPath, [bundle, 'agent', '--config', cfg], { stdio: 'ignore', env: AGENT_ENV });
        await new Promise((r) => setTimeout(r, 5000)); // settle
        const a = await procStat(child.pid!);
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, 60_000));
        const b = await procStat(child.pid!);
        const elapsedS = (performance.now() - t0) / 1000;
        await stop(child);
        const ticksPerS = 100; // USER_HZ on Linux
        return {
          'agent.startup_ms': round(startupMs, 0),
          'agent.startup_ms_demo_rack': round(startupDemoMs, 0),
          'agent.rss_mb': round(b.rssKb / 1024, 1),
          'agent.cpu_pct': round(((b.cpuTicks - a.cpuTicks) / ticksPerS / elapsedS) * 100, 2),
        };
      } finally {
        await hub.close();
        await sim.stop();
      }
    },
  };
}
