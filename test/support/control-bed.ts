// The controller's property-test bed: the pure controller (agent/core/control) stepping on the
// readings of hw-sim's pure physics, in-process and deterministic. Actions reach the physics
// after a per-kind command latency, one at a time per load (as the agent's runner sends them),
// and the physics then moves with the loads' own lags; scenario faults (telemetry loss, a load
// ignoring commands) act as on the wire. Nothing here is mocked: it is the pure core tested
// against the pure model. Used by test/unit/control-*.test.ts and bench/sections/control.ts.

import { createController, step } from '../../agent/core/control/step.js';
import type { ControlAction, ControlEvent, ControllerState, ControlParams, GridEvent, Lease, LoadClass, LoadSpec, Measured, Observations } from '../../agent/core/control/types.js';
import type { CircuitSpec } from '../../agent/core/rack.js';
import { controlParams, controlShape } from '../../agent/config/control.js';
import { pduReadings } from '../../hw-sim/physics/readings.js';
import { outletPhase, type LoadState as PhysLoad } from '../../hw-sim/physics/types.js';
import type { Scenario } from '../../hw-sim/scenarios/types.js';
import { Simulation } from '../../hw-sim/simulation.js';

/**
 * Command latency (API round trip) per actuator kind, and the settle time the agent expects
 * (power-capping.md §6: LuxOS sleeps in < 5 s, NVML limits in ~2 s, relays at once).
 */
export const LAGS = {
  miner: { latencyMs: 600, settleMs: 5000 },
  gpu: { latencyMs: 250, settleMs: 2000 },
  outlet: { latencyMs: 100, settleMs: 1000 },
} as const;

export interface BedOptions {
  readonly scenario: Scenario;
  readonly durationS: number;
  readonly seed?: number;
  readonly params?: ControlParams;
  readonly rackKw?: number | null;
  /** Class per load id (default: miners are "miner", GPU servers "ai-critical"). */
  readonly classes?: Readonly<Record<string, LoadClass>>;
  readonly leases?: readonly { readonly atS: number; readonly kw: number; readonly ttlS: number }[];
  readonly grid?: readonly { readonly atS: number; readonly targetKw: number; readonly inS: number; readonly forS: number }[];
  /** The hub is unreachable in [from, to) s: nothing sent then arrives, grid signals stop. */
  readonly hubOutageS?: readonly [number, number];
  readonly pollMs?: number;
  readonly physicsDtS?: number;
  /** Called every poll with the controller's result (invariant checks). */
  readonly onStep?: (s: BedStep) => void;
}

export interface BedStep {
  readonly t: number;
  readonly sim: Simulation;
  readonly state: ControllerState;
  readonly actions: readonly ControlAction[];
  readonly events: readonly ControlEvent[];
  readonly lease: Lease | null;
}

export interface BedAction extends ControlAction {
  readonly t: number;
  readonly cls: LoadClass;
}

export interface BedResult {
  readonly sim: Simulation;
  readonly actions: readonly BedAction[];
  readonly events: readonly ControlEvent[];
  readonly specs: readonly LoadSpec[];
  /** Longest stretch any phase spent above its continuous limit, s. */
  readonly maxOverS: number;
  /** Each stretch above a continuous limit: [start, end] in simulated s. */
  readonly overloads: readonly (readonly [number, number])[];
  readonly state: ControllerState;
}

/** A scenario's hub events and local cap as bed options (commands as the hub API takes them). */
export function hubOf(s: Scenario): Pick<BedOptions, 'leases' | 'grid' | 'hubOutageS' | 'rackKw'> {
  const leases: { atS: number; kw: number; ttlS: number }[] = [];
  const grid: { atS: number; targetKw: number; inS: number; forS: number }[] = [];
  let hubOutageS: readonly [number, number] | undefined;
  for (const e of s.hub ?? []) {
    if ('outageS' in e) hubOutageS ??= [e.atS, e.atS + e.outageS];
    else if (e.command['action'] === 'set_cap_lease') leases.push({ atS: e.atS, kw: Number(e.command['kw']), ttlS: Number(e.command['ttlMs']) / 1000 });
    else if (e.command['action'] === 'grid_event') grid.push({ atS: e.atS, targetKw: Number(e.command['targetKw']), inS: Number(e.command['startInMs'] ?? 0) / 1000, forS: Number(e.command['durationMs']) / 1000 });
  }
  return { leases, grid, ...(hubOutageS ? { hubOutageS } : {}), rackKw: s.rackKw ?? null };
}

export const defaultParams = (): ControlParams => controlParams(controlShape.parse({}));

export function circuitsOf(s: Scenario): CircuitSpec[] {
  return s.pdus.flatMap((p) => Array.from({ length: p.phases }, (_, i) => ({ id: `${p.id}.L${i + 1}`, device: p.id, phase: `L${i + 1}`, breakerA: p.breakerA, continuousFactor: 0.8 })));
}

export function specsOf(s: Scenario, classes: Readonly<Record<string, LoadClass>> = {}): LoadSpec[] {
  const sim = new Simulation(s);
  return sim.physics.loads.map((l): LoadSpec => {
    const pdu = s.pdus.find((p) => p.id === l.spec.pdu)!;
    const circuit = `${pdu.id}.L${outletPhase(pdu, l.spec.outlet)}`;
    const base = { id: l.spec.id, priority: 0, pdu: pdu.id, circuits: [circuit], maybeCircuits: [], nominalW: l.spec.nominalW };
    if (l.spec.family === 'miner') {
      return {
        ...base, class: classes[l.spec.id] ?? 'miner', floorW: l.spec.idleW,
        controls: { setPower: { minW: 0.3 * l.spec.nominalW, maxW: l.spec.nominalW, settleMs: LAGS.miner.settleMs }, pause: { settleMs: LAGS.miner.settleMs }, outlet: { settleMs: LAGS.outlet.settleMs } },
      };
    }
    const minW = l.spec.idleW + 0.3 * (l.spec.nominalW - l.spec.idleW);
    return { ...base, class: classes[l.spec.id] ?? 'ai-critical', floorW: minW, controls: { setPower: { minW, maxW: l.spec.nominalW, settleMs: LAGS.gpu.settleMs } } };
  });
}

const fresh = (value: number): Measured => ({ value, ageMs: 0, quality: 'ok' });
const lost: Measured = { value: null, ageMs: 0, quality: 'timeout' };

export function observe(sim: Simulation, specs: readonly LoadSpec[]): Omit<Observations, 'outcomes'> {
  const circuits = new Map<string, { current: Measured; powerW: Measured; voltageV: Measured }>();
  const outletW = new Map<string, number | null>();
  let rack: number | null = 0;
  for (const p of sim.scenario.pdus) {
    const deaf = sim.faultActive(p.id, 'telemetry_loss');
    const r = pduReadings(sim.physics, p.id);
    r.phases.forEach((ph, i) => circuits.set(`${p.id}.L${i + 1}`, deaf ? { current: lost, powerW: lost, voltageV: lost } : { current: fresh(ph.currentA), powerW: fresh(ph.powerW), voltageV: fresh(ph.voltageV) }));
    r.outlets.forEach((o, i) => outletW.set(`${p.id}/${i + 1}`, deaf ? null : o.powerW));
    rack = deaf || rack === null ? null : rack + r.inlet.powerW;
  }
  const loads = new Map(specs.map((s) => {
    const l = sim.load(s.id) as PhysLoad;
    const w = outletW.get(`${l.spec.pdu}/${l.spec.outlet}`) ?? null;
    return [s.id, { power: w === null ? lost : fresh(w) }];
  }));
  return { circuits, rackPowerW: rack === null ? lost : fresh(rack), loads };
}

function kindOf(a: ControlAction, spec: LoadSpec): keyof typeof LAGS {
  if (a.type === 'outlet_off' || a.type === 'outlet_on') return 'outlet';
  return spec.class === 'miner' ? 'miner' : 'gpu';
}

/** Delivers an action to the physics as the load's API or the PDU would. */
function deliver(sim: Simulation, a: ControlAction): void {
  const l = sim.load(a.load) as PhysLoad;
  switch (a.type) {
    case 'set_power': sim.command(a.load, { limitW: a.watts ?? null }); break;
    case 'pause': sim.command(a.load, { paused: true }); break;
    case 'resume': sim.command(a.load, { ...(a.watts !== undefined ? { limitW: a.watts } : {}), paused: false }); break;
    case 'restore': sim.command(a.load, { limitW: null, ...(l.spec.family === 'miner' ? { paused: false } : {}) }); break;
    case 'outlet_off': sim.setRelay(l.spec.pdu, l.spec.outlet, false); break;
    case 'outlet_on': sim.setRelay(l.spec.pdu, l.spec.outlet, true); break;
  }
}

/** The hub's side at time t: leases and grid events sent and not lost to an outage; signal age. */
function hubAt(o: BedOptions, tMs: number): { lease: Lease | null; grid: GridEvent[]; gridSignalAtMs: number } {
  const [from, to] = o.hubOutageS ?? [Infinity, Infinity];
  const delivered = (atS: number): boolean => tMs >= atS * 1000 && !(atS >= from && atS < to);
  let lease: Lease | null = null;
  for (const [i, l] of (o.leases ?? []).entries()) if (delivered(l.atS)) lease = { id: `L${i + 1}`, kw: l.kw, expiresAtMs: (l.atS + l.ttlS) * 1000 };
  const grid = (o.grid ?? []).flatMap((g, i) => (delivered(g.atS) ? [{ id: `G${i + 1}`, targetKw: g.targetKw, deadlineMs: (g.atS + g.inS) * 1000, endMs: (g.atS + g.inS + g.forS) * 1000 }] : []));
  // Grid signals arrive every 30 s while the hub is reachable.
  let gridSignalAtMs = Math.floor(tMs / 30_000) * 30_000;
  if (gridSignalAtMs >= from * 1000 && gridSignalAtMs < to * 1000) gridSignalAtMs = Math.max(0, Math.ceil((from * 1000) / 30_000) - 1) * 30_000;
  return { lease, grid, gridSignalAtMs };
}

export function runBed(o: BedOptions): BedResult {
  const sim = new Simulation(o.scenario, { seed: o.seed ?? 1, stepMs: (o.physicsDtS ?? 0.1) * 1000 });
  const specs = specsOf(o.scenario, o.classes);
  const byId = new Map(specs.map((s) => [s.id, s]));
  const circuits = circuitsOf(o.scenario);
  let state = createController({ loads: specs, params: o.params ?? defaultParams() }, o.seed ?? 1);
  const pollMs = o.pollMs ?? 1000;
  const dt = o.physicsDtS ?? 0.1;
  const queue = new Map<string, { due: number; a: ControlAction }[]>();
  const actions: BedAction[] = [];
  const events: ControlEvent[] = [];
  const overloads: [number, number][] = [];
  let overSince: number | null = null;
  let nextPoll = pollMs;
  for (let tMs = 0; tMs < o.durationS * 1000;) {
    sim.advance(dt);
    tMs = Math.round(sim.physics.t * 1000);
    for (const [id, q] of queue) {
      while (q.length && (q[0] as { due: number }).due <= tMs) deliver(sim, (q.shift() as { a: ControlAction }).a);
      if (!q.length) queue.delete(id);
    }
    const over = overAny(sim);
    if (over && overSince === null) overSince = sim.physics.t;
    if (!over && overSince !== null) {
      overloads.push([overSince, sim.physics.t]);
      overSince = null;
    }
    if (tMs < nextPoll) continue;
    nextPoll += pollMs;
    const hub = hubAt(o, tMs);
    const res = step(state, { ...observe(sim, specs), outcomes: [] }, { circuits, rackKw: o.rackKw ?? null, lease: hub.lease, gridEvents: hub.grid, gridSignalAtMs: hub.gridSignalAtMs }, tMs);
    state = res.state;
    events.push(...res.events);
    for (const a of res.actions) {
      const s = byId.get(a.load) as LoadSpec;
      actions.push({ ...a, t: tMs / 1000, cls: s.class });
      // One command at a time per load: a new one waits for the one in flight.
      const q = queue.get(a.load) ?? [];
      const after = q.length ? (q[q.length - 1] as { due: number }).due : tMs;
      q.push({ due: after + LAGS[kindOf(a, s)].latencyMs, a });
      queue.set(a.load, q);
    }
    o.onStep?.({ t: tMs / 1000, sim, state, actions: res.actions, events: res.events, lease: hub.lease });
  }
  if (overSince !== null) overloads.push([overSince, sim.physics.t]);
  const maxOverS = overloads.reduce((m, [a, b]) => Math.max(m, b - a), 0);
  return { sim, actions, events, specs, maxOverS, overloads, state };
}

/** Any phase above its continuous limit (80 % of the breaker) right now, by the physics. */
export function overAny(sim: Simulation): boolean {
  for (const p of sim.scenario.pdus) {
    for (const ph of pduReadings(sim.physics, p.id).phases) if (ph.currentA > p.breakerA * 0.8) return true;
  }
  return false;
}
