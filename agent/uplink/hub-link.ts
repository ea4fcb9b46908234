// The agent's WebSocket link to the hub.
//
// Contract:
//  - connects, sends Hello, waits for Welcome (which says what the hub already holds), then
//    streams batches from the outbox: live batches first, then the backlog that was unacked when
//    the connection came up, re-sent marked historical. Acks remove batches from the outbox.
//  - never blocks the caller: append to the outbox and call notify(); sending is paced by the
//    socket's bufferedAmount (high watermark) and resumes from the send callback. The outbox
//    says when more is readable (fsynced, read back from disk) and when it dropped batches (the
//    hub then gets a fresh Hello with the new oldest_unacked_seq).
//  - backfill drains at a bounded rate (token bucket, `backfillBytesPerS`) and only while less
//    than `backfillHighWaterBytes` is queued on the socket, so a live batch never waits behind
//    more than that much backlog.
//  - a Welcome whose acked_upto is beyond anything this stream handed out means the agent lost
//    its spool's tail (power loss with a failing disk): the outbox moves to a new stream id and
//    a new Hello is sent, so new batches are not mistaken for duplicates.
//  - heartbeat: the agent pings every heartbeatMs; no pong within heartbeatMs + 1 s terminates
//    the socket (terminate, not close, which would wait 30 s).
//  - reconnects forever with capped exponential backoff and full jitter; the backoff resets once
//    a Welcome arrives.
//  - a frame from the hub that does not decode closes the connection (1007) and counts; nothing
//    the hub sends can throw out of this class.
//  - permessage-deflate is off (compression is in the encoding) and maxPayload is bounded.

import type WebSocket from 'ws';
import { decodeHubMessage, encodeAgentMessage, frameBatch, type pb } from '../../protocols/wire/codec.js';
import { Backoff } from '../runtime/backoff.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { Logger } from '../runtime/log.js';
import { TokenBucket } from '../runtime/token-bucket.js';
import type { BuiltBatch } from './encoder.js';
import type { Outbox } from './outbox.js';

export interface HubLinkOptions {
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly maxPayloadBytes: number;
  readonly highWaterBytes: number;
  /** Backlog drain rate; 0 = as fast as the socket takes it. */
  readonly backfillBytesPerS?: number;
  /** Backlog is sent only while less than this is queued on the socket (default 64 KiB). */
  readonly backfillHighWaterBytes?: number;
}

/** Creates a WebSocket (supplied by main.ts: the only place real sockets are built). */
export type WebSocketFactory = (url: string, options: WebSocket.ClientOptions) => WebSocket;

export interface HubLinkHandlers {
  /** The Hello for a new connection; `session` counts connections. */
  hello(session: number): pb.IHello;
  /**
   * Handles one hub message that is not part of the delivery protocol (commands, rebirth).
   * `frame` is the message exactly as received (signature checks need the signed bytes).
   */
  message(msg: pb.HubMessage, reply: (m: pb.IAgentMessage) => void, frame: Uint8Array): void;
  /** Called when the hub acks: batches removed and the samples they held. */
  acked?(batches: number, samples: number): void;
}

export type LinkState = 'idle' | 'connecting' | 'handshaking' | 'up' | 'backoff' | 'stopped';

export interface LinkStats {
  connects: number;
  disconnects: number;
  handshakes: number;
  framesSent: number;
  bytesSent: number;
  batchesSent: number;
  samplesSent: number;
  backfillBatchesSent: number;
  /** Times the backfill waited for its rate limit. */
  backfillThrottled: number;
  /** New stream ids taken because the hub held seqs this stream never had. */
  restreams: number;
  framesReceived: number;
  badFrames: number;
  acks: number;
  ackedUpto: number;
  lastError: string;
  /** Wall-clock time the link last came up, 0 if never. */
  upSinceMs: number;
}

const WS_OPEN = 1;

export class HubLink {
  readonly stats: LinkStats = {
    connects: 0, disconnects: 0, handshakes: 0, framesSent: 0, bytesSent: 0, batchesSent: 0, samplesSent: 0,
    backfillBatchesSent: 0, backfillThrottled: 0, restreams: 0, framesReceived: 0, badFrames: 0, acks: 0, ackedUpto: 0, lastError: '', upSinceMs: 0,
  };
  private _state: LinkState = 'idle';
  private ws: WebSocket | undefined;
  private readonly backoff: Backoff;
  private timers: TimerHandle[] = [];
  private readonly timerTags = new Map<TimerHandle, string>();
  private session = 0;
  // Per connection: what has been sent. Live = seq > backfillEnd; backlog = (backfillCursor, backfillEnd].
  private liveCursor = 0;
  private backfillCursor = 0;
  private backfillEnd = 0;
  private awaitingSendCallback = false;
  private stopWaiters: (() => void)[] = [];
  private readonly bucket: TokenBucket;
  private throttleArmed = false;

  constructor(
    private readonly opts: HubLinkOptions,
    private readonly deps: { clock: Clock; log: Logger; connect: WebSocketFactory; random?: () => number },
    private readonly outbox: Outbox,
    private readonly handlers: HubLinkHandlers,
  ) {
    this.backoff = new Backoff({ initialMs: opts.backoffInitialMs, maxMs: opts.backoffMaxMs, minMs: Math.min(100, opts.backoffInitialMs) }, deps.random);
    this.bucket = new TokenBucket(opts.backfillBytesPerS ?? 0);
    outbox.subscribe?.((c) => {
      if (c.type === 'readable') this.pump();
      else if (this._state === 'up' && this.rebirth()) this.deps.log.warn('outbox dropped batches; Hello re-sent with the new oldest seq', { batches: c.batches, samples: c.samples });
    });
  }

  get state(): LinkState {
    return this._state;
  }

  start(): void {
    if (this._state !== 'idle') return;
    this.connect();
  }

  /** New batches are in the outbox. */
  notify(): void {
    this.pump();
  }

  /** Sends a message outside the batch stream (command results). Dropped when the link is down. */
  send(msg: pb.IAgentMessage): boolean {
    const ws = this.ws;
    if (this._state !== 'up' || !ws || ws.readyState !== WS_OPEN) return false;
    this.write(ws, encodeAgentMessage(msg));
    return true;
  }

  /** Sends a fresh Hello on the current connection (catalog change, or the hub asked). */
  rebirth(): boolean {
    return this.send({ hello: this.handlers.hello(this.session) });
  }

  /** Sends Goodbye, closes, and stops reconnecting. Resolves once the socket is gone. */
  async stop(reason = 'agent stopping', timeoutMs = 2000): Promise<void> {
    if (this._state === 'stopped') return;
    const ws = this.ws;
    this._state = 'stopped';
    this.clearTimers();
    if (!ws || ws.readyState > WS_OPEN) return;
    await new Promise<void>((resolve) => {
      this.stopWaiters.push(resolve);
      const t = this.deps.clock.setTimeout(() => {
        ws.terminate();
        resolve();
      }, timeoutMs);
      this.stopWaiters.push(() => t.cancel());
      if (ws.readyState === WS_OPEN) {
        try {
          ws.send(encodeAgentMessage({ goodbye: { reason } }));
        } catch {
          // closing anyway
        }
        ws.close(1000, 'goodbye');
      } else {
        ws.terminate();
      }
    });
  }

  private connect(): void {
    if (this._state === 'stopped') return;
    this._state = 'connecting';
    let ws: WebSocket;
    try {
      ws = this.deps.connect(this.opts.url, {
        perMessageDeflate: false,
        maxPayload: this.opts.maxPayloadBytes,
        handshakeTimeout: this.opts.connectTimeoutMs,
      });
    } catch (err) {
      this.stats.lastError = (err as Error).message;
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.stats.connects++;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data, isBinary) => this.onMessage(ws, data as Buffer, isBinary));
    ws.on('pong', () => this.onPong(ws));
    ws.on('error', (err) => {
      this.stats.lastError = err.message;
      this.deps.log.debug('hub socket error', { err: err.message });
    });
    ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString()));
  }

  private onOpen(ws: WebSocket): void {
    if (ws !== this.ws) return;
    this._state = 'handshaking';
    this.session++;
    this.write(ws, encodeAgentMessage({ hello: this.handlers.hello(this.session) }));
    this.arm(() => {
      this.stats.lastError = `no Welcome within ${this.opts.connectTimeoutMs} ms`;
      ws.terminate();
    }, this.opts.connectTimeoutMs, 'handshake');
  }

  private onMessage(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (ws !== this.ws) return;
    this.stats.framesReceived++;
    const res = isBinary ? decodeHubMessage(data, this.opts.maxPayloadBytes) : undefined;
    if (!res?.ok) {
      this.stats.badFrames++;
      const why = res ? res.error.message : 'text frame';
      this.stats.lastError = `bad frame from hub: ${why}`;
      this.deps.log.warn('bad frame from hub; reconnecting', { reason: why, bytes: data.length });
      ws.close(1007, 'invalid frame');
      this.arm(() => ws.terminate(), 1000, 'close');
      return;
    }
    const msg = res.message;
    switch (msg.body) {
      case 'welcome':
        this.onWelcome(ws, msg.welcome as pb.Welcome);
        return;
      case 'ack':
        this.onAck((msg.ack as pb.Ack).uptoSeq, (msg.ack as pb.Ack).streamId);
        return;
      default:
        if (this._state !== 'up') {
          this.deps.log.warn('hub message before Welcome ignored', { body: msg.body });
          return;
        }
        try {
          this.handlers.message(msg, (m) => this.send(m), data);
        } catch (err) {
          this.deps.log.error('hub message handler failed', { err });
        }
    }
  }

  private onWelcome(ws: WebSocket, w: pb.Welcome): void {
    if (this._state !== 'handshaking') return;
    if (w.ackedUpto > this.outbox.lastSeq && this.outbox.restream) {
      this.stats.restreams++;
      const streamId = this.outbox.restream();
      this.deps.log.error('hub holds seqs this agent never produced (spool lost its tail?); continuing on a new stream', { hubAckedUpto: w.ackedUpto, lastSeq: this.outbox.lastSeq, streamId });
      this.write(ws, encodeAgentMessage({ hello: this.handlers.hello(this.session) }));
      return; // the handshake timer still runs; the hub answers the new Hello with a Welcome
    }
    this.clearTimers();
    this.throttleArmed = false;
    this._state = 'up';
    this.stats.handshakes++;
    this.stats.upSinceMs = this.deps.clock.now();
    this.backoff.reset();
    this.onAck(w.ackedUpto, this.outbox.streamId);
    // Everything unacked now is backlog (re-sent historical); what comes later is live.
    this.backfillCursor = Math.max(w.ackedUpto, 0);
    this.backfillEnd = this.outbox.lastSeq;
    this.liveCursor = this.outbox.lastSeq;
    this.deps.log.info('hub link up', { url: this.opts.url, session: this.session, backlog: this.outbox.stats().batches });
    this.heartbeat(ws);
    this.pump();
  }

  private onAck(upto: number, streamId: number): void {
    if (streamId !== this.outbox.streamId) return; // an ack for an earlier stream
    this.stats.acks++;
    if (upto > this.stats.ackedUpto) this.stats.ackedUpto = upto;
    const before = this.outbox.stats();
    const n = this.outbox.ack(upto);
    if (n && this.handlers.acked) this.handlers.acked(n, this.outbox.stats().ackedSamples - before.ackedSamples);
  }

  private heartbeat(ws: WebSocket): void {
    this.clearTimers('ping');
    this.arm(() => this.sendPing(ws), this.opts.heartbeatMs, 'ping');
  }

  private sendPing(ws: WebSocket): void {
    if (ws !== this.ws || this._state !== 'up') return;
    try {
      ws.ping();
    } catch {
      return;
    }
    this.arm(() => {
      this.stats.lastError = `no pong within ${this.opts.heartbeatMs + 1000} ms`;
      this.deps.log.warn('hub heartbeat lost; reconnecting');
      ws.terminate();
    }, this.opts.heartbeatMs + 1000, 'pong');
  }

  private onPong(ws: WebSocket): void {
    if (ws !== this.ws || this._state !== 'up') return;
    this.clearTimers('pong');
    this.heartbeat(ws);
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.clearTimers();
    this.awaitingSendCallback = false;
    this.stats.disconnects++;
    const waiters = this.stopWaiters;
    this.stopWaiters = [];
    for (const w of waiters) w();
    if (this._state === 'stopped') return;
    if (code !== 1000 || reason) this.stats.lastError ||= `closed ${code} ${reason}`;
    this.deps.log.info('hub link down', { code, reason, lastError: this.stats.lastError });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this._state === 'stopped') return;
    this._state = 'backoff';
    const delay = this.backoff.next();
    this.arm(() => this.connect(), delay, 'reconnect');
  }

  /** Sends batches while the socket takes them: live first, then backlog at its bounded rate. */
  private pump(): void {
    const ws = this.ws;
    if (this._state !== 'up' || !ws || ws.readyState !== WS_OPEN) return;
    while (ws.bufferedAmount < this.opts.highWaterBytes) {
      const live = this.outbox.after(this.liveCursor, 1)[0];
      if (live) {
        this.liveCursor = live.seq;
        this.sendBatch(ws, live, false);
        continue;
      }
      if (this.backfillCursor >= this.backfillEnd) return;
      if (ws.bufferedAmount >= this.backfillHighWater) break;
      if (!this.backfillAllowed()) return;
      const back = this.outbox.after(this.backfillCursor, 1)[0];
      if (!back || back.seq > this.backfillEnd) return; // the outbox says 'readable' when it has more
      this.backfillCursor = back.seq;
      this.bucket.take(this.sendBatch(ws, back, true));
      this.stats.backfillBatchesSent++;
    }
    this.awaitingSendCallback = true; // resumed by the next send callback
  }

  private get backfillHighWater(): number {
    return Math.min(this.opts.highWaterBytes, this.opts.backfillHighWaterBytes ?? 64 << 10);
  }

  /** True when the backfill rate allows sending now; otherwise a timer resumes the pump. */
  private backfillAllowed(): boolean {
    const now = this.deps.clock.monotonic();
    if (this.bucket.ready(now)) return true;
    if (!this.throttleArmed) {
      this.throttleArmed = true;
      this.stats.backfillThrottled++;
      this.arm(() => {
        this.throttleArmed = false;
        this.pump();
      }, this.bucket.waitMs(now), 'throttle');
    }
    return false;
  }

  /** Sends one batch; returns the frame's size. */
  private sendBatch(ws: WebSocket, b: BuiltBatch, historical: boolean): number {
    const frame = frameBatch(b.bytes, historical);
    this.write(ws, frame);
    this.stats.batchesSent++;
    this.stats.samplesSent += b.samples;
    return frame.length;
  }

  private write(ws: WebSocket, frame: Uint8Array): void {
    this.stats.framesSent++;
    this.stats.bytesSent += frame.length;
    ws.send(frame, { binary: true }, (err) => {
      if (err) {
        this.stats.lastError = err.message;
        return;
      }
      if (this.awaitingSendCallback && ws === this.ws && ws.bufferedAmount < this.backfillHighWater / 2) {
        this.awaitingSendCallback = false;
        this.pump();
      }
    });
  }

  private arm(fn: () => void, ms: number, tag: string): void {
    const h = this.deps.clock.setTimeout(() => {
      this.timers = this.timers.filter((t) => t !== h);
      this.timerTags.delete(h);
      fn();
    }, ms);
    this.timers.push(h);
    this.timerTags.set(h, tag);
  }

  private clearTimers(tag?: string): void {
    this.timers = this.timers.filter((t) => {
      if (tag !== undefined && this.timerTags.get(t) !== tag) return true;
      t.cancel();
      this.timerTags.delete(t);
      return false;
    });
  }
}
