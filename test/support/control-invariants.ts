// Invariants of the power-cap controller, checked on the test bed from the physics' side (what
// really flows), not from the controller's own bookkeeping. Used by the property tests and the
// control bench (which counts violations over 1000 random scenarios).

import { pduReadings } from '../../hw-sim/physics/readings.js';
import { outletPhase, type LoadState as PhysLoad } from '../../hw-sim/physics/types.js';
import type { Simulation } from '../../hw-sim/simulation.js';
import type { LoadSpec } from '../../agent/core/control/types.js';
import type { BedStep } from './control-bed.js';

/**
 * Time the controller is given to get the rack under a lease or grid target, after the target
 * starts or after a disturbance (AI surge), s: shed, settle, verify, then throttle AI if needed.
 */
export const MEET_S = 20;

export interface Violations {
  /** AI throttled while a miner on its phase (or, for the rack, any miner) was above its floor. */
  readonly priority: string[];
  /** Rack power above a lease or grid target for longer than MEET_S, or the budget raised before expiry. */
  readonly limits: string[];
  /**
   * Oscillation in the steady-state window: a load pushed back and forth (a shed after a restore
   * or a restore after a shed), or shed again and again.
   */
  readonly oscillation: string[];
}

function phaseOf(sim: Simulation, l: PhysLoad): string {
  const pdu = sim.scenario.pdus.find((p) => p.id === l.spec.pdu)!;
  return `${pdu.id}.L${outletPhase(pdu, l.spec.outlet)}`;
}

function minerAboveFloor(sim: Simulation, spec: LoadSpec): boolean {
  const l = sim.load(spec.id) as PhysLoad;
  if (!(sim.relay(l.spec.pdu, l.spec.outlet) ?? false)) return false;
  return l.powerW > spec.floorW * 1.1 + 60;
}

function rackW(sim: Simulation): number {
  return sim.scenario.pdus.reduce((a, p) => a + pduReadings(sim.physics, p.id).inlet.powerW, 0);
}

export class InvariantChecker {
  readonly v: Violations = { priority: [], limits: [], oscillation: [] };
  private readonly lastWatts = new Map<string, number>();
  /** Per load in the steady window: the last action's direction and the sheds so far. */
  private readonly steadyLog = new Map<string, { last: 'shed' | 'restore'; sheds: number }>();
  /** Since when the rack has been above each target (lease id or grid index). */
  private readonly overSince = new Map<string, number>();

  constructor(private readonly specs: readonly LoadSpec[], private readonly steady: readonly [number, number] | null, private readonly gridTargets: readonly { atS: number; kw: number; deadlineS: number; endS: number }[] = []) {}

  /** Lowest the rack can go with every load at its floor: below this a target is unreachable. */
  private floorSumW(): number {
    return this.specs.reduce((a, s) => a + (s.class === 'infrastructure' ? (s.nominalW ?? 0) : s.class === 'miner' ? 0 : s.floorW), 0);
  }

  readonly onStep = (st: BedStep): void => {
    const byId = new Map(this.specs.map((s) => [s.id, s]));
    for (const a of st.actions) {
      const s = byId.get(a.load)!;
      if (this.steady && st.t >= this.steady[0]) this.steadyAction(st.t, a);
      if (a.type !== 'set_power' || s.class === 'miner') continue;
      const prev = this.lastWatts.get(a.load) ?? Infinity;
      this.lastWatts.set(a.load, a.watts ?? Infinity);
      if ((a.watts ?? Infinity) >= prev - 1) continue;
      const phase = phaseOf(st.sim, st.sim.load(a.load)!);
      const rackWide = a.reason.startsWith('rack');
      const above = this.specs.filter((m) => m.class === 'miner' && (rackWide || phaseOf(st.sim, st.sim.load(m.id)!) === phase) && minerAboveFloor(st.sim, m));
      if (above.length) this.v.priority.push(`t=${st.t}: ${a.load} throttled to ${a.watts} W while ${above.map((m) => `${m.id} draws ${Math.round(st.sim.load(m.id)!.powerW)} W`).join(', ')} (${a.reason})`);
    }
    for (const a of st.actions) if (a.type === 'restore' || a.type === 'resume' || a.type === 'outlet_on') this.lastWatts.delete(a.load);
    this.checkTargets(st);
  };

  /** Flags a target the rack stays above for longer than MEET_S (reachable targets only). */
  private sustained(key: string, t: number, over: boolean, what: string): void {
    if (!over) {
      this.overSince.delete(key);
      return;
    }
    const since = this.overSince.get(key) ?? t;
    this.overSince.set(key, since);
    if (t - since > MEET_S) this.v.limits.push(`t=${t}: ${what} for ${t - since} s`);
  }

  private steadyAction(t: number, a: { load: string; type: string; urgency: 'shed' | 'restore'; reason: string }): void {
    const prev = this.steadyLog.get(a.load);
    const sheds = (prev?.sheds ?? 0) + (a.urgency === 'shed' ? 1 : 0);
    this.steadyLog.set(a.load, { last: a.urgency, sheds });
    if ((prev && prev.last !== a.urgency) || sheds > 2) this.v.oscillation.push(`t=${t}: ${a.type} ${a.load} after ${prev?.last ?? 'nothing'}, ${sheds} sheds (${a.reason})`);
  }

  private checkTargets(st: BedStep): void {
    // While the PDU cannot be read nobody can see the rack's power (a load ignoring commands
    // then goes unnoticed): a stretch above a target is timed from when readings come back.
    if (st.sim.scenario.pdus.some((p) => st.sim.faultActive(p.id, 'telemetry_loss'))) {
      this.overSince.clear();
      return;
    }
    const w = rackW(st.sim);
    const floor = this.floorSumW() * 1.05;
    const lease = st.lease;
    if (lease && st.t * 1000 < lease.expiresAtMs) {
      if ((st.state.budget.watts ?? Infinity) > lease.kw * 1000 + 1) this.v.limits.push(`t=${st.t}: budget ${st.state.budget.watts} W above lease ${lease.id} ${lease.kw * 1000} W before its expiry`);
      const kw = lease.kw * 1000;
      this.sustained(lease.id, st.t, kw > floor && w > kw, `rack ${Math.round(w)} W above lease ${lease.id} ${Math.round(kw)} W`);
    }
    this.gridTargets.forEach((g, i) => {
      const active = st.t >= g.deadlineS && st.t < g.endS;
      this.sustained(`grid${i}`, st.t, active && g.kw * 1000 > floor && w > g.kw * 1000, `rack ${Math.round(w)} W above grid target ${Math.round(g.kw * 1000)} W`);
    });
  }
}
