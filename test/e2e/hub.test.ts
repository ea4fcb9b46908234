// The reference hub over real sockets, driven by a raw WebSocket client that plays an agent
// (well-behaved and hostile).
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeHubMessage, encodeAgentMessage, encodeBatch, frameBatch, pb } from '../../protocols/wire/codec.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startHub, type Hub } from '../../hub/server.js';
import { tempDir } from '../support/spool.js';
import { until } from '../support/wait.js';

let hub: Hub;
beforeEach(async () => {
  hub = await startHub({ host: '127.0.0.1', port: 0, log: nullLogger, maxPayloadBytes: 64 * 1024 });
});
afterEach(async () => {
  await hub.close();
});

class FakeAgent {
  readonly received: pb.HubMessage[] = [];
  closed: { code: number; reason: string } | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      const r = decodeHubMessage(d);
      if (r.ok) this.received.push(r.message);
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async connect(url: string, opts: WebSocket.ClientOptions = {}): Promise<FakeAgent> {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
    const a = new FakeAgent(ws);
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    return a;
  }

  send(m: pb.IAgentMessage): void {
    this.ws.send(encodeAgentMessage(m));
  }

  async next<K extends keyof pb.IHubMessage>(body: K): Promise<NonNullable<pb.HubMessage[K]>> {
    const m = await until(() => {
      const i = this.received.findIndex((x) => x.body === body);
      return i === -1 ? undefined : this.received.splice(i, 1)[0];
    }, { what: `hub ${String(body)}` });
    return m[body] as NonNullable<pb.HubMessage[K]>;
  }

  async closedWith(): Promise<{ code: number; reason: string }> {
    return until(() => this.closed, { what: 'close' });
  }
}

const hello = (over: Partial<pb.IHello> = {}): pb.IHello => ({
  agentId: 'agent-1', siteId: 's', rackId: 'rack-1', softwareVersion: 'test', protocolVersion: 1, streamId: 77, session: 1, catalogVersion: 5,
  devices: [{ id: 'pdu-a', kind: pb.DeviceKind.DEVICE_KIND_PDU, model: 'm' }],
  series: [
    { alias: 1, device: 'pdu-a', quantity: 'inlet.power', unit: 'W', scaleExp: -1 },
    { alias: 2, device: 'pdu-a', quantity: 'phase.current', channel: 'L1', unit: 'A', scaleExp: -2 },
  ],
  ...over,
});

const batch = (seq: number, power: number, over: Partial<pb.ITelemetryBatch> = {}): pb.IAgentMessage => ({
  batch: { seq, catalogVersion: 5, baseTimeMs: 1000 + seq, groups: [{ aliasDeltas: [1, 1], values: [power * 10, 1234] }], ...over },
});

async function api(path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const a = hub.address;
  const res = await fetch(`http://${a.host}:${a.port}${path}`, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // text
  }
  return { status: res.status, body };
}

describe('hub session and delivery', () => {
  it('welcomes, stores, acks cumulatively and drops duplicates', async () => {
    const a = await FakeAgent.connect(hub.url);
    a.send({ hello: hello() });
    expect((await a.next('welcome')).ackedUpto).toBe(0);
    a.send(batch(1, 5000));
    expect((await a.next('ack')).uptoSeq).toBe(1);
    a.send(batch(1, 5000));
    expect((await a.next('ack')).uptoSeq).toBe(1);
    a.send(batch(3, 5200)); // gap: cumulative ack stays at 1
    expect((await a.next('ack')).uptoSeq).toBe(1);
    a.send(batch(2, 5100));
    expect((await a.next('ack')).uptoSeq).toBe(3);
    const rack = hub.racks.get('rack-1')!;
    expect(rack.counters).toMatchObject({ batches: 3, duplicates: 1, samples: 6 });
    const r = await api('/api/racks/rack-1');
    const body = r.body as { latest: Record<string, { value: number; unit: string }>; powerW: number };
    expect(body.latest['pdu-a/inlet.power']).toMatchObject({ value: 5200, unit: 'W', quality: 'ok' });
    expect(body.latest['pdu-a/phase.current/L1']?.value).toBeCloseTo(12.34, 6);
    expect(body.powerW).toBe(5200);
  });

  it('historical batches are stored but never become the current value; missing values stay unknown', async () => {
    const a = await FakeAgent.connect(hub.url);
    a.send({ hello: hello() });
    await a.next('welcome');
    a.send(batch(2, 6000));
    await a.next('ack');
    a.ws.send(frameBatch(encodeBatch(batch(1, 1).batch as pb.ITelemetryBatch), true));
    expect((await a.next('ack')).uptoSeq).toBe(2);
    a.send({ batch: { seq: 3, catalogVersion: 5, baseTimeMs: 5000, groups: [{ aliasDeltas: [2], values: [100], missingAliasDeltas: [1], missingQuality: [pb.Quality.QUALITY_TIMEOUT] }] } });
    await a.next('ack');
    const rack = hub.racks.get('rack-1')!;
    expect(rack.counters.historicalBatches).toBe(1);
    expect(rack.latest.get('pdu-a/inlet.power')).toMatchObject({ value: null, quality: 'timeout' });
    expect(rack.powerW()).toBeNull();
  });

  it('a reconnecting agent is told what is already stored', async () => {
    const a = await FakeAgent.connect(hub.url);
    a.send({ hello: hello() });
    await a.next('welcome');
    for (let s = 1; s <= 4; s++) a.send(batch(s, 1));
    await until(() => hub.racks.get('rack-1')?.ackedUpto() === 4);
    a.ws.terminate();
    const b = await FakeAgent.connect(hub.url);
    b.send({ hello: hello({ session: 2 }) });
    expect((await b.next('welcome')).ackedUpto).toBe(4);
    // a new stream (agent restarted without its spool) starts from zero
    const c = await FakeAgent.connect(hub.url);
    c.send({ hello: hello({ session: 1, streamId: 78 }) });
    expect((await c.next('welcome')).ackedUpto).toBe(0);
    // and the older connection of the same rack is closed
    expect((await b.closedWith()).code).toBe(1008);
  });

  it('asks for a rebirth when a batch refers to an unknown catalog', async () => {
    const a = await FakeAgent.connect(hub.url);
    a.send({ hello: hello() });
    await a.next('welcome');
    a.send(batch(1, 1, { catalogVersion: 999 }));
    expect((await a.next('rebirth')).reason).toMatch(/unknown catalog version 999/);
    expect(hub.racks.get('rack-1')!.counters.batches).toBe(0);
  });
});

describe('hub refuses bad frames and keeps serving', () => {
  const cases: [string, (a: FakeAgent) => void, number][] = [
    ['garbage bytes', (a) => a.ws.send(Buffer.from('ffffffffffffffffffff', 'hex')), 1007],
    ['a text frame', (a) => a.ws.send('hello'), 1003],
    ['a batch before Hello', (a) => a.send(batch(1, 1)), 1008],
    ['a Hello without ids', (a) => a.send({ hello: hello({ agentId: '' }) }), 1008],
    ['an oversized frame', (a) => a.ws.send(Buffer.alloc(100 * 1024, 1)), 1009],
  ];
  for (const [what, send, code] of cases) {
    it(`${what} closes that connection with ${code}`, async () => {
      const bad = await FakeAgent.connect(hub.url);
      send(bad);
      expect((await bad.closedWith()).code).toBe(code);
      const good = await FakeAgent.connect(hub.url);
      good.send({ hello: hello() });
      expect((await good.next('welcome')).hubId).toBe('rackpilot-hub');
      good.ws.close();
    });
  }

  it('a batch whose columns disagree is refused', async () => {
    const a = await FakeAgent.connect(hub.url);
    a.send({ hello: hello() });
    await a.next('welcome');
    a.send({ batch: { seq: 1, catalogVersion: 5, groups: [{ aliasDeltas: [1, 1], values: [1] }] } });
    expect(await a.closedWith()).toMatchObject({ code: 1007, reason: expect.stringMatching(/2 aliases but 1 values/) as string });
    const m = await api('/metrics');
    expect(m.body).toMatch(/rackpilot_hub_frames_rejected_total\{reason="bad_batch"\} 1/);
  });
});

describe('hub HTTP API', () => {
  it('serves metrics and rack lists, 404 for unknown racks and paths', async () => {
    const a = await FakeAgent.connect(hub.url);
    a.send({ hello: hello() });
    await a.next('welcome');
    a.send(batch(1, 4321));
    await a.next('ack');
    const m = await api('/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/rackpilot_hub_agents_connected 1/);
    expect(m.body).toMatch(/rackpilot_hub_samples_total\{rack="rack-1"\} 2/);
    expect(m.body).toMatch(/rackpilot_hub_rack_power_watts\{rack="rack-1"\} 4321/);
    const list = await api('/api/racks');
    expect(list.body).toEqual([expect.objectContaining({ rack: 'rack-1', agent: 'agent-1', connected: true, powerW: 4321 })]);
    expect((await api('/api/racks/nope')).status).toBe(404);
    expect((await api('/nope')).status).toBe(404);
  });

  it('POST /api/racks/{id}/commands sends a Command and returns its CommandResult', async () => {
    const a = await FakeAgent.connect(hub.url);
    a.send({ hello: hello() });
    await a.next('welcome');
    const pending = api('/api/racks/agent-1/commands', { method: 'POST', body: JSON.stringify({ action: 'ping', payload: 'x' }) });
    const cmd = (await a.next('command')) as pb.Command;
    expect(cmd).toMatchObject({ targetAgent: 'agent-1', action: 'ping' });
    expect(cmd.expiresAtMs - cmd.issuedAtMs).toBe(30_000);
    expect(cmd.nonce.length).toBe(16);
    a.send({ commandResult: { commandId: cmd.id, status: pb.CommandStatus.COMMAND_STATUS_OK, message: 'pong x' } });
    const r = await pending;
    expect(r).toEqual({ status: 200, body: expect.objectContaining({ commandId: cmd.id, status: 'ok', message: 'pong x' }) as unknown });
  });

  it('command errors: bad JSON, unknown action, unknown rack, timeout', async () => {
    const a = await FakeAgent.connect(hub.url);
    a.send({ hello: hello() });
    await a.next('welcome');
    expect((await api('/api/racks/rack-1/commands', { method: 'POST', body: '{' })).status).toBe(400);
    expect((await api('/api/racks/rack-1/commands', { method: 'POST', body: '{"action":"reboot"}' })).status).toBe(400);
    expect((await api('/api/racks/zzz/commands', { method: 'POST', body: '{"action":"ping"}' })).status).toBe(404);
    expect((await api('/api/racks/rack-1/commands', { method: 'POST', body: '{"action":"ping","timeoutMs":200}' })).status).toBe(504);
    a.ws.close();
    await until(() => !hub.racks.get('rack-1')!.connected);
    expect((await api('/api/racks/rack-1/commands', { method: 'POST', body: '{"action":"ping"}' })).status).toBe(409);
  });
});

describe('hub state across restarts (--state-dir)', () => {
  async function stateHub(dir: string, over: { journalMaxBytes?: number } = {}): Promise<Hub> {
    return startHub({ host: '127.0.0.1', port: 0, log: nullLogger, stateDir: dir, ...over });
  }

  it('remembers what it acked: after a restart a re-sent batch is a duplicate, the counters go on', async () => {
    const dir = await tempDir('rp-hubstate-');
    const h1 = await stateHub(dir);
    const a = await FakeAgent.connect(h1.url);
    a.send({ hello: hello() });
    await a.next('welcome');
    for (let s = 1; s <= 5; s++) a.send(batch(s, 1000 + s));
    await until(() => a.received.some((m) => m.ack?.uptoSeq === 5), { what: 'ack 5' });
    await h1.close();
    // a torn record at the end of the journal (the hub died mid-write) is skipped
    const journal = (await readdir(dir)).filter((n) => n.startsWith('journal-')).sort().at(-1)!;
    await appendFile(join(dir, journal), Buffer.from([0x41, 0x52, 0x50, 0x31, 9, 9]));

    const h2 = await stateHub(dir);
    try {
      expect(h2.racks.get('rack-1')!.counters).toMatchObject({ batches: 5, samples: 10 });
      const b = await FakeAgent.connect(h2.url);
      b.send({ hello: hello({ session: 2 }) });
      expect((await b.next('welcome')).ackedUpto).toBe(5);
      b.send(batch(3, 1003, { historical: true }));
      expect((await b.next('ack')).uptoSeq).toBe(5);
      b.send(batch(6, 1006));
      expect((await b.next('ack')).uptoSeq).toBe(6);
      expect(h2.racks.get('rack-1')!.counters).toMatchObject({ batches: 6, duplicates: 1, samples: 12 });
      expect(h2.racks.get('rack-1')!.latest.get('pdu-a/inlet.power')?.value).toBe(1006);
    } finally {
      await h2.close();
    }
  });

  it('compacts its journal into a snapshot and restores the same state from it', async () => {
    const dir = await tempDir('rp-hubstate-');
    const h1 = await stateHub(dir, { journalMaxBytes: 2000 });
    const a = await FakeAgent.connect(h1.url);
    a.send({ hello: hello() });
    await a.next('welcome');
    for (let s = 1; s <= 60; s++) {
      a.send(batch(s, s));
      if (s % 10 === 0) await until(() => a.received.some((m) => m.ack?.uptoSeq === s), { what: `ack ${s}` });
    }
    expect(h1.journalStats!.compactions).toBeGreaterThan(0);
    const before = JSON.stringify(h1.racks.get('rack-1')!.toJSON(true));
    await h1.close();
    expect((await readdir(dir)).filter((n) => n.startsWith('journal-')).length).toBeLessThanOrEqual(2);
    const h2 = await stateHub(dir);
    try {
      const after = h2.racks.get('rack-1')!.toJSON(true);
      // the same state, apart from the connection (none after a restart) and when it was last seen
      expect({ ...after, connected: true, lastSeenMs: 0 }).toEqual({ ...(JSON.parse(before) as object), connected: true, lastSeenMs: 0 });
    } finally {
      await h2.close();
    }
  });

  it('a historical batch whose catalog nobody has is stored as undecodable and acked; a live one asks for a rebirth', async () => {
    const a = await FakeAgent.connect(hub.url);
    a.send({ hello: hello() });
    await a.next('welcome');
    a.send(batch(1, 1, { catalogVersion: 4242, historical: true }));
    expect((await a.next('ack')).uptoSeq).toBe(1);
    const rack = hub.racks.get('rack-1')!;
    expect(rack.counters.undecodableBatches).toBe(1);
    expect(rack.events.at(-1)).toMatchObject({ type: 'hub.undecodable', severity: 'critical' });
    a.send(batch(2, 1, { catalogVersion: 4242 }));
    expect((await a.next('rebirth')).reason).toMatch(/4242/);
  });

  it('learns earlier catalogs from Hello.previous_catalogs and decodes backfill with them', async () => {
    const a = await FakeAgent.connect(hub.url);
    a.send({ hello: hello({ catalogVersion: 9, previousCatalogs: [{ version: 5, series: [{ alias: 1, device: 'pdu-a', quantity: 'inlet.power', unit: 'W', scaleExp: -1 }] }] }) });
    await a.next('welcome');
    a.send(batch(1, 777, { historical: true })); // catalog 5
    expect((await a.next('ack')).uptoSeq).toBe(1);
    expect(hub.racks.get('rack-1')!.counters).toMatchObject({ samples: 2, undecodableBatches: 0, unknownAliases: 1 });
  });
});
