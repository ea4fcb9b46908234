// What a device family provides to the agent: resolving its config (references to files,
// cross-checks beyond the shape) and building its driver from real I/O supplied by main.ts.

import type { Issue } from '../config/shape.js';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/log.js';
import type { TcpDialer } from './modbus/tcp-link.js';
import type { HttpRequester } from './transport/http.js';
import type { DeviceDriver } from './types.js';

/** Real I/O, built only in agent/main.ts (and replaced in tests). */
export interface DriverDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly dial: TcpDialer;
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
  create(cfg: C, resolved: R, deps: DriverDeps): DeviceDriver;
}
