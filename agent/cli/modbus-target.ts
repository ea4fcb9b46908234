// What the `diag modbus` commands share: the flags that say where a device is (--host or
// --serial with its format), validated with the same transport shape as the config; the client
// they build with the agent's own I/O and lines; and terminal styling (colours only on a TTY).

import { silenceMs } from '../../protocols/modbus/rtu-timing.js';
import { ConfigError } from '../config/shape.js';
import { ModbusClient } from '../drivers/modbus/client.js';
import { lineKey, type LineSpec } from '../drivers/modbus/lines.js';
import { transportShape } from '../drivers/pdu/config.js';
import { createDriverDeps } from '../main.js';
import { systemClock } from '../runtime/clock.js';
import { createLogger } from '../runtime/log.js';
import { UsageError, type FlagSpec, type Flags } from './args.js';

export const TARGET_FLAGS: Readonly<Record<string, FlagSpec>> = {
  host: { type: 'string', value: 'HOST:PORT', help: 'Modbus/TCP device or gateway (port 502 if omitted)' },
  rtu: { type: 'boolean', help: 'with --host: RTU frames over TCP (a serial gateway in transparent mode)' },
  serial: { type: 'string', value: 'DEV', help: 'serial device for RTU over RS-485, e.g. /dev/ttyUSB0' },
  baud: { type: 'number', value: 'B', help: 'with --serial: baud rate' },
  parity: { type: 'string', value: 'N|E|O', help: 'with --serial: parity', default: 'N' },
  'stop-bits': { type: 'number', value: '1|2', help: 'with --serial: stop bits', default: 1 },
  unit: { type: 'number', value: 'N', help: 'unit id (slave address)' },
  timeout: { type: 'number', value: 'MS', help: 'per-request timeout, ms' },
};

const PARITY: Readonly<Record<string, 'none' | 'even' | 'odd'>> = { N: 'none', E: 'even', O: 'odd' };

/** The line to open for --host/--serial, checked like a config transport. Throws UsageError. */
export function targetSpec(flags: Flags): LineSpec {
  const host = flags['host'];
  const serial = flags['serial'];
  if ((host === undefined) === (serial === undefined)) throw new UsageError('give either --host HOST:PORT or --serial DEV --baud B');
  let raw: Record<string, unknown>;
  if (typeof host === 'string') {
    const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(host);
    if (!m) throw new UsageError(`--host must be HOST or HOST:PORT (got "${host}")`);
    raw = { type: flags['rtu'] ? 'rtu-over-tcp' : 'tcp', host: m[1] ?? m[2], ...(m[3] ? { port: Number(m[3]) } : {}) };
  } else {
    if (flags['baud'] === undefined) throw new UsageError('--serial needs --baud B');
    const parity = PARITY[String(flags['parity']).toUpperCase()];
    if (!parity) throw new UsageError(`--parity must be N, E or O (got "${String(flags['parity'])}")`);
    raw = { type: 'rtu', path: serial, baud: flags['baud'], parity, stopBits: flags['stop-bits'] };
  }
  let t;
  try {
    t = transportShape.parse(raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.reason}`).join('; '));
    throw err;
  }
  switch (t.type) {
    case 'tcp': return { type: 'tcp', host: t.host, port: t.port, maxInFlight: 1, tid: 'strict' };
    case 'rtu-over-tcp': return { type: 'rtu-over-tcp', host: t.host, port: t.port, gapMs: t.interFrameGapMs };
    case 'rtu': {
      const format = { baud: t.baud, parity: t.parity, dataBits: t.dataBits, stopBits: t.stopBits };
      return { type: 'rtu', path: t.path, format, gapMs: silenceMs(format) };
    }
  }
}

/** e.g. "tcp://10.0.0.5:502", "rtu:///dev/ttyUSB0 9600 8N1" */
export function lineLabel(spec: LineSpec): string {
  if (spec.type !== 'rtu') return lineKey(spec);
  const f = spec.format;
  return `${lineKey(spec)} ${f.baud} ${f.dataBits}${f.parity[0]?.toUpperCase() ?? 'N'}${f.stopBits}`;
}

export function unitOf(flags: Flags, fallback: number): number {
  const u = flags['unit'] ?? fallback;
  if (typeof u !== 'number' || !Number.isInteger(u) || u < 0 || u > 255) throw new UsageError('--unit must be 0–255');
  return u;
}

export function timeoutOf(flags: Flags, fallback: number): number {
  const t = flags['timeout'] ?? fallback;
  if (typeof t !== 'number' || !(t >= 10 && t <= 60_000)) throw new UsageError('--timeout must be 10–60000 ms');
  return t;
}

export interface Target {
  readonly client: (unit: number) => ModbusClient;
  close(): Promise<void>;
}

/** Opens the line with the agent's real I/O (TCP dialer, lazily loaded serial ports). */
export function openTarget(spec: LineSpec, timeoutMs: number, opts: { pauseAfterConnectMs?: number } = {}): Target {
  const deps = createDriverDeps(systemClock, createLogger({ level: 'error' }));
  const lines = deps.modbusLines;
  if (!lines) throw new Error('no Modbus lines');
  const lease = lines.acquire(spec, { connectTimeoutMs: Math.max(timeoutMs, 1000), reconnectDelayMs: 0, pauseAfterConnectMs: opts.pauseAfterConnectMs ?? 0 });
  return {
    client: (unit) => new ModbusClient(lease.line, { unit, timeoutMs, busyRetries: 1, busyRetryDelayMs: 100 }),
    close: () => lease.release(),
  };
}

export interface Style {
  readonly ok: (s: string) => string;
  readonly bad: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

export function style(tty: boolean | undefined): Style {
  // Colours on a terminal only, and not when the user asks for none (https://no-color.org).
  const on = tty === true && !process.env['NO_COLOR'];
  const paint = (code: string) => (s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { ok: paint('32'), bad: paint('31'), dim: paint('2'), bold: paint('1') };
}
