// agent.*_full_rack: the bundled agent as a separate process (node dist/rackpilot.cjs agent) on
// the full-rack scenario (4 PDUs over Modbus/TCP, 40 simulated miners, 8 GPU servers behind the
// fake nvidia-smi), polling at 1 Hz with the controller on, a disk spool, and streaming to a hub
// run by the bench process. 15 s to settle, then 60 s measured:
//   agent.cpu_pct_full_rack                CPU of the agent process alone, % of one core
//                                          (target ≤ 2)
//   agent.rss_mb_full_rack                 its resident memory at the end (target ≤ 70)
//   agent.cpu_pct_full_rack_with_children  the agent plus the processes it starts (the fake
//                                          nvidia-smi is a Node process: its start-up costs
//                                          more CPU than the real tool's, but it shows what
//                                          the GPU reads cost around the agent)
// Child CPU is counted from /proc: the agent's cutime/cstime (children it reaped) plus the
// utime/stime of its live descendants, each as a difference between the two snapshots.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { configForSim } from '../../agent/cli/sim-config.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startHub } from '../../hub/server.js';
import { startSimulator } from '../../hw-sim/run.js';
import { fullRack } from '../../hw-sim/scenarios/full-rack.js';
import type { Section } from '../harness.js';
import { round } from '../harness.js';
import { AGENT_ENV, procStat, stop } from './agent.js';

const SETTLE_MS = 15_000;
const MEASURE_MS = 60_000;
const TICKS_PER_S = 100; // USER_HZ on Linux

interface Stat {
  readonly ppid: number;
  /** utime + stime */
  readonly own: number;
  /** cutime + cstime (children that were waited for) */
  readonly children: number;
}

async function stat(pid: number): Promise<Stat | undefined> {
  const raw = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (raw === undefined) return undefined;
  const f = raw.slice(raw.lastIndexOf(') ') + 2).split(' ');
  return { ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
}

/** CPU ticks of `root` and every process below it, reaped children included. */
async function treeTicks(root: number): Promise<number> {
  const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p)).map(Number);
  const stats = new Map<number, Stat>();
  for (const pid of pids) {
    const s = await stat(pid);
    if (s) stats.set(pid, s);
  }
  const below = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, s] of stats) {
      if (!below.has(pid) && below.has(s.ppid)) {
        below.add(pid);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of below) {
    const s = stats.get(pid);
    if (s) ticks += s.own + s.children;
  }
  return ticks;
}

export function fullRackSection(bundle = process.env['RACKPILOT_BUNDLE'] ?? join(process.cwd(), 'dist/rackpilot.cjs')): Section {
  return {
    name: 'agent on a full rack: bundled process',
    prefixes: ['agent.cpu_pct_full_rack', 'agent.rss_mb_full_rack'],
    targets: { 'agent.cpu_pct_full_rack': { op: '<=', value: 2 }, 'agent.rss_mb_full_rack': { op: '<=', value: 70 } },
    notes: {
      'agent.rss_mb_full_rack': 'resident memory (VmRSS) at the end of the run',
      'agent.cpu_pct_full_rack': '% of one core: 4 PDUs, 40 miners, 8 GPU servers',
      'agent.cpu_pct_full_rack_with_children': '% of one core, with its nvidia-smi children',
    },
    async run() {
      const sim = await startSimulator(fullRack, { basePort: 0 });
      const hub = await startHub({ host: '127.0.0.1', port: 0, log: nullLogger });
      const dir = await mkdtemp(join(tmpdir(), 'rp-bench-rack-'));
      const cfg = join(dir, 'rack.yaml');
      await writeFile(cfg, stringify({ ...configForSim(sim.endpoints, { hubUrl: hub.url, metricsListen: '127.0.0.1:0', scenario: fullRack }), spool: { dir: join(dir, 'spool') }, log: { level: 'warn' } }));
      const child = spawn(process.execPath, [bundle, 'agent', '--config', cfg], { stdio: ['ignore', 'ignore', 'inherit'], env: AGENT_ENV });
      try {
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const pid = child.pid as number;
        const [a, treeA] = [await procStat(pid), await treeTicks(pid)];
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, MEASURE_MS));
        const [b, treeB] = [await procStat(pid), await treeTicks(pid)];
        const elapsedS = (performance.now() - t0) / 1000;
        if (child.exitCode !== null) throw new Error(`the agent exited (${child.exitCode}) during the run`);
        if ([...hub.racks.values()].reduce((n, r) => n + r.counters.samples, 0) === 0) throw new Error('the agent sent nothing to the hub');
        return {
          'agent.rss_mb_full_rack': round(b.rssKb / 1024, 1),
          'agent.cpu_pct_full_rack': round(((b.cpuTicks - a.cpuTicks) / TICKS_PER_S / elapsedS) * 100, 2),
          'agent.cpu_pct_full_rack_with_children': round(((treeB - treeA) / TICKS_PER_S / elapsedS) * 100, 2),
        };
      } finally {
        await stop(child);
        await hub.close();
        await sim.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
