// Serial ports for Modbus RTU over RS-485: the ONLY module that imports serialport. The package
// (and its native add-on) is loaded on the first open, so an agent without serial devices never
// pays for it at startup.

import type { SerialFormat } from '../../../protocols/modbus/rtu-timing.js';
import { RackpilotError } from '../../runtime/errors.js';
import type { ByteStream } from './stream.js';

export interface SerialOptions extends SerialFormat {
  readonly path: string;
}

/** Opens a serial port; resolves once it is open. Supplied to drivers through DriverDeps. */
export type SerialOpener = (o: SerialOptions) => Promise<ByteStream>;

type SerialPortModule = typeof import('serialport');
let loading: Promise<SerialPortModule> | undefined;

function load(): Promise<SerialPortModule> {
  loading ??= import('serialport').catch((err: unknown) => {
    loading = undefined;
    throw new RackpilotError('serial_unavailable', `serial ports are unavailable on this machine (serialport did not load: ${(err as Error).message})`, { cause: err });
  });
  return loading;
}

export const openSerialPort: SerialOpener = async (o) => {
  const { SerialPort } = await load();
  return new Promise<ByteStream>((resolve, reject) => {
    const port = new SerialPort({ path: o.path, baudRate: o.baud, parity: o.parity, dataBits: o.dataBits as 8, stopBits: o.stopBits as 1 | 2, autoOpen: false });
    port.open((err) => {
      if (err) {
        reject(new RackpilotError('connect_failed', `open ${o.path} failed: ${err.message}`, { retryable: true, cause: err }));
        return;
      }
      let closeFn: ((err?: Error) => void) | undefined;
      let lastError: Error | undefined;
      port.on('error', (e: Error) => (lastError = e));
      port.once('close', () => closeFn?.(lastError));
      resolve({
        description: o.path,
        write: (data) => {
          if (port.isOpen) port.write(data);
        },
        onData: (fn) => port.on('data', fn),
        onClose: (fn) => (closeFn = fn),
        close: () => {
          if (port.isOpen) port.close();
        },
      });
    });
  });
};
