// The power-cap controller: step(state, observations, limits, now) → {state, actions, events}.
// Pure: no I/O, no timers, no clock; the same inputs always give the same outputs (restore
// jitter comes from a seeded generator kept in the state). The agent calls it after every poll
// cycle and hands the actions to actuators (agent/control/). docs/control.md has the model.
//
// One step:
//   1. take the loads' draws from the observations (and their decaying peak: the history)
//   2. verify earlier commands (escalate what did not take effect; re-send what drifted)
//   3. the rack budget in force (local cap, lease, grid, stale grid signal)
//   4. constraint views: measured, held, or estimated when blind
//   5. thresholds and the trip curve: which constraints act, arming and hold
//   6. shed where acting; 7. restore where allowed

import { buildViews } from './constraints.js';
import { rackBudget } from './limits.js';
import { restore } from './restore.js';
import { shed } from './shed.js';
import { assess } from './trip.js';
import type { ControllerSpec, ControllerState, LoadState, Limits, Observations, StepResult } from './types.js';
import { verify } from './verify.js';
import type { Work } from './work.js';

const MAX_DT_S = 5;

export function createController(spec: ControllerSpec, seed = 1): ControllerState {
  const ids = new Set<string>();
  for (const l of spec.loads) {
    if (ids.has(l.id)) throw new Error(`controller: load ${l.id} described twice`);
    ids.add(l.id);
  }
  const { thresholds: t } = spec.params;
  if (!(t.target < t.low && t.low < t.high)) throw new Error('controller: thresholds must satisfy target < low < high');
  const loads = new Map<string, LoadState>(spec.loads.map((l) => [l.id, {
    mode: 'free', setpointW: null, pending: null, unresponsive: false, outletFailed: false, drawW: null, drawAtMs: 0, peakW: 0, jPerTH: null, changedMs: 0, notBeforeMs: 0,
  }]));
  return {
    spec, specById: new Map(spec.loads.map((l) => [l.id, l])), loads, constraints: new Map(), budget: { watts: null, source: 'none yet' }, gridRamps: new Map(), gridStale: false,
    restoreBatch: { startMs: -Infinity, count: 0 }, rng: seed >>> 0, lastStepMs: null,
  };
}

/**
 * The same controller with a new description of its loads (an actuator's range became known,
 * say): what it did to each load is kept; new loads start free.
 */
export function withSpec(state: ControllerState, spec: ControllerSpec): ControllerState {
  const fresh = createController(spec, state.rng);
  const loads = new Map(fresh.loads);
  for (const id of loads.keys()) {
    const prev = state.loads.get(id);
    if (prev) loads.set(id, prev);
  }
  return { ...state, spec, specById: fresh.specById, loads };
}

function observeLoads(w: Work, obs: Observations): void {
  const decay = w.dtS > 0 ? Math.pow(0.5, w.dtS / Math.max(1, w.params.failsafe.historyHalfLifeS)) : 1;
  for (const [id, l] of w.loads) {
    const o = obs.loads.get(id);
    const v = o && o.power.quality === 'ok' && o.power.value !== null && Number.isFinite(o.power.value) ? Math.max(0, o.power.value) : null;
    const jPerTH = o?.jPerTH !== undefined && o.jPerTH !== null && Number.isFinite(o.jPerTH) && o.jPerTH > 0 ? o.jPerTH : l.jPerTH;
    w.loads.set(id, {
      ...l, drawW: v, drawAtMs: v === null ? l.drawAtMs : w.now - (o?.power.ageMs ?? 0), jPerTH,
      peakW: Math.max(v ?? 0, l.peakW * decay),
    });
  }
}

export function step(state: ControllerState, obs: Observations, limits: Limits, now: number): StepResult {
  const { spec } = state;
  const dtS = state.lastStepMs === null ? 0 : Math.min(MAX_DT_S, Math.max(0, (now - state.lastStepMs) / 1000));
  const w: Work = {
    specs: state.specById, params: spec.params, now, dtS,
    loads: new Map(state.loads), actions: new Map(), events: [], rng: state.rng,
  };
  observeLoads(w, obs);
  verify(w, obs.outcomes);
  const rackW = obs.rackPowerW.quality === 'ok' ? obs.rackPowerW.value : null;
  const b = rackBudget(state, limits, spec.params, rackW, now);
  w.events.push(...b.events);
  const { views, states } = buildViews(w, state.constraints, limits.circuits, b.budget, obs);
  const assessed = assess(w, views, states);
  shed(w, assessed, states);
  const restoreBatch = restore(w, assessed, state.restoreBatch, (id) => states.get(id)?.armed ?? false);
  return {
    state: {
      spec, specById: state.specById, loads: w.loads, constraints: states, budget: b.budget, gridRamps: b.gridRamps, gridStale: b.gridStale,
      restoreBatch, rng: w.rng, lastStepMs: now,
    },
    actions: [...w.actions.values()],
    events: w.events,
  };
}
