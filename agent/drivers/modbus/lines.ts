// The agent's Modbus lines, shared by key: every device on the same serial port, or behind the
// same TCP host:port, gets the same ModbusLine and therefore the same queue. Built once per
// agent in agent/main.ts and handed to drivers through DriverDeps. Lines are reference-counted:
// the last device to release one closes it.

import type { SerialFormat } from '../../../protocols/modbus/rtu-timing.js';
import type { Clock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/log.js';
import type { SerialOpener } from '../transport/serial.js';
import type { ByteStream } from '../transport/stream.js';
import { openTcpStream, type TcpDialer } from '../transport/tcp.js';
import type { TidMode } from './framer.js';
import { ModbusLine } from './line.js';

export type LineSpec =
  | { readonly type: 'tcp'; readonly host: string; readonly port: number; readonly maxInFlight: number; readonly tid: TidMode }
  | { readonly type: 'rtu-over-tcp'; readonly host: string; readonly port: number; readonly gapMs: number }
  | { readonly type: 'rtu'; readonly path: string; readonly format: SerialFormat; readonly gapMs: number };

export interface LineTiming {
  readonly connectTimeoutMs: number;
  readonly reconnectDelayMs: number;
  readonly pauseAfterConnectMs: number;
}

export interface LinesDeps {
  readonly dial: TcpDialer;
  readonly openSerial?: SerialOpener;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Where a line is: devices at the same place must share it (and agree on its settings). */
export function lineKey(spec: LineSpec): string {
  return spec.type === 'rtu' ? `rtu://${spec.path}` : `${spec.type}://${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`;
}

/** The place only, so that tcp:// and rtu-over-tcp:// to the same host:port are caught too. */
export function placeOf(spec: LineSpec): string {
  return spec.type === 'rtu' ? `serial:${spec.path}` : `net:${spec.host}:${spec.port}`;
}

/** Everything devices sharing a line must agree on, as a comparable string. */
export function lineSettings(spec: LineSpec, timing: LineTiming): string {
  return JSON.stringify({ ...spec, connectTimeoutMs: timing.connectTimeoutMs, reconnectDelayMs: timing.reconnectDelayMs, pauseAfterConnectMs: timing.pauseAfterConnectMs });
}

export interface LineLease {
  readonly line: ModbusLine;
  release(): Promise<void>;
}

export class ModbusLines {
  private readonly lines = new Map<string, { line: ModbusLine; settings: string; refs: number }>();

  constructor(private readonly deps: LinesDeps) {}

  /** The line for `spec`, shared with earlier devices at the same place. Throws when their settings differ. */
  acquire(spec: LineSpec, timing: LineTiming): LineLease {
    const place = placeOf(spec);
    const settings = lineSettings(spec, timing);
    let entry = this.lines.get(place);
    if (entry && entry.settings !== settings) {
      throw new Error(`devices on ${lineKey(spec)} must share one line but their settings differ: ${settings} vs ${entry.settings}`);
    }
    if (!entry) {
      entry = { line: this.create(spec, timing), settings, refs: 0 };
      this.lines.set(place, entry);
    }
    entry.refs++;
    const e = entry;
    let released = false;
    return {
      line: e.line,
      release: async () => {
        if (released) return;
        released = true;
        if (--e.refs > 0) return;
        this.lines.delete(place);
        await e.line.close();
      },
    };
  }

  private create(spec: LineSpec, timing: LineTiming): ModbusLine {
    const { dial, openSerial, clock, log } = this.deps;
    const key = lineKey(spec);
    const common = { key, reconnectDelayMs: timing.reconnectDelayMs, pauseAfterConnectMs: timing.pauseAfterConnectMs, tid: 'strict' as const };
    const lineDeps = (open: () => Promise<ByteStream>) => ({ open, clock, log: log.child({ line: key }) });
    switch (spec.type) {
      case 'tcp':
        return new ModbusLine({ ...common, framing: 'tcp', maxInFlight: spec.maxInFlight, gapMs: 0, tid: spec.tid, closable: true },
          lineDeps(() => openTcpStream(dial, spec.host, spec.port, timing.connectTimeoutMs, clock)));
      case 'rtu-over-tcp':
        return new ModbusLine({ ...common, framing: 'rtu', maxInFlight: 1, gapMs: spec.gapMs, closable: true },
          lineDeps(() => openTcpStream(dial, spec.host, spec.port, timing.connectTimeoutMs, clock)));
      case 'rtu': {
        if (!openSerial) throw new Error(`${key}: serial ports need DriverDeps.openSerial (agent/main.ts supplies it)`);
        return new ModbusLine({ ...common, framing: 'rtu', maxInFlight: 1, gapMs: spec.gapMs, closable: false },
          lineDeps(() => openSerial({ path: spec.path, ...spec.format })));
      }
    }
  }
}
