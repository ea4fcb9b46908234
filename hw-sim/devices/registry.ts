// Simulated device models by name. A scenario's PDUs and any load with a `device` are started
// through here. Adding a model: a file in hw-sim/devices/ and one entry below.

import type { Simulation } from '../simulation.js';
import { antminerStock } from './miners/antminer.js';
import { braiinsOs } from './miners/braiins.js';
import { luxosSim } from './miners/luxos.js';
import { vnishSim } from './miners/vnish.js';
import { whatsminerV2Sim, whatsminerV3Sim } from './miners/whatsminer.js';
import { serveModbusTcp } from './modbus-tcp-server.js';
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

const simPdu: DeviceModel = async ({ sim, host, port, id, params }) => {
  const pdu = sim.scenario.pdus.find((p) => p.id === id);
  if (!pdu) throw new Error(`no PDU ${id} in scenario ${sim.scenario.name}`);
  const unit = typeof params['unit'] === 'number' ? params['unit'] : 1;
  const ep = await serveModbusTcp(simPduSlave(sim, id, [unit]), host, port);
  return {
    endpoint: { device: id, kind: 'pdu', model: 'rackpilot-sim-pdu', protocol: 'modbus-tcp', host: ep.host, port: ep.port, params: { unit, outlets: pdu.outlets, breakerA: pdu.breakerA } },
    close: () => ep.close(),
  };
};

export const DEVICE_MODELS: ReadonlyMap<string, DeviceModel> = new Map([
  ['rackpilot-sim-pdu', simPdu],
  // ASIC miners, one model per firmware (hw-sim/devices/miners/, docs/hw-sim.md)
  ['antminer-stock', antminerStock],
  ['braiins-os', braiinsOs],
  ['luxos', luxosSim],
  ['whatsminer-v2', whatsminerV2Sim],
  ['whatsminer-v3', whatsminerV3Sim],
  ['vnish', vnishSim],
]);
