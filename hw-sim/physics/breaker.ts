// Phase breakers of the simulated PDUs: thermal-magnetic, pure.
//
// Thermal: heat θ (in units of r², r = phase current / rating) follows r² with a first-order lag,
//   θ ← r² + (θ − r²)·e^(−dt/τ),
// and the breaker trips when θ reaches tripRatio². From cold at constant r it trips after
//   t = −τ·ln(1 − tripRatio²/r²),
// which with the defaults (τ 60 s, tripRatio 1.3) never trips at 1.13×In (IEC 60898 no-trip),
// trips in ~100 s at 1.45×In (IEC: < 1 h), ~33 s at 2×In (UL 489: ≤ 2 min) and ~18 s at 2.55×In
// (IEC: 1–60 s). Magnetic: it trips at once at magneticRatio × rating (C curve: 5–10×), where the
// inrush of outlets switched on within inrushWindowS adds up. A tripped breaker cuts every
// outlet of its phase until reset.

import { pduReadings } from './readings.js';
import type { BreakerCurve, BreakerState, LoadSpec, PduSpec, PduState, RackPhysics } from './types.js';
import { outletPhase } from './types.js';

export const DEFAULT_CURVE: BreakerCurve = { tauS: 60, tripRatio: 1.3, magneticRatio: 10, inrushWindowS: 0.05 };
export const COLD_BREAKER: BreakerState = { heat: 0, tripped: false, trippedAtS: null, cause: null };
/** PSU inrush as a multiple of the nominal current when a load does not give its own. */
export const INRUSH_FACTOR = 8;

export interface Trip {
  readonly t: number;
  readonly pdu: string;
  /** 1-based phase. */
  readonly phase: number;
  readonly cause: 'thermal' | 'magnetic';
}

export function curveOf(spec: PduSpec): BreakerCurve {
  return { ...DEFAULT_CURVE, ...spec.breaker };
}

/** Seconds to a thermal trip at constant ratio r from heat θ0; Infinity if it never trips. */
export function thermalTripS(curve: BreakerCurve, r: number, heat0 = 0): number {
  const lim = curve.tripRatio ** 2;
  if (heat0 >= lim) return 0;
  if (r * r <= lim) return Infinity;
  return -curve.tauS * Math.log((r * r - lim) / (r * r - heat0));
}

function stepOne(b: BreakerState, curve: BreakerCurve, r: number, dtS: number, t: number): BreakerState {
  if (b.tripped) return b;
  const heat = r * r + (b.heat - r * r) * Math.exp(-dtS / curve.tauS);
  if (r >= curve.magneticRatio) return { heat, tripped: true, trippedAtS: t, cause: 'magnetic' };
  if (heat >= curve.tripRatio ** 2) return { heat, tripped: true, trippedAtS: t, cause: 'thermal' };
  return { ...b, heat };
}

/** Heats or cools every breaker with its phase current over dtS (call after the loads moved). */
export function stepBreakers(rack: RackPhysics, dtS: number): RackPhysics {
  const pdus = rack.pdus.map((p): PduState => {
    const curve = curveOf(p.spec);
    const phases = pduReadings(rack, p.spec.id).phases;
    const breakers = p.breakers.map((b, i) => stepOne(b, curve, (phases[i]?.currentA ?? 0) / p.spec.breakerA, dtS, rack.t));
    return breakers.every((b, i) => b === p.breakers[i]) ? p : { ...p, breakers };
  });
  return { ...rack, pdus };
}

/** Breakers at the heat of the rack's current draw held for a long time (a warm start). */
export function warmBreakers(rack: RackPhysics): RackPhysics {
  const pdus = rack.pdus.map((p): PduState => {
    const phases = pduReadings(rack, p.spec.id).phases;
    return { ...p, breakers: p.breakers.map((b, i) => ({ ...b, heat: ((phases[i]?.currentA ?? 0) / p.spec.breakerA) ** 2 })) };
  });
  return { ...rack, pdus };
}

export function inrushA(load: LoadSpec, voltage: number): number {
  return load.inrushA ?? (INRUSH_FACTOR * load.nominalW) / (voltage * load.pf);
}

/**
 * Switches an outlet's relay at simulated time t. Switching on records the time and trips the
 * phase breaker magnetically when the phase current plus the inrush of every outlet of that phase
 * switched on within the inrush window reaches magneticRatio × rating.
 */
export function switchRelay(rack: RackPhysics, pduId: string, outlet: number, on: boolean, t = rack.t): RackPhysics {
  const pdu = rack.pdus.find((p) => p.spec.id === pduId);
  if (!pdu || outlet < 1 || outlet > pdu.spec.outlets) return rack;
  const wasOn = pdu.relays[outlet - 1] ?? false;
  const relays = pdu.relays.slice();
  relays[outlet - 1] = on;
  const switchedOnAtS = pdu.switchedOnAtS.slice();
  if (on && !wasOn) switchedOnAtS[outlet - 1] = t;
  let next: PduState = { ...pdu, relays, switchedOnAtS };
  if (on && !wasOn) next = inrushCheck(rack, next, outlet, t);
  return { ...rack, pdus: rack.pdus.map((p) => (p === pdu ? next : p)) };
}

function inrushCheck(rack: RackPhysics, pdu: PduState, outlet: number, t: number): PduState {
  const { spec } = pdu;
  const curve = curveOf(spec);
  const phase = outletPhase(spec, outlet);
  const b = pdu.breakers[phase - 1];
  if (!b || b.tripped) return pdu;
  let inrush = 0;
  for (const l of rack.loads) {
    if (l.spec.pdu !== spec.id || outletPhase(spec, l.spec.outlet) !== phase) continue;
    const at = pdu.switchedOnAtS[l.spec.outlet - 1] ?? -Infinity;
    if (pdu.relays[l.spec.outlet - 1] && t - at >= 0 && t - at < curve.inrushWindowS) inrush += inrushA(l.spec, spec.voltage);
  }
  const steady = pduReadings(rack, spec.id).phases[phase - 1]?.currentA ?? 0;
  if (steady + inrush < curve.magneticRatio * spec.breakerA) return pdu;
  const breakers = pdu.breakers.slice();
  breakers[phase - 1] = { ...b, tripped: true, trippedAtS: t, cause: 'magnetic' };
  return { ...pdu, breakers };
}

/** Trips that happened between two states of the same rack. */
export function tripsBetween(before: RackPhysics, after: RackPhysics): Trip[] {
  const out: Trip[] = [];
  after.pdus.forEach((p, i) => {
    const was = before.pdus[i];
    p.breakers.forEach((b, ph) => {
      if (b.tripped && !was?.breakers[ph]?.tripped) {
        out.push({ t: b.trippedAtS ?? after.t, pdu: p.spec.id, phase: ph + 1, cause: b.cause ?? 'thermal' });
      }
    });
  });
  return out;
}

export function resetBreaker(rack: RackPhysics, pduId: string, phase: number): RackPhysics {
  return {
    ...rack,
    pdus: rack.pdus.map((p) => (p.spec.id !== pduId ? p : { ...p, breakers: p.breakers.map((b, i) => (i === phase - 1 ? { ...b, tripped: false, trippedAtS: null, cause: null } : b)) })),
  };
}

/** True when the load's outlet is on and its phase breaker is closed. */
export function fed(pdu: PduState | undefined, load: LoadSpec): boolean {
  if (!pdu || !pdu.relays[load.outlet - 1]) return false;
  return !pdu.breakers[outletPhase(pdu.spec, load.outlet) - 1]?.tripped;
}
