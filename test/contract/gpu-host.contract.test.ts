// Contract suite for reading GPUs through nvidia-smi. Runs against hw-sim's fake nvidia-smi
// always, and against a real one when RACKPILOT_CONTRACT_NVIDIA_SMI is set: "local" (this
// machine) or "ssh:[user@]host". Read-only: it never sets a power limit. The same assertions
// hold for both: rackpilot's header check passes column by column, every GPU row parses, no
// value is misread ("invalid"), the limits are consistent (min ≤ limit ≤ max), and the
// long-lived `-lms` stream frames into samples of every GPU (the assumptions blocks.ts makes
// about the loop's output are checked here on real hardware).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { num, text } from '../../agent/drivers/gpu/csv.js';
import { GpuHostDriver } from '../../agent/drivers/gpu/driver.js';
import { F, GPU_FIELDS } from '../../agent/drivers/gpu/fields.js';
import { NvidiaSmiReader } from '../../agent/drivers/gpu/reader.js';
import { NvidiaSmiRunner, sshPrefix, type NvidiaSmiAccess } from '../../agent/drivers/gpu/runner.js';
import { FakeClock, systemClock } from '../../agent/runtime/clock.js';
import { createExec, createExecStream } from '../../agent/runtime/exec.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { gpu } from '../../hw-sim/scenarios/gpu.js';
import { fakeNvidiaSmiOnPath } from '../support/gpu.js';
import { until } from '../support/wait.js';

const exec = createExec(spawn, systemClock);
const execStream = createExecStream(spawn, systemClock);

function realTarget(): NvidiaSmiAccess | undefined {
  const spec = process.env['RACKPILOT_CONTRACT_NVIDIA_SMI'];
  if (!spec) return undefined;
  const base = { setPrefix: [], nvidiaSmi: 'nvidia-smi', timeoutMs: 15_000 };
  if (spec === 'local') return { ...base, prefix: [] };
  const m = /^ssh:(?:([\w.-]+)@)?([\w.:-]+)$/.exec(spec);
  if (!m) throw new Error('RACKPILOT_CONTRACT_NVIDIA_SMI must be "local" or "ssh:[user@]host"');
  return { ...base, prefix: sshPrefix({ host: m[2]!, user: m[1] }, 15_000) };
}

let sim: RunningSim;
beforeAll(async () => {
  fakeNvidiaSmiOnPath();
  sim = await startSimulator(gpu, { basePort: 0 });
});
afterAll(async () => {
  await sim.stop();
});

function contract(access: () => NvidiaSmiAccess): void {
  it('one query reads every GPU; the header matches column by column; nothing is misread', async () => {
    const reader = new NvidiaSmiReader(new NvidiaSmiRunner(access(), exec), GPU_FIELDS, systemClock, nullLogger);
    const r = await reader.read(undefined);
    if (!r.ok) throw new Error(`nvidia-smi failed: ${r.message}`);
    expect(r.mismatches).toEqual([]);
    expect(r.rows.length).toBeGreaterThan(0);
    r.rows.forEach((row, i) => {
      expect(num(row[F.index])).toBe(i);
      expect(text(row[F.uuid])).toMatch(/^GPU-[0-9a-f-]+$/);
      expect(text(row[F.busId])).toMatch(/^[0-9A-Fa-f]{8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d$/);
      expect(text(row[F.driver])).toMatch(/^\d+\.\d+/);
      for (const f of GPU_FIELDS) {
        const c = row[f.key]!;
        if (!c.ok) expect([f.key, c.quality]).not.toEqual([f.key, 'invalid']);
      }
      const [min, limit, max, enforced] = [num(row[F.minLimit]), num(row[F.limit]), num(row[F.maxLimit]), num(row[F.enforced])];
      if (min !== null && limit !== null && max !== null) {
        expect(min).toBeLessThanOrEqual(limit);
        expect(limit).toBeLessThanOrEqual(max);
      }
      if (enforced !== null && limit !== null) expect(enforced).toBeLessThanOrEqual(limit + 0.5);
      const p = num(row[F.power]);
      if (p !== null) expect(p).toBeGreaterThanOrEqual(0);
    });
  });

  for (const stream of [false, true]) {
    it(`the driver reads every series of every GPU with no "invalid" reading (${stream ? 'streaming' : 'one call per poll'})`, async () => {
      const probe = await new NvidiaSmiReader(new NvidiaSmiRunner(access(), exec), GPU_FIELDS, systemClock, nullLogger).read(undefined);
      const gpus = probe.ok ? probe.rows.length : 1;
      const clock = new FakeClock();
      const d = new GpuHostDriver({ id: 'g', gpus, intervalMs: 500, restoreTo: 'startup', reapply: false, stream }, new NvidiaSmiRunner(access(), exec, execStream), clock, nullLogger);
      try {
        const signal = new AbortController().signal;
        // Streaming: the check's reading, then two samples of the stream itself.
        const readings = stream ? 3 : 1;
        for (let i = 0; i < readings; i++) {
          const r = await until(async () => {
            const x = await d.poll(signal);
            return x.requests ? x : undefined;
          }, { what: `reading ${i + 1}`, timeoutMs: 20_000 });
          expect(r).toMatchObject({ requests: 1, failed: 0 });
          expect(r.samples).toHaveLength(d.series.length);
          expect(r.samples.filter((s) => s.reading.quality === 'invalid')).toEqual([]);
          expect(r.samples.find((s) => s.key === 'g/gpu.power.limit/0')?.reading.quality).toBe('ok');
        }
        if (stream) expect(d.counters()).toMatchObject({ streamStarts: 1, streamGarbage: 0, streamExits: 0 });
      } finally {
        await d.close();
      }
    });
  }
}

describe('hw-sim rackpilot-sim-gpu-host', () => {
  contract(() => {
    const ep = sim.endpoints.find((e) => e.kind === 'gpu-host')!;
    return { prefix: ['env', `RACKPILOT_SIM_NVSMI=${ep.host}:${ep.port}`], setPrefix: [], nvidiaSmi: 'nvidia-smi', timeoutMs: 5000 };
  });
});

describe.runIf(realTarget() !== undefined)('real nvidia-smi (RACKPILOT_CONTRACT_NVIDIA_SMI)', () => {
  contract(() => realTarget()!);
});
