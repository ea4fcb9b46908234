// A scenario: the rack's PDUs, the loads plugged into them, and a timeline of workload changes.
// Scenario files are data (hw-sim/scenarios/*.ts), listed in index.ts.

import type { FaultSpec } from '../devices/faults.js';
import type { LoadSpec, PduSpec } from '../physics/types.js';

/** How a simulated Modbus device is reached: its own TCP port, or a unit on a serial bus. */
export type ScenarioLink = { readonly type: 'tcp' } | { readonly type: 'rtu'; readonly bus: string };

export interface ScenarioPdu extends PduSpec {
  /** Register map the simulated device serves ("rackpilot-sim-pdu", "xerus-pdu"…). */
  readonly model: string;
  /** Modbus unit id the device answers. */
  readonly unit: number;
  /** Default: its own Modbus/TCP port. */
  readonly link?: ScenarioLink;
}

/** A power meter on a PDU's inlet (no outlets) or on some of its outlets. */
export interface ScenarioMeter {
  readonly id: string;
  /** Register map ("eastron-sdm630", "schneider-pm5xxx"…), hw-sim/devices/registry.ts. */
  readonly model: string;
  readonly unit: number;
  readonly pdu: string;
  readonly outlets?: readonly number[];
  readonly link?: ScenarioLink;
}

/**
 * A simulated RS-485 bus: RTU devices share it, one request at a time. It is reached through a
 * pty (socat; the agent opens it as a serial port) or as an RTU-over-TCP gateway on a port.
 */
export interface ScenarioBus {
  readonly id: string;
  readonly baud: number;
  readonly parity: 'none' | 'even' | 'odd';
  readonly dataBits?: number;
  readonly stopBits?: number;
  readonly expose: 'pty' | 'gateway';
  /** Emulate line timing at the baud rate (default true). */
  readonly emulateTiming?: boolean;
  /** Device turnaround, ms (default 0). */
  readonly turnaroundMs?: number;
}

export type ScenarioLoad = Pick<LoadSpec, 'id' | 'family' | 'pdu' | 'outlet'> & Partial<LoadSpec> & {
  readonly demand?: number;
  readonly limitW?: number | null;
  /** When set, the load is also a device the agent talks to (a miner's API, a GPU host): the
   *  model name in hw-sim/devices/registry.ts plus that model's parameters. */
  readonly device?: { readonly model: string; readonly [param: string]: unknown };
};

/** A workload change: loads' demand (GPU utilisation, miner hashing) or limit. */
export interface LoadEvent {
  /** Simulated seconds from the start. */
  readonly atS: number;
  /** Repeat every this many seconds. */
  readonly everyS?: number;
  /** Load ids; a trailing "*" matches a prefix ("gpu-*"). */
  readonly loads: string;
  readonly set: { readonly demand?: number; readonly limitW?: number | null };
}

/**
 * Faults a scenario injects:
 *   telemetry_loss   a device stops answering its protocol (a PDU's Modbus requests time out)
 *   ignore_commands  a load acknowledges control commands and does not act on them
 */
export type FaultKind = 'telemetry_loss' | 'ignore_commands';

export interface FaultEvent {
  readonly atS: number;
  readonly everyS?: number;
  readonly fault: FaultKind;
  /** Device or load ids; a trailing "*" matches a prefix. */
  readonly target: string;
  /** How long the fault lasts, s; forever when absent. */
  readonly forS?: number;
}

export type TimelineEvent = LoadEvent | FaultEvent;

/**
 * What the hub (or an operator) does during a scenario, for the agent-in-the-loop runs (demo,
 * tests, bench): commands as the hub API takes them, and outages of the hub link. hw-sim itself
 * only carries them; it has no hub.
 */
export type HubEvent =
  | { readonly atS: number; readonly command: Readonly<Record<string, string | number | boolean>> }
  | { readonly atS: number; readonly outageS: number };

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly pdus: readonly ScenarioPdu[];
  readonly loads: readonly ScenarioLoad[];
  readonly timeline: readonly TimelineEvent[];
  readonly meters?: readonly ScenarioMeter[];
  readonly buses?: readonly ScenarioBus[];
  /** Faults active from the start, by device id (hw-sim/devices/faults.ts). */
  readonly faults?: readonly { readonly device: string; readonly fault: FaultSpec }[];
  readonly hub?: readonly HubEvent[];
  /** The rack's local cap, kW, for the agent config written for this scenario (control.rackKw). */
  readonly rackKw?: number;
  /** How long the scenario's story takes, s (tests and benchmarks run it this long). */
  readonly durationS?: number;
}

export function matches(selector: string, id: string): boolean {
  return selector.endsWith('*') ? id.startsWith(selector.slice(0, -1)) : selector === id;
}

/** The reference PDU of the scenarios: 3-phase, 24 outlets, 230 V, 32 A per phase, unit 1. */
export function simPdu(id: string, over: Partial<ScenarioPdu> = {}): ScenarioPdu {
  return { id, model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 24, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA: 32, ...over };
}
