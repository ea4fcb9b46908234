// Modbus errors with stable codes, and how each one shows in a reading's quality.

import { EXCEPTION_NAMES } from '../../../protocols/modbus/pdu.js';
import type { BadQuality } from '../../core/reading.js';
import { RackpilotError } from '../../runtime/errors.js';

export type ModbusErrorCode =
  /** No reply within the request's timeout. */
  | 'modbus_timeout'
  /** The device answered with an exception (exceptionCode says which). */
  | 'modbus_exception'
  /** No connection: connect failed, the peer closed it, or the line waits to reconnect. */
  | 'modbus_offline'
  /** RTU: a reply for this request arrived, but its CRC did not match. */
  | 'modbus_crc'
  /** A reply that does not fit the request (byte count, echo, function code). */
  | 'modbus_bad_response'
  /** Aborted by the caller (cycle deadline). */
  | 'cancelled';

export class ModbusError extends RackpilotError {
  constructor(
    code: ModbusErrorCode,
    message: string,
    readonly exceptionCode?: number,
    opts: { cause?: unknown } = {},
  ) {
    // Exception 06 (server busy) is the only exception worth retrying (Telegraf busy_retries).
    super(code, message, { retryable: code === 'modbus_timeout' || code === 'modbus_offline' || code === 'modbus_crc' || exceptionCode === 6, ...opts });
    this.name = 'ModbusError';
  }

  static exception(code: number): ModbusError {
    return new ModbusError('modbus_exception', `exception ${code} (${EXCEPTION_NAMES[code] ?? 'unknown'})`, code);
  }
}

export function qualityOf(err: unknown): BadQuality {
  if (!(err instanceof ModbusError)) return 'comm_error';
  switch (err.code) {
    case 'modbus_timeout':
    case 'cancelled':
      return 'timeout';
    case 'modbus_exception':
      return err.exceptionCode === 2 ? 'unsupported' : 'device_error';
    default:
      return 'comm_error';
  }
}

/** "code: message", the detail carried by a bad reading. */
export function detailOf(err: unknown): string {
  return err instanceof RackpilotError ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err);
}
