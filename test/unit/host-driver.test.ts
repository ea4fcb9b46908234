// The host driver with the real OS (os.*, fs.statfs, systeminformation's mem() on this machine)
// and a /sys tree of real files for sensors and network counters, so every quirk is reproducible;
// and the host in the agent: a poll group of its own interval, never in the PDU cycle.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Reading } from '../../agent/core/reading.js';
import { HostDriver, type HostOptions } from '../../agent/drivers/host/driver.js';
import { realHostSystem, type HostSystem, type MemInfo } from '../../agent/drivers/host/system.js';
import type { PollResult } from '../../agent/drivers/types.js';
import { FakeClock } from '../../agent/runtime/clock.js';

const signal = new AbortController().signal;
let sysDir: string;

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(sysDir, path, '..'), { recursive: true });
  await writeFile(join(sysDir, path), text);
}

beforeAll(async () => {
  sysDir = await mkdtemp(join(tmpdir(), 'rp-sys-'));
  await put('class/hwmon/hwmon0/name', 'coretemp\n');
  await put('class/hwmon/hwmon0/temp1_input', '45000\n');
  await put('class/hwmon/hwmon0/temp2_input', '52000\n');
  await put('class/hwmon/hwmon1/name', 'nvme\n');
  await put('class/hwmon/hwmon1/temp1_input', '38000\n');
  await put('class/thermal/thermal_zone0/type', 'acpitz\n');
  await put('class/thermal/thermal_zone0/temp', '61000\n');
  for (const [k, v] of Object.entries({ rx_bytes: '1000', tx_bytes: '2000', rx_errors: '1', tx_errors: '0', rx_dropped: '3', tx_dropped: 'garbage' })) {
    await put(`class/net/eth9/statistics/${k}`, `${v}\n`);
  }
});

function system(dir: string, loads: { n: number }): HostSystem {
  const real = realHostSystem(async () => {
    loads.n++;
    const si = await import('systeminformation/lib/memory.js');
    return (): Promise<MemInfo> => si.mem();
  });
  return { ...real, sysDir: dir };
}

function make(o: Partial<HostOptions> = {}, dir = sysDir): { d: HostDriver; clock: FakeClock; loads: { n: number } } {
  const loads = { n: 0 };
  const clock = new FakeClock();
  const d = new HostDriver({ id: 'ctl', intervalMs: 10_000, disks: ['/'], interfaces: ['eth9'], temperatures: true, ...o }, system(dir, loads), clock);
  return { d, clock, loads };
}

/** The next poll of its group, `advanceMs` after the last. */
async function read(d: HostDriver, clock: FakeClock, advanceMs = 10_000): Promise<PollResult> {
  await clock.advance(advanceMs);
  return d.poll(signal);
}

function get(r: PollResult, key: string): Reading {
  const s = r.samples.find((x) => x.key === key);
  if (!s) throw new Error(`no sample ${key}`);
  return s.reading;
}

describe('host driver', () => {
  it('reads memory, disk, temperatures and counters; loads systeminformation only on the first read', async () => {
    const { d, clock, loads } = make();
    expect(loads.n).toBe(0);
    const r = await read(d, clock);
    expect(loads.n).toBe(1);
    expect(r.samples).toHaveLength(d.series.length);
    expect(get(r, 'ctl/host.memory.total').value).toBeCloseTo(totalmem(), -6);
    expect(get(r, 'ctl/host.memory.available').value).toBeGreaterThan(0);
    const total = get(r, 'ctl/host.disk.total//').value!;
    expect(total).toBeGreaterThan(0);
    expect(get(r, 'ctl/host.disk.used//').value! + get(r, 'ctl/host.disk.available//').value!).toBeLessThanOrEqual(total);
    expect(get(r, 'ctl/host.cpu.temperature').value).toBe(52); // coretemp only
    expect(get(r, 'ctl/host.temperature.max').value).toBe(61); // any sensor
    expect(get(r, 'ctl/host.net.rx_bytes/eth9').value).toBe(1000);
    expect(get(r, 'ctl/host.net.rx_dropped/eth9').value).toBe(3);
    expect(get(r, 'ctl/host.net.tx_dropped/eth9')).toMatchObject({ value: null, quality: 'device_error', detail: expect.stringContaining('"garbage" is not a counter') });
    expect(get(r, 'ctl/host.uptime').value).toBeGreaterThan(0);
    expect(r).toMatchObject({ requests: 1, failed: 1 });
    expect(d.series.find((s) => s.quantity === 'host.net.rx_bytes')).toMatchObject({ kind: 'counter', unit: 'By', maxAgeMs: 21_000 });
    await read(d, clock);
    expect(loads.n).toBe(1);
    await d.close();
  });

  it('CPU load needs a window of a second: unknown at start-up, then a share of 0–100 %', async () => {
    const { d, clock } = make();
    const first = await read(d, clock, 0);
    expect(get(first, 'ctl/host.cpu.load')).toMatchObject({ value: null, quality: 'stale' });
    // os.cpus() counts in clock ticks: burn CPU until the count moves, so the window is not empty.
    const busyTotal = (): number => cpus().reduce((n, c) => n + c.times.user + c.times.sys + c.times.idle, 0);
    const before = busyTotal();
    while (busyTotal() === before) for (let i = 0; i < 1e5; i++) Math.sqrt(i);
    const second = await read(d, clock, 10_000);
    const load = get(second, 'ctl/host.cpu.load');
    expect(load.quality).toBe('ok');
    expect(load.value).toBeGreaterThanOrEqual(0);
    expect(load.value).toBeLessThanOrEqual(100);
    await d.close();
  });

  it('missing sensors, interfaces and mounts are unknown with the reason, never 0', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'rp-sys-empty-'));
    const { d, clock } = make({ disks: ['/nonexistent-mount'], interfaces: ['nosuch0'] }, empty);
    const r = await read(d, clock);
    expect(get(r, 'ctl/host.cpu.temperature')).toMatchObject({ value: null, quality: 'unsupported', detail: expect.stringContaining('no CPU temperature sensor') });
    expect(get(r, 'ctl/host.net.rx_bytes/nosuch0')).toMatchObject({ value: null, quality: 'device_error', detail: expect.stringContaining('no interface nosuch0') });
    expect(get(r, 'ctl/host.disk.total//nonexistent-mount')).toMatchObject({ value: null, quality: 'device_error', detail: 'statfs /nonexistent-mount: ENOENT' });
    expect(r.failed).toBe(1);
    await d.close();
    const quiet = make({ temperatures: false, interfaces: [] }, empty).d;
    expect(quiet.series.some((s) => s.quantity.includes('temperature'))).toBe(false);
    await quiet.close();
  });
});
