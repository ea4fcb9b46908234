// What a device family provides to the agent: resolving its config (references to files,
// cross-checks beyond the shape) and building its driver from real I/O supplied by main.ts.

import type { Issue } from '../config/shape.js';
import type { Clock } from '../runtime/clock.js';
import type { Exec, ExecStream } from '../runtime/exec.js';
import type { Logger } from '../runtime/log.js';
import type { HostSystem } from './host/system.js';
import type { ModbusLines } from './modbus/lines.js';
import type { HttpRequester } from './transport/http.js';
import type { SerialOpener } from './transport/serial.js';
import type { TcpDialer } from './transport/tcp.js';
import type { DeviceDriver } from './types.js';

/** Real I/O, built only in agent/main.ts (and replaced in tests). */
export interface DriverDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly dial: TcpDialer;
  /** Runs a child process (argv, timeout, kill of its process group); gpu-host needs it. */
  readonly exec?: Exec;
  /** Runs a long-lived child read line by line (kill of its process group); gpu-host's stream mode needs it. */
  readonly execStream?: ExecStream;
  /** The controller's own OS (files under /proc and /sys, os, systeminformation); host needs it. */
  readonly host?: HostSystem;
  /** Opens serial ports (agent/drivers/transport/serial.ts); absent where no serial device is configured. */
  readonly openSerial?: SerialOpener;
  /** Modbus lines shared by the devices at the same place (one per agent; built in main.ts). */
  readonly modbusLines?: ModbusLines;
  /** One HTTP request per call (miner web interfaces and REST APIs; transport/http.ts). */
  readonly http?: HttpRequester;
}

export interface ResolveContext {
  /** Directory of the config file, for relative paths. */
  readonly baseDir: string;
  /** Config path of this device, e.g. "devices[2]", for issues. */
  readonly path: string;
}

export type Resolution<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly issues: readonly Issue[] };

export interface DeviceFamily<C, R> {
  /** Checks beyond the shape and loads what the config refers to. Never throws for bad config. */
  resolve(cfg: C, ctx: ResolveContext): Promise<Resolution<R>>;
  /** Checks across this family's resolved devices (e.g. devices sharing one bus must agree). */
  crossCheck?(devices: readonly { readonly config: C; readonly path: string; readonly resolved: R }[]): readonly Issue[];
  create(cfg: C, resolved: R, deps: DriverDeps): DeviceDriver;
}
