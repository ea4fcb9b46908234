// gpu.*: reading 8 GPUs the way the agent does (spawn nvidia-smi asynchronously, parse the CSV),
// against the simulator running in its own process (`rackpilot sim --scenario gpu`), so the
// event-loop figures are the agent side's alone:
//   gpu.poll_ms_8gpus            median wall time of one poll (spawn → exit → parsed); with the
//                                fake nvidia-smi this is mostly a Node start-up
//   gpu.oneshot_max_event_loop_block_ms  longest event-loop stall while polling back to back
//                                (perf_hooks.monitorEventLoopDelay, 1 ms resolution); spawn()
//                                itself is synchronous (fork/exec) and is most of it
//   gpu.oneshot_event_loop_block_p99_ms  the 99th percentile of the same
//   gpu.idle_event_loop_block_ms the longest stall of this process doing nothing for as long,
//                                just before: on a busy machine the scheduler alone causes
//                                stalls, and this says how much of the max is the machine's
//   gpu.max_spawn_ms             longest synchronous spawn() call (ExecStats.maxSpawnMs)
//   gpu.parse_us_8gpus           parsing one 8-GPU answer, µs
//   gpu.cpu_ms_per_read_oneshot  this process's CPU (user + system) per 8-GPU reading, one
//                                nvidia-smi call each: spawn, pipes, reap, parse
// and the same 8 GPUs read the default way, from one long-lived `nvidia-smi -lms` (stream.ts),
// here every 100 ms so that a few seconds give enough samples:
//   gpu.cpu_ms_per_read_stream   CPU per 8-GPU reading from the stream: lines, framing, parsing
//   gpu.max_event_loop_block_ms  longest event-loop stall while streaming: the agent's default
//                                way to read GPUs, so this key carries the ≤ 10 ms target
//   gpu.stream_parse_us_8gpus    framing and parsing one streamed 8-GPU sample, µs
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { findFakeNvidiaSmi } from '../../agent/cli/sim-config.js';
import { BlockFramer } from '../../agent/drivers/gpu/blocks.js';
import { parseQueryCsv } from '../../agent/drivers/gpu/csv.js';
import { GPU_FIELDS } from '../../agent/drivers/gpu/fields.js';
import { NvidiaSmiReader, type GpuRead } from '../../agent/drivers/gpu/reader.js';
import { NvidiaSmiRunner } from '../../agent/drivers/gpu/runner.js';
import { NvidiaSmiStream } from '../../agent/drivers/gpu/stream.js';
import { systemClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { realExec, realExecStream } from '../../agent/main.js';
import type { ExecStats } from '../../agent/runtime/exec.js';
import type { Section } from '../harness.js';
import { median, round } from '../harness.js';

const POLLS = 40;
const STREAM_MS = 100;
const STREAM_READS = 40;

/** CPU time of this process, ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Reads 2 × `n` samples from one long-lived nvidia-smi: CPU per reading over the first n (the
 * event-loop monitor off: its 1 ms timer costs CPU of its own), the longest event-loop stall
 * over the next n.
 */
async function streamReads(runner: NvidiaSmiRunner, n: number): Promise<{ cpuMsPerRead: number; maxBlockMs: number }> {
  const reader = new NvidiaSmiReader(runner, GPU_FIELDS, systemClock, nullLogger);
  const WARM = 3; // the check and two samples: the stream runs
  let reads = 0;
  let failure: string | undefined;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let c0 = 0;
  let cpu = 0;
  const h = monitorEventLoopDelay({ resolution: 1 });
  const stream = new NvidiaSmiStream({
    runner, reader, intervalMs: STREAM_MS, clock: systemClock, log: nullLogger,
    onRead: ({ read }: { read: GpuRead }) => {
      if (!read.ok || read.rows.length !== 8) failure ??= read.ok ? `${read.rows.length} GPUs` : read.message;
      reads++;
      if (reads === WARM) c0 = cpuMs();
      if (reads === WARM + n) {
        cpu = cpuMs() - c0;
        h.enable();
      }
      if (reads === WARM + 2 * n) done();
    },
  });
  stream.start();
  await finished;
  h.disable();
  await stream.close();
  if (failure) throw new Error(`stream failed: ${failure}`);
  if (stream.stats.starts !== 1) throw new Error(`the stream restarted ${stream.stats.restarts} times`);
  return { cpuMsPerRead: cpu / n, maxBlockMs: h.max / 1e6 };
}

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
      'gpu.poll_ms_8gpus': 'ms per poll (fake nvidia-smi = a Node process)', 'gpu.oneshot_event_loop_block_p99_ms': 'ms, one-shot calls',
      'gpu.oneshot_max_event_loop_block_ms': 'ms, one-shot calls (stream: false)', 'gpu.max_event_loop_block_ms': 'ms, the default: streaming',
      'gpu.idle_event_loop_block_ms': 'ms, same process idle (machine noise)', 'gpu.max_spawn_ms': 'ms, synchronous part of spawn()',
      'gpu.parse_us_8gpus': 'µs per 8-GPU answer', 'gpu.cpu_ms_per_read_oneshot': 'ms CPU per reading, a call each',
      'gpu.cpu_ms_per_read_stream': 'ms CPU per reading from one -lms child', 
      'gpu.stream_parse_us_8gpus': 'µs per streamed 8-GPU sample',
    },
    async run() {
      const { child, target } = await startSim(bundle);
      try {
        const stats: ExecStats = { runs: 0, timeouts: 0, unreaped: 0, maxSpawnMs: 0 };
        const runner = new NvidiaSmiRunner({ prefix: ['env', `RACKPILOT_SIM_NVSMI=${target}`], setPrefix: [], nvidiaSmi: findFakeNvidiaSmi(), timeoutMs: 10_000 }, realExec(systemClock, stats), realExecStream(systemClock, stats));
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
        const c0 = cpuMs(); // again, with the event-loop monitor off (its 1 ms timer costs CPU of its own)
        for (let i = 0; i < POLLS; i++) await reader.read(undefined);
        const oneShotCpuMs = (cpuMs() - c0) / POLLS;
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
        const lines = res.stdout.split('\n').slice(1).filter(Boolean);
        const f0 = performance.now();
        const framer = new BlockFramer({ columns: cols, mismatches: [], expectedRows: lines.length, complete: (r) => r });
        for (let i = 0; i < n; i++) for (const l of lines) framer.push(l, 0, 0);
        const frameUs = ((performance.now() - f0) / n) * 1000;
        if (framer.stats.blocks !== n) throw new Error(`framed ${framer.stats.blocks} samples of ${n}`);
        const streamed = await streamReads(runner, STREAM_READS);
        return {
          'gpu.poll_ms_8gpus': round(median(times), 1),
          'gpu.oneshot_max_event_loop_block_ms': round(h.max / 1e6, 1),
          'gpu.oneshot_event_loop_block_p99_ms': round(h.percentile(99) / 1e6, 1),
          'gpu.idle_event_loop_block_ms': round(idle.max / 1e6, 1),
          'gpu.max_spawn_ms': round(stats.maxSpawnMs, 1),
          'gpu.parse_us_8gpus': round(parseUs, 1),
          'gpu.cpu_ms_per_read_oneshot': round(oneShotCpuMs, 2),
          'gpu.cpu_ms_per_read_stream': round(streamed.cpuMsPerRead, 2),
          'gpu.max_event_loop_block_ms': round(streamed.maxBlockMs, 1),
          'gpu.stream_parse_us_8gpus': round(frameUs, 1),
        };
      } finally {
        child.kill('SIGTERM');
      }
    },
  };
}
