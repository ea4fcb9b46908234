// The contract of a firmware module: a protocol (how to read and control a miner running this
// firmware) plus data (settle times, default account). No inheritance: a module is a plain
// object; open() gives the per-miner session that holds tokens, cached identity and the like.
// Parsers are pure functions exported next to each module, tested against fixtures.

import type { Secret } from '../../../config/secret.js';
import type { MinerError } from '../errors.js';
import type { DataPatch, FirmwareName, MinerData } from '../data.js';
import type { MinerIO } from '../link.js';

export interface Credentials {
  readonly user: string;
  readonly password: Secret;
}

/** What a group of readings is, so a failed command marks exactly its readings unknown. */
export type Group = 'identity' | 'hashrate' | 'power' | 'target' | 'state' | 'boards' | 'fans' | 'pools' | 'uptime' | 'errors';

/** One command (or multi-command) of a read, and the part of the record it fills. */
export interface Source {
  readonly name: string;
  readonly groups: readonly Group[];
  /** Identity data (model, version) that does not change: fetched until it succeeds once. */
  readonly once?: boolean;
  fetch(io: MinerIO): Promise<DataPatch>;
}

export interface SourceFailure {
  readonly source: string;
  readonly groups: readonly Group[];
  readonly error: MinerError;
  /** Not sent: an earlier request found the miner unreachable. */
  readonly skipped: boolean;
}

export interface ReadResult {
  readonly data: MinerData;
  /** Commands attempted (skipped ones included) and how many failed, for device health. */
  readonly requests: number;
  readonly failures: readonly SourceFailure[];
}

export type ControlCommand = { readonly type: 'set_power'; readonly watts: number } | { readonly type: 'pause' } | { readonly type: 'resume' };

export interface ControlCaps {
  readonly setPower?: { readonly minW: number; readonly maxW: number };
  readonly pause: boolean;
  readonly resume: boolean;
}

/** What verification compares: read back after every command. */
export interface ControlState {
  readonly mining: boolean | null;
  readonly targetW: number | null;
}

export interface ControlOutcome {
  /** What was sent, for events ("curtail sleep", "PUT performance/power-target 2500 W"). */
  readonly detail: string;
  /** The target the firmware will actually apply (LuxOS and VNish pick a profile ≤ the request). */
  readonly expectedTargetW?: number;
}

/**
 * Expected time from a command until the new power shows at the wall, per verb (ms). Sources in
 * docs/miners.md; figures the reference marks unverified are estimates and say so there.
 */
export interface Settle {
  readonly pauseMs: number;
  readonly resumeMs: number;
  readonly setPowerMs?: number;
}

export interface SessionContext {
  /** Configured credentials, or the firmware's factory default when none are configured. */
  readonly credentials: Credentials | undefined;
}

export interface FirmwareSession {
  /** Reads everything; commands that fail leave their fields null and are listed. */
  read(io: MinerIO): Promise<ReadResult>;
  /** The cheap read verification needs (state and power target). Rejects on failure. */
  readState(io: MinerIO): Promise<ControlState>;
  /** Sends a command. Rejects with a MinerError when the miner refuses it. */
  control(io: MinerIO, cmd: ControlCommand): Promise<ControlOutcome>;
  /** What this miner can do, refined by what it reported (e.g. its power-target range). */
  capabilities(last: MinerData | undefined): ControlCaps;
}

export interface FirmwareModule {
  readonly name: FirmwareName;
  /** Human name for diag: "Braiins OS", "LuxOS"… */
  readonly label: string;
  /** Factory account for writes (shared/reference/miners.md §3.1); null: the firmware has none. */
  readonly defaultCredentials: { readonly user: string; readonly password: string } | null;
  readonly settle: Settle;
  open(ctx: SessionContext): FirmwareSession;
}
