// Constraints as seen in one step: every circuit (phase current against breaker × continuous
// factor) and the rack (power against the budget), with the value to regulate on. A fresh reading
// is used as is; an unknown one is held at its last good value for up to failsafe.staleAfterMs;
// beyond that the constraint goes blind and is estimated from history and nameplate (unknown is
// never zero: a load with no reading counts at its worst case).

import type { CircuitSpec } from '../rack.js';
import type { Budget } from './limits.js';
import type { ConstraintState, LoadSpec, LoadState, Measured, Observations } from './types.js';
import { RACK } from './types.js';
import { emit, kw, worstCaseW, type Work } from './work.js';

export interface View {
  readonly id: string;
  readonly kind: 'circuit' | 'rack';
  readonly unit: 'A' | 'W';
  /** The value regulated on, in `unit`. */
  readonly value: number;
  /** The safe limit in `unit`: breaker × continuous factor, or the rack budget. */
  readonly limit: number;
  /** Watts per unit: converts an excess in amps to the watts that must be shed. */
  readonly wPerUnit: number;
  /** Loads certainly on it / loads that may be on it (phase unknown). */
  readonly members: readonly string[];
  readonly maybe: readonly string[];
  readonly source: 'measured' | 'held' | 'estimated';
  /** How much the value rose since the previous reading (0 when it fell or is not measured). */
  readonly rise: number;
  readonly breakerA?: number;
}

const NOMINAL_V = 230;
/** Readings further apart than this give no rise (a gap in telemetry is not a trend). */
const MAX_RISE_GAP_MS = 2500;

export const INITIAL_CONSTRAINT: ConstraintState = {
  heat: 0, armed: false, belowLowSinceMs: null, holdMs: 0, lastGood: null, blind: false, baselineW: 0, tolerating: false, exhausted: false,
};

function good(m: Measured | undefined): number | null {
  return m && m.quality === 'ok' && m.value !== null && Number.isFinite(m.value) ? m.value : null;
}

/**
 * What a load draws for the estimate of a blind constraint: its setpoint when it follows
 * commands, else its own fresh reading, else its recent peak (the history), else its nameplate.
 */
function estimateW(s: LoadSpec, l: LoadState): number {
  if (l.mode !== 'free' && !l.unresponsive && l.setpointW !== null) return l.setpointW;
  return l.drawW ?? (l.peakW > 0 ? l.peakW : worstCaseW(s, l));
}

interface Resolved {
  readonly view: View;
  readonly state: ConstraintState;
}

function resolve(w: Work, base: Omit<View, 'value' | 'source' | 'rise'>, m: Measured | undefined, prev: ConstraintState): Resolved {
  const measured = good(m);
  const sumKnown = (ids: readonly string[]): number | null => {
    let sum = 0;
    for (const id of ids) {
      const d = w.loads.get(id)?.drawW;
      if (d === undefined || d === null) return null;
      sum += d;
    }
    return sum;
  };
  if (measured !== null) {
    const known = sumKnown(base.members);
    const baselineW = known === null ? prev.baselineW : Math.max(0, measured * base.wPerUnit - known);
    if (prev.blind) emit(w, { severity: 'info', type: 'control.failsafe_end', device: base.id, message: `${base.id} readings are back (${measured.toFixed(1)} ${base.unit}): regulating on measurements again` });
    const lastGood = { value: measured, atMs: w.now - (m?.ageMs ?? 0) };
    // The rise over the last reading interval (a ramp caught mid-way goes on rising).
    const recent = prev.lastGood && lastGood.atMs - prev.lastGood.atMs <= MAX_RISE_GAP_MS;
    const rise = recent && prev.lastGood ? Math.max(0, measured - prev.lastGood.value) : 0;
    return { view: { ...base, value: measured, source: 'measured', rise }, state: { ...prev, lastGood, blind: false, baselineW } };
  }
  if (prev.lastGood && w.now - prev.lastGood.atMs <= w.params.failsafe.staleAfterMs) {
    return { view: { ...base, value: prev.lastGood.value, source: 'held', rise: 0 }, state: prev };
  }
  let estW = prev.baselineW;
  for (const id of [...base.members, ...base.maybe]) estW += estimateW(w.specs.get(id) as LoadSpec, w.loads.get(id) as LoadState);
  const value = estW / base.wPerUnit;
  if (!prev.blind) {
    const age = prev.lastGood ? `${((w.now - prev.lastGood.atMs) / 1000).toFixed(1)} s` : 'ever';
    emit(w, {
      severity: 'warning', type: 'control.failsafe', device: base.id,
      message: `${base.id} reading unknown for ${age}${m ? ` (${m.quality})` : ''}: estimating ${Number.isFinite(value) ? value.toFixed(1) : 'unbounded'} ${base.unit} from history and nameplate; restores held, miners shed to fit`,
      values: Number.isFinite(value) ? { estimate: value, limit: base.limit } : { limit: base.limit },
    });
  }
  return { view: { ...base, value, source: 'estimated', rise: 0 }, state: { ...prev, blind: true } };
}

function circuitBase(c: CircuitSpec, obs: Observations, specs: readonly LoadSpec[]): Omit<View, 'value' | 'source' | 'rise'> {
  const o = obs.circuits.get(c.id);
  const p = good(o?.powerW);
  const i = good(o?.current);
  const v = good(o?.voltageV);
  const wPerUnit = p !== null && i !== null && i > 0.5 && p > 0 ? Math.min(p / i, v ?? NOMINAL_V * 1.1) : (v ?? NOMINAL_V);
  return {
    id: c.id, kind: 'circuit', unit: 'A', limit: c.breakerA * c.continuousFactor, wPerUnit, breakerA: c.breakerA,
    members: specs.filter((s) => s.circuits.includes(c.id)).map((s) => s.id),
    maybe: specs.filter((s) => s.maybeCircuits.includes(c.id)).map((s) => s.id),
  };
}

/** Builds this step's constraint views and the constraints' next state (events on blind changes). */
export function buildViews(
  w: Work, prev: ReadonlyMap<string, ConstraintState>, circuits: readonly CircuitSpec[], budget: Budget, obs: Observations,
): { views: View[]; states: Map<string, ConstraintState> } {
  const specs = [...w.specs.values()];
  const views: View[] = [];
  const states = new Map<string, ConstraintState>();
  for (const c of circuits) {
    const r = resolve(w, circuitBase(c, obs, specs), obs.circuits.get(c.id)?.current, prev.get(c.id) ?? INITIAL_CONSTRAINT);
    views.push(r.view);
    states.set(c.id, r.state);
  }
  // The rack is tracked even without a budget, so a budget that appears (a lease, a grid event)
  // starts from the rack's history, not from nothing.
  const base = { id: RACK, kind: 'rack' as const, unit: 'W' as const, limit: budget.watts ?? Infinity, wPerUnit: 1, members: specs.map((s) => s.id), maybe: [] };
  const quiet = budget.watts === null ? { ...w, events: [] } : w;
  const r = resolve(quiet, base, obs.rackPowerW, prev.get(RACK) ?? INITIAL_CONSTRAINT);
  states.set(RACK, r.state);
  if (budget.watts !== null) views.push(r.view);
  return { views, states };
}

export function describeView(v: View): string {
  const fmt = (x: number): string => (v.unit === 'W' ? kw(x) : `${x.toFixed(1)} A`);
  const src = v.source === 'measured' ? '' : v.source === 'held' ? ' (held: reading late)' : ' (estimated: reading stale)';
  return `${v.id} at ${fmt(v.value)}${src} of ${fmt(v.limit)} (${Math.round((v.value / v.limit) * 100)} %)`;
}
