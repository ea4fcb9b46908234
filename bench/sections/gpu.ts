// gpu.*: reading 8 GPUs the way the agent does (spawn nvidia-smi asynchronously, parse the CSV),
// against the simulator running in its own process (`rackpilot sim --scenario gpu`), so the
// event-loop figures are the agent side's alone:
//   gpu.poll_ms_8gpus            median wall time of one poll (spawn → exit → parsed); with the
//                                fake nvidia-smi this is mostly a Node start-up
//   gpu.max_event_loop_block_ms  longest event-loop stall while polling back to back
//                                (perf_hooks.monitorEventLoopDelay, 1 ms resolution); spawn()
//                                itself is synchronous (fork/exec) and is most of it
//   gpu.event_loop_block_p99_ms  the 99th percentile of the same
//   gpu.idle_event_loop_block_ms the longest stall of this process doing nothing for as long,
//                                just before: on a busy machine the scheduler alone causes
//                                stalls, and this says how much of the max is the machine's
//   gpu.max_spawn_ms             longest synchronous spawn() call (ExecStats.maxSpawnMs)
//   gpu.parse_us_8gpus           parsing one 8-GPU answer, µs
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { findFakeNvidiaSmi } from '../../agent/cli/sim-config.js';
import { parseQueryCsv } from '../../agent/drivers/gpu/csv.js';
import { GPU_FIELDS } from '../../agent/drivers/gpu/fields.js';
import { NvidiaSmiReader } from '../../agent/drivers/gpu/reader.js';
import { NvidiaSmiRunner } from '../../agent/drivers/gpu/runner.js';
import { systemClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { realExec } from '../../agent/main.js';
import type { ExecStats } from '../../agent/runtime/exec.js';
import type { Section } from '../harness.js';
import { median, round } from '../harness.js';

const POLLS = 40;

/** Starts `rackpilot sim --scenario gpu` and returns its first GPU host's endpoint. */
function startSim(bundle: string): Promise<{ child: ChildProcess; target: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, 'sim', '--scenario', 'gpu', '--port-base', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (!out.includes('\n') || line === undefined) return;
      const eps = (JSON.parse(line) as { devices: { kind: string; host: string; port: number }[] }).devices;
      const ep = eps.find((e) => e.kind === 'gpu-host');
      if (ep) resolve({ child, target: `${ep.host}:${ep.port}` });
      else reject(new Error('the gpu scenario has no GPU host'));
    });
    child.once('exit', (code) => reject(new Error(`rackpilot sim exited (${code})`)));
  });
}

export function gpuSection(bundle = process.env['RACKPILOT_BUNDLE'] ?? join(process.cwd(), 'dist/rackpilot.cjs')): Section {
  return {
    name: 'gpu: nvidia-smi poll of 8 GPUs',
    prefixes: ['gpu.'],
    targets: { 'gpu.max_event_loop_block_ms': { op: '<=', value: 10 } },
    notes: {
      'gpu.poll_ms_8gpus': 'ms per poll (fake nvidia-smi = a Node process)', 'gpu.event_loop_block_p99_ms': 'ms, while polling',
      'gpu.idle_event_loop_block_ms': 'ms, same process idle (machine noise)', 'gpu.max_spawn_ms': 'ms, synchronous part of spawn()',
      'gpu.parse_us_8gpus': 'µs per 8-GPU answer',
    },
    async run() {
      const { child, target } = await startSim(bundle);
      try {
        const stats: ExecStats = { runs: 0, timeouts: 0, unreaped: 0, maxSpawnMs: 0 };
        const runner = new NvidiaSmiRunner({ prefix: ['env', `RACKPILOT_SIM_NVSMI=${target}`], setPrefix: [], nvidiaSmi: findFakeNvidiaSmi(), timeoutMs: 10_000 }, realExec(systemClock, stats));
        const reader = new NvidiaSmiReader(runner, GPU_FIELDS, systemClock, nullLogger);
        for (let i = 0; i < 3; i++) await reader.read(undefined); // warm up
        stats.maxSpawnMs = 0;
        const h = monitorEventLoopDelay({ resolution: 1 });
        const times: number[] = [];
        const t0 = performance.now();
        h.enable();
        for (let i = 0; i < POLLS; i++) {
          const r = await reader.read(undefined);
          if (!r.ok || r.rows.length !== 8) throw new Error(`poll failed: ${r.ok ? `${r.rows.length} GPUs` : r.message}`);
          times.push(r.durationMs);
        }
        h.disable();
        const idle = monitorEventLoopDelay({ resolution: 1 });
        idle.enable();
        await new Promise((r) => setTimeout(r, performance.now() - t0));
        idle.disable();
        const res = await runner.run([`--query-gpu=${GPU_FIELDS.map((f) => f.query[0]).join(',')}`, '--format=csv,nounits'], undefined);
        const cols = GPU_FIELDS.map((f) => ({ field: f, spelling: f.query[0] as string }));
        const n = 2000;
        const p0 = performance.now();
        for (let i = 0; i < n; i++) parseQueryCsv(res.stdout, cols);
        const parseUs = ((performance.now() - p0) / n) * 1000;
        return {
          'gpu.poll_ms_8gpus': round(median(times), 1),
          'gpu.max_event_loop_block_ms': round(h.max / 1e6, 1),
          'gpu.event_loop_block_p99_ms': round(h.percentile(99) / 1e6, 1),
          'gpu.idle_event_loop_block_ms': round(idle.max / 1e6, 1),
          'gpu.max_spawn_ms': round(stats.maxSpawnMs, 1),
          'gpu.parse_us_8gpus': round(parseUs, 1),
        };
      } finally {
        child.kill('SIGTERM');
      }
    },
  };
}
