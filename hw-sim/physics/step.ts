// Evolves the rack: every load's draw follows its target with a first-order lag
// (p ← target + (p − target)·e^(−dt/τ)), the target carrying a little seeded jitter; energy integrates the
// draw; the phase breakers heat and cool with their current (breaker.ts) and a tripped one cuts
// its phase at once. Pure: the same state and dt always give the same next state.

import { fed, stepBreakers } from './breaker.js';
import { family, steadyTempC } from './loads/index.js';
import type { LoadState, PduState, RackPhysics } from './types.js';
import { outletPhase } from './types.js';

/** Relative draw jitter (standard deviation), so readings look alive and tests see real noise. */
export const JITTER = 0.003;

export function nextRandom(state: number): { value: number; state: number } {
  // mulberry32
  const s = (state + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, state: s };
}

export function isPowered(rack: RackPhysics, load: LoadState): boolean {
  return fed(rack.pdus.find((p) => p.spec.id === load.spec.pdu), load.spec);
}

export function step(rack: RackPhysics, dtS: number): RackPhysics {
  if (!(dtS > 0)) return rack;
  let rng = rack.rng;
  const pduOf = new Map(rack.pdus.map((p) => [p.spec.id, p]));
  const loads = rack.loads.map((l): LoadState => {
    const fam = family(l.spec.family);
    // An open relay or a tripped breaker cuts the load at once (it still cools down).
    const on = fed(pduOf.get(l.spec.pdu), l.spec);
    let target = on ? fam.targetW(l) : 0;
    if (target > 0) {
      // Noise on the target, not on the state, so it does not accumulate.
      const r = nextRandom(rng);
      rng = r.state;
      target *= 1 + (r.value - 0.5) * 2 * JITTER;
    }
    const tau = target >= l.powerW ? l.spec.tauUpS : l.spec.tauDownS;
    const p = on ? Math.max(0, target + (l.powerW - target) * Math.exp(-dtS / Math.max(tau, 1e-3))) : 0;
    const next: LoadState = { ...l, powerW: p, energyWh: l.energyWh + ((l.powerW + p) / 2) * (dtS / 3600) };
    const hot = steadyTempC(fam, l.spec, p);
    if (hot === undefined || !fam.thermal) return next;
    const t0 = l.tempC ?? hot;
    return { ...next, tempC: hot + (t0 - hot) * Math.exp(-dtS / Math.max(fam.thermal.tauS, 1e-3)) };
  });
  const pdus = rack.pdus.map((pdu): PduState => {
    const outletW = new Array<number>(pdu.spec.outlets).fill(0);
    const prevW = new Array<number>(pdu.spec.outlets).fill(0);
    rack.loads.forEach((l, i) => {
      if (l.spec.pdu !== pdu.spec.id) return;
      prevW[l.spec.outlet - 1] = (prevW[l.spec.outlet - 1] ?? 0) + l.powerW;
      outletW[l.spec.outlet - 1] = (outletW[l.spec.outlet - 1] ?? 0) + (loads[i] as LoadState).powerW;
    });
    const outletEnergyWh = pdu.outletEnergyWh.map((e, o) => e + (((prevW[o] ?? 0) + (outletW[o] ?? 0)) / 2) * (dtS / 3600));
    const phaseEnergyWh = pdu.phaseEnergyWh.slice();
    outletEnergyWh.forEach((e, o) => {
      const ph = outletPhase(pdu.spec, o + 1) - 1;
      phaseEnergyWh[ph] = (phaseEnergyWh[ph] ?? 0) + (e - (pdu.outletEnergyWh[o] ?? 0));
    });
    return { ...pdu, outletEnergyWh, phaseEnergyWh };
  });
  return stepBreakers({ t: rack.t + dtS, pdus, loads, rng }, dtS);
}
