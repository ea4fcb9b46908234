// miners.*: the bundled agent polling 200 simulated miners (six firmwares, 5 % hung: they accept
// and never answer) in its miner poll group, the simulator in a separate process, the controller
// off (polling alone):
//   miners.cycle_over_timeout_ratio        longest poll cycle after the first / the per-miner
//                                          timeout (target ≤ 1.1: a hung miner costs its own
//                                          timeout, not the others')
//   miners.first_cycle_over_timeout_ratio  the first cycle, which also detects every firmware
//   miners.cycle_ms_max                    the longest cycle after the first, ms
//   miners.cpu_pct_200                     agent CPU over a minute of polling every 10 s, % of one
//                                          core (debug logging on)
//   miners.rss_mb_200                      agent resident memory at the end of that minute
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Section } from '../harness.js';
import { round } from '../harness.js';
import { AGENT_ENV, procStat, stop } from './agent.js';

const TIMEOUT_MS = 5000;
const INTERVAL_MS = 10_000;

/** Resolves with the first output line matching `re` (the child keeps running). */
function lineMatching(child: ChildProcess, re: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what}: not seen within 60 s:\n${buf.slice(-2000)}`)), 60_000);
    const on = (d: Buffer): void => {
      buf += d.toString();
      const m = buf.match(re);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });
}

/** Durations (ms) of the miner group's cycles 0..n-1, from the agent's debug log. */
function cycleDurations(agent: ChildProcess, n: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const out: number[] = [];
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`only ${out.length} miner cycles logged`)), (n + 3) * INTERVAL_MS);
    agent.stderr?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /"msg":"poll group cycle".*?"ms":(\d+)/.exec(line);
        if (m && out.length < n) out.push(Number(m[1]));
        if (out.length === n) {
          clearTimeout(timer);
          resolve(out);
        }
      }
    });
  });
}

export function minersSection(bundle = process.env['RACKPILOT_BUNDLE'] ?? join(process.cwd(), 'dist/rackpilot.cjs')): Section {
  return {
    name: 'miners: 200 simulated miners, 5 % hung',
    prefixes: ['miners.'],
    targets: { 'miners.cycle_over_timeout_ratio': { op: '<=', value: 1.1 } },
    notes: { 'miners.first_cycle_over_timeout_ratio': 'includes detecting every firmware', 'miners.cycle_ms_max': 'longest cycle after the first', 'miners.cpu_pct_200': '% of one core, polled every 10 s', 'miners.rss_mb_200': 'agent, 200 miners + 9 PDUs' },
    async run() {
      const dir = await mkdtemp(join(tmpdir(), 'rp-bench-miners-'));
      const cfgPath = join(dir, 'rack.yaml');
      const sim = spawn(process.execPath, [bundle, 'sim', '--scenario', 'miner-fleet-200', '--port-base', '0', '--write-config', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
      let agent: ChildProcess | undefined;
      try {
        await lineMatching(sim, /wrote /, 'simulator');
        const cfg = parse(await readFile(cfgPath, 'utf8')) as { hub?: unknown; metrics: unknown; log?: unknown; control?: Record<string, unknown>; devices: Record<string, unknown>[] };
        delete cfg.hub;
        cfg.metrics = { listen: '127.0.0.1:0' };
        cfg.log = { level: 'debug' }; // "poll group cycle" lines carry each cycle's duration
        // Polling alone: with the controller on, its commands to a hung miner wait their own
        // timeout on that miner's link, one request at a time, and its next poll waits behind them
        // (the control section measures the controller).
        cfg.control = { ...(cfg.control ?? {}), enabled: false };
        cfg.devices = cfg.devices.map((d) => (d['type'] === 'miner' ? { ...d, timeoutMs: TIMEOUT_MS, pollIntervalMs: INTERVAL_MS } : d));
        await writeFile(cfgPath, stringify(cfg));
        agent = spawn(process.execPath, [bundle, 'agent', '--config', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'], env: AGENT_ENV });
        const cycles = await cycleDurations(agent, 4);
        const steadyMs = Math.max(...cycles.slice(1));
        const a = await procStat(agent.pid!);
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, 60_000));
        const b = await procStat(agent.pid!);
        const elapsedS = (performance.now() - t0) / 1000;
        return {
          'miners.cycle_over_timeout_ratio': round(steadyMs / TIMEOUT_MS, 3),
          'miners.first_cycle_over_timeout_ratio': round((cycles[0] ?? 0) / TIMEOUT_MS, 3),
          'miners.cycle_ms_max': round(steadyMs, 0),
          'miners.cpu_pct_200': round(((b.cpuTicks - a.cpuTicks) / 100 / elapsedS) * 100, 2),
          'miners.rss_mb_200': round(b.rssKb / 1024, 1),
        };
      } finally {
        if (agent) await stop(agent);
        await stop(sim);
      }
    },
  };
}
