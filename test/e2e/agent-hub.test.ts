// The whole path over real loopback sockets: hw-sim PDU (Modbus/TCP) → agent → WebSocket → hub.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { resolveConfig } from '../../agent/config/load.js';
import { configForSim } from '../../agent/cli/sim-config.js';
import { startAgent, type Agent } from '../../agent/main.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { decodeAgentMessage, encodeHubMessage, pb } from '../../protocols/wire/codec.js';
import { startHub, type Hub } from '../../hub/server.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { demo } from '../../hw-sim/scenarios/demo.js';
import { CuttableProxy } from '../support/proxy.js';
import { until } from '../support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

interface Rig {
  sim: RunningSim;
  hub: Hub;
  agent: Agent;
  proxy?: CuttableProxy;
}

async function rig(opts: { hubUrl?: string; viaProxy?: boolean; hub?: Record<string, unknown>; intervalMs?: number } = {}): Promise<Rig> {
  const sim = await startSimulator(demo, { basePort: 0 });
  cleanup.push(() => sim.stop());
  const hub = await startHub({ host: '127.0.0.1', port: 0, log: nullLogger });
  cleanup.push(() => hub.close());
  let proxy: CuttableProxy | undefined;
  if (opts.viaProxy) {
    const p = await CuttableProxy.start(hub.address);
    cleanup.push(() => p.close());
    proxy = p;
  }
  const url = opts.hubUrl ?? (proxy ? `ws://127.0.0.1:${proxy.port}/agent` : hub.url);
  const raw = configForSim(sim.endpoints, { hubUrl: url, metricsListen: '127.0.0.1:0', intervalMs: opts.intervalMs ?? 200 });
  (raw as { hub: Record<string, unknown> }).hub = { url, backoffInitialMs: 100, backoffMaxMs: 400, ...opts.hub };
  const agent = await startAgent(await resolveConfig(raw, 'test', '.'), { log: nullLogger, drainMs: 2000 });
  cleanup.push(() => agent.stop());
  return proxy ? { sim, hub, agent, proxy } : { sim, hub, agent };
}

describe('agent → hub', () => {
  it('streams the PDU\'s readings; the hub holds the same values the physics model produced', async () => {
    const { sim, hub, agent } = await rig();
    await until(() => agent.stats().batchesAcked >= 3, { what: 'three acked batches' });
    const rack = hub.racks.get('rack-demo')!;
    const truth = sim.sim.readings('pdu-a');
    const l1 = rack.latest.get('pdu-a/phase.current/L1')!;
    expect(l1.quality).toBe('ok');
    expect(Math.abs(l1.value! - truth.phases[0]!.currentA)).toBeLessThan(0.5);
    expect(rack.latest.get('pdu-a/outlet.state/10')?.value).toBe(1);
    expect(rack.hello.series).toHaveLength(agent.series.length);
    expect(rack.counters.duplicates).toBe(0);
    // the agent's own /metrics
    const m = await (await fetch(`http://127.0.0.1:${agent.metricsAddress!.port}/metrics`)).text();
    expect(m).toMatch(/rackpilot_hub_link_state\{state="up"\} 1/);
    expect(m).toMatch(/rackpilot_device_up\{device="pdu-a",kind="pdu",model="rackpilot-sim-pdu"\} 1/);
    expect(m).toMatch(/rackpilot_reading\{device="pdu-a",quantity="phase.current",channel="L1",unit="A"\} \d+/);
  });

  it('keeps every sample across a network outage: backlog re-sent as historical, stored once', async () => {
    const { hub, agent, proxy } = await rig({ viaProxy: true, hub: { heartbeatMs: 1000 } });
    await until(() => agent.stats().batchesAcked >= 2);
    proxy!.outage();
    await until(() => agent.link!.state !== 'up', { what: 'link down' });
    const ackedBefore = agent.stats().batchesAcked;
    await new Promise((r) => setTimeout(r, 1500)); // ~7 cycles while the hub is unreachable
    expect(agent.stats().batchesAcked).toBe(ackedBefore);
    expect(agent.stats().outboxBatches).toBeGreaterThanOrEqual(5);
    proxy!.restore();
    await until(() => agent.link!.state === 'up' && agent.stats().outboxBatches === 0, { what: 'backlog drained', timeoutMs: 10_000 });
    await agent.stop();
    const rack = hub.racks.get('rack-demo')!;
    const o = agent.outbox!.stats();
    expect(o.droppedSamples).toBe(0);
    expect(o.ackedSamples).toBe(o.appendedSamples);
    expect(rack.counters.samples).toBe(o.appendedSamples); // every sample stored exactly once
    expect(rack.counters.historicalBatches).toBeGreaterThanOrEqual(5);
    expect(agent.link!.stats.connects).toBeGreaterThanOrEqual(2);
  });

  it('answers commands sent through the hub API', async () => {
    const { hub } = await rig();
    await until(() => hub.racks.get('rack-demo')?.connected);
    const a = hub.address;
    const post = async (body: unknown): Promise<Record<string, unknown>> =>
      (await (await fetch(`http://${a.host}:${a.port}/api/racks/rack-demo/commands`, { method: 'POST', body: JSON.stringify(body) })).json()) as Record<string, unknown>;
    expect(await post({ action: 'ping', payload: 'are you there' })).toMatchObject({ status: 'ok', message: 'pong are you there' });
    expect(await post({ action: 'rebirth' })).toMatchObject({ status: 'ok' });
    await until(() => (hub.racks.get('rack-demo')?.events ?? []).some((e) => e.type === 'command.result'), { what: 'command event at hub' });
  });

  it('marks readings unknown when the PDU stops answering, and says so in an event', async () => {
    const { sim, hub, agent } = await rig();
    await until(() => agent.stats().batchesAcked >= 2);
    await sim.stop(); // the PDU goes away
    await until(() => agent.health.get('pdu-a') === 'down', { what: 'device down' });
    await until(() => hub.racks.get('rack-demo')!.latest.get('pdu-a/phase.current/L1')?.value === null, { what: 'hub sees unknown' });
    const rack = hub.racks.get('rack-demo')!;
    expect(rack.latest.get('pdu-a/phase.current/L1')!.quality).toMatch(/comm_error|timeout/);
    expect(rack.powerW()).toBeNull();
    await until(() => rack.events.some((e) => e.type === 'device.down' && e.device === 'pdu-a'), { what: 'device.down event' });
    expect(agent.rack.summary(Date.now()).circuits[0]!.utilisation).toBeNull();
  });
});

describe('agent against a hostile or silent hub', () => {
  async function fakeHub(onConn: (ws: WebSocket) => void, opts: { autoPong?: boolean } = {}): Promise<string> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: opts.autoPong ?? true });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', onConn);
    cleanup.push(() => new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    }));
    const addr = wss.address() as { port: number };
    return `ws://127.0.0.1:${addr.port}/agent`;
  }

  it('garbage from the hub closes that connection and the agent reconnects; polling never stops', async () => {
    let connections = 0;
    const url = await fakeHub((ws) => {
      connections++;
      ws.on('message', () => ws.send(Buffer.from('deadbeefdeadbeef', 'hex')));
    });
    const { agent } = await rig({ hubUrl: url });
    await until(() => connections >= 3, { what: 'three reconnects' });
    expect(agent.link!.stats.badFrames).toBeGreaterThanOrEqual(2);
    const cycles = agent.stats().cycles;
    await until(() => agent.stats().cycles > cycles + 2, { what: 'polling continues' });
  });

  it('a frame larger than maxPayload is refused by the agent', async () => {
    let closes = 0;
    const url = await fakeHub((ws) => {
      ws.on('close', () => closes++);
      ws.on('message', () => ws.send(Buffer.alloc(4096)));
    });
    await rig({ hubUrl: url, hub: { maxPayloadBytes: 1024 } });
    await until(() => closes >= 1, { what: 'agent closes the connection' });
  });

  it('a hub that stops answering pings is dropped after heartbeat + 1 s', async () => {
    let welcomed = 0;
    const url = await fakeHub((ws) => {
      ws.on('message', (d: Buffer) => {
        const m = decodeAgentMessage(d);
        if (m.ok && m.message.hello) {
          welcomed++;
          ws.send(encodeHubMessage({ welcome: { hubId: 'silent', ackedUpto: 0 } }));
        }
      });
    }, { autoPong: false });
    const { agent } = await rig({ hubUrl: url, hub: { heartbeatMs: 1000 } });
    await until(() => agent.link!.state === 'up');
    const t0 = Date.now();
    await until(() => welcomed >= 2, { what: 'reconnect after heartbeat loss', timeoutMs: 8000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(agent.link!.stats.lastError).toMatch(/no pong/);
  });

  it('a text frame from the hub closes that connection and counts as a bad frame', async () => {
    let connections = 0;
    const url = await fakeHub((ws) => {
      connections++;
      ws.on('message', () => ws.send('{"welcome": true}'));
    });
    const { agent } = await rig({ hubUrl: url });
    await until(() => connections >= 2, { what: 'reconnect' });
    expect(agent.link!.stats.badFrames).toBeGreaterThanOrEqual(1);
    expect(agent.link!.stats.lastError).toMatch(/text frame/);
  });

  it('a flood of hostile commands gets one refusal each, and polling never stops', async () => {
    const results: pb.CommandResult[] = [];
    const url = await fakeHub((ws) => {
      ws.on('message', (d: Buffer) => {
        const m = decodeAgentMessage(d);
        if (m.ok && m.message.commandResult) results.push(m.message.commandResult as pb.CommandResult);
        if (!m.ok || !m.message.hello) return;
        ws.send(encodeHubMessage({ welcome: { hubId: 'hostile', ackedUpto: 0 } }));
        const now = Date.now();
        for (let i = 0; i < 200; i++) {
          const kind = i % 4;
          ws.send(encodeHubMessage({
            command: kind === 0 ? { id: `x${i}`, targetAgent: 'someone-else', issuedAtMs: now, expiresAtMs: now + 1000, ping: {} }
              : kind === 1 ? { id: `x${i}`, targetAgent: 'rack-demo-agent', issuedAtMs: now - 60_000, expiresAtMs: now - 1, ping: {} }
                : kind === 2 ? { id: '', targetAgent: 'rack-demo-agent', expiresAtMs: now + 1000, ping: {} }
                  : { id: `x${i}`, targetAgent: 'rack-demo-agent', issuedAtMs: now, expiresAtMs: now + 1000, signature: Buffer.alloc(64, 7), ping: { payload: 'x'.repeat(10_000) } },
          }));
        }
      });
    });
    const { agent } = await rig({ hubUrl: url });
    await until(() => results.length >= 200, { what: '200 results' });
    expect(results.filter((r) => r.status === pb.CommandStatus.COMMAND_STATUS_OK)).toHaveLength(50); // a signature is ignored when no key is configured; ping is harmless
    expect(agent.commands.stats.rejected).toBe(150);
    const cycles = agent.stats().cycles;
    await until(() => agent.stats().cycles > cycles + 2, { what: 'polling continues' });
  });

  it('a Welcome claiming more than this stream ever held: the agent keeps its batches and moves to a new stream', async () => {
    const hellos: pb.Hello[] = [];
    const batches: pb.TelemetryBatch[] = [];
    const url = await fakeHub((ws) => {
      ws.on('message', (d: Buffer) => {
        const m = decodeAgentMessage(d);
        if (!m.ok) return;
        if (m.message.hello) {
          hellos.push(m.message.hello as pb.Hello);
          ws.send(encodeHubMessage({ welcome: { hubId: 'liar', ackedUpto: hellos.length === 1 ? 1_000_000 : 0 } }));
        }
        if (m.message.batch) batches.push(m.message.batch as pb.TelemetryBatch);
      });
    });
    const { agent } = await rig({ hubUrl: url });
    await until(() => batches.length >= 3, { what: 'batches on the new stream' });
    expect(hellos).toHaveLength(2);
    expect(hellos[1]!.streamId).not.toBe(hellos[0]!.streamId);
    expect(agent.link!.stats.restreams).toBe(1);
    expect(agent.stats().droppedSamples).toBe(0);
    expect(batches[0]!.seq).toBe(1); // nothing was thrown away as "acked"
  });
});

