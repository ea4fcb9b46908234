// Runs a read plan through a device's client: one request per planned read, in order, with the
// profile's pause between requests. After a timeout or a lost connection the rest of the plan is
// skipped (Telegraf does the same): a device that does not answer then costs its line one
// timeout per poll, not one per request, and cannot hold up the other devices on a shared bus.
// Exceptions do not skip: the next block may well be readable. Used by the driver's poll and by
// `diag modbus read`.

import { sleep, type Clock } from '../../runtime/clock.js';
import type { ModbusClient } from '../modbus/client.js';
import { ModbusError, detailOf } from '../modbus/errors.js';
import type { PlannedRead } from '../modbus/plan.js';
import { pointValue } from './decode.js';
import type { ConcretePoint } from './expand.js';

export type PointOutcome =
  | { readonly ok: true; readonly value: number | string }
  | { readonly ok: false; readonly error: unknown; readonly detail: string };

export interface PlanOutcome {
  /** By point id, for every point of the plan. */
  readonly points: ReadonlyMap<number, PointOutcome>;
  /** Requests that failed or were skipped. */
  readonly failed: number;
  /** The last failure, "table address+count: code: message". */
  readonly error?: string;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly pauseMs: number;
  readonly clock: Clock;
}

function skipsRest(err: unknown): boolean {
  return err instanceof ModbusError && (err.code === 'modbus_timeout' || err.code === 'modbus_offline' || err.code === 'cancelled');
}

export async function runPlan(client: ModbusClient, plan: readonly PlannedRead[], points: readonly ConcretePoint[], o: RunOptions): Promise<PlanOutcome> {
  const out = new Map<number, PointOutcome>();
  let failed = 0;
  let error: string | undefined;
  let skip: { error: unknown; detail: string } | undefined;
  for (const [i, read] of plan.entries()) {
    if (skip) {
      failed++;
      for (const { id } of read.points) out.set(id, { ok: false, ...skip });
      continue;
    }
    if (i > 0) await sleep(o.clock, o.pauseMs, o.signal);
    let data: Uint8Array;
    try {
      data = await client.read(read.table, read.address, read.count, o.signal ? { signal: o.signal } : {});
    } catch (err) {
      failed++;
      const detail = detailOf(err);
      error = `${read.table} ${read.address}+${read.count}: ${detail}`;
      for (const { id } of read.points) out.set(id, { ok: false, error: err, detail });
      if (skipsRest(err)) skip = { error: err, detail: `skipped after ${detail}` };
      continue;
    }
    for (const { id, offset } of read.points) {
      try {
        out.set(id, { ok: true, value: pointValue(points[id] as ConcretePoint, data, offset) });
      } catch (err) {
        out.set(id, { ok: false, error: err, detail: (err as Error).message });
      }
    }
  }
  return error === undefined ? { points: out, failed } : { points: out, failed, error };
}
