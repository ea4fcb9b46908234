// Builds TelemetryBatch messages from samples: columnar groups (one per timestamp), aliases
// delta-coded in ascending order, values as fixed-point integers, unknown values listed apart
// with their quality. The only place that turns readings into wire numbers.

import { encodeBatch, type pb } from '../../protocols/wire/codec.js';
import type { BadQuality, Sample } from '../core/reading.js';
import type { Catalog } from './catalog.js';

const QUALITY: Record<BadQuality, number> = {
  stale: 1,
  timeout: 2,
  device_error: 3,
  comm_error: 4,
  invalid: 5,
  unsupported: 6,
};

const SEVERITY = { info: 0, notice: 1, warning: 2, critical: 3 } as const;
export type Severity = keyof typeof SEVERITY;

/** An event as the agent produces it (a state change, fault or control decision). */
export interface AgentEvent {
  readonly timeMs: number;
  readonly severity: Severity;
  readonly type: string;
  readonly device?: string;
  readonly message: string;
  readonly values?: Readonly<Record<string, number>>;
  readonly attrs?: Readonly<Record<string, string>>;
}

export function eventToWire(e: AgentEvent): pb.IEvent {
  return {
    timeMs: e.timeMs,
    severity: SEVERITY[e.severity],
    type: e.type,
    device: e.device ?? '',
    message: e.message,
    values: { ...(e.values ?? {}) },
    attrs: { ...(e.attrs ?? {}) },
  };
}

export interface BuiltBatch {
  readonly seq: number;
  readonly bytes: Uint8Array;
  /** Numeric samples with a value. */
  readonly samples: number;
  /** Samples sent as missing (unknown, with a quality). */
  readonly missing: number;
  readonly events: number;
  readonly baseTimeMs: number;
  /** The catalog the batch's aliases refer to (the disk spool keeps that catalog with it). */
  readonly catalogVersion?: number;
}

const MAX_WIRE_INT = Number.MAX_SAFE_INTEGER;

export class BatchBuilder {
  private groups: pb.ISampleGroup[] = [];
  private events: pb.IEvent[] = [];
  private baseTimeMs: number | undefined;
  private samples = 0;
  private missing = 0;
  /** Samples whose series is not in the catalog (a driver bug); counted, never sent. */
  unknownSeries = 0;

  constructor(private catalog: Catalog) {}

  setCatalog(c: Catalog): void {
    this.catalog = c;
  }

  get empty(): boolean {
    return this.groups.length === 0 && this.events.length === 0;
  }

  get pendingSamples(): number {
    return this.samples + this.missing;
  }

  /** Adds the samples of one poll, all stamped `timeMs`. */
  addGroup(timeMs: number, samples: readonly Sample[]): void {
    // Aliases and values in parallel arrays (a driver's samples come in catalog order, so
    // sorting is rarely needed): this runs for every sample every second.
    const good = new Pairs();
    const bad = new Pairs();
    for (const s of samples) {
      const e = this.catalog.byKey.get(s.key);
      if (!e) {
        this.unknownSeries++;
        continue;
      }
      const r = s.reading;
      if (r.quality !== 'ok') {
        bad.push(e.alias, QUALITY[r.quality]);
        continue;
      }
      const v = Math.round(r.value * e.factor);
      if (!Number.isFinite(v) || Math.abs(v) > MAX_WIRE_INT) bad.push(e.alias, QUALITY.invalid);
      else good.push(e.alias, v);
    }
    if (!good.keys.length && !bad.keys.length) return;
    good.sort();
    bad.sort();
    this.baseTimeMs ??= timeMs;
    this.groups.push({
      timeOffsetMs: timeMs - this.baseTimeMs,
      aliasDeltas: deltas(good.keys),
      values: good.values,
      missingAliasDeltas: deltas(bad.keys),
      missingQuality: bad.values,
    });
    this.samples += good.keys.length;
    this.missing += bad.keys.length;
  }

  addEvent(e: AgentEvent): void {
    this.baseTimeMs ??= e.timeMs;
    this.events.push(eventToWire(e));
  }

  /** Encodes what was added as batch `seq` and starts a new batch. */
  build(seq: number): BuiltBatch {
    const baseTimeMs = this.baseTimeMs ?? 0;
    const bytes = encodeBatch({
      seq,
      catalogVersion: this.catalog.version,
      baseTimeMs,
      groups: this.groups,
      events: this.events,
    });
    const out: BuiltBatch = { seq, bytes, samples: this.samples, missing: this.missing, events: this.events.length, baseTimeMs, catalogVersion: this.catalog.version };
    this.groups = [];
    this.events = [];
    this.baseTimeMs = undefined;
    this.samples = 0;
    this.missing = 0;
    return out;
  }
}

/** (alias, value) pairs as two arrays, sorted by alias on request (only if out of order). */
class Pairs {
  keys: number[] = [];
  values: number[] = [];
  private sorted = true;

  push(key: number, value: number): void {
    const last = this.keys[this.keys.length - 1];
    if (last !== undefined && key < last) this.sorted = false;
    this.keys.push(key);
    this.values.push(value);
  }

  sort(): void {
    if (this.sorted) return;
    const order = this.keys.map((_, i) => i).sort((a, b) => (this.keys[a] as number) - (this.keys[b] as number));
    this.keys = order.map((i) => this.keys[i] as number);
    this.values = order.map((i) => this.values[i] as number);
    this.sorted = true;
  }
}

function deltas(sorted: readonly number[]): number[] {
  const out = new Array<number>(sorted.length);
  let prev = 0;
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i] as number;
    out[i] = a - prev;
    prev = a;
  }
  return out;
}
