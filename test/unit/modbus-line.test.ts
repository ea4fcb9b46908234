// ModbusLine on the injected FakeClock, with a scripted peer on the ByteStream seam: queue order
// and priorities, the RTU gap, timeouts, transaction-id matching (late replies, TID 0, ignored
// TIDs), pipelining, busy retries, reconnects, cancellation, junk and CRC errors.
import { describe, expect, it } from 'vitest';
import { ModbusError } from '../../agent/drivers/modbus/errors.js';
import { ModbusLine, type LineOptions } from '../../agent/drivers/modbus/line.js';
import type { ByteStream } from '../../agent/drivers/transport/stream.js';
import { FakeClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { encodeResponsePdu, type ModbusRequest } from '../../protocols/modbus/pdu.js';
import { crcOk, encodeRtu } from '../../protocols/modbus/rtu-frame.js';
import { encodeMbap } from '../../protocols/modbus/tcp-frame.js';

/** The far end of a ByteStream: records what the line writes and lets the test answer. */
class Peer implements ByteStream {
  readonly description = 'peer';
  readonly written: Buffer[] = [];
  closed = false;
  private data: ((b: Buffer) => void) | undefined;
  private closeFn: ((err?: Error) => void) | undefined;
  write(b: Buffer): void {
    this.written.push(b);
  }
  onData(fn: (b: Buffer) => void): void {
    this.data = fn;
  }
  onClose(fn: (err?: Error) => void): void {
    this.closeFn = fn;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeFn?.();
  }
  send(b: Buffer): void {
    this.data?.(b);
  }
  tid(i: number): number {
    return (this.written[i] as Buffer).readUInt16BE(0);
  }
}

const regs = (...v: number[]): Buffer => Buffer.from(v.flatMap((x) => [x >> 8, x & 0xff]));
const read = (address: number, count = 1): ModbusRequest => ({ fc: 3, address, count });
const reply = (req: ModbusRequest, data: Buffer) => encodeResponsePdu(req, { registers: data });

function setup(o: Partial<LineOptions> = {}, openFails = 0) {
  const clock = new FakeClock();
  const peers: Peer[] = [];
  let fails = openFails;
  let opens = 0;
  const line = new ModbusLine(
    { key: 'test', framing: 'tcp', maxInFlight: 1, gapMs: 0, reconnectDelayMs: 1000, pauseAfterConnectMs: 0, tid: 'strict', closable: true, ...o },
    {
      clock, log: nullLogger,
      open: () => {
        opens++;
        if (fails-- > 0) return Promise.reject(new Error('connection refused'));
        const p = new Peer();
        peers.push(p);
        return Promise.resolve(p);
      },
    },
  );
  const opts = { unit: 1, timeoutMs: 500 };
  return { clock, line, peers, opts, opens: () => opens, peer: () => peers[peers.length - 1] as Peer };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('ModbusLine', () => {
  it('control requests overtake queued telemetry; FIFO within a priority', async () => {
    const { line, peer, opts, clock } = setup({ framing: 'rtu' });
    const order: string[] = [];
    const a = line.request(read(1), opts).then(() => order.push('t1'));
    await clock.advance(0); // t1 is on the wire
    const b = line.request(read(2), opts).then(() => order.push('t2'));
    const c = line.request({ fc: 5, address: 7, on: false }, { ...opts, priority: 'control' }).then(() => order.push('control'));
    const answer = async (): Promise<void> => {
      const w = peer().written[peer().written.length - 1] as Buffer;
      peer().send(encodeRtu(1, w[1] === 5 ? w.subarray(1, 6) : reply(read(w.readUInt16BE(2)), regs(9))));
      await clock.advance(0);
    };
    for (let i = 0; i < 3; i++) await answer();
    await Promise.all([a, b, c]);
    expect(order).toEqual(['t1', 'control', 't2']);
  });

  it('RTU: keeps the line silent for the gap after each reply, then sends the next request', async () => {
    const { line, peer, opts, clock } = setup({ framing: 'rtu', gapMs: 4 });
    const a = line.request(read(0), opts);
    const b = line.request(read(1), opts);
    await clock.advance(0);
    expect(peer().written).toHaveLength(1);
    peer().send(encodeRtu(1, reply(read(0), regs(1))));
    await a;
    await clock.advance(3);
    expect(peer().written).toHaveLength(1);
    await clock.advance(1);
    expect(peer().written).toHaveLength(2);
    peer().send(encodeRtu(1, reply(read(1), regs(2))));
    expect(await b).toEqual({ kind: 'registers', data: regs(2) });
  });

  it('TCP: a reply that arrives after its timeout is dropped, and the next request still gets its own reply', async () => {
    const { line, peer, opts, clock } = setup();
    const late = line.request(read(0), opts);
    await clock.advance(0);
    const lateTid = peer().tid(0);
    const lateErr = late.catch((e: unknown) => e);
    await clock.advance(500);
    expect(await lateErr).toMatchObject({ code: 'modbus_timeout' });
    const next = line.request(read(1), opts);
    await clock.advance(0);
    expect(peer().written).toHaveLength(2);
    peer().send(encodeMbap(lateTid, 1, reply(read(0), regs(0xdead)))); // Telegraf #14317's late reply
    peer().send(encodeMbap(peer().tid(1), 1, reply(read(1), regs(42))));
    expect(await next).toEqual({ kind: 'registers', data: regs(42) });
    expect(line.counters.staleReplies).toBe(1);
    expect(peer().closed).toBe(false);
  });

  it('TCP: pipelines up to maxInFlight and matches out-of-order replies by transaction id', async () => {
    const { line, peer, opts, clock } = setup({ maxInFlight: 2 });
    const reqs = [0, 1, 2].map((i) => line.request(read(i), opts));
    await clock.advance(0);
    expect(peer().written).toHaveLength(2);
    peer().send(Buffer.concat([encodeMbap(peer().tid(1), 1, reply(read(1), regs(11))), encodeMbap(peer().tid(0), 1, reply(read(0), regs(10)))]));
    await clock.advance(0);
    expect(peer().written).toHaveLength(3);
    peer().send(encodeMbap(peer().tid(2), 1, reply(read(2), regs(12))));
    expect((await Promise.all(reqs)).map((r) => r.kind === 'registers' && r.data.readUInt16BE(0))).toEqual([10, 11, 12]);
  });

  it('TCP tid modes: accept-zero takes TID 0 as the oldest reply; ignore takes any TID, one in flight', async () => {
    const z = setup({ tid: 'accept-zero', maxInFlight: 2 });
    const r1 = z.line.request(read(0), z.opts);
    await z.clock.advance(0);
    z.peer().send(encodeMbap(0, 1, reply(read(0), regs(5))));
    expect(await r1).toEqual({ kind: 'registers', data: regs(5) });
    const i = setup({ tid: 'ignore', maxInFlight: 4 });
    const p = [i.line.request(read(0), i.opts), i.line.request(read(1), i.opts)];
    await i.clock.advance(0);
    expect(i.peer().written).toHaveLength(1);
    i.peer().send(encodeMbap(2, 1, reply(read(0), regs(7)))); // a gateway that always answers TID 2
    await i.clock.advance(0);
    i.peer().send(encodeMbap(2, 1, reply(read(1), regs(8))));
    expect((await Promise.all(p)).map((r) => r.kind === 'registers' && r.data.readUInt16BE(0))).toEqual([7, 8]);
  });

  it('TCP: two timeouts in a row reset the connection; the next request reconnects', async () => {
    const { line, peers, opts, clock, opens } = setup({ reconnectDelayMs: 0 });
    for (const a of [0, 1]) {
      const r = line.request(read(a), opts).catch((e: unknown) => e);
      await clock.advance(500);
      expect(await r).toMatchObject({ code: 'modbus_timeout' });
    }
    expect(peers[0]!.closed).toBe(true);
    const r = line.request(read(2), opts);
    await clock.advance(0);
    expect(opens()).toBe(2);
    peers[1]!.send(encodeMbap(peers[1]!.tid(0), 1, reply(read(2), regs(3))));
    await r;
    expect(line.counters).toMatchObject({ connects: 2, reconnects: 1, timeouts: 2 });
  });

  it('retries exception 06 (busy) only, after the configured delay', async () => {
    const { line, peer, opts, clock } = setup();
    const busy = (i: number) => encodeMbap(peer().tid(i), 1, Buffer.from([0x83, 6]));
    const r = line.request(read(0), { ...opts, busyRetries: 1, busyRetryDelayMs: 100 });
    await clock.advance(0);
    peer().send(busy(0));
    await clock.advance(99);
    expect(peer().written).toHaveLength(1);
    await clock.advance(1);
    expect(peer().written).toHaveLength(2);
    peer().send(encodeMbap(peer().tid(1), 1, reply(read(0), regs(1))));
    await r;
    const r2 = line.request(read(0), { ...opts, busyRetries: 0 }).catch((e: unknown) => e);
    await clock.advance(0);
    peer().send(encodeMbap(peer().tid(2), 1, Buffer.from([0x83, 2])));
    const err = (await r2) as ModbusError;
    expect(err).toMatchObject({ code: 'modbus_exception', exceptionCode: 2 });
    expect(line.counters).toMatchObject({ busyRetries: 1, exceptions: 2, responses: 1 });
  });

  it('fails fast while waiting to reconnect, then reconnects after the delay', async () => {
    const { line, opts, clock, opens } = setup({}, 1);
    const first = line.request(read(0), opts).catch((e: unknown) => e);
    await clock.advance(0);
    expect(await first).toMatchObject({ code: 'modbus_offline', message: 'connection refused' });
    const fast = line.request(read(0), opts).catch((e: unknown) => e);
    await clock.advance(0);
    expect(await fast).toMatchObject({ code: 'modbus_offline' });
    expect((await fast as Error).message).toMatch(/reconnecting in \d+ ms/);
    expect(opens()).toBe(1);
    await clock.advance(1000);
    void line.request(read(0), opts).catch(() => undefined);
    await clock.advance(0);
    expect(opens()).toBe(2);
    expect(line.connected).toBe(true);
  });

  it('a peer that closes the connection fails what is in flight as offline', async () => {
    const { line, peer, opts, clock } = setup();
    const r = line.request(read(0), opts).catch((e: unknown) => e);
    await clock.advance(0);
    peer().close();
    expect(await r).toMatchObject({ code: 'modbus_offline' });
    expect(line.counters.commErrors).toBe(1);
  });

  it('an aborted request leaves the queue without being sent', async () => {
    const { line, peer, opts, clock } = setup();
    const first = line.request(read(0), opts);
    const ac = new AbortController();
    const second = line.request(read(1), { ...opts, signal: ac.signal }).catch((e: unknown) => e);
    await clock.advance(0);
    ac.abort();
    expect(await second).toMatchObject({ code: 'cancelled' });
    peer().send(encodeMbap(peer().tid(0), 1, reply(read(0), regs(1))));
    await first;
    await clock.advance(0);
    expect(peer().written).toHaveLength(1);
  });

  it('RTU: skips junk before the reply and discards leftovers before the next request', async () => {
    const { line, peer, opts, clock } = setup({ framing: 'rtu' });
    const r = line.request(read(0, 2), opts);
    await clock.advance(0);
    expect(crcOk(peer().written[0]!, 0, 8)).toBe(true);
    peer().send(Buffer.from([0xff, 0x01, 0x03]));
    peer().send(encodeRtu(1, reply(read(0, 2), regs(1, 2))));
    expect(await r).toEqual({ kind: 'registers', data: regs(1, 2) });
    peer().send(Buffer.from([0x00, 0x00])); // noise after the exchange
    const r2 = line.request(read(5), opts);
    await clock.advance(0);
    peer().send(encodeRtu(1, reply(read(5), regs(5))));
    await r2;
    expect(line.counters.junkBytes).toBe(5);
  });

  it('RTU: a reply with a bad CRC fails as modbus_crc without waiting out the timeout', async () => {
    const { line, peer, opts, clock } = setup({ framing: 'rtu', gapMs: 4 });
    const r = line.request(read(0), opts).catch((e: unknown) => e);
    await clock.advance(0);
    const bad = encodeRtu(1, reply(read(0), regs(1)));
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    peer().send(bad);
    await clock.advance(10);
    expect(await r).toMatchObject({ code: 'modbus_crc' });
    expect(line.counters).toMatchObject({ crcErrors: 1, timeouts: 0 });
  });

  it('closeWhenIdle closes once the exchange in flight is done; the next request connects at once, not as a reconnect', async () => {
    const { line, peer, opts, clock, opens } = setup({ reconnectDelayMs: 60_000 });
    const r = line.request(read(0), opts);
    await clock.advance(0);
    line.closeWhenIdle();
    expect(peer().closed).toBe(false);
    peer().send(encodeMbap(peer().tid(0), 1, reply(read(0), regs(1))));
    await r;
    await settle();
    expect(peer().closed).toBe(true);
    expect(line.connected).toBe(false);
    const next = line.request(read(1), opts);
    await clock.advance(0);
    expect(opens()).toBe(2);
    peer().send(encodeMbap(peer().tid(0), 1, reply(read(1), regs(2))));
    await next;
    expect(line.counters).toMatchObject({ connects: 2, reconnects: 0 });
  });
});
