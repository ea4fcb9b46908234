// The agent's status as one JSON-safe snapshot (GET /status): what `rackpilot diag status` and
// the demo's live view render, and what `diag report` stores. Built on request from state the
// agent already holds (rack readings, health, controller state, link and spool counters): no
// device is asked anything and nothing waits, so a request costs the control loop nothing but
// the few milliseconds of building it between two cycles. Contains no secrets: the config's
// secrets never reach these objects (the hub URL is the configured one, without credentials).

import type { ControlLoop, ControlStatus } from '../control/loop.js';
import type { Health, HealthTracker } from '../core/health.js';
import type { RackState } from '../core/rack.js';
import type { BadQuality, Quality } from '../core/reading.js';
import { keyOf, Q, seriesKey } from '../core/series.js';
import { MinerDriver } from '../drivers/miner/driver.js';
import type { DeviceDriver, DeviceKind } from '../drivers/types.js';
import type { FixedRateScheduler } from '../runtime/scheduler.js';
import type { AgentEvent } from '../uplink/encoder.js';
import type { HubLink, LinkState } from '../uplink/hub-link.js';
import type { Outbox } from '../uplink/outbox.js';
import type { DiskSpool } from '../uplink/spool/spool.js';

/** Bumped when a field changes meaning or goes away (diag checks it). */
export const STATUS_SCHEMA = 1;

export interface StatusSources {
  readonly agent: { readonly id: string; readonly site: string; readonly rack: string };
  readonly version: string;
  readonly startedAtMs: number;
  readonly rack: RackState;
  readonly drivers: readonly DeviceDriver[];
  readonly health: HealthTracker;
  readonly scheduler: FixedRateScheduler;
  readonly pollGroups: readonly { readonly intervalMs: number; readonly scheduler: FixedRateScheduler }[];
  readonly events: readonly AgentEvent[];
  /** Why each device's latest poll failed, by device id (absent when it succeeded). */
  readonly lastErrors: ReadonlyMap<string, string>;
  readonly security: string;
  readonly hubUrl?: string;
  readonly link?: HubLink;
  readonly outbox?: Outbox;
  readonly spool?: DiskSpool;
  readonly spoolDir?: string;
  readonly control?: ControlLoop;
}

export interface CircuitStatus {
  readonly id: string;
  readonly currentA: number | null;
  readonly limitA: number;
  readonly breakerA: number;
  readonly utilisation: number | null;
  readonly quality: Quality;
  readonly detail?: string;
}

export interface MinerSummary {
  readonly firmware: string | null;
  readonly state: string | null;
  readonly hashrateTHs: number | null;
  readonly powerW: number | null;
  readonly powerEstimated: boolean;
  readonly targetW: number | null;
}

export interface DeviceStatus {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly model: string;
  readonly address: string;
  readonly health: Health;
  /** Why its latest poll failed (null when it succeeded). */
  readonly lastError: string | null;
  /** Age of the newest reading of any of its series (good or bad), ms; null when never read. */
  readonly lastReadingAgeMs: number | null;
  readonly series: number;
  /** Series with a good, fresh value. */
  readonly ok: number;
  /** The other series by quality, with one example of why. */
  readonly problems: readonly { readonly quality: BadQuality; readonly count: number; readonly detail: string }[];
  /** Its power now, W: a PDU's or meter's inlet, a miner's own figure, a GPU server's GPUs summed. */
  readonly powerW: number | null;
  readonly miner?: MinerSummary;
}

/** The controller's own status, with its action counts and what the hub has asked of the rack. */
export interface ControlSnapshot extends ControlStatus {
  readonly actions: number;
  readonly failedActions: number;
  readonly lease: { readonly id: string; readonly kw: number; readonly expiresAtMs: number } | null;
  readonly gridEvents: readonly { readonly id: string; readonly targetKw: number; readonly deadlineMs: number; readonly endMs: number }[];
}

export interface HubSnapshot {
  readonly url: string;
  readonly security: string;
  readonly state: LinkState;
  readonly lastError: string;
  readonly upSinceMs: number;
  readonly connects: number;
  readonly samplesSent: number;
  readonly samplesAcked: number;
  readonly batchesSent: number;
  readonly batchesAcked: number;
  /** Batches the hub has not acked yet (the backlog); bytes: what the outbox holds (with a spool, its segment files). */
  readonly backlog: { readonly batches: number; readonly bytes: number; readonly oldestSeq: number; readonly droppedSamples: number };
  readonly spool: null | {
    readonly dir: string; readonly segments: number; readonly diskBytes: number; readonly memOnlyBatches: number;
    readonly lostBatches: number; readonly writeErrors: number; readonly degraded: boolean;
  };
}

export interface StatusSnapshot {
  readonly schema: number;
  readonly timeMs: number;
  readonly agent: { readonly id: string; readonly site: string; readonly rack: string; readonly version: string; readonly startedAtMs: number; readonly pid: number; readonly node: string };
  readonly rack: { readonly powerW: number | null; readonly unknownPowerDevices: readonly string[] };
  readonly circuits: readonly CircuitStatus[];
  /** Per PDU: every outlet's power and relay state (null when unknown). */
  readonly outlets: readonly { readonly pdu: string; readonly outlets: readonly { readonly outlet: string; readonly powerW: number | null; readonly on: boolean | null }[] }[];
  readonly devices: readonly DeviceStatus[];
  readonly control: ControlSnapshot | null;
  readonly hub: HubSnapshot | null;
  readonly poll: {
    readonly cycles: number; readonly overruns: number; readonly lastCycleMs: number;
    readonly groups: readonly { readonly intervalMs: number; readonly cycles: number; readonly overruns: number; readonly lastCycleMs: number }[];
  };
  /** The agent's recent events (decisions with their reasons, device changes), oldest first. */
  readonly events: readonly AgentEvent[];
}

export function buildStatus(src: StatusSources, now: number): StatusSnapshot {
  const sum = src.rack.summary(now);
  return {
    schema: STATUS_SCHEMA,
    timeMs: now,
    agent: { ...src.agent, version: src.version, startedAtMs: src.startedAtMs, pid: process.pid, node: process.version },
    rack: { powerW: sum.powerW, unknownPowerDevices: sum.unknownPowerDevices },
    circuits: sum.circuits.map((c) => ({
      id: c.id, currentA: c.current.value, limitA: c.limitA, breakerA: c.breakerA, utilisation: c.utilisation, quality: c.current.quality,
      ...(c.current.quality !== 'ok' && c.current.detail ? { detail: c.current.detail } : {}),
    })),
    outlets: src.drivers.filter((d) => d.info.kind === 'pdu').map((d) => ({
      pdu: d.info.id,
      outlets: d.series.filter((s) => s.quantity === Q.outletPower).map((s) => {
        const on = src.rack.value(seriesKey(d.info.id, Q.outletState, s.channel), now);
        return { outlet: s.channel, powerW: src.rack.value(keyOf(s), now), on: on === null ? null : on !== 0 };
      }),
    })).filter((p) => p.outlets.length > 0),
    devices: src.drivers.map((d) => deviceStatus(src, d, now)),
    control: src.control ? controlSnapshot(src.control) : null,
    hub: src.link && src.outbox ? hubSnapshot(src, src.link, src.outbox) : null,
    poll: {
      cycles: src.scheduler.stats.ticks, overruns: src.scheduler.stats.overruns, lastCycleMs: Math.round(src.scheduler.stats.lastDurationMs),
      groups: src.pollGroups.map((g) => ({ intervalMs: g.intervalMs, cycles: g.scheduler.stats.ticks, overruns: g.scheduler.stats.overruns, lastCycleMs: Math.round(g.scheduler.stats.lastDurationMs) })),
    },
    events: [...src.events],
  };
}

const POWER_QUANTITY: Readonly<Record<DeviceKind, string | undefined>> = { pdu: Q.inletPower, meter: Q.inletPower, miner: 'miner.power', gpu: 'gpu.power', host: undefined };

function deviceStatus(src: StatusSources, d: DeviceDriver, now: number): DeviceStatus {
  let newest: number | null = null;
  let ok = 0;
  const problems = new Map<BadQuality, { count: number; detail: string }>();
  const power: (number | null)[] = [];
  const powerQ = POWER_QUANTITY[d.info.kind];
  for (const s of d.series) {
    const r = src.rack.get(keyOf(s), now);
    if (!r) continue;
    if (newest === null || r.timeMs > newest) newest = r.timeMs;
    if (r.quality === 'ok') ok++;
    else {
      const p = problems.get(r.quality) ?? { count: 0, detail: r.detail ?? '' };
      p.count++;
      problems.set(r.quality, p);
    }
    if (s.quantity === powerQ) power.push(r.value);
  }
  // A GPU server's power is the sum over its GPUs: unknown when any GPU's is.
  const powerW = power.length && power.every((v) => v !== null) ? power.reduce<number>((a, v) => a + (v ?? 0), 0) : null;
  return {
    id: d.info.id, kind: d.info.kind, model: d.info.model, address: d.info.address, health: src.health.get(d.info.id), lastError: src.lastErrors.get(d.info.id) ?? null,
    lastReadingAgeMs: newest === null ? null : Math.max(0, now - newest), series: d.series.length, ok,
    problems: [...problems].map(([quality, p]) => ({ quality, count: p.count, detail: p.detail })),
    powerW, ...(d instanceof MinerDriver ? { miner: minerSummary(d) } : {}),
  };
}

function minerSummary(d: MinerDriver): MinerSummary {
  const data = d.last?.data;
  return {
    firmware: d.firmware?.module.label ?? null, state: data?.state ?? null, hashrateTHs: data?.hashrateTHs ?? null,
    powerW: data?.powerW ?? null, powerEstimated: data?.powerSource === 'estimated', targetW: data?.powerTargetW ?? null,
  };
}

function controlSnapshot(c: ControlLoop): ControlSnapshot {
  const s = c.status();
  const lease = c.hub.currentLease;
  return {
    ...s, actions: c.runner.stats.actions, failedActions: c.runner.stats.failed + c.runner.stats.unroutable,
    lease: lease ? { id: lease.id, kw: lease.kw, expiresAtMs: lease.expiresAtMs } : null,
    gridEvents: c.hub.gridEvents.map((e) => ({ id: e.id, targetKw: e.targetKw, deadlineMs: e.deadlineMs, endMs: e.endMs })),
  };
}

function hubSnapshot(src: StatusSources, link: HubLink, outbox: Outbox): HubSnapshot {
  const o = outbox.stats();
  const sp = src.spool?.stats();
  return {
    url: (src.hubUrl ?? '').replace(/\/\/[^/@]*@/, '//'), security: src.security, state: link.state, lastError: link.stats.lastError, upSinceMs: link.stats.upSinceMs,
    connects: link.stats.connects, samplesSent: link.stats.samplesSent, samplesAcked: o.ackedSamples, batchesSent: link.stats.batchesSent, batchesAcked: o.ackedBatches,
    backlog: { batches: o.batches, bytes: o.bytes, oldestSeq: o.oldestSeq, droppedSamples: o.droppedSamples },
    spool: sp ? {
      dir: src.spoolDir ?? '', segments: sp.segments, diskBytes: sp.diskBytes, memOnlyBatches: sp.memOnlyBatches,
      lostBatches: sp.lostBatches, writeErrors: sp.writeErrors, degraded: sp.degraded,
    } : null,
  };
}
