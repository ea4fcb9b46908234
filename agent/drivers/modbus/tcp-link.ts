// One Modbus/TCP connection to one device (host, port, unit id), built on jsmodbus's client and
// wrapped so its known gaps are handled here, in one place (shared/reference/modbus.md §7):
//  - the client must exist before the socket connects, or it stays 'offline' forever;
//  - after a timeout a late reply leaves the transaction ids out of step (OutOfSync cascades),
//    so a timeout or an OutOfSync closes the socket and the next request reconnects;
//  - a closed socket rejects requests at once, and reconnects are spaced by `reconnectDelayMs`.
//
// Concurrency: one request in flight per connection (jsmodbus queues in FIFO order). Requests are
// cancelled by their AbortSignal; an aborted request still occupies the line until its own timeout,
// which is why the link timeout must be shorter than the poll interval.

import type { Socket } from 'node:net';
import * as Modbus from 'jsmodbus';
import type { Clock } from '../../runtime/clock.js';
import { RackpilotError, withAbort } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/log.js';

export type Table = 'holding' | 'input' | 'coil' | 'discrete';

/** Opens a TCP connection; returns the socket at once (connecting). Supplied by main.ts. */
export type TcpDialer = (host: string, port: number) => Socket;

export type ModbusErrorCode = 'modbus_timeout' | 'modbus_exception' | 'modbus_offline' | 'modbus_out_of_sync' | 'modbus_bad_response' | 'cancelled';

export class ModbusError extends RackpilotError {
  constructor(
    code: ModbusErrorCode,
    message: string,
    readonly exceptionCode?: number,
    opts: { cause?: unknown } = {},
  ) {
    // Exception 06 (server busy) is the only one worth retrying (Telegraf busy_retries).
    super(code, message, { retryable: code === 'modbus_timeout' || code === 'modbus_offline' || exceptionCode === 6, ...opts });
    this.name = 'ModbusError';
  }
}

export interface TcpLinkOptions {
  readonly host: string;
  readonly port: number;
  readonly unitId: number;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectDelayMs: number;
}

export interface LinkCounters {
  requests: number;
  responses: number;
  timeouts: number;
  exceptions: number;
  commErrors: number;
  outOfSync: number;
  connects: number;
  reconnects: number;
}

export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

interface Conn {
  readonly socket: Socket;
  readonly client: Modbus.ModbusTCPClient;
  readonly ready: Promise<void>;
}

export class ModbusTcpLink {
  readonly counters: LinkCounters = { requests: 0, responses: 0, timeouts: 0, exceptions: 0, commErrors: 0, outOfSync: 0, connects: 0, reconnects: 0 };
  private conn: Conn | undefined;
  private nextConnectAt = 0;
  private closed = false;
  private everConnected = false;

  constructor(
    readonly opts: TcpLinkOptions,
    private readonly deps: { dial: TcpDialer; clock: Clock; log: Logger },
  ) {}

  get address(): string {
    return `tcp://${this.opts.host}:${this.opts.port}#${this.opts.unitId}`;
  }

  get connected(): boolean {
    return this.conn !== undefined && !this.conn.socket.destroyed;
  }

  /** Reads `count` registers (bytes, 2 per register) or bits (one byte 0/1 per bit). */
  async read(table: Table, address: number, count: number, signal?: AbortSignal): Promise<Buffer> {
    const res = await this.request(signal, (c): Promise<{ response: { body: unknown } }> => {
      switch (table) {
        case 'holding': return c.readHoldingRegisters(address, count);
        case 'input': return c.readInputRegisters(address, count);
        case 'coil': return c.readCoils(address, count);
        case 'discrete': return c.readDiscreteInputs(address, count);
      }
    });
    const body = res.response.body as { valuesAsBuffer: Buffer; valuesAsArray: ArrayLike<number | boolean> };
    if (table === 'coil' || table === 'discrete') {
      const bits = body.valuesAsArray;
      if (bits.length < count) throw new ModbusError('modbus_bad_response', `asked for ${count} bits, got ${bits.length}`);
      return Buffer.from(Array.from({ length: count }, (_, i) => (bits[i] ? 1 : 0)));
    }
    const buf = body.valuesAsBuffer;
    if (buf.length !== count * 2) throw new ModbusError('modbus_bad_response', `asked for ${count} registers, got ${buf.length / 2}`);
    return buf;
  }

  async writeCoil(address: number, on: boolean, signal?: AbortSignal): Promise<void> {
    await this.request(signal, (c) => c.writeSingleCoil(address, on));
  }

  async writeRegister(address: number, value: number, signal?: AbortSignal): Promise<void> {
    await this.request(signal, (c) => c.writeSingleRegister(address, value));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.drop();
    return Promise.resolve();
  }

  private async request<R extends { response: { body: unknown } }>(signal: AbortSignal | undefined, send: (c: Modbus.ModbusTCPClient) => Promise<R>): Promise<R> {
    if (signal?.aborted) throw new ModbusError('cancelled', 'cancelled before sending');
    const conn = await withAbort(this.connection(), signal).catch((err: unknown) => {
      throw err instanceof ModbusError ? err : new ModbusError('cancelled', 'cancelled while connecting', undefined, { cause: err });
    });
    this.counters.requests++;
    try {
      const res = await withAbort(send(conn.client), signal);
      this.counters.responses++;
      return res;
    } catch (err) {
      throw this.classify(err, conn);
    }
  }

  private classify(err: unknown, conn: Conn): ModbusError {
    if (err instanceof RackpilotError && err.code === 'cancelled') return new ModbusError('cancelled', err.message, undefined, { cause: err });
    const e = err as { err?: string; message?: string; response?: { body?: { code?: number } } };
    switch (e.err) {
      case 'ModbusException': {
        this.counters.exceptions++;
        const code = e.response?.body?.code ?? 0;
        return new ModbusError('modbus_exception', `exception ${code} (${EXCEPTION_NAMES[code] ?? 'unknown'})`, code);
      }
      case 'Timeout':
        this.counters.timeouts++;
        this.dropIf(conn, 'timeout'); // a late reply would put the transaction ids out of step
        return new ModbusError('modbus_timeout', `no reply within ${this.opts.timeoutMs} ms`);
      case 'OutOfSync':
      case 'Protocol':
        this.counters.outOfSync++;
        this.dropIf(conn, 'out of sync');
        return new ModbusError('modbus_out_of_sync', e.message ?? 'response did not match the request');
      case 'Offline':
      case 'ManuallyCleared':
        this.counters.commErrors++;
        this.dropIf(conn, 'offline');
        return new ModbusError('modbus_offline', e.message ?? 'connection closed');
      default:
        this.counters.commErrors++;
        this.dropIf(conn, 'error');
        return new ModbusError('modbus_offline', e.message ?? String(err), undefined, { cause: err });
    }
  }

  private connection(): Promise<Conn> {
    if (this.closed) return Promise.reject(new ModbusError('modbus_offline', 'link closed'));
    const c = this.conn;
    if (c && !c.socket.destroyed) return c.ready.then(() => c);
    const now = this.deps.clock.monotonic();
    if (now < this.nextConnectAt) {
      return Promise.reject(new ModbusError('modbus_offline', `reconnect in ${Math.ceil(this.nextConnectAt - now)} ms`));
    }
    this.nextConnectAt = now + this.opts.reconnectDelayMs;
    const socket = this.deps.dial(this.opts.host, this.opts.port);
    socket.setNoDelay(true);
    // The client must be attached before 'connect' fires (jsmodbus tracks online state by it).
    const client = new Modbus.client.TCP(socket, this.opts.unitId, this.opts.timeoutMs);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = this.deps.clock.setTimeout(() => {
        socket.destroy();
        reject(new ModbusError('modbus_offline', `connect to ${this.opts.host}:${this.opts.port} timed out after ${this.opts.connectTimeoutMs} ms`));
      }, this.opts.connectTimeoutMs);
      socket.once('connect', () => {
        timer.cancel();
        this.counters.connects++;
        if (this.everConnected) this.counters.reconnects++;
        this.everConnected = true;
        resolve();
      });
      socket.once('error', (err) => {
        timer.cancel();
        this.counters.commErrors++;
        reject(new ModbusError('modbus_offline', `connect to ${this.opts.host}:${this.opts.port} failed: ${err.message}`, undefined, { cause: err }));
      });
    });
    // Errors after connect surface through jsmodbus as 'Offline'; keep the socket from throwing.
    socket.on('error', (err) => this.deps.log.debug('modbus socket error', { address: this.address, err: err.message }));
    socket.once('close', () => {
      if (this.conn?.socket === socket) this.conn = undefined;
    });
    const conn: Conn = { socket, client, ready };
    this.conn = conn;
    ready.catch(() => {
      if (this.conn === conn) this.conn = undefined;
    });
    return ready.then(() => conn);
  }

  private dropIf(conn: Conn, why: string): void {
    if (this.conn === conn) {
      this.deps.log.debug('modbus connection reset', { address: this.address, why });
      this.drop();
    }
  }

  private drop(): void {
    const c = this.conn;
    this.conn = undefined;
    c?.socket.destroy();
  }
}
