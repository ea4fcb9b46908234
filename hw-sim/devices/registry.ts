// Simulated device models by name. Loads with a `device` (miners, GPU hosts) are started through
// DEVICE_MODELS; a scenario's Modbus PDUs and meters through MODBUS_MODELS (below), over TCP or on
// a simulated RS-485 bus (devices/modbus-devices.ts). Adding a model: a file in hw-sim/devices/
// and one entry below.

import type { Simulation } from '../simulation.js';
import type { MapContext } from './maps/context.js';
import { em24Slave, pm5xxxSlave, sdm120Slave, sdm630Slave } from './maps/meters.js';
import { gudeSlave, netioSlave, xerusSlave } from './maps/pdus.js';
import { antminerStock } from './miners/antminer.js';
import { braiinsOs } from './miners/braiins.js';
import { luxosSim } from './miners/luxos.js';
import { vnishSim } from './miners/vnish.js';
import { whatsminerV2Sim, whatsminerV3Sim } from './miners/whatsminer.js';
import type { ModbusSlave } from './modbus-slave.js';
import { SimGpuHost } from './sim-gpu-host.js';
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
  /** The device's own control surface (fault injection in tests), when it has one. */
  readonly control?: unknown;
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

/** Where a device that is a load is plugged in (its physics load's PDU and outlet). */
export function feedParams(sim: Simulation, loadId: string): { pdu?: string; outlet?: number } {
  const l = sim.load(loadId);
  return l ? { pdu: l.spec.pdu, outlet: l.spec.outlet } : {};
}

/** A GPU server load reached through the fake nvidia-smi (params: gpus, gpu, driver, baseW). */
const simGpuHost: DeviceModel = async ({ sim, host, port, id, params }) => {
  const num = (k: string, d: number): number => (typeof params[k] === 'number' ? params[k] : d);
  const str = (k: string, d: string): string => (typeof params[k] === 'string' ? params[k] : d);
  const gpus = num('gpus', 8);
  const gpu = str('gpu', 'h100-sxm5');
  const driver = str('driver', '550.54.15');
  const dev = new SimGpuHost(sim, id, { gpus, model: gpu, driver, baseW: num('baseW', 1200) });
  const ep = await dev.listen(host, port);
  return {
    endpoint: { device: id, kind: 'gpu-host', model: 'rackpilot-sim-gpu-host', protocol: 'nvidia-smi', host: ep.host, port: ep.port, params: { gpus, gpu, driver, ...feedParams(sim, id) } },
    control: dev,
    close: () => dev.close(),
  };
};

export const DEVICE_MODELS: ReadonlyMap<string, DeviceModel> = new Map([
  ['rackpilot-sim-gpu-host', simGpuHost],
  // ASIC miners, one model per firmware (hw-sim/devices/miners/, docs/hw-sim.md)
  ['antminer-stock', antminerStock],
  ['braiins-os', braiinsOs],
  ['luxos', luxosSim],
  ['whatsminer-v2', whatsminerV2Sim],
  ['whatsminer-v3', whatsminerV3Sim],
  ['vnish', vnishSim],
]);

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
