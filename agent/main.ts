// Composition root: the only module that builds real I/O (TCP sockets, WebSockets, the HTTP
// listener) and wires drivers, rack model, uplink and local API together.

import { randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createConnection } from 'node:net';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, type pb } from '../protocols/wire/codec.js';
import type { LoadedConfig } from './config/load.js';
import { CONTROL_CAPABILITIES, controlHandlers } from './control/commands.js';
import { declaredLoads } from './control/loads.js';
import { ControlLoop } from './control/loop.js';
import type { Config } from './config/schema.js';
import { HealthTracker } from './core/health.js';
import { RackState, type CircuitSpec } from './core/rack.js';
import { bad, type Sample } from './core/reading.js';
import { keyOf, type SeriesSpec } from './core/series.js';
import type { DriverDeps } from './drivers/family.js';
import { familyOf } from './drivers/families.js';
import { isActuating, type DeviceDriver, type PollResult, type PowerActuator } from './drivers/types.js';
import { buildAgentMetrics, localApiHandler } from './local-api/metrics.js';
import { systemClock, type Clock } from './runtime/clock.js';
import { createLogger, type Logger } from './runtime/log.js';
import { FixedRateScheduler, type TickInfo } from './runtime/scheduler.js';
import { buildCatalog, catalogToWire } from './uplink/catalog.js';
import { CommandProcessor } from './uplink/commands.js';
import { BatchBuilder, type AgentEvent } from './uplink/encoder.js';
import { HubLink } from './uplink/hub-link.js';
import { MemoryOutbox } from './uplink/outbox.js';
import { VERSION } from './version.js';

export interface AgentOptions {
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Called after every poll cycle (the demo's live view listens here). */
  readonly onCycle?: (a: Agent) => void;
  /** On stop, wait this long for the hub to ack batches in flight (default 2000 ms). */
  readonly drainMs?: number;
  /** Actuators beyond those the drivers expose (tests; the demo's simulated ones). */
  readonly actuators?: readonly PowerActuator[];
  /** Seed of the controller's restore jitter (default: random). */
  readonly controlSeed?: number;
}

export interface AgentStats {
  readonly cycles: number;
  readonly overruns: number;
  readonly samplesProduced: number;
  readonly samplesSent: number;
  readonly samplesAcked: number;
  readonly batchesSent: number;
  readonly batchesAcked: number;
  readonly outboxBatches: number;
  readonly droppedSamples: number;
  readonly linkState: string;
  readonly firstBatchSentMs: number | undefined;
}

const DEVICE_DOWN_SEVERITY = { up: 'info', degraded: 'warning', down: 'critical', unknown: 'info' } as const;
const RECENT_EVENTS = 50;

export class Agent {
  readonly rack: RackState;
  readonly health = new HealthTracker();
  readonly scheduler: FixedRateScheduler;
  readonly link: HubLink | undefined;
  readonly outbox: MemoryOutbox | undefined;
  readonly series: readonly SeriesSpec[];
  readonly recentEvents: AgentEvent[] = [];
  /** The power-cap controller (absent with control.enabled: false). */
  readonly control: ControlLoop | undefined;
  metricsAddress: { host: string; port: number } | undefined;
  private readonly builder: BatchBuilder;
  private readonly commands: CommandProcessor;
  private samplesProduced = 0;
  private firstBatchSentMs: number | undefined;
  private httpServer: Server | undefined;
  private stopped = false;

  constructor(
    readonly config: Config,
    readonly drivers: readonly DeviceDriver[],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: AgentOptions,
  ) {
    this.series = drivers.flatMap((d) => d.series);
    this.rack = new RackState(circuitsOf(config), drivers.filter((d) => d.info.kind === 'pdu' || d.info.kind === 'meter').map((d) => d.info.id), config.poll.staleAfterMs);
    const catalog = buildCatalog(this.series);
    this.builder = new BatchBuilder(catalog);
    this.scheduler = new FixedRateScheduler(clock, config.poll.intervalMs, (t) => this.cycle(t), (err) => log.error('poll cycle failed', { err }));

    const hub = config.hub;
    if (hub) {
      const streamId = randomInt(1, 2 ** 47);
      this.outbox = new MemoryOutbox(streamId, { maxBatches: hub.outboxMaxBatches, maxBytes: hub.outboxMaxBytes }, (b) =>
        log.warn('outbox full: oldest batch dropped', { seq: b.seq, samples: b.samples }));
      const devices: pb.IDevice[] = drivers.map((d) => ({ id: d.info.id, kind: DEVICE_KIND[d.info.kind], model: d.info.model, address: d.info.address, labels: { ...d.info.labels } }));
      const seriesWire = catalogToWire(catalog);
      const outbox = this.outbox;
      this.link = new HubLink(hub, { clock, log: log.child({ component: 'hub-link' }), connect: (url, o) => new WebSocket(url, o) }, outbox, {
        hello: (session) => ({
          agentId: config.agent.id, siteId: config.agent.site, rackId: config.agent.rack, softwareVersion: VERSION,
          protocolVersion: PROTOCOL_VERSION, streamId, session, capabilities: ['telemetry', 'events', 'command.ping', 'command.rebirth', ...(this.control ? CONTROL_CAPABILITIES : [])],
          devices, series: seriesWire, catalogVersion: catalog.version, oldestUnackedSeq: outbox.stats().oldestSeq, timeMs: clock.now(),
        }),
        message: (msg, reply) => this.onHubMessage(msg, reply),
      });
    }
    // After the outbox, so the controller's startup events reach the hub.
    this.control = config.control.enabled ? new ControlLoop({
      config: config.control, circuits: this.rack.circuits, powerDevices: this.rack.powerDevices, loads: declaredLoads(config),
      actuators: [...drivers.filter(isActuating).flatMap((d) => d.actuators()), ...(opts.actuators ?? [])],
      clock, log: log.child({ component: 'control' }), emit: (e) => this.event(e), seed: opts.controlSeed ?? randomInt(1, 2 ** 31),
    }) : undefined;
    this.commands = new CommandProcessor(config.agent.id, clock, {
      ping: (cmd) => ({ status: 'ok', message: `pong ${cmd.ping?.payload ?? ''}`.trim() }),
      rebirth: () => (this.link?.rebirth() ? { status: 'ok', message: 'Hello re-sent' } : { status: 'failed', message: 'link not up' }),
      ...(this.control ? controlHandlers(this.control.hub, clock) : {}),
    }, (e) => this.event(e));
  }

  /** Starts polling, the hub link and the local API. */
  async start(): Promise<void> {
    const m = this.config.metrics;
    if (m.enabled) {
      const registry = buildAgentMetrics({
        agentId: this.config.agent.id, version: VERSION, clock: this.clock, rack: this.rack, series: this.series, drivers: this.drivers,
        health: this.health, scheduler: this.scheduler, ...(this.link && this.outbox ? { link: this.link, outbox: this.outbox } : {}),
        ...(this.control ? { control: this.control } : {}),
      });
      const server = createServer(localApiHandler(registry));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(m.listen.port, m.listen.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const addr = server.address();
      if (addr && typeof addr === 'object') this.metricsAddress = { host: addr.address, port: addr.port };
      this.httpServer = server;
    }
    this.link?.start();
    this.scheduler.start();
    this.log.info('agent started', { agent: this.config.agent.id, devices: this.drivers.length, series: this.series.length, intervalMs: this.config.poll.intervalMs, hub: this.config.hub?.url ?? null, metrics: this.metricsAddress ?? null });
  }

  async stop(reason = 'agent stopping'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.scheduler.stop();
    await this.drain(this.opts.drainMs ?? 2000);
    await this.link?.stop(reason);
    await Promise.all(this.drivers.map((d) => d.close()));
    const server = this.httpServer;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.log.info('agent stopped', { reason });
  }

  /** Gives the hub up to `ms` to ack what is in flight before a clean stop. */
  private async drain(ms: number): Promise<void> {
    const outbox = this.outbox;
    const link = this.link;
    if (!outbox || !link || link.state !== 'up') return;
    const end = this.clock.monotonic() + ms;
    while (outbox.stats().batches > 0 && link.state === 'up' && this.clock.monotonic() < end) {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 20));
    }
  }

  stats(): AgentStats {
    const o = this.outbox?.stats();
    return {
      cycles: this.scheduler.stats.ticks,
      overruns: this.scheduler.stats.overruns,
      samplesProduced: this.samplesProduced,
      samplesSent: this.link?.stats.samplesSent ?? 0,
      samplesAcked: o?.ackedSamples ?? 0,
      batchesSent: this.link?.stats.batchesSent ?? 0,
      batchesAcked: o?.ackedBatches ?? 0,
      outboxBatches: o?.batches ?? 0,
      droppedSamples: o?.droppedSamples ?? 0,
      linkState: this.link?.state ?? 'disabled',
      firstBatchSentMs: this.firstBatchSentMs,
    };
  }

  event(e: AgentEvent): void {
    this.recentEvents.push(e);
    if (this.recentEvents.length > RECENT_EVENTS) this.recentEvents.shift();
    if (this.outbox) this.builder.addEvent(e);
    this.log.info('event', { type: e.type, device: e.device, message: e.message });
  }

  private async cycle(t: TickInfo): Promise<void> {
    const results = await Promise.all(this.drivers.map((d) => d.poll(t.signal).catch((err: unknown) => allBad(d, this.clock.now(), err))));
    const polledAt = this.clock.monotonic();
    for (const [i, res] of results.entries()) {
      const d = this.drivers[i] as DeviceDriver;
      this.rack.observe(res.samples);
      this.samplesProduced += res.samples.length;
      const first = res.samples[0];
      if (this.outbox && first) this.builder.addGroup(first.reading.timeMs, res.samples);
      const change = this.health.update(d.info.id, res.requests, res.failed);
      if (change && !(change.from === 'unknown' && change.to === 'up')) {
        this.event({
          timeMs: this.clock.now(), severity: DEVICE_DOWN_SEVERITY[change.to], type: `device.${change.to}`, device: d.info.id,
          message: `${d.info.id} ${change.from} → ${change.to}${res.error ? `: ${res.error}` : ''}`,
          values: { failed_requests: res.failed, requests: res.requests },
        });
      }
    }
    // The controller steps on this cycle's readings; its events go out in this cycle's batch.
    this.control?.cycle(this.rack, polledAt);
    if (this.outbox && !this.builder.empty) {
      this.outbox.append(this.builder.build(this.outbox.nextSeq()));
      this.link?.notify();
      if (this.firstBatchSentMs === undefined && (this.link?.stats.batchesSent ?? 0) > 0) this.firstBatchSentMs = this.clock.now();
    }
    this.opts.onCycle?.(this);
  }

  private onHubMessage(msg: pb.HubMessage, reply: (m: pb.IAgentMessage) => void): void {
    if (msg.body === 'rebirth') {
      this.link?.rebirth();
      return;
    }
    if (msg.body === 'command' && msg.command) {
      const cmd = msg.command as pb.Command;
      void this.commands.handle(cmd).then((result) => reply({ commandResult: result }));
    }
  }
}

const DEVICE_KIND = { pdu: 1, meter: 2, miner: 3, gpu: 4, host: 5 } as const;

function allBad(d: DeviceDriver, now: number, err: unknown): PollResult {
  const samples: Sample[] = d.series.map((s) => ({ key: keyOf(s), reading: bad('comm_error', now, (err as Error).message) }));
  return { samples, failed: 1, requests: 1, error: (err as Error).message };
}

function circuitsOf(config: Config): CircuitSpec[] {
  const out: CircuitSpec[] = [];
  for (const d of config.devices) {
    if (d.type !== 'modbus' || !d.circuits) continue;
    for (const phase of ['L1', 'L2', 'L3']) {
      out.push({ id: `${d.id}.${phase}`, device: d.id, phase, breakerA: d.circuits.phases?.[phase] ?? d.circuits.breakerA, continuousFactor: d.circuits.continuousFactor });
    }
  }
  return out;
}

/** Builds and starts an agent from a loaded config. */
export async function startAgent(loaded: LoadedConfig, opts: AgentOptions = {}): Promise<Agent> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger({ level: loaded.config.log.level });
  const deps: DriverDeps = { clock, log, dial: (host, port) => createConnection({ host, port }) };
  const drivers = loaded.config.devices.map((d) => familyOf(d).create(d, loaded.resolved.get(d.id), deps));
  const agent = new Agent(loaded.config, drivers, clock, log, opts);
  await agent.start();
  return agent;
}
