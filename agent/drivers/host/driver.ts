// The rack controller's own health: CPU load, memory, disk space, temperatures, network
// counters and uptime, read on a slow interval in a poll group of its own (`schedule`), never in
// the PDU cycle, from non-blocking sources only (system.ts). Unknown values are null with the
// reason.

import { bad, checked, type Reading, type Sample } from '../../core/reading.js';
import { keyOf, type SeriesKind, type SeriesSpec } from '../../core/series.js';
import type { Clock } from '../../runtime/clock.js';
import type { DeviceDriver, DeviceInfo, PollResult, PollSchedule } from '../types.js';
import { discoverSensors, maxTemperature, NET_COUNTERS, netCounters, type Sensor, type Value } from './sysfs.js';
import type { HostSystem } from './system.js';

export interface HostOptions {
  readonly id: string;
  readonly intervalMs: number;
  readonly disks: readonly string[];
  readonly interfaces: readonly string[];
  readonly temperatures: boolean;
  readonly labels?: Readonly<Record<string, string>>;
}

const MIN_CPU_WINDOW_MS = 1000;

/** Reads one group of series (in their declaration order) at time t. */
interface Group {
  readonly count: number;
  read(t: number): Promise<Reading[]>;
}

export class HostDriver implements DeviceDriver {
  readonly info: DeviceInfo;
  readonly series: readonly SeriesSpec[];
  /** Its own poll group; no concurrency bound of its own (a read is a few local file reads). */
  readonly schedule: PollSchedule;
  private readonly groups: Group[] = [];
  private cpuPrev: { idle: number; total: number; at: number };
  private sensors: Promise<Sensor[]> | undefined;
  /** Monotonic time of the read in progress. */
  private mono = 0;
  private readonly stats = { reads: 0, unknownValues: 0, maxReadMs: 0 };

  constructor(
    private readonly o: HostOptions,
    private readonly sys: HostSystem,
    private readonly clock: Clock,
  ) {
    this.info = { id: o.id, kind: 'host', model: 'linux', address: 'local', labels: o.labels ?? {} };
    this.schedule = { intervalMs: o.intervalMs, concurrency: Infinity };
    this.cpuPrev = { ...sys.cpuTimes(), at: clock.monotonic() };
    const maxAgeMs = 2 * o.intervalMs + 1000;
    const specs: SeriesSpec[] = [];
    const group = (series: readonly [quantity: string, channel: string, unit: string, scaleExp: number, kind?: SeriesKind][], read: Group['read']): void => {
      for (const [quantity, channel, unit, scaleExp, kind] of series) specs.push({ device: o.id, quantity, channel, unit, scaleExp, kind: kind ?? 'gauge', maxAgeMs });
      this.groups.push({ count: series.length, read });
    };
    group([['host.cpu.load', '', '%', -1], ['host.load', '1m', '1', -2], ['host.load', '5m', '1', -2], ['host.load', '15m', '1', -2], ['host.uptime', '', 's', 0]], async (t) => {
      const load = this.sys.loadavg();
      return [this.cpuLoad(t), ...[0, 1, 2].map((i) => checked(load[i] ?? NaN, t)), checked(this.sys.uptimeS(), t)];
    });
    group([['host.memory.total', '', 'By', 3], ['host.memory.available', '', 'By', 3], ['host.memory.swap_used', '', 'By', 3]], async (t) => {
      const m = await this.sys.mem();
      return [checked(m.total, t), checked(m.available, t), checked(m.swapused, t)];
    });
    for (const d of o.disks) group([['host.disk.total', d, 'By', 3], ['host.disk.available', d, 'By', 3], ['host.disk.used', d, 'By', 3]], (t) => this.disk(d, t));
    for (const i of o.interfaces) {
      group(NET_COUNTERS.map((c) => [`host.net.${c}`, i, c.endsWith('bytes') ? 'By' : '1', 0, 'counter'] as const), async (t) =>
        Object.values(await netCounters(this.sys, i)).map((v) => reading(v, t)));
    }
    if (o.temperatures) group([['host.cpu.temperature', '', 'degC', -1], ['host.temperature.max', '', 'degC', -1]], (t) => this.temperatures(t));
    this.series = specs;
  }

  /**
   * One read of everything. Every group reads concurrently; a group that fails marks its own
   * series, not the others, and one still reading at the group's deadline (`signal`: a statfs
   * of a hung network mount) reads `timeout` while the others report.
   */
  async poll(signal: AbortSignal): Promise<PollResult> {
    const t = this.clock.now();
    this.stats.reads++;
    this.mono = this.clock.monotonic();
    const groups = await Promise.all(this.groups.map((g) => readGroup(g, t, signal)));
    this.stats.maxReadMs = Math.max(this.stats.maxReadMs, Math.round(this.clock.monotonic() - this.mono));
    const readings = groups.flat();
    const samples: Sample[] = this.series.map((s, i) => ({ key: keyOf(s), reading: readings[i] ?? bad('invalid', t, 'no reading') }));
    const notOk = samples.filter((s) => s.reading.quality !== 'ok');
    this.stats.unknownValues = notOk.length;
    // Missing sensors are a fact of the hardware ('unsupported'), not a failure of the read.
    const error = notOk.find((s) => s.reading.quality !== 'unsupported' && s.reading.quality !== 'stale')?.reading;
    return { samples, requests: 1, failed: error ? 1 : 0, ...(error?.value === null && error.detail ? { error: error.detail } : {}) };
  }

  counters(): Readonly<Record<string, number>> {
    return this.stats;
  }

  /** Nothing to close: every read opens and closes its own files. */
  async close(): Promise<void> {}

  /**
   * Busy share of CPU time since the previous read (os.cpus() deltas, not currentLoad()'s
   * a synchronous child process for /proc/stat). A window under a second (the first read, right after start-up)
   * says more about start-up than about the controller, so it is not reported.
   */
  private cpuLoad(t: number): Reading {
    if (this.mono - this.cpuPrev.at < MIN_CPU_WINDOW_MS) return bad('stale', t, 'CPU load needs two reads at least 1 s apart');
    const now = this.sys.cpuTimes();
    const dt = now.total - this.cpuPrev.total;
    const busy = dt - (now.idle - this.cpuPrev.idle);
    this.cpuPrev = { ...now, at: this.mono };
    return dt > 0 ? checked((busy / dt) * 100, t) : bad('stale', t, 'no CPU time elapsed since the last read');
  }

  private async disk(path: string, t: number): Promise<Reading[]> {
    try {
      const s = await this.sys.statfs(path);
      return [checked(s.totalBytes, t), checked(s.availableBytes, t), checked(s.totalBytes - s.freeBytes, t)];
    } catch (err) {
      const r = bad('device_error', t, `statfs ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return [r, r, r];
    }
  }

  private async temperatures(t: number): Promise<Reading[]> {
    this.sensors ??= discoverSensors(this.sys);
    const all = await this.sensors;
    const [cpu, any] = await Promise.all([maxTemperature(this.sys, all.filter((s) => s.cpu), 'CPU temperature'), maxTemperature(this.sys, all, 'temperature')]);
    return [reading(cpu, t, 'unsupported'), reading(any, t, 'unsupported')];
  }
}

async function readGroup(g: Group, t: number, signal: AbortSignal): Promise<Reading[]> {
  const fill = (r: Reading): Reading[] => new Array<Reading>(g.count).fill(r);
  let onAbort = (): void => undefined;
  const deadline = new Promise<Reading[]>((resolve) => {
    onAbort = () => resolve(fill(bad('timeout', t, 'no answer before the next poll')));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([g.read(t), deadline]);
  } catch (err) {
    return fill(bad('device_error', t, (err as Error).message));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function reading(v: Value, t: number, missing: 'unsupported' | 'device_error' = 'device_error'): Reading {
  return v.ok ? checked(v.value, t) : bad(missing, t, v.reason);
}
