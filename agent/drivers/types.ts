// The contract every device driver implements. Small on purpose: the scheduler polls, the
// rack model consumes samples, the uplink describes devices and series from here.

import type { Sample } from '../core/reading.js';
import type { SeriesSpec } from '../core/series.js';

export type DeviceKind = 'pdu' | 'meter' | 'miner' | 'gpu' | 'host';

export interface DeviceInfo {
  readonly id: string;
  readonly kind: DeviceKind;
  /** Profile or model name, e.g. "rackpilot-sim-pdu". */
  readonly model: string;
  /** Where the device is reached, e.g. "tcp://127.0.0.1:5020#1". Never contains credentials. */
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface PollResult {
  /**
   * One sample per series of the driver, bad quality where a value could not be read. A driver
   * whose device reports on its own (a GPU server's nvidia-smi stream) returns NOTHING_NEW when
   * nothing arrived since the previous poll; its health is then left as it was.
   */
  readonly samples: readonly Sample[];
  /** Requests that failed in this poll (0 when the poll fully succeeded). */
  readonly failed: number;
  readonly requests: number;
  /** Why the last failure happened, for events and diag. */
  readonly error?: string;
}

/** What poll() returns when nothing new was read since the previous poll. */
export const NOTHING_NEW: PollResult = { samples: [], failed: 0, requests: 0 };

/**
 * A driver's own poll schedule: the one way slow devices are read (miners every 5–15 s, the
 * controller host every 10 s, GPU servers read one nvidia-smi call at a time). Drivers that share
 * an interval form a poll group with its own fixed-rate scheduler, so a slow group never delays
 * the PDU cycle; a poll that outlives its interval is aborted by the group's deadline. Their
 * series carry `maxAgeMs`.
 */
export interface PollSchedule {
  readonly intervalMs: number;
  /**
   * At most this many drivers of the group poll at once (the smallest value in a group applies;
   * Infinity: no bound of the driver's own, so it never narrows a group it shares).
   */
  readonly concurrency: number;
}

export interface DeviceDriver {
  readonly info: DeviceInfo;
  /** The series this device produces; fixed for the driver's lifetime. */
  readonly series: readonly SeriesSpec[];
  /** Absent: polled every `poll.intervalMs` in the main cycle. */
  readonly schedule?: PollSchedule;
  /**
   * Reads every point once. Never rejects for device or transport failures: those become
   * samples of bad quality. `signal` aborts at the cycle deadline; the driver must then settle
   * promptly (samples not yet read are reported as timeouts).
   * Concurrency: the scheduler never calls poll() again before the previous one settled.
   */
  poll(signal: AbortSignal): Promise<PollResult>;
  /** Counters for metrics and diag (requests, timeouts, exceptions, reconnects…). */
  counters(): Readonly<Record<string, number>>;
  /** Closes connections. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Actuators: how the agent changes a load's power. Drivers expose them; the controller drives
// them. One contract for miners (power target, pause), GPUs (power limit) and PDU outlets.

export type ActuatorCommand =
  /** Miner power target or GPU power limit, W (clamped by the actuator to its range). */
  | { readonly type: 'set_power'; readonly watts: number }
  /** Miner: stop hashing (sleep / curtail / pause); the load falls to its idle draw. */
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  /** PDU outlet relay: the last resort for a load that does not answer. */
  | { readonly type: 'outlet_off' }
  | { readonly type: 'outlet_on' }
  /** Back to the setting the device had before the agent changed it. */
  | { readonly type: 'restore' };

export interface ActuatorCapabilities {
  readonly setPower?: { readonly minW: number; readonly maxW: number };
  readonly pause?: boolean;
  readonly outlet?: boolean;
}

export interface ActuationResult {
  readonly ok: boolean;
  /** The new state was read back from the device and matches the command. */
  readonly verified: boolean;
  /** One line for events and diag: what was done, or why it failed. */
  readonly detail: string;
  /** The limit/target the device reports after the command, W, when it reports one. */
  readonly observedW?: number | null;
}

export interface PowerActuator {
  /** Unique within the agent, e.g. "miner-03", "gpu-host-1/0", "pdu-a/outlet/7". */
  readonly id: string;
  /** The device it belongs to. */
  readonly device: string;
  readonly kind: 'miner' | 'gpu' | 'outlet';
  readonly capabilities: ActuatorCapabilities;
  /** Expected time from a command until the new power shows in readings (per firmware/model). */
  readonly settleMs: number;
  /** Where it differs by command (a miner pauses in seconds but re-tunes in minutes). */
  readonly settleByCommand?: Readonly<Partial<Record<ActuatorCommand['type'], number>>>;
  /**
   * Sends the command and reads the state back. Never rejects for device or transport failures
   * (ok: false with the reason). Concurrency: one command at a time per actuator; the caller
   * awaits each. `signal` aborts a command that outlives the control cycle's deadline.
   */
  apply(cmd: ActuatorCommand, signal: AbortSignal): Promise<ActuationResult>;
}

/** Drivers that can change power implement this next to DeviceDriver. */
export interface ActuatingDriver extends DeviceDriver {
  actuators(): readonly PowerActuator[];
}

/** The settle time to expect after this command: its own when the actuator knows it, else settleMs. */
export function settleFor(a: PowerActuator, type: ActuatorCommand['type']): number {
  return a.settleByCommand?.[type] ?? a.settleMs;
}

export function isActuating(d: DeviceDriver): d is ActuatingDriver {
  return typeof (d as Partial<ActuatingDriver>).actuators === 'function';
}
