// What a simulated Modbus device model needs to serve the physics: the simulation, the PDU it
// is (or meters), and for meters the outlets it meters (none = the PDU's inlet).

import type { PduReadings } from '../../physics/readings.js';
import type { Simulation } from '../../simulation.js';
import { EXC, type ModbusSlave } from '../modbus-slave.js';
import type { RegisterImage } from '../register-image.js';

export interface MapContext {
  readonly sim: Simulation;
  readonly pdu: string;
  readonly outlets?: readonly number[];
  readonly units: readonly number[];
}

/** Renders at most once per physics step: the image is cached on the readings object. */
export function perStep(ctx: MapContext, render: (r: PduReadings) => RegisterImage): () => RegisterImage {
  const cache = new WeakMap<PduReadings, RegisterImage>();
  return () => {
    const r = ctx.sim.readings(ctx.pdu);
    let img = cache.get(r);
    if (!img) {
      img = render(r);
      cache.set(r, img);
    }
    return img;
  };
}

/** A read-only device whose registers come from images (tables without one answer exception 01). */
export function imageSlave(units: readonly number[], tables: { readonly holding?: () => RegisterImage; readonly input?: () => RegisterImage }): ModbusSlave {
  return {
    units,
    readRegisters: (table, address, count) => tables[table]?.().read(address, count) ?? EXC.illegalFunction,
    readBits: () => EXC.illegalFunction,
    writeCoil: () => EXC.illegalFunction,
    writeRegister: () => EXC.illegalFunction,
  };
}

/** Outlet relays as coils: outlet n at coil `base + n − 1`; FC01 reads, FC05 switches. */
export function relayCoils(ctx: MapContext, base: number): Pick<ModbusSlave, 'readBits' | 'writeCoil'> {
  const n = (): number => ctx.sim.readings(ctx.pdu).outlets.length;
  return {
    readBits(table, address, count) {
      if (table !== 'coil') return EXC.illegalAddress;
      if (address < base || address + count > base + n()) return EXC.illegalAddress;
      return Array.from({ length: count }, (_, i) => ctx.sim.relay(ctx.pdu, address - base + i + 1) ?? false);
    },
    writeCoil(address, on) {
      if (address < base || address >= base + n()) return EXC.illegalAddress;
      ctx.sim.setRelay(ctx.pdu, address - base + 1, on);
      return true;
    },
  };
}

export const degrees = (pf: number): number => (Math.acos(Math.max(-1, Math.min(1, pf))) * 180) / Math.PI;
