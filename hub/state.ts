// The hub's view of its agents: identity, catalogs, deduplication by (agent, stream, seq), the
// latest value of every series (from live batches only; historical batches are stored, never
// taken as current), and recent events. Pure data handling, no sockets.

import { pb } from '../protocols/wire/codec.js';

export interface SeriesInfo {
  readonly alias: number;
  readonly device: string;
  readonly quantity: string;
  readonly channel: string;
  readonly unit: string;
  readonly scaleExp: number;
  readonly kind: number;
}

export interface LatestValue {
  readonly value: number | null;
  readonly timeMs: number;
  /** "ok" or the reason the value is unknown. */
  readonly quality: string;
}

export interface StoredEvent {
  readonly timeMs: number;
  readonly severity: string;
  readonly type: string;
  readonly device: string;
  readonly message: string;
  readonly values: Record<string, number>;
  readonly attrs: Record<string, string>;
}

const QUALITY_NAMES = ['unspecified', 'stale', 'timeout', 'device_error', 'comm_error', 'invalid', 'unsupported'];
const SEVERITY_NAMES = ['info', 'notice', 'warning', 'critical'];
const MAX_EVENTS = 200;
/** Out-of-order seqs remembered above the watermark before the oldest are given up on. */
const MAX_ABOVE = 100_000;

/**
 * Exactly-once bookkeeping for one agent stream: everything ≤ watermark is stored. `durable` is
 * the part of that the hub has made durable (its journal fsynced); acks never go beyond it.
 */
export class SeqWindow {
  watermark = 0;
  durable = 0;
  private readonly above = new Set<number>();

  /** Seqs received above the watermark (for snapshots). */
  get pending(): number[] {
    return [...this.above];
  }

  /** A window as a snapshot saved it: everything it held is durable. */
  static restore(watermark: number, pending: readonly number[]): SeqWindow {
    const w = new SeqWindow();
    w.watermark = watermark;
    w.durable = watermark;
    for (const p of pending) w.above.add(p);
    return w;
  }

  markDurable(upto: number): void {
    if (upto > this.durable) this.durable = Math.min(upto, this.watermark);
  }

  /** Returns false for a duplicate; otherwise records the seq. */
  accept(seq: number): boolean {
    if (seq <= this.watermark || this.above.has(seq)) return false;
    if (seq === this.watermark + 1) {
      this.watermark = seq;
      while (this.above.delete(this.watermark + 1)) this.watermark++;
    } else {
      this.above.add(seq);
      if (this.above.size > MAX_ABOVE) {
        let min = Infinity;
        for (const x of this.above) if (x < min) min = x;
        this.skipTo(min - 1);
      }
    }
    return true;
  }

  /** The agent no longer holds anything below `seq` (Hello.oldest_unacked_seq): close the gap. */
  skipTo(seq: number): void {
    if (seq <= this.watermark) return;
    this.watermark = seq;
    for (const s of this.above) if (s <= seq) this.above.delete(s);
    while (this.above.delete(this.watermark + 1)) this.watermark++;
  }
}

export interface BatchOutcome {
  readonly duplicate: boolean;
  readonly samples: number;
  readonly missing: number;
  readonly events: number;
}

export class RackRecord {
  hello: pb.Hello;
  connected = false;
  connectedSinceMs = 0;
  lastSeenMs = 0;
  readonly catalogs = new Map<number, Map<number, SeriesInfo>>();
  readonly streams = new Map<number, SeqWindow>();
  readonly latest = new Map<string, LatestValue>();
  readonly events: StoredEvent[] = [];
  readonly counters = { batches: 0, historicalBatches: 0, duplicates: 0, samples: 0, missing: 0, events: 0, unknownAliases: 0, undecodableBatches: 0 };

  constructor(hello: pb.Hello) {
    this.hello = hello;
    this.applyHello(hello);
  }

  get id(): string {
    return this.hello.rackId;
  }

  /** Records a (re)birth: catalogs, stream, and the gap the agent can no longer fill. */
  applyHello(h: pb.Hello): void {
    this.hello = h;
    this.addCatalog(h.catalogVersion, h.series as pb.SeriesDef[]);
    for (const c of h.previousCatalogs as pb.Catalog[]) if (!this.catalogs.has(c.version)) this.addCatalog(c.version, c.series as pb.SeriesDef[]);
    const win = this.stream(h.streamId);
    if (h.oldestUnackedSeq > 0) win.skipTo(h.oldestUnackedSeq - 1);
  }

  private addCatalog(version: number, series: readonly pb.SeriesDef[]): void {
    const cat = new Map<number, SeriesInfo>();
    for (const s of series) {
      cat.set(s.alias, { alias: s.alias, device: s.device, quantity: s.quantity, channel: s.channel, unit: s.unit, scaleExp: s.scaleExp, kind: s.kind });
    }
    this.catalogs.set(version, cat);
  }

  stream(id: number): SeqWindow {
    let w = this.streams.get(id);
    if (!w) {
      w = new SeqWindow();
      this.streams.set(id, w);
    }
    return w;
  }

  /**
   * Stores a batch of the current stream. Throws on an unknown catalog (caller asks for rebirth);
   * a batch without samples needs no catalog (the agent's placeholder for a seq it lost).
   */
  applyBatch(b: pb.TelemetryBatch): BatchOutcome {
    let cat = this.catalogs.get(b.catalogVersion) ?? (b.groups.length ? undefined : new Map<number, SeriesInfo>());
    if (!cat && !b.historical) throw new UnknownCatalogError(b.catalogVersion);
    if (!cat) {
      // Backfill whose catalog the agent no longer has either (Hello.previous_catalogs lacks it):
      // no rebirth can fix that. Stored as undecodable so the window moves on, and said loudly.
      cat = new Map<number, SeriesInfo>();
      this.counters.undecodableBatches++;
      this.pushEvent({ timeMs: b.baseTimeMs, severity: 'critical', type: 'hub.undecodable', device: '', message: `historical batch seq ${b.seq} refers to catalog ${b.catalogVersion}, which neither the hub nor the agent has; its samples cannot be decoded`, values: { seq: b.seq }, attrs: {} });
    }
    const win = this.stream(this.hello.streamId);
    if (!win.accept(b.seq)) {
      this.counters.duplicates++;
      return { duplicate: true, samples: 0, missing: 0, events: 0 };
    }
    this.counters.batches++;
    if (b.historical) this.counters.historicalBatches++;
    let samples = 0;
    let missing = 0;
    for (const g of b.groups as pb.SampleGroup[]) {
      const t = b.baseTimeMs + g.timeOffsetMs;
      let alias = 0;
      g.aliasDeltas.forEach((d, i) => {
        alias += d;
        samples++;
        const s = cat.get(alias);
        if (!s) {
          this.counters.unknownAliases++;
          return;
        }
        if (!b.historical) this.setLatest(s, { value: (g.values[i] ?? 0) * 10 ** s.scaleExp, timeMs: t, quality: 'ok' });
      });
      alias = 0;
      g.missingAliasDeltas.forEach((d, i) => {
        alias += d;
        missing++;
        const s = cat.get(alias);
        if (!s) {
          this.counters.unknownAliases++;
          return;
        }
        if (!b.historical) this.setLatest(s, { value: null, timeMs: t, quality: QUALITY_NAMES[g.missingQuality[i] ?? 0] ?? 'unspecified' });
      });
    }
    for (const e of b.events as pb.Event[]) {
      this.pushEvent({
        timeMs: e.timeMs, severity: SEVERITY_NAMES[e.severity] ?? 'info', type: e.type, device: e.device, message: e.message,
        values: { ...e.values }, attrs: { ...e.attrs },
      });
    }
    this.counters.samples += samples;
    this.counters.missing += missing;
    this.counters.events += b.events.length;
    return { duplicate: false, samples, missing, events: b.events.length };
  }

  private pushEvent(e: StoredEvent): void {
    this.events.push(e);
    if (this.events.length > MAX_EVENTS) this.events.shift();
  }

  /** What the hub acks for the current stream: stored and durable. */
  ackedUpto(): number {
    return this.stream(this.hello.streamId).durable;
  }

  private setLatest(s: SeriesInfo, v: LatestValue): void {
    const key = s.channel ? `${s.device}/${s.quantity}/${s.channel}` : `${s.device}/${s.quantity}`;
    const prev = this.latest.get(key);
    if (prev && prev.timeMs > v.timeMs) return;
    this.latest.set(key, v);
  }

  /** Rack power: the sum of the PDUs'/meters' inlet power, null when any is unknown. */
  powerW(): number | null {
    let sum = 0;
    let any = false;
    for (const d of this.hello.devices as pb.Device[]) {
      if (d.kind !== pb.DeviceKind.DEVICE_KIND_PDU && d.kind !== pb.DeviceKind.DEVICE_KIND_METER) continue;
      const v = this.latest.get(`${d.id}/inlet.power`);
      if (!v || v.value === null) return null;
      sum += v.value;
      any = true;
    }
    return any ? sum : null;
  }

  /** JSON view for the API. */
  toJSON(detail: boolean): Record<string, unknown> {
    const cat = this.catalogs.get(this.hello.catalogVersion);
    const units = new Map<string, string>();
    if (cat) for (const s of cat.values()) units.set(s.channel ? `${s.device}/${s.quantity}/${s.channel}` : `${s.device}/${s.quantity}`, s.unit);
    const base: Record<string, unknown> = {
      rack: this.hello.rackId,
      site: this.hello.siteId,
      agent: this.hello.agentId,
      version: this.hello.softwareVersion,
      connected: this.connected,
      lastSeenMs: this.lastSeenMs,
      powerW: this.powerW(),
      devices: (this.hello.devices as pb.Device[]).map((d) => ({ id: d.id, kind: d.kind, model: d.model, address: d.address })),
      series: this.hello.series.length,
      ackedUpto: this.ackedUpto(),
      counters: { ...this.counters },
    };
    if (detail) {
      base['latest'] = Object.fromEntries([...this.latest].map(([k, v]) => [k, { ...v, unit: units.get(k) ?? '' }]));
      base['events'] = this.events.slice(-50);
    }
    return base;
  }
}

export class UnknownCatalogError extends Error {
  constructor(readonly version: number) {
    super(`batch refers to unknown catalog version ${version}`);
    this.name = 'UnknownCatalogError';
  }
}

/** Why a Hello is unacceptable, or undefined. */
export function checkHello(h: pb.Hello): string | undefined {
  if (!h.agentId || !h.rackId) return 'Hello needs agent_id and rack_id';
  if (!(h.streamId > 0)) return 'Hello needs a stream_id';
  const aliases = new Set<number>();
  for (const s of h.series as pb.SeriesDef[]) {
    if (!(s.alias > 0)) return `series ${s.device}/${s.quantity} has alias 0`;
    if (aliases.has(s.alias)) return `alias ${s.alias} declared twice`;
    aliases.add(s.alias);
  }
  return undefined;
}

/** Why a batch is malformed (columns that disagree), or undefined. */
export function checkBatch(b: pb.TelemetryBatch): string | undefined {
  if (!(b.seq > 0)) return 'batch without seq';
  for (const [i, g] of (b.groups as pb.SampleGroup[]).entries()) {
    if (g.values.length !== g.aliasDeltas.length) return `group ${i}: ${g.aliasDeltas.length} aliases but ${g.values.length} values`;
    if (g.missingQuality.length !== g.missingAliasDeltas.length) return `group ${i}: missing aliases and qualities differ in count`;
  }
  return undefined;
}
