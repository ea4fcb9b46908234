// Scenario → initial rack state: every outlet powered, loads at their steady draw, breakers warm.
import { COLD_BREAKER, warmBreakers } from './breaker.js';
import { family, steadyTempC } from './loads/index.js';
import type { Scenario } from '../scenarios/types.js';
import type { LoadSpec, LoadState, RackPhysics } from './types.js';

export function buildRack(s: Scenario, seed = 1): RackPhysics {
  const pdus = s.pdus.map((p) => ({
    spec: { id: p.id, phases: p.phases, outlets: p.outlets, voltage: p.voltage, frequencyHz: p.frequencyHz, sourceOhms: p.sourceOhms, breakerA: p.breakerA, ...(p.breaker ? { breaker: p.breaker } : {}) },
    relays: new Array<boolean>(p.outlets).fill(true),
    switchedOnAtS: new Array<number>(p.outlets).fill(-Infinity),
    breakers: Array.from({ length: p.phases }, () => COLD_BREAKER),
    outletEnergyWh: new Array<number>(p.outlets).fill(0),
    phaseEnergyWh: new Array<number>(p.phases).fill(0),
  }));
  const seen = new Set<string>();
  const loads = s.loads.map((l): LoadState => {
    if (seen.has(l.id)) throw new Error(`scenario ${s.name}: load ${l.id} listed twice`);
    seen.add(l.id);
    const pdu = s.pdus.find((p) => p.id === l.pdu);
    if (!pdu) throw new Error(`scenario ${s.name}: load ${l.id} is on unknown PDU ${l.pdu}`);
    if (l.outlet < 1 || l.outlet > pdu.outlets) throw new Error(`scenario ${s.name}: load ${l.id} on outlet ${l.outlet}, PDU ${pdu.id} has ${pdu.outlets}`);
    const f = family(l.family);
    const spec: LoadSpec = {
      ...f.defaults,
      ...Object.fromEntries(Object.entries(l).filter(([k, v]) => v !== undefined && k !== 'demand' && k !== 'limitW' && k !== 'device')),
    } as LoadSpec;
    const state: LoadState = { spec, powerW: 0, demand: l.demand ?? 1, limitW: l.limitW ?? null, energyWh: 0 };
    const powerW = f.targetW(state);
    const tempC = steadyTempC(f, spec, powerW);
    return { ...state, powerW, ...(tempC !== undefined ? { tempC } : {}) };
  });
  return warmBreakers({ t: 0, pdus, loads, rng: seed >>> 0 });
}
