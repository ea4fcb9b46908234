// Serves a ModbusSlave over Modbus/TCP with jsmodbus's server in handler mode (no shared
// default buffers: every table is null, so each request reaches our handlers and out-of-range
// reads get a real exception 02 instead of jsmodbus's silent short reply).

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import * as Modbus from 'jsmodbus';
import type { ModbusSlave } from './modbus-slave.js';
import { EXC } from './modbus-slave.js';

type Req = Modbus.ModbusTCPRequest;
type Cb = (payload: Buffer) => void;

interface Body {
  readonly fc: number;
  readonly start: number;
  readonly count: number;
  readonly address: number;
  readonly value: number;
}

export interface ModbusTcpEndpoint {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
  /** Requests answered / ignored, for tests and the sim's own status. */
  readonly stats: { requests: number; ignored: number; exceptions: number };
}

export async function serveModbusTcp(slave: ModbusSlave, host = '127.0.0.1', port = 0): Promise<ModbusTcpEndpoint> {
  const net: Server = createServer();
  const sockets = new Set<Socket>();
  net.on('connection', (s) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    s.on('close', () => sockets.delete(s));
  });
  const stats = { requests: 0, ignored: 0, exceptions: 0 };
  const server = new Modbus.server.TCP(net, { coils: null, discrete: null, holding: null, input: null } as unknown as Record<string, Buffer>);

  const reply = (req: Req, cb: Cb, make: () => object | number): void => {
    if (!slave.units.includes(req.unitId)) {
      stats.ignored++;
      return;
    }
    stats.requests++;
    const body = req.body as unknown as Body;
    let res: object | number;
    try {
      res = make();
    } catch {
      res = EXC.deviceFailure;
    }
    if (typeof res === 'number') {
      stats.exceptions++;
      res = new Modbus.responses.ExceptionResponseBody(body.fc as never, res as never);
    }
    cb(Modbus.ModbusTCPResponse.fromRequest(req, res as never).createPayload());
  };

  const readRegs = (table: 'holding' | 'input') => (req: Req, cb: Cb): void =>
    reply(req, cb, () => {
      const b = req.body as unknown as Body;
      if (b.count < 1 || b.count > 125) return EXC.illegalValue;
      const regs = slave.readRegisters(table, b.start, b.count);
      if (typeof regs === 'number') return regs;
      const Cls = table === 'holding' ? Modbus.responses.ReadHoldingRegistersResponseBody : Modbus.responses.ReadInputRegistersResponseBody;
      return new Cls(regs.length, regs);
    });
  const readBits = (table: 'coil' | 'discrete') => (req: Req, cb: Cb): void =>
    reply(req, cb, () => {
      const b = req.body as unknown as Body;
      if (b.count < 1 || b.count > 2000) return EXC.illegalValue;
      const bits = slave.readBits(table, b.start, b.count);
      if (typeof bits === 'number') return bits;
      const Cls = table === 'coil' ? Modbus.responses.ReadCoilsResponseBody : Modbus.responses.ReadDiscreteInputsResponseBody;
      return new Cls(bits.map((x) => (x ? 1 : 0)), Math.ceil(b.count / 8));
    });

  server.on('readHoldingRegisters', readRegs('holding') as never);
  server.on('readInputRegisters', readRegs('input') as never);
  server.on('readCoils', readBits('coil') as never);
  server.on('readDiscreteInputs', readBits('discrete') as never);
  server.on('writeSingleCoil', ((req: Req, cb: Cb) =>
    reply(req, cb, () => {
      const b = req.body as unknown as Body;
      if (b.value !== 0xff00 && b.value !== 0x0000) return EXC.illegalValue;
      const r = slave.writeCoil(b.address, b.value === 0xff00);
      return r === true ? Modbus.responses.WriteSingleCoilResponseBody.fromRequest(req.body as never) : r;
    })) as never);
  server.on('writeSingleRegister', ((req: Req, cb: Cb) =>
    reply(req, cb, () => {
      const b = req.body as unknown as Body;
      const r = slave.writeRegister(b.address, b.value);
      return r === true ? Modbus.responses.WriteSingleRegisterResponseBody.fromRequest(req.body as never) : r;
    })) as never);

  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    net.listen(port, host, () => {
      net.off('error', reject);
      resolve();
    });
  });
  const addr = net.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        net.close(() => resolve());
      }),
  };
}
