// Generic Modbus power device (PDU or meter) driven by a profile. The read plan is computed once
// at construction; a poll runs it (read.ts) through the device's client, whose line is shared
// with every device on the same bus or gateway. A failed request marks only its own points bad,
// with the quality its error maps to; a timeout skips the rest of the poll.
//
// Every poll also reports the device's communication counters as counter series (modbus.*), so
// the hub sees timeouts, exceptions, CRC errors and reconnects next to the readings.

import { bad, checked, ok, type Sample } from '../../core/reading.js';
import { seriesKey, type SeriesSpec } from '../../core/series.js';
import type { Clock } from '../../runtime/clock.js';
import type { ModbusClient } from '../modbus/client.js';
import { qualityOf } from '../modbus/errors.js';
import type { PlannedRead } from '../modbus/plan.js';
import type { ActuatingDriver, DeviceInfo, PollResult, PowerActuator } from '../types.js';
import { planFor, seriesOf, type ConcretePoint, type ExpandedProfile } from './expand.js';
import { InrushGuard, OutletActuator, type OutletMap } from './outlets.js';
import { runPlan } from './read.js';
import type { Profile, Workarounds } from './profile.js';

export interface ModbusDeviceOptions {
  readonly id: string;
  readonly profile: Profile;
  readonly expanded: ExpandedProfile;
  readonly workarounds: Workarounds;
  readonly labels?: Readonly<Record<string, string>>;
  /** Outlet relays to expose as actuators (switched PDUs with switching enabled). */
  readonly switching?: { readonly map: OutletMap; readonly inrushSpacingMs: number };
}

/** Counter series every Modbus device reports, from its client's (and line's) counters. */
const COUNTER_SERIES = [
  ['modbus.requests', 'requests'],
  ['modbus.timeouts', 'timeouts'],
  ['modbus.exceptions', 'exceptions'],
  ['modbus.crc_errors', 'crcErrors'],
  ['modbus.reconnects', 'reconnects'],
] as const;

export class ModbusPowerDevice implements ActuatingDriver {
  readonly info: DeviceInfo;
  readonly series: readonly SeriesSpec[];
  readonly plan: readonly PlannedRead[];
  readonly outlets: number;
  private readonly points: readonly ConcretePoint[];
  /** Series key of each point and counter, made once (a poll would build them every second). */
  private readonly pointKeys: readonly string[];
  private readonly counterKeys: readonly string[];
  private readonly outletActuators: readonly OutletActuator[];
  private readonly stats = { polls: 0, failedPolls: 0, failedRequests: 0 };

  constructor(
    private readonly opts: ModbusDeviceOptions,
    readonly client: ModbusClient,
    private readonly deps: { readonly clock: Clock; readonly release: () => Promise<void> },
  ) {
    const e = opts.expanded;
    this.points = e.points;
    this.pointKeys = e.points.map((p) => seriesKey(opts.id, p.quantity, p.channel));
    this.counterKeys = COUNTER_SERIES.map(([quantity]) => seriesKey(opts.id, quantity));
    this.outlets = e.outlets;
    this.plan = planFor(e, 'poll');
    this.series = [
      ...seriesOf(opts.id, e.points),
      ...COUNTER_SERIES.map(([quantity]): SeriesSpec => ({ device: opts.id, quantity, channel: '', unit: '1', scaleExp: 0, kind: 'counter' })),
    ];
    this.info = { id: opts.id, kind: opts.profile.kind, model: opts.profile.name, address: client.address, labels: opts.labels ?? {} };
    const sw = opts.switching;
    const guard = sw && new InrushGuard(deps.clock, sw.inrushSpacingMs);
    this.outletActuators = sw && guard ? Array.from({ length: e.outlets }, (_, i) => new OutletActuator(opts.id, i + 1, client, sw.map, guard)) : [];
  }

  async poll(signal: AbortSignal): Promise<PollResult> {
    const t = this.deps.clock.now();
    this.stats.polls++;
    const r = await runPlan(this.client, this.plan, this.points, { signal, pauseMs: this.opts.workarounds.pauseBetweenRequestsMs, clock: this.deps.clock });
    if (this.opts.workarounds.closeAfterPoll) this.client.line.closeWhenIdle();
    const samples: Sample[] = [];
    for (const [id, o] of r.points) {
      const reading = !o.ok ? bad(qualityOf(o.error), t, o.detail)
        : typeof o.value === 'number' ? checked(o.value, t) : bad('invalid', t, 'a string is not a number');
      samples.push({ key: this.pointKeys[id] as string, reading });
    }
    const c = this.commCounters();
    COUNTER_SERIES.forEach(([, k], i) => samples.push({ key: this.counterKeys[i] as string, reading: ok(c[k], t) }));
    if (r.failed) {
      this.stats.failedPolls++;
      this.stats.failedRequests += r.failed;
    }
    const res = { samples, failed: r.failed, requests: this.plan.length };
    return r.error === undefined ? res : { ...res, error: r.error };
  }

  actuators(): readonly PowerActuator[] {
    return this.outletActuators;
  }

  counters(): Readonly<Record<string, number>> {
    return { ...this.commCounters(), ...this.stats };
  }

  close(): Promise<void> {
    return this.deps.release();
  }

  /** The device's own request counters, plus the connection counters of its (shared) line. */
  private commCounters() {
    const l = this.client.line.counters;
    return { ...this.client.counters, connects: l.connects, reconnects: l.reconnects, junkBytes: l.junkBytes, staleReplies: l.staleReplies };
  }
}
