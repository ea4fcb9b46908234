// The miner link over real loopback sockets, with time from a FakeClock: one request at a time
// per miner, control before telemetry, the gap between requests, timeouts, the per-port breaker
// (which never blocks control), cancellation, and how replies end (NUL, newline, close).
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MinerError } from '../../agent/drivers/miner/errors.js';
import { MinerLink, type LinkOptions } from '../../agent/drivers/miner/link.js';
import { nodeHttpRequester } from '../../agent/main.js';
import { FakeClock } from '../../agent/runtime/clock.js';

interface Peer {
  readonly port: number;
  readonly commands: string[];
  /** Replies to held requests, in arrival order. */
  release(): void;
  close(): Promise<void>;
}

/** A raw TCP peer: records commands; answers at once, or holds each reply until release(). */
async function peer(opts: { hold?: boolean; reply?: (cmd: string) => string | null } = {}): Promise<Peer> {
  const held: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const p: Peer = {
    port: 0, commands: [],
    release: () => held.shift()?.(),
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.once('data', (d: Buffer) => {
      const cmd = String((JSON.parse(d.toString()) as { command: string }).command);
      p.commands.push(cmd);
      const send = (): void => {
        const out = opts.reply ? opts.reply(cmd) : `{"STATUS":[{"STATUS":"S","Code":11,"Msg":"${cmd}"}],"id":1}\0`;
        if (out === null) return; // hang
        sock.end(out);
      };
      if (opts.hold) held.push(send);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (p as { port: number }).port = (server.address() as { port: number }).port;
  return p;
}

const OPTS: LinkOptions = { host: '127.0.0.1', port: 0, httpPort: 1, v3Port: 0, connectTimeoutMs: 3000, timeoutMs: 5000, writeTimeoutMs: 10_000, gapMs: 0, breakerFailures: 3, breakerOpenMs: 30_000, maxReplyBytes: 1 << 20 };
const peers: Peer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

function linkTo(p: Peer, clock: FakeClock, o: Partial<LinkOptions> = {}): MinerLink {
  return new MinerLink({ ...OPTS, port: p.port, ...o }, { dial: (h, port) => createConnection({ host: h, port }), http: nodeHttpRequester, clock });
}

const never = new AbortController().signal;
/** Waits for socket events until cond holds (generous bound: this is not a timing assertion). */
const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 2500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
};

describe('miner link', () => {
  it('sends one request at a time to a miner, in order', async () => {
    const p = await peer({ hold: true });
    peers.push(p);
    const link = linkTo(p, new FakeClock());
    const cmds = ['summary', 'pools', 'stats'];
    const replies = Promise.all(cmds.map((c) => link.run('telemetry', never, (io) => io.rpc(c))));
    for (let i = 1; i <= cmds.length; i++) {
      await until(() => p.commands.length === i);
      for (let k = 0; k < 20; k++) await new Promise((r) => setImmediate(r));
      expect(p.commands).toHaveLength(i); // the next one waits for this reply
      p.release();
    }
    expect((await replies).map((r) => r.status.msg)).toEqual(cmds);
    expect(p.commands).toEqual(cmds);
  });

  it('lets a control command overtake queued telemetry', async () => {
    const p = await peer({ hold: true });
    peers.push(p);
    const link = linkTo(p, new FakeClock());
    const a = link.run('telemetry', never, (io) => io.rpc('summary'));
    await until(() => p.commands.length === 1);
    const b = link.run('telemetry', never, (io) => io.rpc('pools'));
    const c = link.run('control', never, (io) => io.rpc('pause', { write: true }));
    p.release();
    await until(() => p.commands.length === 2);
    p.release();
    await until(() => p.commands.length === 3);
    p.release();
    await Promise.all([a, b, c]);
    expect(p.commands).toEqual(['summary', 'pause', 'pools']);
  });

  it('leaves gapMs between requests (time from the clock)', async () => {
    const p = await peer();
    peers.push(p);
    const clock = new FakeClock();
    const link = linkTo(p, clock, { gapMs: 200 });
    await link.run('telemetry', never, (io) => io.rpc('summary'));
    const second = link.run('telemetry', never, (io) => io.rpc('pools'));
    await clock.advance(150);
    expect(p.commands).toEqual(['summary']);
    await clock.advance(50);
    await second;
    expect(p.commands).toEqual(['summary', 'pools']);
  });

  it('a hung miner times out after timeoutMs, and only its own link waits', async () => {
    const hung = await peer({ reply: () => null });
    const fine = await peer();
    peers.push(hung, fine);
    const clock = new FakeClock();
    const h = linkTo(hung, clock).run('telemetry', never, (io) => io.rpc('summary'));
    let err: unknown;
    h.catch((e: unknown) => (err = e));
    await until(() => hung.commands.length === 1);
    await expect(linkTo(fine, clock).run('telemetry', never, (io) => io.rpc('summary'))).resolves.toBeDefined();
    await clock.advance(4999);
    expect(err).toBeUndefined();
    await clock.advance(1);
    expect(err).toBeInstanceOf(MinerError);
    expect((err as MinerError).code).toBe('miner_timeout');
    expect((err as MinerError).transport).toBe(true);
  });

  it('opens the breaker after repeated failures for telemetry only; control still tries', async () => {
    const p = await peer();
    const port = p.port;
    await p.close(); // nothing listens: connection refused
    const clock = new FakeClock();
    const link = new MinerLink({ ...OPTS, port }, { dial: (h, pt) => createConnection({ host: h, port: pt }), http: nodeHttpRequester, clock });
    for (let i = 0; i < 3; i++) await expect(link.run('telemetry', never, (io) => io.rpc('summary'))).rejects.toMatchObject({ code: 'miner_refused' });
    await expect(link.run('telemetry', never, (io) => io.rpc('summary'))).rejects.toMatchObject({ code: 'miner_unreachable' });
    expect(link.counters).toMatchObject({ requests: 3, refused: 3, breakerOpens: 1, breakerSkips: 1 });
    await expect(link.run('control', never, (io) => io.rpc('pause'))).rejects.toMatchObject({ code: 'miner_refused' });
    expect(link.counters.requests).toBe(4);
    await clock.advance(30_000);
    await expect(link.run('telemetry', never, (io) => io.rpc('summary'))).rejects.toMatchObject({ code: 'miner_refused' });
  });

  it('cancels a queued operation when its signal aborts, without sending it', async () => {
    const p = await peer({ hold: true });
    peers.push(p);
    const link = linkTo(p, new FakeClock());
    const first = link.run('telemetry', never, (io) => io.rpc('summary'));
    await until(() => p.commands.length === 1);
    const ctl = new AbortController();
    const second = link.run('telemetry', ctl.signal, (io) => io.rpc('pools'));
    ctl.abort();
    await expect(second).rejects.toMatchObject({ code: 'cancelled' });
    p.release();
    await first;
    expect(p.commands).toEqual(['summary']);
  });

  it('accepts replies ended by a newline on a kept-open socket, and reports a close without a reply', async () => {
    const nl = await peer({ reply: () => '{"STATUS":[{"STATUS":"S","Code":11,"Msg":"kept\\nopen"}],"id":1}\n' });
    peers.push(nl);
    const r = await linkTo(nl, new FakeClock()).run('telemetry', never, (io) => io.rpc('summary'));
    expect(r.status.msg).toBe('kept\nopen');
    const silent = await peer({ reply: () => '' });
    peers.push(silent);
    await expect(linkTo(silent, new FakeClock()).run('telemetry', never, (io) => io.rpc('power_off'))).rejects.toMatchObject({ code: 'miner_closed' });
  });

  it('turns STATUS errors into typed errors: 45 is access denied', async () => {
    const p = await peer({ reply: (c) => `{"STATUS":[{"STATUS":"E","Code":${c === 'devdetails' ? 45 : 14},"Msg":"no"}],"id":1}\0` });
    peers.push(p);
    const link = linkTo(p, new FakeClock());
    await expect(link.run('telemetry', never, (io) => io.rpc('devdetails'))).rejects.toMatchObject({ code: 'miner_access_denied', deviceCode: 45 });
    await expect(link.run('telemetry', never, (io) => io.rpc('bogus'))).rejects.toMatchObject({ code: 'miner_status', deviceCode: 14 });
  });
});
