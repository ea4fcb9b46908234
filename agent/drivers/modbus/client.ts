// A device's view of its Modbus line: requests to one unit id with the device's timeout and busy
// retries, counted in the device's own counters (the line keeps the totals).

import type { ModbusRequest, ReadFc } from '../../../protocols/modbus/pdu.js';
import { ModbusError } from './errors.js';
import { zeroCounters, type ModbusCounters } from './counters.js';
import type { ModbusLine } from './line.js';
import type { Priority } from './queue.js';

export type Table = 'holding' | 'input' | 'coil' | 'discrete';

export const READ_FC: Readonly<Record<Table, ReadFc>> = { coil: 1, discrete: 2, holding: 3, input: 4 };

export function isBitTable(t: Table): t is 'coil' | 'discrete' {
  return t === 'coil' || t === 'discrete';
}

export interface UnitOptions {
  readonly unit: number;
  readonly timeoutMs: number;
  /** Retries after exception 06 (busy); no other failure is retried here. */
  readonly busyRetries: number;
  readonly busyRetryDelayMs: number;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** 'control' for writes that shed load (and their read-back); default 'telemetry'. */
  readonly priority?: Priority;
}

export class ModbusClient {
  readonly counters: ModbusCounters = zeroCounters();

  constructor(
    readonly line: ModbusLine,
    readonly opts: UnitOptions,
  ) {}

  /** e.g. "rtu:///dev/ttyUSB0#3" */
  get address(): string {
    return `${this.line.opts.key}#${this.opts.unit}`;
  }

  /**
   * Reads `count` registers (the raw bytes, 2 per register) or bits (one byte 0/1 per bit).
   * Rejects with a ModbusError.
   */
  async read(table: Table, address: number, count: number, o: CallOptions = {}): Promise<Uint8Array> {
    const body = await this.call({ fc: READ_FC[table], address, count }, o);
    if (body.kind === 'registers') return body.data;
    if (body.kind === 'bits') return body.bits;
    throw new ModbusError('modbus_bad_response', `unexpected ${body.kind} reply to a read`);
  }

  async writeCoil(address: number, on: boolean, o: CallOptions = {}): Promise<void> {
    await this.call({ fc: 5, address, on }, o);
  }

  async writeRegister(address: number, value: number, o: CallOptions = {}): Promise<void> {
    await this.call({ fc: 6, address, value }, o);
  }

  private call(req: ModbusRequest, o: CallOptions) {
    return this.line.request(req, {
      unit: this.opts.unit,
      timeoutMs: this.opts.timeoutMs,
      busyRetries: this.opts.busyRetries,
      busyRetryDelayMs: this.opts.busyRetryDelayMs,
      counters: this.counters,
      ...(o.priority ? { priority: o.priority } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }
}
