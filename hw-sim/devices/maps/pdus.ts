// Simulated PDUs for the built-in profiles, with register maps written from
// shared/reference/modbus.md §4 (not from the agent's profiles, so a wrong address on either side
// shows up in the contract tests). What each register carries is listed in docs/hw-sim.md.

import type { PduReadings } from '../../physics/readings.js';
import { EXC, type ModbusSlave } from '../modbus-slave.js';
import { RegisterImage } from '../register-image.js';
import { degrees, imageSlave, perStep, relayCoils, type MapContext } from './context.js';

// ---- Xerus (Raritan PX2/PX3/PX4, Legrand, ServerTech PRO3X/4X), §4.1 ------------------------
// FC03 only, 0-based hex addresses, float32 big-endian. Block strides are not in the reference:
// hw-sim assumes 0x100 between OCPs and between outlets, one OCP per phase, outlet n on coil n−1.
const XERUS_STRIDE = 0x100;

function renderXerus(r: PduReadings): RegisterImage {
  const n = r.outlets.length;
  const ocps = r.phases.length;
  const img = new RegisterImage([
    [0x0000, 0x0005], [0x3000, 0x3030],
    ...Array.from({ length: ocps }, (_, k): [number, number] => [0x4000 + k * XERUS_STRIDE, 0x4010 + k * XERUS_STRIDE]),
    ...Array.from({ length: n }, (_, k): [number, number] => [0x8000 + k * XERUS_STRIDE, 0x8030 + k * XERUS_STRIDE]),
  ]);
  img.set(0x0000, 'u16', 0x0400).set(0x0001, 'u16', 1).set(0x0002, 'u16', ocps).set(0x0003, 'u16', n).set(0x0004, 'u16', 0);
  const amps = r.phases.map((p) => p.currentA);
  const mean = amps.reduce((a, b) => a + b, 0) / Math.max(1, amps.length);
  const va = r.inlet.apparentVA;
  const pf = va > 0 ? r.inlet.powerW / va : 1;
  const inlet: [number, number][] = [
    [0x3008, r.phases.reduce((s, p) => s + p.voltageV, 0) / Math.max(1, r.phases.length)],
    [0x300a, Math.max(...amps)], [0x300c, Math.max(...amps)],
    [0x3010, mean > 0 ? ((Math.max(...amps) - Math.min(...amps)) / mean) * 100 : 0],
    [0x3012, r.inlet.powerW], [0x3014, va], [0x3016, pf], [0x3020, degrees(pf)], [0x3022, r.frequencyHz],
    [0x3024, Math.sqrt(Math.max(0, va * va - r.inlet.powerW ** 2))],
  ];
  for (const [a, v] of inlet) img.set(a, 'f32', v);
  r.phases.forEach((p, k) => img.set(0x400a + k * XERUS_STRIDE, 'f32', p.currentA).set(0x400c + k * XERUS_STRIDE, 'f32', p.currentA));
  r.outlets.forEach((o, k) => {
    const b = 0x8000 + k * XERUS_STRIDE;
    const ova = o.pf > 0 ? o.powerW / o.pf : 0;
    const v = r.phases[o.phase - 1]?.voltageV ?? 0;
    const regs: [number, number][] = [
      [0x08, v], [0x0a, o.currentA], [0x0c, o.currentA], [0x0e, 0], [0x10, 0], [0x12, o.powerW], [0x14, ova],
      [0x16, o.pf], [0x20, degrees(o.pf)], [0x22, r.frequencyHz], [0x24, Math.sqrt(Math.max(0, ova * ova - o.powerW ** 2))],
    ];
    for (const [a, val] of regs) img.set(b + a, 'f32', val);
  });
  return img;
}

export function xerusSlave(ctx: MapContext): ModbusSlave {
  const img = perStep(ctx, renderXerus);
  return { ...imageSlave(ctx.units, { holding: img }), ...relayCoils(ctx, 0), writeRegister: () => EXC.illegalAddress };
}

// ---- NETIO PowerPDU / PowerBOX / 4x, §4.5 --------------------------------------------------------
// FC04 1 Hz×100, 2 V×10, 3 true PF×1000, 4 total mA, 5 total W, 101.. output mA, 201.. output W,
// 301/302 total Wh (high word first); FC03 1/2/3 counts of DI, DO, metered DO; coils 102.. outputs.
function renderNetioInput(r: PduReadings): RegisterImage {
  const n = r.outlets.length;
  const img = new RegisterImage([[1, 6], [101, 101 + n], [201, 201 + n], [301, 303]]);
  const v = r.phases[0]?.voltageV ?? 0;
  img.set(1, 'u16', r.frequencyHz * 100).set(2, 'u16', v * 10);
  img.set(3, 'u16', (r.inlet.apparentVA > 0 ? r.inlet.powerW / r.inlet.apparentVA : 1) * 1000);
  img.set(4, 'u16', (r.phases[0]?.currentA ?? 0) * 1000).set(5, 'u16', r.inlet.powerW);
  r.outlets.forEach((o, k) => img.set(101 + k, 'u16', o.currentA * 1000).set(201 + k, 'u16', o.powerW));
  img.set(301, 'u32', Math.floor(r.inlet.energyWh));
  return img;
}

export function netioSlave(ctx: MapContext): ModbusSlave {
  const input = perStep(ctx, renderNetioInput);
  const holding = perStep(ctx, (r) => new RegisterImage([[1, 4]]).set(1, 'u16', 0).set(2, 'u16', r.outlets.length).set(3, 'u16', r.outlets.length));
  return { ...imageSlave(ctx.units, { input, holding }), ...relayCoils(ctx, 102) };
}

// ---- GUDE Expert PDU, §4.5 ------------------------------------------------------------------------
// Coils 0x000– are the ports (port n = coil n−1); the unit id is ignored (any id is answered).
export function gudeSlave(ctx: MapContext): ModbusSlave {
  return { units: ctx.units, readRegisters: () => EXC.illegalAddress, writeRegister: () => EXC.illegalAddress, ...relayCoils(ctx, 0) };
}
