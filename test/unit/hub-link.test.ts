// HubLink's sending logic, with a scripted socket in place of the network (the WebSocketFactory
// seam): live batches before backlog, backlog marked historical, pacing by bufferedAmount,
// acks, reconnect backoff. The same link runs over real sockets in test/e2e/agent-hub.test.ts.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { decodeAgentMessage, encodeHubMessage, type pb } from '../../protocols/wire/codec.js';
import { FakeClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import type { BuiltBatch } from '../../agent/uplink/encoder.js';
import { HubLink } from '../../agent/uplink/hub-link.js';
import { MemoryOutbox } from '../../agent/uplink/outbox.js';
import { encodeBatch } from '../../protocols/wire/codec.js';

class ScriptedSocket extends EventEmitter {
  readyState = 0;
  bufferedAmount = 0;
  binaryType = 'nodebuffer';
  readonly sent: pb.AgentMessage[] = [];
  readonly callbacks: ((err?: Error) => void)[] = [];
  terminated = false;
  send(data: Uint8Array, _opts: unknown, cb: (err?: Error) => void): void {
    const r = decodeAgentMessage(data);
    if (!r.ok) throw r.error;
    this.sent.push(r.message);
    this.bufferedAmount += data.length;
    this.callbacks.push(cb);
  }
  /** The network takes everything queued. */
  flush(): void {
    this.bufferedAmount = 0;
    for (const cb of this.callbacks.splice(0)) cb();
  }
  ping(): void {}
  close(): void {
    this.terminate();
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
    this.emit('close', 1006, Buffer.from(''));
  }
  open(): void {
    this.readyState = 1;
    this.emit('open');
  }
  hub(m: pb.IHubMessage): void {
    this.emit('message', Buffer.from(encodeHubMessage(m)), true);
  }
  batches(): pb.TelemetryBatch[] {
    return this.sent.filter((m) => m.body === 'batch').map((m) => m.batch as pb.TelemetryBatch);
  }
}

/** A batch of about 100 bytes. */
function built(seq: number): BuiltBatch {
  const n = 45;
  const bytes = encodeBatch({ seq, baseTimeMs: seq, groups: [{ aliasDeltas: Array.from({ length: n }, () => 1), values: Array.from({ length: n }, (_, i) => i) }] });
  return { seq, bytes, samples: 1, missing: 0, events: 0, baseTimeMs: seq };
}

function setup(highWaterBytes = 1 << 20, over: { backfillBytesPerS?: number; outbox?: MemoryOutbox } = {}) {
  const clock = new FakeClock();
  const sockets: ScriptedSocket[] = [];
  const outbox = over.outbox ?? new MemoryOutbox(42, { maxBatches: 1000, maxBytes: 1 << 20 });
  const link = new HubLink(
    { url: 'ws://hub/agent', connectTimeoutMs: 1000, heartbeatMs: 10_000, backoffInitialMs: 100, backoffMaxMs: 1000, maxPayloadBytes: 1 << 16, highWaterBytes, backfillBytesPerS: over.backfillBytesPerS ?? 0 },
    { clock, log: nullLogger, random: () => 1, connect: () => {
      const s = new ScriptedSocket();
      sockets.push(s);
      return s as unknown as WebSocket;
    } },
    outbox,
    { hello: (session) => ({ agentId: 'a', rackId: 'r', streamId: outbox.streamId, session, oldestUnackedSeq: outbox.stats().oldestSeq }), message: () => {} },
  );
  const add = (n: number): void => {
    for (let i = 0; i < n; i++) outbox.append(built(outbox.nextSeq()));
    link.notify();
  };
  return { clock, sockets, outbox, link, add };
}

describe('HubLink', () => {
  it('says Hello first, sends nothing before Welcome, then the backlog as historical', async () => {
    const { sockets, link, add, outbox } = setup();
    add(3);
    link.start();
    const s = sockets[0]!;
    s.open();
    expect(s.sent.map((m) => m.body)).toEqual(['hello']);
    expect(s.sent[0]!.hello).toMatchObject({ session: 1, streamId: 42 });
    s.hub({ welcome: { ackedUpto: 1 } });
    expect(outbox.stats().batches).toBe(2); // the Welcome acked seq 1
    expect(s.batches().map((b) => [b.seq, b.historical])).toEqual([[2, true], [3, true]]);
    add(1);
    expect(s.batches().at(-1)).toMatchObject({ seq: 4, historical: false });
    s.hub({ ack: { streamId: 42, uptoSeq: 4 } });
    expect(outbox.stats()).toMatchObject({ batches: 0, ackedBatches: 4 });
    s.hub({ ack: { streamId: 7, uptoSeq: 99 } }); // another stream's ack is ignored
    expect(link.stats.ackedUpto).toBe(4);
  });

  it('paces by bufferedAmount, sends live data ahead of the backlog, and resumes on the send callback', async () => {
    const { sockets, link, add } = setup(250);
    add(5); // backlog
    link.start();
    const s = sockets[0]!;
    s.open();
    s.hub({ welcome: { ackedUpto: 0 } });
    const first = s.batches().length;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(5); // stopped at the 250 B high watermark
    expect(s.bufferedAmount).toBeGreaterThanOrEqual(250);
    add(2); // live batches arrive while the socket is full
    expect(s.batches().length).toBe(first);
    s.flush();
    s.flush();
    s.flush();
    s.flush();
    const order = s.batches().map((b) => `${b.seq}${b.historical ? 'h' : ''}`);
    expect(order.slice(first, first + 2)).toEqual(['6', '7']); // live jumps the remaining backlog
    expect(new Set(order)).toEqual(new Set(['1h', '2h', '3h', '4h', '5h', '6', '7']));
  });

  it('reconnects with backoff after a drop and re-sends what was not acked', async () => {
    const { clock, sockets, link, add } = setup();
    link.start();
    sockets[0]!.open();
    sockets[0]!.hub({ welcome: { ackedUpto: 0 } });
    add(2);
    sockets[0]!.terminate();
    expect(link.state).toBe('backoff');
    await clock.advance(99);
    expect(sockets).toHaveLength(1);
    await clock.advance(1);
    expect(sockets).toHaveLength(2);
    const s = sockets[1]!;
    s.open();
    expect(s.sent[0]!.hello?.session).toBe(2);
    s.hub({ welcome: { ackedUpto: 1 } });
    expect(s.batches().map((b) => [b.seq, b.historical])).toEqual([[2, true]]);
  });

  it('gives up on a hub that never says Welcome, and on a missing pong', async () => {
    const { clock, sockets, link } = setup();
    link.start();
    sockets[0]!.open();
    await clock.advance(1000);
    expect(sockets[0]!.terminated).toBe(true);
    expect(link.stats.lastError).toMatch(/no Welcome/);
    await clock.advance(100);
    const s = sockets[1]!;
    s.open();
    s.hub({ welcome: {} });
    await clock.advance(10_000); // ping sent
    expect(s.terminated).toBe(false);
    await clock.advance(11_000); // no pong
    expect(s.terminated).toBe(true);
    expect(link.stats.lastError).toMatch(/no pong/);
  });

  it('a frame that does not decode closes the connection and counts', async () => {
    const { sockets, link } = setup();
    link.start();
    const s = sockets[0]!;
    s.open();
    s.emit('message', Buffer.from('not protobuf at all'), true);
    expect(link.stats.badFrames).toBe(1);
    expect(s.terminated).toBe(true);
  });
});

describe('HubLink backfill and outbox changes', () => {
  it('drains the backlog at the configured rate while live batches go out at once', async () => {
    const { clock, sockets, link, add } = setup(1 << 20, { backfillBytesPerS: 1000 });
    add(30); // ~110 bytes a frame: ~9 frames a second at 1000 B/s
    link.start();
    const s = sockets[0]!;
    s.open();
    s.hub({ welcome: { ackedUpto: 0 } });
    s.flush();
    const burst = s.batches().length;
    expect(burst).toBeGreaterThanOrEqual(9);
    expect(burst).toBeLessThanOrEqual(10);
    add(1); // live: not held back by the throttle
    expect(s.batches().at(-1)).toMatchObject({ seq: 31, historical: false });
    await clock.advance(1000);
    s.flush();
    const second = s.batches().length - burst - 1;
    expect(second).toBeGreaterThanOrEqual(8);
    expect(second).toBeLessThanOrEqual(10);
    await clock.advance(3000);
    s.flush();
    expect(s.batches().filter((b) => b.historical)).toHaveLength(30);
    expect(link.stats.backfillThrottled).toBeGreaterThan(0);
  });

  it('a drop in the outbox sends a fresh Hello with the new oldest seq', async () => {
    const outbox = new MemoryOutbox(42, { maxBatches: 3, maxBytes: 1 << 20 });
    const { sockets, link, add } = setup(1 << 20, { outbox });
    link.start();
    const s = sockets[0]!;
    s.open();
    s.hub({ welcome: { ackedUpto: 0 } });
    add(5);
    const hellos = s.sent.filter((m) => m.body === 'hello');
    expect(hellos.length).toBeGreaterThanOrEqual(2);
    expect(hellos.at(-1)!.hello!.oldestUnackedSeq).toBe(3);
  });

  it('a Welcome beyond the stream\'s last seq makes the outbox restream and says Hello again', async () => {
    let restreamed = 0;
    const outbox = new MemoryOutbox(42, { maxBatches: 100, maxBytes: 1 << 20 }, () => {}, () => 42 + ++restreamed);
    const { sockets, link, add } = setup(1 << 20, { outbox });
    add(2);
    link.start();
    const s = sockets[0]!;
    s.open();
    s.hub({ welcome: { ackedUpto: 9 } }); // the hub has seqs 1..9 of stream 42; this agent only made 1..2
    expect(restreamed).toBe(1);
    expect(link.state).toBe('handshaking');
    expect(s.sent.filter((m) => m.body === 'hello').map((m) => m.hello!.streamId)).toEqual([42, 43]);
    s.hub({ welcome: { ackedUpto: 0 } });
    expect(s.batches().map((b) => [b.seq, b.historical])).toEqual([[1, true], [2, true]]);
  });
});
