// The GPU server driver: every GPU of one host from one nvidia-smi, plus one power-limit actuator
// per GPU. Two ways to read (docs/gpu.md):
//   - stream (default): one long-lived `nvidia-smi … -lms <intervalMs>` per host (stream.ts);
//     poll() never waits, it hands over the newest sample, so the driver sits in the main cycle;
//   - one-shot (`stream: false`): one `nvidia-smi --query-gpu` call per poll, in a poll group of
//     its own interval (`schedule`), so a slow call never delays the PDU cycle.
//
// Series are per configured GPU (channel "0".."N-1", the index at first sighting, followed by
// UUID afterwards). A GPU missing from the output, a failed call, a renamed column or a
// placeholder such as [N/A] all give null readings with the reason; nothing unknown is 0.

import { bad, checked, type Reading, type Sample } from '../../core/reading.js';
import { seriesKey, type SeriesSpec } from '../../core/series.js';
import type { Clock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/log.js';
import { NOTHING_NEW, type ActuatingDriver, type ActuationResult, type ActuatorCapabilities, type ActuatorCommand, type DeviceInfo, type PollResult, type PollSchedule, type PowerActuator } from '../types.js';
import { num, text, type Cell } from './csv.js';
import { F, GPU_FIELDS, LIMIT_FIELDS, type GpuField } from './fields.js';
import { GpuLimits, type RestoreTo } from './limits.js';
import { NvidiaSmiReader, type GpuRead } from './reader.js';
import type { NvidiaSmiRunner } from './runner.js';
import { GpuSlots, type GpuRow } from './slots.js';
import { NvidiaSmiStream, type StreamRead } from './stream.js';

export interface GpuHostOptions {
  readonly id: string;
  readonly gpus: number;
  readonly intervalMs: number;
  readonly restoreTo: RestoreTo;
  readonly reapply: boolean;
  /** One long-lived nvidia-smi per host (default) instead of a call per poll. */
  readonly stream: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  /** Jitter of the stream's restart backoff (tests; default Math.random). */
  readonly random?: () => number;
}

const SERIES_FIELDS = GPU_FIELDS.filter((f): f is GpuField & { series: NonNullable<GpuField['series']> } => f.series !== undefined);
const CAP_QUANTITY = 'gpu.cap';

export class GpuHostDriver implements ActuatingDriver {
  readonly info: DeviceInfo;
  readonly series: readonly SeriesSpec[];
  readonly slots: GpuSlots;
  readonly limits: GpuLimits;
  /** One-shot mode only: polled in a group of its own interval, off the PDU cycle. */
  readonly schedule?: PollSchedule;
  private readonly reader: NvidiaSmiReader;
  private readonly stream: NvidiaSmiStream | undefined;
  /** Stream mode: the newest reading not yet handed over. */
  private latest: StreamRead | undefined;
  /** Stream mode: a failure not yet handed over; it goes first, so a later sample cannot hide it. */
  private failure: StreamRead | undefined;
  private readonly acts: readonly PowerActuator[];
  /** Per GPU slot: the series key of each field, then of its cap state (made once). */
  private readonly slotKeys: readonly (readonly string[])[];
  private readonly stats = { missingGpus: 0, extraGpus: 0, headerMismatches: 0, readsSkipped: 0 };

  constructor(
    private readonly o: GpuHostOptions,
    private readonly runner: NvidiaSmiRunner,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.info = { id: o.id, kind: 'gpu', model: 'nvidia-smi', address: runner.address, labels: o.labels ?? {} };
    // A value stays current for two intervals plus a call's timeout: one late read is not stale.
    const maxAgeMs = 2 * o.intervalMs + runner.access.timeoutMs;
    this.series = Array.from({ length: o.gpus }, (_, slot) => [
      ...SERIES_FIELDS.map((f) => ({ device: o.id, channel: String(slot), maxAgeMs, ...f.series })),
      { device: o.id, quantity: CAP_QUANTITY, channel: String(slot), unit: '1', scaleExp: 0, kind: 'state' as const, maxAgeMs },
    ]).flat();
    this.slots = new GpuSlots(o.gpus);
    this.slotKeys = Array.from({ length: o.gpus }, (_, slot) => [...SERIES_FIELDS.map((f) => f.series.quantity), CAP_QUANTITY].map((q) => seriesKey(o.id, q, String(slot))));
    this.reader = new NvidiaSmiReader(runner, GPU_FIELDS, clock, log);
    this.limits = new GpuLimits({
      device: o.id, runner, reader: new NvidiaSmiReader(runner, LIMIT_FIELDS, clock, log), slots: this.slots,
      restoreTo: o.restoreTo, reapply: o.reapply, clock, log,
    });
    if (o.stream) {
      this.stream = new NvidiaSmiStream({
        runner, reader: this.reader, intervalMs: o.intervalMs, clock, log, ...(o.random ? { random: o.random } : {}),
        onRead: (r) => {
          if (this.latest && this.latest !== this.failure) this.stats.readsSkipped++;
          if (!r.read.ok && this.failure) this.stats.readsSkipped++;
          this.latest = r;
          if (!r.read.ok) this.failure = r;
        },
      });
    } else {
      this.schedule = { intervalMs: o.intervalMs, concurrency: Infinity };
    }
    this.acts = Array.from({ length: o.gpus }, (_, slot) => new GpuLimitActuator(this, slot, 1000 + o.intervalMs));
  }

  /**
   * Stream mode: never waits; starts the stream on the first call and hands over the newest
   * reading since the last poll (or nothing new). One-shot mode: one nvidia-smi call, bounded
   * by `timeoutMs` and by `signal` (the next due poll).
   */
  async poll(signal: AbortSignal): Promise<PollResult> {
    if (this.stream) {
      this.stream.start();
      const r = this.failure ?? this.latest;
      if (r === this.latest) this.latest = undefined;
      this.failure = undefined;
      return r ? this.result(r.read, r.startedMs) : NOTHING_NEW;
    }
    const startedMs = this.clock.monotonic();
    const read = await this.reader.read(signal);
    const cut = !read.ok && read.code === 'cancelled' && signal.aborted;
    return this.result(cut ? { ...read, message: `nvidia-smi did not answer before the next poll (${this.o.intervalMs} ms; killed)` } : read, startedMs);
  }

  /** One nvidia-smi call now, whatever the mode, bounded like a one-shot poll (diag selftest). */
  async readNow(signal: AbortSignal): Promise<PollResult> {
    const startedMs = this.clock.monotonic();
    return this.result(await this.reader.read(signal), startedMs);
  }

  actuators(): readonly PowerActuator[] {
    return this.acts;
  }

  counters(): Readonly<Record<string, number>> {
    return {
      ...this.stats, reads: this.reader.stats.reads, readFailures: this.reader.stats.failures, fieldsDropped: this.reader.stats.fieldsDropped,
      maxReadMs: Math.round(this.reader.stats.maxReadMs), ...prefixed('limit', this.limits.stats), ...(this.stream ? prefixed('stream', this.stream.stats) : {}),
    };
  }

  /** Stops reading and puts back every limit rackpilot changed. Idempotent. */
  async close(): Promise<void> {
    await this.stream?.close();
    await this.limits.idle();
    for (const r of await this.limits.restoreAll()) {
      if (r.ok && r.verified) this.log.info('GPU power limit restored on shutdown', { device: this.o.id, detail: r.detail });
      else this.log.error('GPU power limit NOT restored on shutdown', { device: this.o.id, detail: r.detail });
    }
  }

  /** Samples of every series from one reading (`startedMs`: monotonic, its values measured no earlier). */
  private result(read: GpuRead, started: number): PollResult {
    if (!read.ok) {
      const r = bad(read.quality, read.timeMs, read.message);
      return { samples: this.series.map((s) => ({ key: seriesKey(s.device, s.quantity, s.channel), reading: r })), failed: 1, requests: 1, error: read.message };
    }
    const { bySlot, extra } = this.slots.assign(read.rows);
    this.stats.headerMismatches += read.mismatches.length ? 1 : 0;
    const missing = bySlot.filter((r) => r === undefined).length;
    this.stats.missingGpus = missing;
    if (extra.length !== this.stats.extraGpus && extra.length) {
      this.log.warn('nvidia-smi lists GPUs that are not configured', { device: this.o.id, configured: this.o.gpus, extra: extra.map((r) => text(r[F.uuid])) });
    }
    this.stats.extraGpus = extra.length;
    const samples: Sample[] = [];
    bySlot.forEach((row, slot) => {
      if (row) this.limits.observe(slot, started, { limitW: num(row[F.limit]), minW: num(row[F.minLimit]), maxW: num(row[F.maxLimit]) });
      samples.push(...this.slotSamples(slot, row, read.timeMs));
    });
    const why = read.partial ?? read.messages[0];
    const error = missing ? `${missing} of ${this.o.gpus} GPUs missing from nvidia-smi output${why ? `: ${why}` : ''}` : read.mismatches.length ? 'nvidia-smi header differs from the query' : undefined;
    return { samples, failed: missing || read.mismatches.length ? 1 : 0, requests: 1, ...(error ? { error } : {}) };
  }

  private slotSamples(slot: number, row: GpuRow | undefined, t: number): Sample[] {
    const keys = this.slotKeys[slot] as readonly string[];
    const gone = row ? undefined : bad('device_error', t, `GPU ${slot}${this.slots.uuid(slot) ? ` (${this.slots.uuid(slot)})` : ''} missing from nvidia-smi output (fell off the bus, or not installed)`);
    const out = SERIES_FIELDS.map((f, i): Sample => ({ key: keys[i] as string, reading: gone ?? cellReading(row?.[f.key], t) }));
    out.push({ key: keys[SERIES_FIELDS.length] as string, reading: { value: this.limits.capState(slot), quality: 'ok', timeMs: t } });
    return out;
  }
}

function cellReading(c: Cell | undefined, t: number): Reading {
  if (!c) return bad('invalid', t, 'no such column');
  if (!c.ok) return bad(c.quality, t, c.reason);
  return typeof c.value === 'number' ? checked(c.value, t) : bad('invalid', t, `"${c.value}" is not numeric`);
}

function prefixed(p: string, o: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`${p}${k[0]?.toUpperCase() ?? ''}${k.slice(1)}`, v]));
}

/** One GPU's power limit as a PowerActuator (kind 'gpu'). */
class GpuLimitActuator implements PowerActuator {
  readonly kind = 'gpu';
  readonly id: string;
  readonly device: string;

  constructor(
    private readonly host: GpuHostDriver,
    private readonly slot: number,
    readonly settleMs: number,
  ) {
    this.device = host.info.id;
    this.id = `${host.info.id}/${slot}`;
  }

  /** The range is known once the GPU has been read; until then the actuator cannot set power. */
  get capabilities(): ActuatorCapabilities {
    const r = this.host.limits.range(this.slot);
    return r ? { setPower: r } : {};
  }

  apply(cmd: ActuatorCommand, signal: AbortSignal): Promise<ActuationResult> {
    switch (cmd.type) {
      case 'set_power':
        return this.host.limits.set(this.slot, cmd.watts, signal);
      case 'restore':
        return this.host.limits.restore(this.slot, signal);
      default:
        return Promise.resolve({ ok: false, verified: false, detail: `a GPU power limit cannot ${cmd.type.replace('_', ' ')}` });
    }
  }
}

