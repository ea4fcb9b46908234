// One request/reply exchange with a miner over a fresh TCP connection: cgminer-family framing on
// 4028 (the daemon serves one request per connection and closes) or Whatsminer v3's
// length-prefixed framing on 4433. The connect timeout runs until the socket connects, the read
// timeout from the write until the reply is complete. Every outcome destroys the socket.
//
// Never rejects with anything but a MinerError. Timers come from the injected clock.

import type { Socket } from 'node:net';
import { finishReply, newReplyScan, scanReply, type ReplyScan } from '../../../protocols/cgminer/framing.js';
import { newV3Scan, scanV3, type V3Scan } from '../../../protocols/whatsminer/v3-framing.js';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import type { DriverDeps } from '../family.js';
import { MinerError } from './errors.js';

export interface ExchangeOptions {
  readonly dial: DriverDeps['dial'];
  readonly clock: Clock;
  readonly host: string;
  readonly port: number;
  readonly request: Buffer;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly framing: 'cgminer' | 'v3';
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
}

export interface Exchanged {
  readonly bytes: Buffer;
  /** How the reply ended: NUL, newline, peer close, or a complete v3 length-prefixed message. */
  readonly terminator: 'nul' | 'newline' | 'close' | 'length';
}

type Framer = { feed(chunk: Buffer): Exchanged | MinerError | undefined; close(): Exchanged | MinerError };

function cgminerFramer(maxBytes: number): Framer {
  let scan: ReplyScan = newReplyScan(maxBytes);
  const settle = (r: ReturnType<typeof scanReply>): Exchanged | MinerError | undefined => {
    if (r.kind === 'more') {
      scan = r.state;
      return undefined;
    }
    if (r.kind === 'error') return new MinerError(r.error.code === 'empty_reply' ? 'miner_closed' : 'miner_bad_reply', r.error.message);
    return { bytes: r.bytes, terminator: r.terminator };
  };
  return {
    feed: (chunk) => settle(scanReply(scan, chunk)),
    close: () => settle(finishReply(scan)) ?? new MinerError('miner_closed', 'connection closed'),
  };
}

function v3Framer(maxBytes: number): Framer {
  let scan: V3Scan = newV3Scan(maxBytes);
  return {
    feed(chunk) {
      const r = scanV3(scan, chunk);
      if (r.kind === 'more') {
        scan = r.state;
        return undefined;
      }
      if (r.kind === 'error') return new MinerError('miner_bad_reply', r.message);
      return { bytes: r.body, terminator: 'length' };
    },
    close: () =>
      scan.buf.length
        ? new MinerError('miner_bad_reply', `connection closed inside a v3 message (${scan.buf.length} bytes received)`)
        : new MinerError('miner_closed', 'connection closed without a reply'),
  };
}

function socketError(err: NodeJS.ErrnoException, o: ExchangeOptions, received: boolean): MinerError {
  const where = `${o.host}:${o.port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new MinerError('miner_refused', `connection refused by ${where}`, undefined, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
      return received
        ? new MinerError('miner_bad_reply', `connection reset by ${where} mid-reply`, undefined, { cause: err })
        : new MinerError('miner_closed', `connection reset by ${where} without a reply`, undefined, { cause: err });
    default:
      return new MinerError('miner_unreachable', `${where}: ${err.code ?? err.message}`, undefined, { cause: err });
  }
}

export function exchange(o: ExchangeOptions): Promise<Exchanged> {
  return new Promise<Exchanged>((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(new MinerError('cancelled', 'cancelled before sending'));
      return;
    }
    const framer = o.framing === 'v3' ? v3Framer(o.maxBytes) : cgminerFramer(o.maxBytes);
    let settled = false;
    let received = false;
    let timer: TimerHandle | undefined;
    let sock: Socket | undefined;
    const finish = (r: Exchanged | MinerError): void => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      o.signal?.removeEventListener('abort', onAbort);
      sock?.destroy();
      if (r instanceof MinerError) reject(r);
      else resolve(r);
    };
    const onAbort = (): void => finish(new MinerError('cancelled', `cancelled: ${String((o.signal?.reason as Error | undefined)?.message ?? 'aborted')}`));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    timer = o.clock.setTimeout(() => finish(new MinerError('miner_connect_timeout', `no TCP connection to ${o.host}:${o.port} within ${o.connectTimeoutMs} ms`)), o.connectTimeoutMs);
    try {
      sock = o.dial(o.host, o.port);
    } catch (err) {
      finish(socketError(err as NodeJS.ErrnoException, o, false));
      return;
    }
    sock.setNoDelay(true);
    sock.on('error', (err: NodeJS.ErrnoException) => finish(socketError(err, o, received)));
    sock.on('connect', () => {
      timer?.cancel();
      timer = o.clock.setTimeout(() => finish(new MinerError('miner_timeout', `no complete reply from ${o.host}:${o.port} within ${o.readTimeoutMs} ms`)), o.readTimeoutMs);
      sock?.write(o.request);
    });
    sock.on('data', (chunk: Buffer) => {
      received = true;
      const r = framer.feed(chunk);
      if (r) finish(r);
    });
    sock.on('end', () => finish(framer.close()));
    sock.on('close', () => finish(framer.close()));
  });
}
