// Serves simulated Modbus devices on a loopback TCP listener, framed as Modbus/TCP (a device
// with its own IP) or as RTU (a serial bus: reached as an RTU-over-TCP gateway, or through a
// pty that socat joins to this listener, pty.ts). Framing and PDUs come from protocols/modbus;
// the faults of each device (faults.ts) are carried out here, on the wire.
//
// Ordering: requests on one TCP connection are answered in order, one at a time (a device
// works through them); on an RTU bus every request, from any connection, waits for the bus.
// With `timing`, an RTU bus emulates the line at its baud rate: each reply is written when its
// last byte would have arrived (request and reply wire time plus t3.5 and the device's
// turnaround), and a request that arrives before the line has been silent for t3.5 after the
// previous reply is counted as a collision.

import { createServer, type AddressInfo, type Socket } from 'node:net';
import { decodeRequestPdu, encodeResponsePdu, type ModbusRequest, type ServerResult } from '../../protocols/modbus/pdu.js';
import { encodeRtu, scanRtuRequest } from '../../protocols/modbus/rtu-frame.js';
import { charTimeMs, silenceMs, type SerialFormat } from '../../protocols/modbus/rtu-timing.js';
import { MbapDecoder, encodeMbap } from '../../protocols/modbus/tcp-frame.js';
import type { FaultInjector, FaultSpec } from './faults.js';
import { EXC, type ModbusSlave } from './modbus-slave.js';

export interface SimUnit {
  readonly slave: ModbusSlave;
  readonly faults: FaultInjector;
  /** True while a scenario fault makes the device deaf (timeline `telemetry_loss`). */
  readonly silent?: () => boolean;
}

export interface BusTiming {
  readonly format: SerialFormat;
  /** Device turnaround: time from the end of a request to the start of its reply, ms. */
  readonly turnaroundMs: number;
}

export interface ServeOptions {
  readonly framing: 'tcp' | 'rtu';
  readonly host?: string;
  readonly port?: number;
  /** The device answering a unit id; undefined = nobody answers (no reply). */
  readonly unit: (id: number) => SimUnit | undefined;
  /** A device with its own TCP endpoint: while it reboots, its connections are dropped and refused. */
  readonly device?: SimUnit;
  /** RTU only: emulate line timing at this serial format. */
  readonly timing?: BusTiming;
}

export interface ServerStats {
  requests: number;
  /** Requests for unit ids nobody answers, or to a device that is rebooting. */
  ignored: number;
  exceptions: number;
  /** Frames that failed to parse (bad CRC, unknown function code). */
  badFrames: number;
  /** RTU with timing: requests that arrived before the line was silent for t3.5. */
  collisions: number;
  connections: number;
}

export interface ModbusEndpoint {
  readonly host: string;
  readonly port: number;
  readonly stats: ServerStats;
  close(): Promise<void>;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Carries out a decoded request on a slave. */
export function execute(slave: ModbusSlave, req: ModbusRequest): ServerResult {
  const wrap = (r: true | number): ServerResult => (r === true ? { written: true } : { exception: r });
  switch (req.fc) {
    case 1: case 2: {
      const bits = slave.readBits(req.fc === 1 ? 'coil' : 'discrete', req.address, req.count);
      return typeof bits === 'number' ? { exception: bits } : { bits };
    }
    case 3: case 4: {
      const regs = slave.readRegisters(req.fc === 3 ? 'holding' : 'input', req.address, req.count);
      return typeof regs === 'number' ? { exception: regs } : { registers: Buffer.from(regs) };
    }
    case 5: return wrap(slave.writeCoil(req.address, req.on));
    case 6: return wrap(slave.writeRegister(req.address, req.value));
    case 15: {
      for (const [i, on] of req.bits.entries()) {
        const r = slave.writeCoil(req.address + i, on);
        if (r !== true) return { exception: r };
      }
      return { written: true };
    }
    case 16: {
      for (const [i, v] of req.values.entries()) {
        const r = slave.writeRegister(req.address + i, v);
        if (r !== true) return { exception: r };
      }
      return { written: true };
    }
  }
}

export async function serveModbus(o: ServeOptions): Promise<ModbusEndpoint> {
  const stats: ServerStats = { requests: 0, ignored: 0, exceptions: 0, badFrames: 0, collisions: 0, connections: 0 };
  const sockets = new Set<Socket>();
  let busChain: Promise<void> = Promise.resolve();
  let lineFreeAt = 0;
  let junkSeed = 0x2545f491;
  const junk = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => {
    junkSeed = (Math.imul(junkSeed, 1103515245) + 12345) >>> 0;
    return junkSeed >>> 24;
  }));

  /** The reply frame for one request, or undefined for silence. */
  const answer = (unitId: number, pdu: Buffer, now: number): { pdu: Buffer; fault: FaultSpec | undefined } | undefined => {
    const u = o.unit(unitId);
    if (!u || u.faults.down(now) || u.silent?.()) {
      stats.ignored++;
      return undefined;
    }
    stats.requests++;
    const fault = u.faults.next(now);
    // A request lost on the way (or arriving as the device goes down) is never carried out.
    if ((fault?.kind === 'timeout' && !fault.applied) || fault?.kind === 'reboot') return { pdu: Buffer.alloc(0), fault };
    const d = decodeRequestPdu(pdu);
    let res: ServerResult;
    if (!d.ok) res = { exception: 'exception' in d ? d.exception : EXC.illegalValue };
    else if (fault?.kind === 'exception') res = { exception: fault.code ?? EXC.deviceFailure };
    else {
      try {
        res = execute(u.slave, d.value);
      } catch {
        res = { exception: EXC.deviceFailure };
      }
    }
    if ('exception' in res) stats.exceptions++;
    const fc = pdu[0] ?? 0;
    const reply = d.ok ? encodeResponsePdu(d.value, res) : Buffer.from([fc | 0x80, 'exception' in res ? res.exception : EXC.illegalValue]);
    return { pdu: reply, fault };
  };

  const deliver = async (socket: Socket, frame: Buffer, fault: FaultSpec | undefined): Promise<void> => {
    if (fault?.kind === 'timeout' || fault?.kind === 'reboot') return;
    if (fault?.kind === 'drop') {
      socket.destroy();
      return;
    }
    if (fault?.kind === 'slow') await delay(fault.delayMs ?? 300);
    let out = frame;
    if (fault?.kind === 'garbage') out = Buffer.concat([junk(fault.bytes ?? 3), frame]);
    if (fault?.kind === 'crc' && o.framing === 'rtu') {
      out = Buffer.from(frame);
      out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 0x5a;
    }
    if (fault?.kind === 'split') {
      const pieces = Math.max(2, fault.pieces ?? 3);
      const size = Math.ceil(out.length / pieces);
      for (let i = 0; i < out.length; i += size) {
        if (i) await delay(fault.delayMs ?? 5);
        if (!socket.destroyed) socket.write(out.subarray(i, i + size));
      }
      return;
    }
    if (!socket.destroyed) socket.write(out);
  };

  const onTcp = (socket: Socket): ((chunk: Buffer) => void) => {
    const decoder = new MbapDecoder();
    let chain: Promise<void> = Promise.resolve();
    return (chunk) => {
      for (const ev of decoder.feed(chunk)) {
        if (ev.type === 'junk') {
          stats.badFrames++;
          continue;
        }
        const { tid, unit, pdu } = ev.frame;
        chain = chain.then(async () => {
          if (o.device?.faults.down(Date.now())) return void socket.destroy();
          const a = answer(unit, pdu, Date.now());
          if (a) await deliver(socket, encodeMbap(tid, unit, a.pdu), a.fault);
          if (a?.fault?.kind === 'reboot' && o.device) socket.destroy();
        });
      }
    };
  };

  const onRtu = (socket: Socket): ((chunk: Buffer) => void) => {
    let rx: Buffer = Buffer.alloc(0);
    return (chunk) => {
      rx = rx.length ? Buffer.concat([rx, chunk]) : Buffer.from(chunk);
      for (;;) {
        const scan = scanRtuRequest(rx);
        if (scan.kind === 'need') return;
        if (scan.kind === 'bad') {
          stats.badFrames++;
          rx = rx.subarray(scan.drop);
          continue;
        }
        rx = rx.subarray(scan.end);
        const arrived = performance.now();
        const t = o.timing;
        if (t && arrived < lineFreeAt) stats.collisions++;
        const { unit, pdu } = scan;
        const requestBytes = scan.end;
        busChain = busChain.then(async () => {
          const a = answer(unit, pdu, Date.now());
          if (!a) return;
          const frame = encodeRtu(unit, a.pdu);
          if (t) {
            const wire = (requestBytes + frame.length) * charTimeMs(t.format) + silenceMs(t.format) + t.turnaroundMs;
            await delay(arrived + wire - performance.now());
          }
          await deliver(socket, frame, a.fault);
          if (t) lineFreeAt = performance.now() + silenceMs(t.format);
        });
      }
    };
  };

  const server = createServer((socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
    if (o.device?.faults.down(Date.now())) return void socket.destroy();
    socket.on('data', o.framing === 'tcp' ? onTcp(socket) : onRtu(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    stats,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
