// Typed miner errors (stable codes) and how each maps to a reading quality.
import type { BadQuality } from '../../core/reading.js';
import { RackpilotError } from '../../runtime/errors.js';

export type MinerErrorCode =
  /** No reply within the read timeout (hung daemon). */
  | 'miner_timeout'
  /** TCP connect did not complete within the connect timeout. */
  | 'miner_connect_timeout'
  | 'miner_refused'
  /** Other socket failures (reset, unreachable) and an open circuit breaker. */
  | 'miner_unreachable'
  /** The peer closed without sending anything (daemon restarting, or a write it acted on). */
  | 'miner_closed'
  /** Framing or JSON that no cleanup step could repair, or a reply of the wrong shape. */
  | 'miner_bad_reply'
  /** "Socket connect failed": the API front end is up, the mining daemon is not. */
  | 'miner_backend_down'
  /** STATUS E/F, or a non-zero v3 code, other than the ones below. */
  | 'miner_status'
  /** cgminer code 45, Whatsminer 45/-4, HTTP 403: the command is not allowed on this miner. */
  | 'miner_access_denied'
  /** Wrong credentials (HTTP 401 after auth, Whatsminer 135 after a fresh token). */
  | 'miner_auth'
  /** LuxOS 402: another tool holds the only session. */
  | 'miner_session_busy'
  /** Whatsminer 136: too many token requests from this address. */
  | 'miner_token_limit'
  | 'miner_http'
  | 'miner_unsupported'
  | 'miner_detect_failed'
  | 'cancelled';

const TRANSPORT: ReadonlySet<MinerErrorCode> = new Set(['miner_timeout', 'miner_connect_timeout', 'miner_refused', 'miner_unreachable', 'cancelled']);
const RETRYABLE: ReadonlySet<MinerErrorCode> = new Set(['miner_timeout', 'miner_connect_timeout', 'miner_refused', 'miner_unreachable', 'miner_closed', 'miner_backend_down', 'miner_session_busy']);

export class MinerError extends RackpilotError {
  declare readonly code: MinerErrorCode;
  constructor(
    code: MinerErrorCode,
    message: string,
    /** The device's own status code where it sent one (cgminer Code, v3 code, HTTP status). */
    readonly deviceCode?: number,
    opts: { cause?: unknown } = {},
  ) {
    super(code, message, { retryable: RETRYABLE.has(code), ...opts });
    this.name = 'MinerError';
  }

  /** The miner cannot be reached at all: the rest of this poll would fail the same way. */
  get transport(): boolean {
    return TRANSPORT.has(this.code);
  }
}

export function asMinerError(err: unknown): MinerError {
  if (err instanceof MinerError) return err;
  if (err instanceof RackpilotError && err.code === 'cancelled') return new MinerError('cancelled', err.message, undefined, { cause: err });
  return new MinerError('miner_bad_reply', err instanceof Error ? err.message : String(err), undefined, { cause: err });
}

export function qualityOf(err: MinerError): BadQuality {
  switch (err.code) {
    case 'miner_timeout':
    case 'miner_connect_timeout':
    case 'cancelled':
      return 'timeout';
    case 'miner_bad_reply':
      return 'invalid';
    case 'miner_status':
    case 'miner_access_denied':
    case 'miner_auth':
    case 'miner_session_busy':
    case 'miner_token_limit':
    case 'miner_http':
      return 'device_error';
    case 'miner_unsupported':
      return 'unsupported';
    default:
      return 'comm_error';
  }
}
