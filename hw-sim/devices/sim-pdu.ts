// The hw-sim reference PDU ("rackpilot-sim-pdu", map version 1; docs/hw-sim.md). Serves the
// physics model's readings as holding registers and switches outlet relays through coils.
// Written from the documented map, not from the agent's profile, so that a wrong address in
// either one shows up in the contract tests.

import { encodeNumber } from '../../protocols/modbus/values.js';
import type { Simulation } from '../simulation.js';
import type { BitTable, ModbusSlave, RegisterTable } from './modbus-slave.js';
import { EXC } from './modbus-slave.js';

export const SIM_PDU_MAP_VERSION = 1;
const PHASE_BASE = 0x0020;
const OUTLET_BASE = 0x0100;
const BLOCK = 0x10;

/** Renders the whole register space from the current readings. */
export function renderSimPdu(sim: Simulation, pduId: string): Buffer {
  const r = sim.readings(pduId);
  const outlets = r.outlets.length;
  const regs = Buffer.alloc((OUTLET_BASE + outlets * BLOCK) * 2);
  const put = (addr: number, b: Buffer): void => {
    b.copy(regs, addr * 2);
  };
  put(0x0000, encodeNumber(SIM_PDU_MAP_VERSION, 'u16', 'ABCD'));
  put(0x0001, encodeNumber(r.phases.length, 'u16', 'ABCD'));
  put(0x0002, encodeNumber(outlets, 'u16', 'ABCD'));
  put(0x0003, encodeNumber(r.breakerA, 'u16', 'ABCD'));
  put(0x0010, encodeNumber(r.inlet.powerW, 'f32', 'ABCD'));
  put(0x0012, encodeNumber(r.inlet.apparentVA, 'f32', 'ABCD'));
  put(0x0014, encodeNumber(Math.floor(r.inlet.energyWh), 'u32', 'ABCD'));
  put(0x0016, encodeNumber(r.frequencyHz, 'f32', 'ABCD'));
  r.phases.forEach((p, i) => {
    const b = PHASE_BASE + i * BLOCK;
    put(b + 0x0, encodeNumber(p.voltageV, 'f32', 'ABCD'));
    put(b + 0x2, encodeNumber(p.currentA, 'f32', 'ABCD'));
    put(b + 0x4, encodeNumber(p.powerW, 'f32', 'ABCD'));
    put(b + 0x6, encodeNumber(p.apparentVA, 'f32', 'ABCD'));
    put(b + 0x8, encodeNumber(p.pf, 'f32', 'ABCD'));
    put(b + 0xa, encodeNumber(Math.floor(p.energyWh), 'u32', 'ABCD'));
  });
  r.outlets.forEach((o, i) => {
    const b = OUTLET_BASE + i * BLOCK;
    put(b + 0x0, encodeNumber(o.currentA, 'f32', 'ABCD'));
    put(b + 0x2, encodeNumber(o.powerW, 'f32', 'ABCD'));
    put(b + 0x4, encodeNumber(o.pf, 'f32', 'ABCD'));
    put(b + 0x6, encodeNumber(Math.floor(o.energyWh), 'u32', 'ABCD'));
    put(b + 0x8, encodeNumber(o.on ? 1 : 0, 'u16', 'ABCD'));
    put(b + 0x9, encodeNumber(o.phase, 'u16', 'ABCD'));
  });
  return regs;
}

export function simPduSlave(sim: Simulation, pduId: string, units: readonly number[]): ModbusSlave {
  const outlets = (): number => sim.readings(pduId).outlets.length;
  return {
    /** A telemetry_loss fault makes the PDU deaf: requests get no reply and time out. */
    get units() {
      return sim.faultActive(pduId, 'telemetry_loss') ? [] : units;
    },
    readRegisters(table: RegisterTable, address: number, count: number) {
      if (table !== 'holding') return EXC.illegalFunction; // the map is holding registers only
      const regs = renderSimPdu(sim, pduId);
      if (address + count > regs.length / 2) return EXC.illegalAddress;
      return regs.subarray(address * 2, (address + count) * 2);
    },
    readBits(table: BitTable, address: number, count: number) {
      if (table !== 'coil') return EXC.illegalFunction;
      if (address + count > outlets()) return EXC.illegalAddress;
      return Array.from({ length: count }, (_, i) => sim.relay(pduId, address + i + 1) ?? false);
    },
    writeCoil(address: number, on: boolean) {
      if (address >= outlets()) return EXC.illegalAddress;
      sim.setRelay(pduId, address + 1, on);
      return true;
    },
    writeRegister() {
      return EXC.illegalAddress; // no writable registers in map version 1
    },
  };
}
