// What a power meter sees when it meters a PDU's inlet, or a group of its outlets (a branch
// meter or a single-outlet sub-meter). Derived from the PDU's readings; pure.

import type { PduReadings } from './readings.js';

export interface MeterPhase {
  readonly voltageV: number;
  readonly currentA: number;
  readonly powerW: number;
  readonly apparentVA: number;
  readonly reactiveVar: number;
  readonly pf: number;
  readonly importWh: number;
}

export interface MeterReadings {
  readonly frequencyHz: number;
  /** One entry per metered phase (L1…), in order. */
  readonly phases: readonly MeterPhase[];
  readonly total: { readonly powerW: number; readonly apparentVA: number; readonly reactiveVar: number; readonly pf: number; readonly importWh: number; readonly exportWh: number };
}

function phase(voltageV: number, powerW: number, apparentVA: number, importWh: number): MeterPhase {
  return {
    voltageV, powerW, apparentVA, importWh,
    currentA: voltageV > 0 ? apparentVA / voltageV : 0,
    reactiveVar: Math.sqrt(Math.max(0, apparentVA * apparentVA - powerW * powerW)),
    pf: apparentVA > 0 ? powerW / apparentVA : 1,
  };
}

/**
 * A meter on `pdu`'s inlet (no outlets given) or on the listed 1-based outlets. `phases` is the
 * meter's own phase count: a single-phase meter on outlets sees the phase of the first one.
 */
export function meterReadings(pdu: PduReadings, phases: 1 | 3, outlets?: readonly number[]): MeterReadings {
  let list: MeterPhase[];
  if (!outlets) {
    list = pdu.phases.map((p) => phase(p.voltageV, p.powerW, p.apparentVA, p.energyWh));
  } else {
    const acc = pdu.phases.map(() => ({ w: 0, va: 0, wh: 0 }));
    for (const n of outlets) {
      const o = pdu.outlets[n - 1];
      const a = o && acc[o.phase - 1];
      if (!o || !a) throw new Error(`PDU ${pdu.id} has no outlet ${n}`);
      a.w += o.powerW;
      a.va += o.pf > 0 ? o.powerW / o.pf : 0;
      a.wh += o.energyWh;
    }
    list = acc.map((a, i) => phase(pdu.phases[i]?.voltageV ?? 0, a.w, a.va, a.wh));
  }
  if (phases === 1) {
    const first = outlets?.[0];
    const ph = first !== undefined ? (pdu.outlets[first - 1]?.phase ?? 1) : 1;
    list = [list[ph - 1] as MeterPhase];
  }
  const powerW = list.reduce((s, p) => s + p.powerW, 0);
  const apparentVA = list.reduce((s, p) => s + p.apparentVA, 0);
  return {
    frequencyHz: pdu.frequencyHz,
    phases: list,
    total: {
      powerW, apparentVA,
      reactiveVar: list.reduce((s, p) => s + p.reactiveVar, 0),
      pf: apparentVA > 0 ? powerW / apparentVA : 1,
      importWh: list.reduce((s, p) => s + p.importWh, 0),
      exportWh: 0,
    },
  };
}
