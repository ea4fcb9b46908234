// The `control:` section of rack.yaml: the power-cap controller's limits, thresholds, trip curve,
// restore pacing and fail-safe policies (docs/config.md, docs/control.md). Every key has a
// default, so `control:` may be omitted entirely.

import type { ControlParams } from '../core/control/types.js';
import { loadShape } from './common.js';
import { s, type Infer, type Shape } from './shape.js';

/** An object shape whose default is itself with every field defaulted. */
function defaulted<T>(shape: Shape<T>): Shape<T> {
  return shape.default(shape.parse({}));
}

const thresholds = defaulted(s.object({
  /** Shed above this fraction of a safe limit… */
  high: s.number({ min: 0.5, max: 1.2 }).default(0.98),
  /** …restore only after the value stayed below this one… */
  low: s.number({ min: 0.5, max: 1.2 }).default(0.96),
  /** …and aim here after shedding or filling. */
  target: s.number({ min: 0.5, max: 1.2 }).default(0.94),
}).refine((t) => (t.target < t.low && t.low < t.high ? undefined : `must satisfy target < low < high (got ${t.target}, ${t.low}, ${t.high})`)));

const tripCurve = defaulted(s.object({
  toleranceS: s.number({ min: 0, max: 3600, unit: 's' }).default(10),
  atRatio: s.number({ min: 1, max: 2 }).default(1.05),
  instantRatio: s.number({ min: 1, max: 3 }).default(1.1),
  coolS: s.number({ min: 1, max: 3600, unit: 's' }).default(60),
}).refine((t) => (t.instantRatio > t.atRatio ? undefined : 'instantRatio must be above atRatio')));

const restore = defaulted(s.object({
  minDelayMs: s.int({ min: 0, max: 3_600_000, unit: 'ms' }).default(1000),
  maxDelayMs: s.int({ min: 0, max: 3_600_000, unit: 'ms' }).default(10_000),
  rampPctPerS: s.number({ min: 0.1, max: 100, unit: '%/s' }).default(10),
  rackRampWPerS: s.number({ min: 10, max: 1_000_000, unit: 'W/s' }).default(3000),
  batch: s.int({ min: 1, max: 1000 }).default(2),
  batchIntervalMs: s.int({ min: 0, max: 3_600_000, unit: 'ms' }).default(5000),
  outletCooldownMs: s.int({ min: 0, max: 86_400_000, unit: 'ms' }).default(600_000),
  /** Outlets switched back on are spaced at least this far apart per PDU. */
  inrushGuardMs: s.int({ min: 0, max: 60_000, unit: 'ms' }).default(100),
}).refine((r) => (r.minDelayMs <= r.maxDelayMs ? undefined : 'minDelayMs must not exceed maxDelayMs')));

const failsafe = defaulted(s.object({
  staleAfterMs: s.int({ min: 500, max: 600_000, unit: 'ms' }).default(3000),
  historyHalfLifeS: s.number({ min: 1, max: 86_400, unit: 's' }).default(600),
}));

const grid = defaulted(s.object({
  staleAfterMs: s.int({ min: 1000, max: 86_400_000, unit: 'ms' }).default(240_000),
  onStale: s.enum(['ignore', 'curtail'] as const).default('ignore'),
  curtailKw: s.number({ min: 0, max: 100_000, unit: 'kW' }).default(0),
  rampMs: s.int({ min: 0, max: 3_600_000, unit: 'ms' }).default(60_000),
}));

const verify = defaulted(s.object({
  graceMs: s.int({ min: 0, max: 600_000, unit: 'ms' }).default(2000),
  tolerancePct: s.number({ min: 0, max: 100, unit: '%' }).default(5),
  toleranceW: s.number({ min: 0, max: 10_000, unit: 'W' }).default(50),
  /** An actuator command still running this long after its settle time is aborted (failed). */
  commandTimeoutMs: s.int({ min: 100, max: 120_000, unit: 'ms' }).default(10_000),
}));

const leases = defaulted(s.object({
  /** Longest lease the hub may grant; longer ones are refused. */
  maxTtlMs: s.int({ min: 1000, max: 7 * 86_400_000, unit: 'ms' }).default(3_600_000),
}));

export const controlShape = defaulted(s.object({
  enabled: s.boolean().default(true),
  /** The rack's local cap, kW. Hub leases and grid events may lower it, never raise it. */
  rackKw: s.number({ min: 0.1, max: 100_000, unit: 'kW' }).opt(),
  thresholds,
  tripCurve,
  /** Extra shed, × the excess, at or above tripCurve.instantRatio. */
  urgentGain: s.number({ min: 1, max: 5 }).default(1.5),
  /** An urgent cut counts only on reductions expected within this time (slower ones still go out). */
  urgentSettleMs: s.int({ min: 1000, max: 600_000, unit: 'ms' }).default(10_000),
  restore,
  failsafe,
  grid,
  verify,
  leases,
  /** Loads no driver describes: infrastructure that is never shed, or loads on switched outlets. */
  loads: s.array(s.object({ id: s.id(), load: loadShape('infrastructure') }), { max: 1024 }).default([]),
}));

export type ControlConfig = Infer<typeof controlShape>;

export function controlParams(c: ControlConfig): ControlParams {
  return {
    thresholds: c.thresholds,
    trip: c.tripCurve,
    urgentGain: c.urgentGain,
    urgentSettleMs: c.urgentSettleMs,
    restore: {
      minDelayMs: c.restore.minDelayMs, maxDelayMs: c.restore.maxDelayMs, rampFracPerS: c.restore.rampPctPerS / 100,
      rackRampWPerS: c.restore.rackRampWPerS, batch: c.restore.batch, batchIntervalMs: c.restore.batchIntervalMs, outletCooldownMs: c.restore.outletCooldownMs,
    },
    failsafe: c.failsafe,
    grid: c.grid,
    verify: { graceMs: c.verify.graceMs, toleranceFrac: c.verify.tolerancePct / 100, toleranceW: c.verify.toleranceW },
  };
}
