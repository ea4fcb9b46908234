// TCP byte streams for Modbus/TCP and RTU-over-TCP gateways. The socket itself comes from a
// TcpDialer supplied by agent/main.ts (the only place that constructs sockets).

import type { Socket } from 'node:net';
import type { Clock } from '../../runtime/clock.js';
import { RackpilotError } from '../../runtime/errors.js';
import type { ByteStream } from './stream.js';

/** Opens a TCP connection; returns the socket at once (connecting). Supplied by main.ts. */
export type TcpDialer = (host: string, port: number) => Socket;

/** Resolves once connected; rejects with code 'connect_failed' on error or after `timeoutMs`. */
export function openTcpStream(dial: TcpDialer, host: string, port: number, timeoutMs: number, clock: Clock): Promise<ByteStream> {
  const description = `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = dial(host, port);
    socket.setNoDelay(true);
    const fail = (why: string, cause?: unknown): void => {
      socket.destroy();
      reject(new RackpilotError('connect_failed', `connect to ${description} ${why}`, { retryable: true, cause }));
    };
    const timer = clock.setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
    socket.once('error', (err) => {
      timer.cancel();
      fail(`failed: ${err.message}`, err);
    });
    socket.once('connect', () => {
      timer.cancel();
      resolve(socketStream(socket, description));
    });
  });
}

function socketStream(socket: Socket, description: string): ByteStream {
  let closeFn: ((err?: Error) => void) | undefined;
  let lastError: Error | undefined;
  // After connect, errors arrive before 'close'; keep the socket from throwing and report them there.
  socket.on('error', (err) => (lastError = err));
  socket.once('close', () => closeFn?.(lastError));
  return {
    description,
    write: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
    onData: (fn) => socket.on('data', fn),
    onClose: (fn) => (closeFn = fn),
    close: () => socket.destroy(),
  };
}
