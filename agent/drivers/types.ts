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
  /** One sample per series of the driver, bad quality where a value could not be read. */
  readonly samples: readonly Sample[];
  /** Requests that failed in this poll (0 when the poll fully succeeded). */
  readonly failed: number;
  readonly requests: number;
  /** Why the last failure happened, for events and diag. */
  readonly error?: string;
}

export interface DeviceDriver {
  readonly info: DeviceInfo;
  /** The series this device produces; fixed for the driver's lifetime. */
  readonly series: readonly SeriesSpec[];
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
