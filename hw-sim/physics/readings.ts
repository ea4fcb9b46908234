// What a PDU's meters see in a rack state: per-outlet and per-phase current, power and energy.
// Phase voltage sags with phase current through the source impedance; outlet current is
// P / (V · pf). Pure.

import type { PduState, RackPhysics } from './types.js';
import { outletPhase } from './types.js';

export interface OutletReading {
  readonly currentA: number;
  readonly powerW: number;
  readonly pf: number;
  readonly energyWh: number;
  readonly on: boolean;
  readonly phase: number;
}

export interface PhaseReading {
  readonly voltageV: number;
  readonly currentA: number;
  readonly powerW: number;
  readonly apparentVA: number;
  readonly pf: number;
  readonly energyWh: number;
}

export interface PduReadings {
  readonly id: string;
  readonly breakerA: number;
  readonly frequencyHz: number;
  readonly inlet: { readonly powerW: number; readonly apparentVA: number; readonly energyWh: number };
  readonly phases: readonly PhaseReading[];
  readonly outlets: readonly OutletReading[];
}

export function pduReadings(rack: RackPhysics, pduId: string): PduReadings {
  const pdu = rack.pdus.find((p) => p.spec.id === pduId);
  if (!pdu) throw new Error(`no PDU ${pduId}`);
  return readPdu(rack, pdu);
}

function readPdu(rack: RackPhysics, pdu: PduState): PduReadings {
  const { spec } = pdu;
  const n = spec.outlets;
  const outletW = new Array<number>(n).fill(0);
  const outletVA = new Array<number>(n).fill(0);
  for (const l of rack.loads) {
    if (l.spec.pdu !== spec.id) continue;
    const o = l.spec.outlet - 1;
    outletW[o] = (outletW[o] ?? 0) + l.powerW;
    outletVA[o] = (outletVA[o] ?? 0) + l.powerW / l.spec.pf;
  }
  // Phase current at nominal voltage first, then the sag it causes (one fixed-point step is
  // plenty: the sag is a fraction of a percent).
  const phaseVA = new Array<number>(spec.phases).fill(0);
  const phaseW = new Array<number>(spec.phases).fill(0);
  for (let o = 0; o < n; o++) {
    const ph = outletPhase(spec, o + 1) - 1;
    phaseVA[ph] = (phaseVA[ph] ?? 0) + (outletVA[o] ?? 0);
    phaseW[ph] = (phaseW[ph] ?? 0) + (outletW[o] ?? 0);
  }
  const voltage = phaseVA.map((va) => spec.voltage - spec.sourceOhms * (va / spec.voltage));
  const phases = phaseVA.map((va, i): PhaseReading => {
    const v = voltage[i] ?? spec.voltage;
    const w = phaseW[i] ?? 0;
    return { voltageV: v, currentA: va / v, powerW: w, apparentVA: va, pf: va > 0 ? w / va : 1, energyWh: pdu.phaseEnergyWh[i] ?? 0 };
  });
  const outlets = outletW.map((w, o): OutletReading => {
    const ph = outletPhase(spec, o + 1);
    const v = voltage[ph - 1] ?? spec.voltage;
    const va = outletVA[o] ?? 0;
    return { currentA: va / v, powerW: w, pf: va > 0 ? w / va : 1, energyWh: pdu.outletEnergyWh[o] ?? 0, on: pdu.relays[o] ?? false, phase: ph };
  });
  const inletW = phaseW.reduce((a, b) => a + b, 0);
  const inletVA = phaseVA.reduce((a, b) => a + b, 0);
  return {
    id: spec.id,
    breakerA: spec.breakerA,
    frequencyHz: spec.frequencyHz,
    inlet: { powerW: inletW, apparentVA: inletVA, energyWh: pdu.phaseEnergyWh.reduce((a, b) => a + b, 0) },
    phases,
    outlets,
  };
}
