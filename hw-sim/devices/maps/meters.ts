// Simulated power meters for the built-in profiles, with register maps written from
// shared/reference/modbus.md §4.2–4.4. A meter meters a PDU's inlet or some of its outlets
// (physics/meter.ts). Quantities the physics does not model are documented in docs/hw-sim.md.

import { meterReadings, type MeterReadings } from '../../physics/meter.js';
import type { ModbusSlave } from '../modbus-slave.js';
import { RegisterImage } from '../register-image.js';
import { degrees, imageSlave, perStep, type MapContext } from './context.js';

const meter = (ctx: MapContext, phases: 1 | 3, render: (m: MeterReadings) => RegisterImage): (() => RegisterImage) =>
  perStep(ctx, (r) => render(meterReadings(r, phases, ctx.outlets)));

/** Reactive energy, approximated from active energy and the present Q/P ratio (physics has no kvarh). */
const reactiveWh = (m: MeterReadings): number => (m.total.powerW > 0 ? (m.total.importWh * m.total.reactiveVar) / m.total.powerW : 0);

// ---- Eastron SDM630 / SDM120, §4.2: FC04, float32 ABCD, wire = doc − 30001 -----------------------
function renderEastron(m: MeterReadings): RegisterImage {
  const img = new RegisterImage([[0x0000, 0x0050], [0x00ea, 0x00f0], [0x0156, 0x016c]]);
  const f = (a: number, v: number): void => void img.set(a, 'f32', v);
  m.phases.forEach((p, i) => {
    f(0x00 + 2 * i, p.voltageV);
    f(0x06 + 2 * i, p.currentA);
    f(0x0c + 2 * i, p.powerW);
    f(0x12 + 2 * i, p.apparentVA);
    f(0x18 + 2 * i, p.reactiveVar);
    f(0x1e + 2 * i, p.pf);
    f(0xea + 2 * i, 1.8); // THD: constant, the physics has no harmonics
    f(0x15a + 2 * i, p.importWh / 1000);
    f(0x166 + 2 * i, p.importWh / 1000);
  });
  f(0x34, m.total.powerW);
  f(0x38, m.total.apparentVA);
  f(0x3c, m.total.reactiveVar);
  f(0x3e, m.total.pf);
  f(0x42, degrees(m.total.pf));
  f(0x46, m.frequencyHz);
  f(0x48, m.total.importWh / 1000);
  f(0x4a, m.total.exportWh / 1000);
  f(0x4c, reactiveWh(m) / 1000);
  f(0x4e, 0);
  f(0x156, (m.total.importWh + m.total.exportWh) / 1000);
  f(0x158, reactiveWh(m) / 1000);
  return img;
}

export const sdm630Slave = (ctx: MapContext): ModbusSlave => imageSlave(ctx.units, { input: meter(ctx, 3, renderEastron) });
export const sdm120Slave = (ctx: MapContext): ModbusSlave => imageSlave(ctx.units, { input: meter(ctx, 1, renderEastron) });

// ---- Schneider PM5xxx, §4.3: FC03, float32 ABCD in kW, INT64 Wh, wire = doc − 1 -----------------
function renderSchneider(m: MeterReadings): RegisterImage {
  const img = new RegisterImage([[29, 49], [89, 90], [129, 131], [2999, 3124], [3203, 3244]]);
  img.setString(29, 20, 'PM5560 hw-sim').set(89, 'u16', 15560).set(129, 'u32', 20240001);
  const f = (a: number, v: number): void => void img.set(a, 'f32', v);
  const ph = m.phases;
  const v = (i: number): number => ph[i]?.voltageV ?? 0;
  const ll = (a: number, b: number): number => Math.sqrt(v(a) ** 2 + v(b) ** 2 + v(a) * v(b)); // 120° apart
  ph.forEach((p, i) => {
    f(2999 + 2 * i, p.currentA);
    f(3027 + 2 * i, p.voltageV);
    f(3053 + 2 * i, p.powerW / 1000);
  });
  // Neutral current: the phasor sum of the phase currents, 120° apart.
  const re = (ph[0]?.currentA ?? 0) - ((ph[1]?.currentA ?? 0) + (ph[2]?.currentA ?? 0)) / 2;
  const im = (((ph[1]?.currentA ?? 0) - (ph[2]?.currentA ?? 0)) * Math.sqrt(3)) / 2;
  f(3005, Math.hypot(re, im));
  f(3009, ph.reduce((s, p) => s + p.currentA, 0) / ph.length);
  f(3019, ll(0, 1));
  f(3021, ll(1, 2));
  f(3023, ll(2, 0));
  f(3025, (ll(0, 1) + ll(1, 2) + ll(2, 0)) / 3);
  f(3035, ph.reduce((s, p) => s + p.voltageV, 0) / ph.length);
  f(3059, m.total.powerW / 1000);
  f(3067, m.total.reactiveVar / 1000);
  f(3075, m.total.apparentVA / 1000);
  f(3083, m.total.pf);
  f(3109, m.frequencyHz);
  const e = (a: number, wh: number): void => void img.set(a, 'i64', Math.floor(wh));
  e(3203, m.total.importWh);
  e(3207, m.total.exportWh);
  e(3219, reactiveWh(m));
  e(3223, 0);
  e(3235, m.total.pf > 0 ? m.total.importWh / m.total.pf : m.total.importWh);
  e(3239, 0);
  return img;
}

export const pm5xxxSlave = (ctx: MapContext): ModbusSlave => imageSlave(ctx.units, { holding: meter(ctx, 3, renderSchneider) });

// ---- Carlo Gavazzi EM24, §4.4: FC04 (FC03 too), INT32 low word first, scaled -------------------
function renderEm24(m: MeterReadings): RegisterImage {
  const img = new RegisterImage([[0x00, 0x60]]);
  const i32 = (a: number, v: number): void => void img.set(a, 'i32', v, 'CDAB');
  const v = (i: number): number => m.phases[i]?.voltageV ?? 0;
  m.phases.forEach((p, i) => {
    i32(0x00 + 2 * i, p.voltageV * 10);
    i32(0x06 + 2 * i, Math.sqrt(v(i) ** 2 + v((i + 1) % 3) ** 2 + v(i) * v((i + 1) % 3)) * 10);
    i32(0x0c + 2 * i, p.currentA * 1000);
    i32(0x12 + 2 * i, p.powerW * 10);
    img.set(0x32 + i, 'i16', p.pf * 1000);
    i32(0x46 + 2 * i, p.importWh / 100);
  });
  i32(0x28, m.total.powerW * 10);
  img.set(0x35, 'i16', m.total.pf * 1000);
  img.set(0x37, 'i16', m.frequencyHz * 10);
  i32(0x42, m.total.importWh / 100);
  i32(0x5c, m.total.exportWh / 100);
  return img;
}

export function em24Slave(ctx: MapContext): ModbusSlave {
  const img = meter(ctx, 3, renderEm24);
  return imageSlave(ctx.units, { input: img, holding: img });
}
