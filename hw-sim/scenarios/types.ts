// A scenario: the rack's PDUs, the loads plugged into them, and a timeline of workload changes.
// Scenario files are data (hw-sim/scenarios/*.ts), listed in index.ts.

import type { LoadSpec, PduSpec } from '../physics/types.js';

export interface ScenarioPdu extends PduSpec {
  /** Register map the simulated device serves ("rackpilot-sim-pdu"). */
  readonly model: string;
  /** Modbus unit id the device answers. */
  readonly unit: number;
}

export type ScenarioLoad = Pick<LoadSpec, 'id' | 'family' | 'pdu' | 'outlet'> & Partial<LoadSpec> & {
  readonly demand?: number;
  readonly limitW?: number | null;
  /** When set, the load is also a device the agent talks to (a miner's API, a GPU host): the
   *  model name in hw-sim/devices/registry.ts plus that model's parameters. */
  readonly device?: { readonly model: string; readonly [param: string]: unknown };
};

export interface TimelineEvent {
  /** Simulated seconds from the start. */
  readonly atS: number;
  /** Repeat every this many seconds. */
  readonly everyS?: number;
  /** Load ids; a trailing "*" matches a prefix ("gpu-*"). */
  readonly loads: string;
  readonly set: { readonly demand?: number; readonly limitW?: number | null };
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly pdus: readonly ScenarioPdu[];
  readonly loads: readonly ScenarioLoad[];
  readonly timeline: readonly TimelineEvent[];
}

export function matches(selector: string, id: string): boolean {
  return selector.endsWith('*') ? id.startsWith(selector.slice(0, -1)) : selector === id;
}
