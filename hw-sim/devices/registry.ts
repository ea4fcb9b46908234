// Simulated device models by name. Loads with a `device` (miners, GPU hosts) are started through
// DEVICE_MODELS; a scenario's Modbus PDUs and meters through MODBUS_MODELS (below), over TCP or on
// a simulated RS-485 bus (devices/modbus-devices.ts). Adding a model: a file in hw-sim/devices/
// and one entry below.

import type { Simulation } from '../simulation.js';
import { FaultInjector } from './faults.js';
import type { MapContext } from './maps/context.js';
import { em24Slave, pm5xxxSlave, sdm120Slave, sdm630Slave } from './maps/meters.js';
import { gudeSlave, netioSlave, xerusSlave } from './maps/pdus.js';
import { serveModbus } from './modbus-server.js';
import type { ModbusSlave } from './modbus-slave.js';
import { simPduSlave } from './sim-pdu.js';

/** Where and how a simulated device can be reached; enough for an agent config. */
export interface SimEndpoint {
  readonly device: string;
  /** Device kind as the agent sees it: "pdu", "meter", "miner", "gpu-host"… */
  readonly kind: string;
  readonly model: string;
  /** "modbus-tcp", "modbus-rtu", "cgminer", "http", "exec"… */
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  /** Model-specific facts an agent config needs (unit id, outlet count, credentials…). */
  readonly params: Readonly<Record<string, string | number | boolean>>;
}

export interface StartedDevice {
  readonly endpoint: SimEndpoint;
  close(): Promise<void>;
}

export interface DeviceStart {
  readonly sim: Simulation;
  readonly host: string;
  /** Port to listen on; 0 = any free port. */
  readonly port: number;
  /** The scenario entry: a PDU id, or a load id for devices that are loads. */
  readonly id: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export type DeviceModel = (s: DeviceStart) => Promise<StartedDevice>;

/** The reference PDU on its own TCP port (kept for callers of DEVICE_MODELS; scenarios use MODBUS_MODELS). */
const simPdu: DeviceModel = async ({ sim, host, port, id, params }) => {
  const pdu = sim.scenario.pdus.find((p) => p.id === id);
  if (!pdu) throw new Error(`no PDU ${id} in scenario ${sim.scenario.name}`);
  const unit = typeof params['unit'] === 'number' ? params['unit'] : 1;
  const device = { slave: simPduSlave(sim, id, [unit]), faults: new FaultInjector() };
  const ep = await serveModbus({ framing: 'tcp', host, port, unit: (u) => (u === unit ? device : undefined), device });
  return {
    endpoint: { device: id, kind: 'pdu', model: 'rackpilot-sim-pdu', protocol: 'modbus-tcp', host: ep.host, port: ep.port, params: { unit, outlets: pdu.outlets, breakerA: pdu.breakerA } },
    close: () => ep.close(),
  };
};

export const DEVICE_MODELS: ReadonlyMap<string, DeviceModel> = new Map([['rackpilot-sim-pdu', simPdu]]);

/**
 * Simulated Modbus PDUs and meters by model (= the agent's built-in profile of the same name).
 * Scenario PDUs and meters are served through these, over TCP or on an RTU bus
 * (devices/modbus-devices.ts). Adding one: a map in devices/maps/ and an entry here.
 */
export interface ModbusModel {
  readonly kind: 'pdu' | 'meter';
  /** Answers every unit id (GUDE: "Unit-ID is ignored"). */
  readonly anyUnit?: boolean;
  /** Has outlet relays the agent may switch. */
  readonly switched: boolean;
  slave(ctx: MapContext): ModbusSlave;
}

export const MODBUS_MODELS: ReadonlyMap<string, ModbusModel> = new Map<string, ModbusModel>([
  ['rackpilot-sim-pdu', { kind: 'pdu', switched: true, slave: (c) => simPduSlave(c.sim, c.pdu, c.units) }],
  ['xerus-pdu', { kind: 'pdu', switched: true, slave: xerusSlave }],
  ['netio-powerpdu', { kind: 'pdu', switched: true, slave: netioSlave }],
  ['gude-expert-pdu', { kind: 'pdu', switched: true, anyUnit: true, slave: gudeSlave }],
  ['eastron-sdm630', { kind: 'meter', switched: false, slave: sdm630Slave }],
  ['eastron-sdm120', { kind: 'meter', switched: false, slave: sdm120Slave }],
  ['schneider-pm5xxx', { kind: 'meter', switched: false, slave: pm5xxxSlave }],
  ['carlo-gavazzi-em24', { kind: 'meter', switched: false, slave: em24Slave }],
]);
