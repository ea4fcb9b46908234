// Everything the agent sends to one miner goes through its MinerLink: RPC on 4028, HTTP, and
// Whatsminer v3. The cgminer API is single-threaded (accept → one recv → reply → close), so the
// link runs one operation at a time, leaves `gapMs` between requests, and lets control
// operations (pause, power target) overtake queued telemetry reads. A circuit breaker per port
// (RPC, HTTP, v3) stops telemetry from trying a port that failed `breakerFailures` times in a
// row, for `breakerOpenMs`; one request then goes through to probe it (half-open). Control
// operations always try: a pause must not be skipped because polls failed (the RPC of a
// restarting Antminer refuses while its web interface, which takes the command, is up).
//
// Concurrency: run() may be called concurrently; operations execute one after another. An
// operation's AbortSignal cancels it while queued or in flight.

import { parseReply, type RepairStep } from '../../../protocols/cgminer/sanitize.js';
import { encodeRequest } from '../../../protocols/cgminer/framing.js';
import { readStatus, type Status } from '../../../protocols/cgminer/status.js';
import { encodeV3 } from '../../../protocols/whatsminer/v3-framing.js';
import type { Clock } from '../../runtime/clock.js';
import type { DriverDeps } from '../family.js';
import { DEFAULT_HTTP_MAX_BYTES, type HttpRequest, type HttpRequester, type HttpResponse } from '../transport/http.js';
import { MinerError } from './errors.js';
import { exchange, type ExchangeOptions } from './exchange.js';

export interface LinkOptions {
  readonly host: string;
  readonly port: number;
  readonly httpPort: number;
  readonly v3Port: number;
  readonly connectTimeoutMs: number;
  /** Read timeout of telemetry requests. */
  readonly timeoutMs: number;
  /** Read timeout of writes (daemons are slower to answer those). */
  readonly writeTimeoutMs: number;
  readonly gapMs: number;
  readonly breakerFailures: number;
  readonly breakerOpenMs: number;
  readonly maxReplyBytes: number;
}

export interface LinkDeps {
  readonly dial: DriverDeps['dial'];
  readonly http: HttpRequester;
  readonly clock: Clock;
}

export interface RpcReply {
  readonly value: unknown;
  /** Top-level STATUS (null fields for multi-command replies, whose sections carry their own). */
  readonly status: Status;
  readonly repairs: readonly RepairStep[];
}

export interface RpcOptions {
  readonly parameter?: string;
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Whatsminer v2 takes {"cmd": …} as well as {"command": …}. */
  readonly key?: 'command' | 'cmd';
  readonly write?: boolean;
}

/** What a firmware module may do inside one link operation. */
export interface MinerIO {
  rpc(command: string, opts?: RpcOptions): Promise<RpcReply>;
  /** Sends a prepared request line (Whatsminer encrypted envelopes) and parses the reply. */
  rpcLine(line: string, opts?: { write?: boolean }): Promise<RpcReply>;
  http(req: Omit<HttpRequest, 'host' | 'port'> & { write?: boolean }): Promise<HttpResponse>;
  v3(message: Readonly<Record<string, unknown>>, opts?: { write?: boolean }): Promise<unknown>;
  readonly clock: Clock;
}

export type Priority = 'control' | 'telemetry';
type Port = 'rpc' | 'http' | 'v3';

interface Pending {
  readonly priority: Priority;
  readonly start: () => void;
}

export interface LinkCounters {
  requests: number;
  replies: number;
  timeouts: number;
  refused: number;
  closed: number;
  badReplies: number;
  deviceErrors: number;
  repairs: number;
  breakerOpens: number;
  breakerSkips: number;
}

export class MinerLink {
  readonly counters: LinkCounters = { requests: 0, replies: 0, timeouts: 0, refused: 0, closed: 0, badReplies: 0, deviceErrors: 0, repairs: 0, breakerOpens: 0, breakerSkips: 0 };
  readonly repairSteps = new Map<RepairStep, number>();
  private readonly queue: Pending[] = [];
  private busy = false;
  private lastEndMs = -Infinity;
  private readonly breakers = new Map<Port, { failures: number; openUntilMs: number }>();

  constructor(readonly opts: LinkOptions, private readonly deps: LinkDeps) {}

  get address(): string {
    return `cgminer://${this.opts.host}:${this.opts.port}`;
  }

  /** Runs `fn` when the link is free (control before telemetry). */
  run<T>(priority: Priority, signal: AbortSignal, fn: (io: MinerIO) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        reject(new MinerError('cancelled', 'cancelled before it was sent'));
        return;
      }
      const onAbort = (): void => {
        const i = this.queue.indexOf(entry);
        if (i >= 0) {
          this.queue.splice(i, 1);
          reject(new MinerError('cancelled', 'cancelled while waiting for the miner to be free'));
        }
      };
      const entry: Pending = {
        priority,
        start: () => {
          signal.removeEventListener('abort', onAbort);
          fn(this.io(signal, priority)).then(resolve, reject).finally(() => {
            this.busy = false;
            this.pump();
          });
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const at = priority === 'control' ? this.queue.findIndex((p) => p.priority === 'telemetry') : -1;
      if (at >= 0) this.queue.splice(at, 0, entry);
      else this.queue.push(entry);
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy) return;
    const next = this.queue.shift();
    if (!next) return;
    this.busy = true;
    next.start();
  }

  private io(signal: AbortSignal, priority: Priority): MinerIO {
    const ctx = (port: Port, write: boolean | undefined): SendCtx => ({ signal, priority, port, write: write === true });
    return {
      clock: this.deps.clock,
      rpc: (command, o = {}) => {
        const req = encodeRequest(command, { ...(o.parameter !== undefined ? { parameter: o.parameter } : {}), ...(o.extra ? { extra: o.extra } : {}), key: o.key ?? 'command' });
        if (!req.ok) return Promise.reject(new MinerError('miner_bad_reply', req.error.message));
        return this.rpcBytes(req.bytes, ctx('rpc', o.write));
      },
      rpcLine: (line, o = {}) => this.rpcBytes(Buffer.from(line, 'utf8'), ctx('rpc', o.write)),
      http: (req) => this.httpRequest(req, ctx('http', req.write)),
      v3: async (message, o = {}) => {
        const ex = await this.send(ctx('v3', o.write), (timeouts) => exchange({ ...timeouts, port: this.opts.v3Port, request: encodeV3(message), framing: 'v3' }));
        try {
          return JSON.parse(ex.bytes.toString('utf8')) as unknown;
        } catch (err) {
          this.counters.badReplies++;
          throw new MinerError('miner_bad_reply', `v3 reply is not JSON: ${(err as Error).message}`);
        }
      },
    };
  }

  private async rpcBytes(request: Buffer, c: SendCtx): Promise<RpcReply> {
    const ex = await this.send(c, (timeouts) => exchange({ ...timeouts, port: this.opts.port, request, framing: 'cgminer' }));
    const parsed = parseReply(ex.bytes);
    if (!parsed.ok) {
      if (parsed.code === 'backend_down') throw new MinerError('miner_backend_down', parsed.message);
      this.counters.badReplies++;
      throw new MinerError('miner_bad_reply', parsed.message);
    }
    if (parsed.repairs.length) {
      this.counters.repairs++;
      for (const r of parsed.repairs) this.repairSteps.set(r, (this.repairSteps.get(r) ?? 0) + 1);
    }
    const status = readStatus(parsed.value);
    if (status.letter === 'E' || status.letter === 'F') {
      this.counters.deviceErrors++;
      const what = `${status.msg ?? 'error'}${status.code !== null ? ` (code ${status.code})` : ''}`;
      throw new MinerError(status.code === 45 ? 'miner_access_denied' : 'miner_status', what, status.code ?? undefined);
    }
    return { value: parsed.value, status, repairs: parsed.repairs };
  }

  private async httpRequest(req: Omit<HttpRequest, 'host' | 'port'> & { write?: boolean }, c: SendCtx): Promise<HttpResponse> {
    const { write: _write, ...rest } = req;
    return this.send(c, async ({ connectTimeoutMs, readTimeoutMs, signal: s }) => {
      const ctl = new AbortController();
      const onAbort = (): void => ctl.abort(s?.reason);
      s?.addEventListener('abort', onAbort, { once: true });
      const limitMs = connectTimeoutMs + readTimeoutMs;
      const timer = this.deps.clock.setTimeout(() => ctl.abort(new MinerError('miner_timeout', `no HTTP response from ${this.opts.host}:${this.opts.httpPort}${rest.path} within ${limitMs} ms`)), limitMs);
      try {
        return await this.deps.http({ maxBytes: DEFAULT_HTTP_MAX_BYTES, ...rest, host: this.opts.host, port: this.opts.httpPort }, ctl.signal);
      } catch (err) {
        if (ctl.signal.aborted) throw ctl.signal.reason instanceof MinerError ? ctl.signal.reason : new MinerError('cancelled', 'HTTP request cancelled');
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ECONNREFUSED') throw new MinerError('miner_refused', `connection refused by ${this.opts.host}:${this.opts.httpPort}`, undefined, { cause: err });
        if (e.code === 'ECONNRESET' || e.code === 'EPIPE') throw new MinerError('miner_closed', `HTTP connection to ${this.opts.host}:${this.opts.httpPort} closed without a response`, undefined, { cause: err });
        throw new MinerError(e.code === 'ERR_BODY_TOO_LARGE' ? 'miner_bad_reply' : 'miner_unreachable', `HTTP ${rest.path}: ${e.message}`, undefined, { cause: err });
      } finally {
        timer.cancel();
        s?.removeEventListener('abort', onAbort);
      }
    });
  }

  /** One request: breaker check (telemetry only), inter-request gap, counters. */
  private async send<T>(c: SendCtx, fn: (t: RequestBase) => Promise<T>): Promise<T> {
    const { clock } = this.deps;
    const now = clock.monotonic();
    const b = this.breakers.get(c.port) ?? { failures: 0, openUntilMs: 0 };
    this.breakers.set(c.port, b);
    if (c.priority === 'telemetry' && now < b.openUntilMs) {
      this.counters.breakerSkips++;
      throw new MinerError('miner_unreachable', `${c.port} not tried: ${b.failures} failures in a row; next attempt in ${Math.ceil((b.openUntilMs - now) / 1000)} s`);
    }
    const wait = this.lastEndMs + this.opts.gapMs - now;
    if (wait > 0) await sleep(clock, wait, c.signal);
    this.counters.requests++;
    try {
      const r = await fn({ dial: this.deps.dial, clock, host: this.opts.host, connectTimeoutMs: this.opts.connectTimeoutMs, readTimeoutMs: c.write ? this.opts.writeTimeoutMs : this.opts.timeoutMs, maxBytes: this.opts.maxReplyBytes, signal: c.signal });
      this.counters.replies++;
      b.failures = 0;
      return r;
    } catch (err) {
      this.count(err, b);
      throw err;
    } finally {
      this.lastEndMs = clock.monotonic();
    }
  }

  private count(err: unknown, b: { failures: number; openUntilMs: number }): void {
    if (!(err instanceof MinerError)) return;
    if (err.code === 'miner_timeout' || err.code === 'miner_connect_timeout') this.counters.timeouts++;
    else if (err.code === 'miner_refused') this.counters.refused++;
    else if (err.code === 'miner_closed') this.counters.closed++;
    else if (err.code === 'miner_bad_reply') this.counters.badReplies++;
    if (!err.transport || err.code === 'cancelled') return;
    b.failures++;
    if (b.failures >= this.opts.breakerFailures) {
      b.openUntilMs = this.deps.clock.monotonic() + this.opts.breakerOpenMs;
      this.counters.breakerOpens++;
    }
  }
}

/** What every request of this link shares: the socket factory, clock, host, limits, signal. */
type RequestBase = Pick<ExchangeOptions, 'dial' | 'clock' | 'host' | 'connectTimeoutMs' | 'readTimeoutMs' | 'maxBytes'> & { readonly signal: AbortSignal };

interface SendCtx {
  readonly signal: AbortSignal;
  readonly priority: Priority;
  readonly port: Port;
  readonly write: boolean;
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      t.cancel();
      reject(new MinerError('cancelled', 'cancelled while waiting between requests'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
