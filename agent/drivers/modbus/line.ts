// One Modbus line: a serial bus, a TCP connection to a device, or a TCP connection to a serial
// gateway. Every device on the line shares it: requests from all of them go through one queue
// (control writes first), at most `maxInFlight` are on the wire (always 1 on RTU), and on RTU
// the line stays silent for `gapMs` between the end of one exchange and the next request.
//
// Contract of request(): resolves with the reply body (exceptions included only for 06 busy
// after its retries are spent — every exception rejects as ModbusError 'modbus_exception');
// rejects with a ModbusError for timeouts, CRC errors, bad replies, a lost connection, or
// cancellation by the caller's signal. An aborted request leaves the queue at once; one already
// on the wire keeps its slot until its reply or its timeout, because the device is still busy.
//
// Failure handling: a lost connection fails what is in flight and reconnects on the next
// request, at most once per `reconnectDelayMs` (requests in between fail fast as offline rather
// than wait out timeouts). TCP replies are matched by transaction id, so a late reply is
// dropped; two timeouts in a row, three unmatched replies in a row, or any timeout when TIDs
// cannot be trusted reset the connection. RTU discards what is left in the receive buffer
// before each request (jsmodbus's junk-byte hang, modbus.md §7.1).

import { decodeResponsePdu, encodeRequestPdu, responsePduLength, type ModbusRequest, type ResponseBody } from '../../../protocols/modbus/pdu.js';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/log.js';
import type { ByteStream } from '../transport/stream.js';
import { ModbusError } from './errors.js';
import { RtuFramer, TcpFramer, type Exchange, type Framer, type TidMode } from './framer.js';
import { zeroCounters, type LineCounters, type ModbusCounters } from './counters.js';
import { PriorityQueue, type Priority } from './queue.js';

export interface LineOptions {
  /** Identity for sharing and logs, e.g. "tcp://10.0.0.5:502", "rtu:///dev/ttyUSB0". */
  readonly key: string;
  readonly framing: 'tcp' | 'rtu';
  readonly maxInFlight: number;
  /** Silence between the end of one exchange and the next request, ms (RTU: ≥ t3.5). */
  readonly gapMs: number;
  readonly reconnectDelayMs: number;
  readonly pauseAfterConnectMs: number;
  readonly tid: TidMode;
  /** Whether closeWhenIdle() may close the stream (not for serial ports). */
  readonly closable: boolean;
}

export interface LineDeps {
  readonly open: () => Promise<ByteStream>;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface RequestOptions {
  readonly unit: number;
  readonly timeoutMs: number;
  readonly priority?: Priority;
  /** Retries after exception 06 (server busy), each after busyRetryDelayMs. */
  readonly busyRetries?: number;
  readonly busyRetryDelayMs?: number;
  readonly signal?: AbortSignal;
  /** The requesting device's counters, kept alongside the line's. */
  readonly counters?: ModbusCounters;
}

interface Pending extends Exchange {
  readonly req: ModbusRequest;
  readonly pdu: Buffer;
  readonly o: RequestOptions;
  readonly priority: Priority;
  readonly resolve: (b: ResponseBody) => void;
  readonly reject: (e: ModbusError) => void;
  settled: boolean;
  busyLeft: number;
  crcErrors: number;
  timer?: TimerHandle;
  crcTimer?: TimerHandle;
  detach?: () => void;
}

export class ModbusLine {
  readonly counters: LineCounters = { ...zeroCounters(), connects: 0, reconnects: 0, connectFailures: 0, junkBytes: 0, staleReplies: 0 };
  private readonly queue = new PriorityQueue<Pending>();
  private readonly inFlight: Pending[] = [];
  private readonly framer: Framer<Pending>;
  private readonly maxInFlight: number;
  private stream: ByteStream | undefined;
  private connecting = false;
  private everConnected = false;
  private closed = false;
  private closeWhenIdleRequested = false;
  private nextConnectAt = Number.NEGATIVE_INFINITY;
  private quietUntil = 0;
  private pumpTimer: TimerHandle | undefined;
  private timeoutsInARow = 0;
  private staleInARow = 0;

  constructor(readonly opts: LineOptions, private readonly deps: LineDeps) {
    this.framer = opts.framing === 'tcp' ? new TcpFramer(opts.tid) : new RtuFramer();
    this.maxInFlight = opts.framing === 'rtu' || opts.tid === 'ignore' ? 1 : Math.max(1, opts.maxInFlight);
  }

  get connected(): boolean {
    return this.stream !== undefined;
  }

  request(req: ModbusRequest, o: RequestOptions): Promise<ResponseBody> {
    return new Promise<ResponseBody>((resolve, reject) => {
      if (this.closed) return reject(new ModbusError('modbus_offline', 'line closed'));
      if (o.signal?.aborted) return reject(new ModbusError('cancelled', 'cancelled before sending'));
      const p: Pending = {
        req, pdu: encodeRequestPdu(req), o, unit: o.unit, fc: req.fc, replyPdu: responsePduLength(req), tid: 0, priority: o.priority ?? 'telemetry',
        resolve, reject, settled: false, busyLeft: o.busyRetries ?? 0, crcErrors: 0,
      };
      const signal = o.signal;
      if (signal) {
        const onAbort = (): void => {
          this.queue.remove(p);
          this.finish(p, new ModbusError('cancelled', 'cancelled: cycle deadline passed'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        p.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(p, p.priority);
      this.pump();
    });
  }

  /** Closes the connection once nothing is queued or in flight (close-after-poll devices). */
  closeWhenIdle(): void {
    if (!this.opts.closable) return;
    this.closeWhenIdleRequested = true;
    this.closeIfIdle();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pumpTimer?.cancel();
    const err = new ModbusError('modbus_offline', 'line closed');
    for (const p of [...this.queue.drain(), ...this.inFlight.splice(0)]) this.finish(p, err);
    this.stream?.close();
    this.stream = undefined;
    return Promise.resolve();
  }

  private pump(): void {
    if (this.closed || this.pumpTimer) return;
    while (this.queue.size && this.inFlight.length < this.maxInFlight) {
      if (!this.stream) {
        this.connect();
        return;
      }
      const wait = this.quietUntil - this.deps.clock.monotonic();
      if (wait > 0) {
        this.pumpTimer = this.deps.clock.setTimeout(() => {
          this.pumpTimer = undefined;
          this.pump();
        }, wait);
        return;
      }
      const p = this.queue.shift() as Pending;
      if (!p.settled) this.send(p, this.stream);
    }
    this.closeIfIdle();
  }

  private send(p: Pending, stream: ByteStream): void {
    const frame = this.framer.frame(p, p.pdu);
    p.crcErrors = 0;
    p.crcTimer = undefined;
    if (this.opts.framing === 'rtu') this.counters.junkBytes += this.framer.reset();
    this.inFlight.push(p);
    this.count(p, 'requests');
    p.timer = this.deps.clock.setTimeout(() => this.onTimeout(p), p.o.timeoutMs);
    stream.write(frame);
  }

  private onData(chunk: Buffer): void {
    const r = this.framer.receive(chunk, this.inFlight);
    this.counters.junkBytes += r.junkBytes;
    if (r.stale) {
      this.counters.staleReplies += r.stale;
      this.staleInARow += r.stale;
      if (this.staleInARow >= 3) this.reset('three replies in a row matched no request');
    }
    for (const [p, pdu] of r.replies) this.complete(p, pdu);
    const rtu = this.inFlight[0];
    if (r.crcErrors && rtu && !rtu.crcTimer) {
      // A reply with a bad CRC came in. Give a good one a moment to follow (junk that merely
      // looked like a header), then report the CRC error instead of waiting out the timeout.
      rtu.crcErrors = r.crcErrors;
      rtu.crcTimer = this.deps.clock.setTimeout(() => this.onTimeout(rtu), Math.max(10, 2 * this.opts.gapMs));
    }
  }

  private complete(p: Pending, pdu: Buffer): void {
    this.leave(p);
    this.timeoutsInARow = 0;
    this.staleInARow = 0;
    const d = decodeResponsePdu(p.req, pdu);
    if (!d.ok) {
      this.count(p, 'badResponses');
      this.finish(p, new ModbusError('modbus_bad_response', d.reason));
    } else if (d.value.kind === 'exception') {
      this.count(p, 'exceptions');
      if (d.value.code === 6 && p.busyLeft > 0 && !p.settled) this.retryBusy(p);
      else this.finish(p, ModbusError.exception(d.value.code));
    } else {
      this.count(p, 'responses');
      p.detach?.();
      if (!p.settled) {
        p.settled = true;
        p.resolve(d.value);
      }
    }
    this.pump();
  }

  private onTimeout(p: Pending): void {
    if (!this.inFlight.includes(p)) return;
    this.leave(p);
    if (p.crcErrors) {
      this.count(p, 'crcErrors', p.crcErrors);
      this.finish(p, new ModbusError('modbus_crc', 'reply failed its CRC check'));
    } else {
      this.count(p, 'timeouts');
      this.finish(p, new ModbusError('modbus_timeout', `no reply within ${p.o.timeoutMs} ms`));
      this.timeoutsInARow++;
      if (this.opts.framing === 'tcp' && (this.opts.tid !== 'strict' || this.timeoutsInARow >= 2)) this.reset('timeout');
    }
    this.pump();
  }

  /** Takes an exchange off the wire: timers stop, and the line stays quiet for the gap. */
  private leave(p: Pending): void {
    const i = this.inFlight.indexOf(p);
    if (i !== -1) this.inFlight.splice(i, 1);
    p.timer?.cancel();
    p.crcTimer?.cancel();
    if (this.opts.gapMs > 0) this.quietUntil = this.deps.clock.monotonic() + this.opts.gapMs;
  }

  private retryBusy(p: Pending): void {
    p.busyLeft--;
    this.count(p, 'busyRetries');
    this.deps.clock.setTimeout(() => {
      if (this.closed) return this.finish(p, new ModbusError('modbus_offline', 'line closed'));
      if (p.settled) return;
      this.queue.unshift(p, p.priority);
      this.pump();
    }, p.o.busyRetryDelayMs ?? 100);
  }

  private connect(): void {
    if (this.connecting) return;
    const now = this.deps.clock.monotonic();
    if (now < this.nextConnectAt) {
      this.failQueued(new ModbusError('modbus_offline', `${this.opts.key} is down; reconnecting in ${Math.ceil(this.nextConnectAt - now)} ms`));
      return;
    }
    this.connecting = true;
    this.nextConnectAt = now + this.opts.reconnectDelayMs;
    this.deps.open().then((stream) => this.onOpen(stream), (err: unknown) => {
      this.connecting = false;
      this.counters.connectFailures++;
      this.deps.log.debug('modbus connect failed', { line: this.opts.key, err });
      this.failQueued(new ModbusError('modbus_offline', (err as Error).message, undefined, { cause: err }));
    });
  }

  private onOpen(stream: ByteStream): void {
    this.connecting = false;
    if (this.closed) return stream.close();
    this.stream = stream;
    this.counters.connects++;
    if (this.everConnected) this.counters.reconnects++;
    this.everConnected = true;
    this.framer.reset();
    this.timeoutsInARow = 0;
    this.staleInARow = 0;
    this.quietUntil = this.deps.clock.monotonic() + this.opts.pauseAfterConnectMs;
    stream.onData((chunk) => this.onData(chunk));
    stream.onClose((err) => this.onClosed(stream, err));
    this.pump();
  }

  private onClosed(stream: ByteStream, err?: Error): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    const why = new ModbusError('modbus_offline', `connection to ${this.opts.key} closed${err ? `: ${err.message}` : ''}`, undefined, { cause: err });
    for (const p of this.inFlight.splice(0)) {
      p.timer?.cancel();
      p.crcTimer?.cancel();
      this.count(p, 'commErrors');
      this.finish(p, why);
    }
    this.pump();
  }

  private reset(why: string): void {
    this.deps.log.debug('modbus connection reset', { line: this.opts.key, why });
    this.stream?.close();
  }

  private closeIfIdle(): void {
    if (!this.closeWhenIdleRequested || this.queue.size || this.inFlight.length || this.connecting) return;
    this.closeWhenIdleRequested = false;
    const s = this.stream;
    this.stream = undefined;
    s?.close();
    // A planned close is not a failure: the next poll connects at once, and that is no reconnect.
    this.nextConnectAt = Number.NEGATIVE_INFINITY;
    this.everConnected = false;
  }

  private failQueued(err: ModbusError): void {
    for (const p of this.queue.drain()) {
      this.count(p, 'commErrors');
      this.finish(p, err);
    }
  }

  private finish(p: Pending, err: ModbusError): void {
    p.detach?.();
    if (p.settled) return;
    p.settled = true;
    p.reject(err);
  }

  private count(p: Pending, k: keyof ModbusCounters, n = 1): void {
    this.counters[k] += n;
    if (p.o.counters) p.o.counters[k] += n;
  }
}
