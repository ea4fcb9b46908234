// Self-test of a GPU server: one nvidia-smi query the way the agent runs it (ssh or prefix,
// timeout), then: does it answer, does it list the GPUs the config counts, are the readings
// plausible. Whether it may set power limits is tried only with --actuators (actuators.ts).

import { num, text } from '../../drivers/gpu/csv.js';
import type { GpuHostDeviceConfig } from '../../drivers/gpu/config.js';
import { accessOf } from '../../drivers/gpu/family.js';
import { F, GPU_FIELDS } from '../../drivers/gpu/fields.js';
import { NvidiaSmiReader, type GpuRead } from '../../drivers/gpu/reader.js';
import { NvidiaSmiRunner } from '../../drivers/gpu/runner.js';
import { systemClock } from '../../runtime/clock.js';
import type { Exec } from '../../runtime/exec.js';
import { nullLogger } from '../../runtime/log.js';
import { row, type CheckRow } from '../check-table.js';
import type { DeviceResult } from './types.js';

type OkRead = Extract<GpuRead, { ok: true }>;

export async function probeGpuHost(cfg: GpuHostDeviceConfig, exec: Exec, signal: AbortSignal): Promise<DeviceResult> {
  const runner = new NvidiaSmiRunner(accessOf(cfg), exec);
  const read = await new NvidiaSmiReader(runner, GPU_FIELDS, systemClock, nullLogger).read(signal);
  const identity: Record<string, string | number | null> = { address: runner.address };
  const base = { id: cfg.id, kind: 'gpu', identity };
  if (!read.ok) return { rows: [row(cfg.id, 'reach', 'fail', `${runner.address}: ${read.message}`, reachFix(cfg, read.code, read.message))], facts: { ...base, reached: false } };
  const rows = read.rows;
  identity['driver'] = text(rows[0]?.[F.driver]) ?? null;
  rows.forEach((r, i) => {
    identity[`gpu${text(r[F.index]) ?? i}`] = `${text(r[F.name]) ?? '?'} ${text(r[F.uuid]) ?? ''}`.trim();
  });
  const draws = rows.map((r) => num(r[F.power]));
  const apiW = draws.length && draws.every((w) => w !== null) ? draws.reduce<number>((a, w) => a + (w ?? 0), 0) : null;
  const feed = cfg.load.feed;
  return {
    rows: [row(cfg.id, 'reach', 'pass', `${runner.address}: nvidia-smi answered in ${Math.round(read.durationMs)} ms`), identityRow(cfg, read), readingsRow(cfg, read)],
    facts: { ...base, reached: true, load: { kind: 'gpu', apiW, estimated: false, ...(feed ? { feed: { pdu: feed.pdu, outlet: feed.outlet } } : {}) } },
  };
}

function reachFix(cfg: GpuHostDeviceConfig, code: string, message: string): string {
  if (cfg.ssh && /permission denied|host key|could not resolve|connection refused|timed out|ssh/i.test(message)) {
    return `ssh to ${cfg.ssh.user ? `${cfg.ssh.user}@` : ''}${cfg.ssh.host} fails: try ssh -o BatchMode=yes ${cfg.ssh.user ? `${cfg.ssh.user}@` : ''}${cfg.ssh.host} nvidia-smi -L as the agent's user (key, known_hosts)`;
  }
  if (/driver/i.test(message)) return 'the NVIDIA driver is not loaded on the server: nvidia-smi on the server itself fails the same way';
  if (code === 'exec_timeout') return `nvidia-smi did not answer within ${cfg.timeoutMs} ms: a hung GPU or driver, or persistence mode off (enable nvidia-persistenced)`;
  return `run ${cfg.nvidiaSmi} on the server to see the same error (docs/gpu.md)`;
}

function identityRow(cfg: GpuHostDeviceConfig, read: OkRead): CheckRow {
  const names = [...new Set(read.rows.map((r) => text(r[F.name]) ?? '?'))].join(', ');
  const driver = text(read.rows[0]?.[F.driver]) ?? '?';
  const n = read.rows.length;
  const what = `${n} × ${names}, driver ${driver}`;
  if (n < cfg.gpus) {
    return row(cfg.id, 'identity', 'fail', `nvidia-smi lists ${n} GPUs, the config counts ${cfg.gpus}${read.messages.length ? ` (${read.messages.join('; ')})` : ''}`, 'a GPU fell off the bus or is not seated (check nvidia-smi and dmesg on the server), or correct gpus');
  }
  if (n > cfg.gpus) return row(cfg.id, 'identity', 'warn', `nvidia-smi lists ${n} GPUs, the config counts ${cfg.gpus}: ${n - cfg.gpus} are not governed`, `set gpus: ${n}`);
  if (read.mismatches.length) return row(cfg.id, 'identity', 'warn', `${what}; nvidia-smi's header differs from the query (those columns read as unknown)`, 'see rackpilot diag gpu');
  return row(cfg.id, 'identity', 'pass', what);
}

function readingsRow(cfg: GpuHostDeviceConfig, read: OkRead): CheckRow {
  const problems: string[] = [];
  let total = 0;
  for (const r of read.rows) {
    const i = text(r[F.index]) ?? '?';
    const p = num(r[F.power]);
    const lim = num(r[F.enforced]) ?? num(r[F.limit]);
    const t = num(r[F.temp]);
    if (p === null) problems.push(`GPU ${i} power unknown`);
    else total += p;
    if (p !== null && lim !== null && p > lim * 1.15 + 10) problems.push(`GPU ${i} draws ${p.toFixed(0)} W above its ${lim.toFixed(0)} W limit`);
    if (t !== null && t >= 90) problems.push(`GPU ${i} at ${t.toFixed(0)} °C`);
    if (num(r['persistence_mode']) === 0) problems.push(`GPU ${i} persistence mode off`);
  }
  const seen = `${(total / 1000).toFixed(2)} kW over ${read.rows.length} GPUs`;
  if (problems.length) return row(cfg.id, 'readings', 'warn', `${seen}; ${problems.join('; ')}`, problems.some((p) => p.includes('persistence')) ? 'enable nvidia-persistenced on the server (docs/gpu.md)' : 'see rackpilot diag gpu');
  return row(cfg.id, 'readings', 'pass', seen);
}
