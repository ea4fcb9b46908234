// GPU power limits: set (clamped to the GPU's range), read back, watch, restore
// (shared/reference/gpu-and-host.md §2). Rules kept here:
//   - Clamp to [power.min_limit, power.max_limit] locally before sending `-pl`.
//   - Address a GPU by UUID, never by index (indexes shift when a GPU drops off the bus).
//   - Read the limit back after every set: a set that "worked" may come back raised (113 of 536
//     cap→restore pairs in Datura-ai/lium-io PR #1229), and the enforced limit may be lower than
//     the requested one (an out-of-band limiter).
//   - Watch the limit on every poll while a cap is held; a limit the driver raised back (driver
//     reload, GPU reset, someone else's nvidia-smi) is reported and, with `reapply`, set again.
//   - Remember what the limit was before rackpilot first changed it and put it back when the
//     cap ends (restore) and on shutdown. nvidia-smi has no "reset to default".
// Commands for one GPU run one at a time (a per-GPU queue); different GPUs run concurrently.

import type { Clock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/log.js';
import { execSummary } from '../../runtime/exec.js';
import type { ActuationResult } from '../types.js';
import { num } from './csv.js';
import { F } from './fields.js';
import { execFailure, NVIDIA_SMI_EXIT, type NvidiaSmiReader } from './reader.js';
import type { NvidiaSmiRunner } from './runner.js';
import type { GpuSlots } from './slots.js';

/** What "the original limit" is: the one found before the first change, or the card default. */
export type RestoreTo = 'startup' | 'default';

/** Per-GPU cap state, also sent as the `gpu.cap` series. */
export const CAP_STATE = { none: 0, held: 1, raisedBack: 2 } as const;

interface Cap {
  original?: number;
  /** The limit rackpilot wants while a cap is held. */
  want?: number;
  state: number;
  /** When the last write completed (monotonic ms): reads started before it predate the cap. */
  wroteAt: number;
  minW?: number;
  maxW?: number;
}

export interface GpuLimitsOptions {
  readonly device: string;
  readonly runner: NvidiaSmiRunner;
  /** A reader of LIMIT_FIELDS (one GPU at a time, by UUID). */
  readonly reader: NvidiaSmiReader;
  readonly slots: GpuSlots;
  readonly restoreTo: RestoreTo;
  readonly reapply: boolean;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Within this of the requested value a read-back counts as the same limit (nvidia-smi rounds). */
const TOLERANCE_W = 0.5;

export class GpuLimits {
  readonly stats = { sets: 0, setFailures: 0, raisedBack: 0, reapplied: 0, restores: 0 };
  private readonly caps: Cap[];
  private readonly queues: Promise<unknown>[];

  constructor(private readonly o: GpuLimitsOptions) {
    this.caps = Array.from({ length: o.slots.count }, () => ({ state: CAP_STATE.none, wroteAt: -Infinity }));
    this.queues = Array.from({ length: o.slots.count }, () => Promise.resolve());
  }

  capState(slot: number): number {
    return this.caps[slot]?.state ?? CAP_STATE.none;
  }

  /** The settable range last seen on this GPU, if known. */
  range(slot: number): { minW: number; maxW: number } | undefined {
    const c = this.caps[slot];
    return c?.minW !== undefined && c.maxW !== undefined ? { minW: c.minW, maxW: c.maxW } : undefined;
  }

  /** Sets the GPU's limit to `watts`, clamped to its range, and reads it back. */
  set(slot: number, watts: number, signal?: AbortSignal): Promise<ActuationResult> {
    return this.queue(slot, () => this.doSet(slot, watts, signal));
  }

  /** Puts back the limit the GPU had before rackpilot changed it (a no-op if it never did). */
  restore(slot: number, signal?: AbortSignal): Promise<ActuationResult> {
    return this.queue(slot, () => this.doRestore(slot, signal));
  }

  /** Restores every GPU rackpilot changed, concurrently (shutdown). */
  restoreAll(signal?: AbortSignal): Promise<ActuationResult[]> {
    return Promise.all(this.caps.map((c, slot) => (c.original === undefined ? undefined : this.restore(slot, signal))).filter((p) => p !== undefined));
  }

  /**
   * Called with each poll's view of a GPU (`startedMs`: monotonic time its read began): keeps
   * its range, and notices a held cap that came back higher than set. Never waits: a re-apply
   * is queued.
   */
  observe(slot: number, startedMs: number, v: { limitW: number | null; minW: number | null; maxW: number | null }): void {
    const c = this.caps[slot];
    if (!c) return;
    if (v.minW !== null) c.minW = v.minW;
    if (v.maxW !== null) c.maxW = v.maxW;
    const limitW = v.limitW;
    if (c.want === undefined || limitW === null || startedMs < c.wroteAt) return;
    if (limitW <= c.want + TOLERANCE_W) {
      if (c.state === CAP_STATE.raisedBack) c.state = CAP_STATE.held; // back under the cap
      return;
    }
    if (c.state === CAP_STATE.raisedBack) return; // already reported; a re-apply is queued or failed
    c.state = CAP_STATE.raisedBack;
    this.stats.raisedBack++;
    this.o.log.warn('GPU power limit raised back above the cap', { slot, uuid: this.o.slots.uuid(slot), capW: c.want, limitW, reapply: this.o.reapply });
    if (!this.o.reapply) return;
    const want = c.want;
    void this.queue(slot, async () => {
      if (c.want !== want) return; // restored or changed meanwhile
      this.stats.reapplied++;
      const r = await this.doSet(slot, want, undefined);
      this.o.log.info('GPU power limit re-applied', { slot, ok: r.ok, verified: r.verified, detail: r.detail });
    });
  }

  /** Waits for every queued command (close). */
  async idle(): Promise<void> {
    await Promise.all(this.queues);
  }

  private queue<T>(slot: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues[slot] ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.queues[slot] = next.catch(() => undefined);
    return next;
  }

  private async doSet(slot: number, watts: number, signal: AbortSignal | undefined): Promise<ActuationResult> {
    const uuid = this.o.slots.uuid(slot);
    if (uuid === undefined) return failed(`GPU ${slot} of ${this.o.device} has not been seen yet: no UUID to address it by`);
    const before = await this.readLimits(uuid, signal);
    if ('error' in before) return failed(`reading limits of GPU ${slot} before the set: ${before.error}`);
    const c = this.caps[slot] as Cap;
    const { limit, min, max, def } = before;
    if (min === null || max === null) return failed(`GPU ${slot} reports no power-limit range: power capping is not supported on it`);
    c.minW = min;
    c.maxW = max;
    const original = c.original ?? (this.o.restoreTo === 'default' ? def : limit);
    if (original === null) return failed(`GPU ${slot}: current/default limit unreadable, so it could not be restored later; not changing it`);
    const target = Math.min(max, Math.max(min, Math.round(watts * 100) / 100));
    const note = target !== watts ? ` (asked ${watts} W, clamped to ${min}–${max} W)` : '';
    const r = await this.write(slot, uuid, target, signal);
    if (!r.ok) return r;
    c.original = original;
    c.want = target;
    c.state = CAP_STATE.held;
    return this.verify(slot, uuid, target, note, signal);
  }

  private async doRestore(slot: number, signal: AbortSignal | undefined): Promise<ActuationResult> {
    const c = this.caps[slot] as Cap;
    const uuid = this.o.slots.uuid(slot);
    if (c.original === undefined || uuid === undefined) return { ok: true, verified: true, detail: `GPU ${slot}: limit was never changed by rackpilot` };
    this.stats.restores++;
    const original = c.original;
    const held = c.want;
    c.want = undefined; // stop watching for raises while restoring
    const r = await this.write(slot, uuid, original, signal);
    if (!r.ok) {
      c.want = held; // the cap is still in place; `original` stays, so shutdown retries the restore
      return r;
    }
    const v = await this.verify(slot, uuid, original, ' (restored)', signal);
    if (v.verified) {
      c.original = undefined;
      c.want = undefined;
      c.state = CAP_STATE.none;
    }
    return v;
  }

  private async write(slot: number, uuid: string, watts: number, signal: AbortSignal | undefined): Promise<ActuationResult> {
    this.stats.sets++;
    try {
      const res = await this.o.runner.run(['-i', uuid, '-pl', watts.toFixed(2)], signal, true);
      (this.caps[slot] as Cap).wroteAt = this.o.clock.monotonic();
      if (res.code === 0) return { ok: true, verified: false, detail: 'set' };
      this.stats.setFailures++;
      const why = res.code === 4
        ? '; -pl needs root: set setPrefix (e.g. ["sudo", "-n"]) or a privileged helper (docs/gpu.md)'
        : res.code !== null && NVIDIA_SMI_EXIT[res.code] ? `: ${NVIDIA_SMI_EXIT[res.code]}` : '';
      return failed(`GPU ${slot}: nvidia-smi -pl ${watts.toFixed(2)} failed: ${execSummary(res)}${why}`);
    } catch (err) {
      this.stats.setFailures++;
      return failed(`GPU ${slot}: nvidia-smi -pl: ${execFailure(err).message}`);
    }
  }

  private async verify(slot: number, uuid: string, target: number, note: string, signal: AbortSignal | undefined): Promise<ActuationResult> {
    const after = await this.readLimits(uuid, signal);
    if ('error' in after) return { ok: true, verified: false, detail: `GPU ${slot}: limit set to ${target} W${note}, read-back failed: ${after.error}`, observedW: null };
    const { limit, enforced } = after;
    const c = this.caps[slot] as Cap;
    const lower = enforced !== null && limit !== null && enforced < limit - TOLERANCE_W ? `; enforced ${enforced} W (a lower limiter, e.g. the BMC, is active)` : '';
    if (limit === null) return { ok: true, verified: false, detail: `GPU ${slot}: limit unreadable after the set${note}`, observedW: null };
    if (Math.abs(limit - target) <= TOLERANCE_W) return { ok: true, verified: true, detail: `GPU ${slot}: limit ${limit} W${note}${lower}`, observedW: limit };
    if (limit > target) {
      this.stats.raisedBack++;
      if (c.want !== undefined) c.state = CAP_STATE.raisedBack;
      this.o.log.warn('GPU power limit came back higher than set', { slot, uuid, setW: target, limitW: limit });
      return { ok: false, verified: false, detail: `GPU ${slot}: driver raised the limit back: set ${target} W${note}, reads ${limit} W${lower}`, observedW: limit };
    }
    return { ok: false, verified: false, detail: `GPU ${slot}: set ${target} W${note}, reads ${limit} W${lower}`, observedW: limit };
  }

  private async readLimits(uuid: string, signal: AbortSignal | undefined): Promise<{ limit: number | null; enforced: number | null; min: number | null; max: number | null; def: number | null } | { error: string }> {
    const r = await this.o.reader.read(signal, uuid);
    if (!r.ok) return { error: r.message };
    const row = r.rows[0];
    if (!row) return { error: `nvidia-smi listed no GPU ${uuid}` };
    return { limit: num(row[F.limit]), enforced: num(row[F.enforced]), min: num(row[F.minLimit]), max: num(row[F.maxLimit]), def: num(row[F.defaultLimit]) };
  }
}

function failed(detail: string): ActuationResult {
  return { ok: false, verified: false, detail };
}
