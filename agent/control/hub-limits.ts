// What the hub has asked of the rack: a cap lease and grid events, validated against the local
// limits when they arrive. Local limits are never raised: a lease above the local cap, or longer
// than the local maximum, is refused (and the controller clamps again, independently). Times are
// counted on the agent's clock from receipt, so the hub's clock does not matter; a lease keeps
// running while the hub is unreachable and simply expires.

import type { GridEvent, Lease, Limits } from '../core/control/types.js';
import type { CircuitSpec } from '../core/rack.js';

export interface LimitOutcome {
  readonly status: 'ok' | 'rejected' | 'invalid';
  readonly message: string;
  readonly values?: Readonly<Record<string, number>>;
}

export interface LeaseRequest {
  readonly id: string;
  readonly kw: number;
  readonly ttlMs: number;
}

export interface GridRequest {
  readonly id: string;
  readonly targetKw: number;
  readonly startInMs: number;
  readonly durationMs: number;
  readonly cancel: boolean;
}

const finite = (x: number): boolean => typeof x === 'number' && Number.isFinite(x);

export class HubLimits {
  private lease: Lease | null = null;
  private grid: GridEvent[] = [];
  private gridSignalAtMs: number;

  constructor(
    private readonly local: { readonly rackKw: number | null; readonly maxLeaseTtlMs: number },
    startedAtMs: number,
  ) {
    // The stale-signal clock starts at agent start: a restart during an outage still curtails.
    this.gridSignalAtMs = startedAtMs;
  }

  setLease(r: LeaseRequest, now: number): LimitOutcome {
    if (!finite(r.kw) || r.kw <= 0) return { status: 'invalid', message: `kw must be a positive number (got ${r.kw})` };
    if (!finite(r.ttlMs) || r.ttlMs <= 0) return { status: 'invalid', message: `ttl_ms must be positive (got ${r.ttlMs})` };
    if (r.ttlMs > this.local.maxLeaseTtlMs) return { status: 'rejected', message: `lease of ${r.ttlMs} ms is longer than the local maximum ${this.local.maxLeaseTtlMs} ms` };
    if (this.local.rackKw !== null && r.kw > this.local.rackKw) {
      return { status: 'rejected', message: `lease of ${r.kw} kW is above the local cap ${this.local.rackKw} kW: local limits cannot be raised by the hub` };
    }
    this.lease = { id: r.id, kw: r.kw, expiresAtMs: now + r.ttlMs };
    return { status: 'ok', message: `lease ${r.id}: rack at most ${r.kw} kW for ${Math.round(r.ttlMs / 1000)} s`, values: { kw: r.kw, expires_at_ms: now + r.ttlMs } };
  }

  clearLease(id: string): LimitOutcome {
    const cur = this.lease;
    if (!cur || (id && id !== cur.id)) return { status: 'rejected', message: id ? `no lease ${id} in force` : 'no lease in force' };
    this.lease = null;
    return { status: 'ok', message: `lease ${cur.id} cleared: back to the local cap` };
  }

  gridEvent(r: GridRequest, now: number): LimitOutcome {
    if (r.cancel) {
      this.gridSignalAtMs = now;
      const before = this.grid.length;
      this.grid = r.id ? this.grid.filter((e) => e.id !== r.id) : [];
      return { status: 'ok', message: before === this.grid.length ? 'grid signal: normal operation' : `grid event${r.id ? ` ${r.id}` : 's'} cancelled` };
    }
    if (!r.id) return { status: 'invalid', message: 'event_id is required' };
    if (!finite(r.targetKw) || r.targetKw < 0) return { status: 'invalid', message: `target_kw must be ≥ 0 (got ${r.targetKw})` };
    if (!finite(r.startInMs) || r.startInMs < 0 || !finite(r.durationMs) || r.durationMs <= 0) return { status: 'invalid', message: 'start_in_ms must be ≥ 0 and duration_ms > 0' };
    this.gridSignalAtMs = now;
    const e: GridEvent = { id: r.id, targetKw: r.targetKw, deadlineMs: now + r.startInMs, endMs: now + r.startInMs + r.durationMs };
    this.grid = [...this.grid.filter((x) => x.id !== r.id && x.endMs > now), e];
    return { status: 'ok', message: `grid event ${r.id}: rack at most ${r.targetKw} kW in ${Math.round(r.startInMs / 1000)} s for ${Math.round(r.durationMs / 1000)} s`, values: { target_kw: r.targetKw, deadline_ms: e.deadlineMs, end_ms: e.endMs } };
  }

  limits(circuits: readonly CircuitSpec[], now: number): Limits {
    if (this.grid.some((e) => e.endMs <= now)) this.grid = this.grid.filter((e) => e.endMs > now);
    return { circuits, rackKw: this.local.rackKw, lease: this.lease, gridEvents: this.grid, gridSignalAtMs: this.gridSignalAtMs };
  }

  get currentLease(): Lease | null {
    return this.lease;
  }

  get gridEvents(): readonly GridEvent[] {
    return this.grid;
  }
}
