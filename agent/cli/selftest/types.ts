// What one device's self-test finds: its rows for the table, and the facts the checks across
// devices (wiring) and the support report (identities) need.

import type { CheckRow } from '../check-table.js';

export interface PduFacts {
  /** Outlet number → its power now, W (null: unknown). */
  readonly outletW: ReadonlyMap<number, number | null>;
  /** Outlet number → relay on (null: unknown, or the PDU does not report it). */
  readonly outletOn: ReadonlyMap<number, boolean | null>;
}

export interface LoadFacts {
  /** What the load says it draws through its own API, W (a GPU server: its GPUs, summed). */
  readonly apiW: number | null;
  /** The API figure is rackpilot's estimate from the model (stock Antminer), not measured. */
  readonly estimated: boolean;
  readonly kind: 'miner' | 'gpu';
  /** Where the config says it is plugged in. */
  readonly feed?: { readonly pdu: string; readonly outlet: number };
}

export interface DeviceFacts {
  readonly id: string;
  readonly kind: string;
  /** Reachable enough to read anything. */
  readonly reached: boolean;
  /** What the device says it is (profile identity registers, firmware and model, GPU names…). */
  readonly identity: Readonly<Record<string, string | number | null>>;
  readonly pdu?: PduFacts;
  readonly load?: LoadFacts;
}

export interface DeviceResult {
  readonly rows: readonly CheckRow[];
  readonly facts: DeviceFacts;
}
