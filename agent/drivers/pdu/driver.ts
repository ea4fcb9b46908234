// Generic Modbus power device (PDU or meter) driven by a profile. The read plan is computed once
// at construction; a poll runs it in order on the device's link. A failed request marks only its
// own points bad and the poll goes on; after a connection failure the remaining requests fail
// fast (the link refuses until its reconnect delay passes) rather than waiting out timeouts.

import { decodeNumber } from '../../../protocols/modbus/values.js';
import { bad, checked, type BadQuality, type Sample } from '../../core/reading.js';
import { seriesKey, type SeriesSpec } from '../../core/series.js';
import type { Clock } from '../../runtime/clock.js';
import { isBitTable, planReads, type PlannedRead } from '../modbus/plan.js';
import { ModbusError, type ModbusTcpLink } from '../modbus/tcp-link.js';
import type { DeviceDriver, DeviceInfo, PollResult } from '../types.js';
import { expandProfile, planPoints, seriesOf, type ConcretePoint, type Profile } from './profile.js';

export function qualityOf(err: unknown): BadQuality {
  if (err instanceof ModbusError) {
    switch (err.code) {
      case 'modbus_timeout':
      case 'cancelled':
        return 'timeout';
      case 'modbus_exception':
        return err.exceptionCode === 2 ? 'unsupported' : 'device_error';
      default:
        return 'comm_error';
    }
  }
  return 'comm_error';
}

export interface ModbusDeviceOptions {
  readonly id: string;
  readonly profile: Profile;
  readonly outlets?: number;
  readonly labels?: Readonly<Record<string, string>>;
}

export class ModbusPowerDevice implements DeviceDriver {
  readonly info: DeviceInfo;
  readonly series: readonly SeriesSpec[];
  readonly plan: readonly PlannedRead[];
  readonly outlets: number;
  private readonly points: readonly ConcretePoint[];
  private readonly stats = { polls: 0, failedPolls: 0, failedRequests: 0 };

  constructor(
    opts: ModbusDeviceOptions,
    private readonly link: ModbusTcpLink,
    private readonly clock: Clock,
  ) {
    const expanded = expandProfile(opts.profile, opts.outlets);
    this.points = expanded.points;
    this.outlets = expanded.outlets;
    this.plan = planReads(planPoints(expanded.points), expanded.limits);
    this.series = seriesOf(opts.id, expanded.points);
    this.info = { id: opts.id, kind: opts.profile.kind, model: opts.profile.name, address: link.address, labels: opts.labels ?? {} };
  }

  async poll(signal: AbortSignal): Promise<PollResult> {
    const t = this.clock.now();
    const samples: Sample[] = [];
    let failed = 0;
    let error: string | undefined;
    this.stats.polls++;
    for (const read of this.plan) {
      let buf: Buffer;
      try {
        buf = await this.link.read(read.table, read.address, read.count, signal);
      } catch (err) {
        failed++;
        error = `${read.table} ${read.address}+${read.count}: ${(err as Error).message}`;
        const q = qualityOf(err);
        for (const { id } of read.points) {
          const p = this.points[id] as ConcretePoint;
          if (p.type !== 'string') samples.push({ key: seriesKey(this.info.id, p.quantity, p.channel), reading: bad(q, t, (err as Error).message) });
        }
        continue;
      }
      for (const { id, offset } of read.points) {
        const p = this.points[id] as ConcretePoint;
        if (p.type === 'string') continue;
        samples.push({ key: seriesKey(this.info.id, p.quantity, p.channel), reading: this.decode(p, buf, offset, t) });
      }
    }
    if (failed) {
      this.stats.failedPolls++;
      this.stats.failedRequests += failed;
    }
    return error === undefined ? { samples, failed, requests: this.plan.length } : { samples, failed, requests: this.plan.length, error };
  }

  private decode(p: ConcretePoint, buf: Buffer, offset: number, t: number): Sample['reading'] {
    if (isBitTable(p.table)) return checked(buf[offset] ?? Number.NaN, t);
    if (p.type === 'bit' || p.type === 'string') return bad('invalid', t, `type ${p.type} is not numeric`);
    const raw = decodeNumber(buf, offset * 2, p.type, p.order);
    return checked(raw * p.scale + p.offset, t);
  }

  counters(): Readonly<Record<string, number>> {
    return { ...this.link.counters, ...this.stats };
  }

  close(): Promise<void> {
    return this.link.close();
  }
}
