// Composition root: the only module that builds real I/O (TCP sockets, WebSockets, the HTTP
// listener, child processes, the spool's files) and wires drivers, rack model, uplink and local
// API together.

import { spawn } from 'node:child_process';
import { randomInt, type KeyObject } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { chmod, unlink } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createConnection } from 'node:net';
import { resolve } from 'node:path';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, type pb } from '../protocols/wire/codec.js';
import type { LoadedConfig } from './config/load.js';
import { CONTROL_CAPABILITIES, controlHandlers } from './control/commands.js';
import { declaredLoads } from './control/loads.js';
import { ControlLoop } from './control/loop.js';
import type { Config } from './config/schema.js';
import { ConfigError } from './config/shape.js';
import { HealthTracker } from './core/health.js';
import { RackState, type CircuitSpec } from './core/rack.js';
import { bad, type Sample } from './core/reading.js';
import { keyOf, Q, type SeriesSpec } from './core/series.js';
import type { DriverDeps } from './drivers/family.js';
import { familyOf } from './drivers/families.js';
import { realHostSystem } from './drivers/host/system.js';
import { ModbusLines } from './drivers/modbus/lines.js';
import { DEFAULT_HTTP_MAX_BYTES, type HttpRequester } from './drivers/transport/http.js';
import { openSerialPort } from './drivers/transport/serial.js';
import { isActuating, type DeviceDriver, type PollResult, type PowerActuator } from './drivers/types.js';
import { localApiHandler } from './local-api/handler.js';
import { buildAgentMetrics } from './local-api/metrics.js';
import { buildStatus, type StatusSnapshot } from './local-api/status.js';
import { mapBounded } from './runtime/bounded.js';
import { PollOrder } from './runtime/poll-order.js';
import { systemClock, type Clock } from './runtime/clock.js';
import { createExec, createExecStream, type Exec, type ExecStats, type ExecStream } from './runtime/exec.js';
import { createLogger, type Logger } from './runtime/log.js';
import { LogRing, teeSink } from './runtime/log-ring.js';
import { FixedRateScheduler, type TickInfo } from './runtime/scheduler.js';
import { CredentialError } from './runtime/credentials.js';
import { buildCatalog, catalogToWire } from './uplink/catalog.js';
import { CommandProcessor } from './uplink/commands.js';
import { loadHubCredentials, wsOptions } from './uplink/credentials.js';
import { BatchBuilder, type AgentEvent } from './uplink/encoder.js';
import { HubLink, type WebSocketFactory } from './uplink/hub-link.js';
import { MemoryOutbox, type Outbox } from './uplink/outbox.js';
import { nodeSpoolFs, type SpoolFs } from './uplink/spool/fs.js';
import { DiskSpool } from './uplink/spool/spool.js';
import { VERSION } from './version.js';

export interface AgentOptions {
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Called after every poll cycle (the demo's live view listens here). */
  readonly onCycle?: (a: Agent) => void;
  /** On stop, wait this long for the hub to ack batches in flight (default 2000 ms). */
  readonly drainMs?: number;
  /** The spool's file system (default: the real one; tests pass one that fails on command). */
  readonly spoolFs?: SpoolFs;
  /** Actuators beyond those the drivers expose (tests; loads no driver describes). */
  readonly actuators?: readonly PowerActuator[];
  /** Seed of the controller's restore jitter (default: random). */
  readonly controlSeed?: number;
  /** The lines `log` writes, kept for GET /logs (startAgent makes one when it makes the logger). */
  readonly logRing?: LogRing;
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

/** The uplink's real parts, built by startAgent when the config has a hub. */
export interface UplinkParts {
  /** A DiskSpool when the config has a spool, else a MemoryOutbox. */
  readonly outbox: Outbox;
  readonly spool?: DiskSpool;
  readonly connect: WebSocketFactory;
  readonly commandKeys: readonly KeyObject[];
  /** How the link is secured, for logs and the demo view (never the secrets themselves). */
  readonly security: string;
}

export class Agent {
  readonly rack: RackState;
  readonly health = new HealthTracker();
  /** The main cycle: every driver without a schedule of its own (PDUs, meters). */
  readonly scheduler: FixedRateScheduler;
  /** Drivers with their own schedule (miners), one group per interval, each with its scheduler. */
  readonly pollGroups: readonly PollGroup[];
  readonly link: HubLink | undefined;
  readonly outbox: Outbox | undefined;
  readonly spool: DiskSpool | undefined;
  readonly commands: CommandProcessor;
  readonly security: string;
  readonly series: readonly SeriesSpec[];
  readonly recentEvents: AgentEvent[] = [];
  /** The power-cap controller (absent with control.enabled: false). */
  readonly control: ControlLoop | undefined;
  metricsAddress: { host: string; port: number } | undefined;
  /** Wall-clock time the agent was built, for status and uptime. */
  readonly startedAtMs: number;
  private readonly builder: BatchBuilder;
  /** Why each device's latest poll failed (absent once a poll succeeds), for status. */
  private readonly lastErrors = new Map<string, string>();
  private samplesProduced = 0;
  private firstBatchSentMs: number | undefined;
  private httpServers: Server[] = [];
  private stopped = false;

  constructor(
    readonly config: Config,
    readonly drivers: readonly DeviceDriver[],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: AgentOptions & { readonly uplink?: UplinkParts },
  ) {
    const uplink = opts.uplink;
    this.startedAtMs = clock.now();
    this.series = drivers.flatMap((d) => d.series);
    const maxAgeOf = new Map(this.series.flatMap((s) => (s.maxAgeMs !== undefined ? [[keyOf(s), s.maxAgeMs] as const] : [])));
    this.rack = new RackState(circuitsOf(config), rackPowerDevices(config, drivers), config.poll.staleAfterMs, maxAgeOf);
    const catalog = buildCatalog(this.series);
    this.builder = new BatchBuilder(catalog);
    this.security = uplink?.security ?? 'no hub';
    const main = drivers.filter((d) => !d.schedule);
    this.scheduler = new FixedRateScheduler(clock, config.poll.intervalMs, (t) => this.cycle(main, t), (err) => log.error('poll cycle failed', { err }));
    this.pollGroups = pollGroupsOf(drivers).map(({ intervalMs, drivers: ds, concurrency }) => {
      const order = new PollOrder<DeviceDriver>();
      return {
        intervalMs, concurrency, drivers: ds,
        scheduler: new FixedRateScheduler(clock, intervalMs, async (t) => {
          const began = clock.monotonic();
          await this.pollGroup(ds, t, concurrency, order);
          log.debug('poll group cycle', { intervalMs, n: t.n, ms: Math.round(clock.monotonic() - began), drivers: ds.length });
        }, (err) => log.error('poll group cycle failed', { err, intervalMs })),
      };
    });

    const hub = config.hub;
    if (hub && uplink) {
      const outbox = uplink.outbox;
      const spool = uplink.spool;
      this.outbox = outbox;
      this.spool = spool;
      const seriesWire = catalogToWire(catalog);
      spool?.setCatalog(catalog.version, seriesWire);
      spool?.setEventSink((e) => this.event(e));
      const devices: pb.IDevice[] = drivers.map((d) => ({ id: d.info.id, kind: DEVICE_KIND[d.info.kind], model: d.info.model, address: d.info.address, labels: { ...d.info.labels } }));
      this.link = new HubLink(hub, { clock, log: log.child({ component: 'hub-link' }), connect: uplink.connect }, outbox, {
        hello: (session) => ({
          agentId: config.agent.id, siteId: config.agent.site, rackId: config.agent.rack, softwareVersion: VERSION,
          protocolVersion: PROTOCOL_VERSION, streamId: outbox.streamId, session,
          capabilities: ['telemetry', 'events', 'command.ping', 'command.rebirth', ...(this.control ? CONTROL_CAPABILITIES : [])],
          devices, series: seriesWire, catalogVersion: catalog.version, timeMs: clock.now(),
          // Nothing below this is coming any more: the oldest unacked, or the next seq when none is.
          oldestUnackedSeq: outbox.stats().oldestSeq || outbox.nextSeq(),
          previousCatalogs: spool?.previousCatalogs(catalog.version) ?? [],
        }),
        message: (msg, reply, frame) => this.onHubMessage(msg, reply, frame),
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
    }, (e) => this.event(e), { keys: uplink?.commandKeys ?? [] });
  }

  /** Starts polling, the hub link and the local API. */
  async start(): Promise<void> {
    if (this.config.metrics.enabled) await this.startLocalApi();
    this.link?.start();
    this.scheduler.start();
    for (const g of this.pollGroups) g.scheduler.start();
    this.log.info('agent started', {
      agent: this.config.agent.id, devices: this.drivers.length, series: this.series.length, intervalMs: this.config.poll.intervalMs,
      hub: this.config.hub?.url ?? null, security: this.security, spool: this.config.spool?.dir ?? null, metrics: this.metricsAddress ?? null,
    });
  }

  /** The local API on loopback TCP (anything else only with allowRemote) and optionally a unix socket. */
  private async startLocalApi(): Promise<void> {
    const m = this.config.metrics;
    const registry = buildAgentMetrics({
      agentId: this.config.agent.id, version: VERSION, clock: this.clock, rack: this.rack, series: this.series, drivers: this.drivers,
      health: this.health, scheduler: this.scheduler, pollGroups: this.pollGroups, ...(this.link && this.outbox ? { link: this.link, outbox: this.outbox } : {}),
      ...(this.spool ? { spool: this.spool } : {}), commands: this.commands, ...(this.control ? { control: this.control } : {}),
    });
    const handler = localApiHandler({ registry, status: () => this.status(), ...(this.opts.logRing ? { logs: this.opts.logRing } : {}) });
    const tcp = createServer(handler);
    await listen(tcp, (cb) => tcp.listen(m.listen.port, m.listen.host, cb));
    const addr = tcp.address();
    if (addr && typeof addr === 'object') this.metricsAddress = { host: addr.address, port: addr.port };
    this.httpServers.push(tcp);
    if (m.allowRemote) this.log.warn('local API listens beyond loopback (metrics.allowRemote); it has no authentication', { listen: this.metricsAddress });
    if (m.socket) {
      const path = m.socket;
      await unlink(path).catch(() => undefined); // a stale socket from a previous run
      const sock = createServer(handler);
      await listen(sock, (cb) => sock.listen(path, cb));
      await chmod(path, m.socketMode);
      this.httpServers.push(sock);
    }
  }

  async stop(reason = 'agent stopping'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([this.scheduler.stop(), ...this.pollGroups.map((g) => g.scheduler.stop({ abortRunning: true }))]);
    // Events of the last moments (spool, commands) go out, or into the spool, in a final batch.
    if (this.outbox && !this.builder.empty) {
      this.outbox.append(this.builder.build(this.outbox.nextSeq()));
      this.link?.notify();
    }
    await this.drain(this.opts.drainMs ?? 2000);
    await this.link?.stop(reason);
    await this.spool?.close();
    await Promise.all(this.drivers.map((d) => d.close()));
    await Promise.all(this.httpServers.map((server) => new Promise<void>((done) => server.close(() => done()))));
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

  /** The snapshot GET /status serves and the live views render (local-api/status.ts). */
  status(): StatusSnapshot {
    return buildStatus({
      agent: this.config.agent, version: VERSION, startedAtMs: this.startedAtMs, rack: this.rack, drivers: this.drivers, health: this.health,
      scheduler: this.scheduler, pollGroups: this.pollGroups, events: this.recentEvents, security: this.security, lastErrors: this.lastErrors,
      ...(this.config.hub ? { hubUrl: this.config.hub.url } : {}), ...(this.link ? { link: this.link } : {}), ...(this.outbox ? { outbox: this.outbox } : {}),
      ...(this.spool ? { spool: this.spool, spoolDir: this.config.spool?.dir ?? '' } : {}), ...(this.control ? { control: this.control } : {}),
    }, this.clock.now());
  }

  event(e: AgentEvent): void {
    this.recentEvents.push(e);
    if (this.recentEvents.length > RECENT_EVENTS) this.recentEvents.shift();
    if (this.outbox) this.builder.addEvent(e);
    this.log.info('event', { type: e.type, device: e.device, message: e.message });
  }

  /** The main cycle: PDUs and meters, then the controller on their fresh readings. */
  private async cycle(drivers: readonly DeviceDriver[], t: TickInfo): Promise<void> {
    await this.pollGroup(drivers, t, Infinity, undefined, true);
    this.opts.onCycle?.(this);
  }

  /**
   * Polls drivers (at most `concurrency` at once), records their samples and sends one batch.
   * A bounded group starts the slowest drivers first (runtime/poll-order.ts).
   */
  private async pollGroup(all: readonly DeviceDriver[], t: TickInfo, concurrency: number, order?: PollOrder<DeviceDriver>, stepControl = false): Promise<void> {
    const drivers = order ? order.order(all) : all;
    // Every driver in flight listens to the cycle's signal (a miner poll: a few listeners each).
    setMaxListeners(Math.max(10, Math.min(concurrency, drivers.length) * 4), t.signal);
    const results = await mapBounded(drivers, concurrency, async (d) => {
      const late = t.signal.aborted; // the deadline came before this driver's turn
      const began = this.clock.monotonic();
      const r = await d.poll(t.signal).catch((err: unknown) => allBad(d, this.clock.now(), err));
      order?.record(d, late ? 'not-started' : this.clock.monotonic() - began);
      return r;
    });
    const polledAt = this.clock.monotonic();
    for (const [i, res] of results.entries()) {
      const d = drivers[i] as DeviceDriver;
      this.rack.observe(res.samples);
      this.samplesProduced += res.samples.length;
      const first = res.samples[0];
      if (this.outbox && first) this.builder.addGroup(first.reading.timeMs, res.samples);
      if (res.requests === 0) continue; // read on its own interval; nothing new this cycle
      if (res.failed && res.error) this.lastErrors.set(d.info.id, res.error);
      else if (!res.failed) this.lastErrors.delete(d.info.id);
      const change = this.health.update(d.info.id, res.requests, res.failed);
      if (change && !(change.from === 'unknown' && change.to === 'up')) {
        this.event({
          timeMs: this.clock.now(), severity: DEVICE_DOWN_SEVERITY[change.to], type: `device.${change.to}`, device: d.info.id,
          message: `${d.info.id} ${change.from} → ${change.to}${res.error ? `: ${res.error}` : ''}`,
          values: { failed_requests: res.failed, requests: res.requests },
        });
      }
    }
    // The controller steps on the main cycle's readings; its events go out in this cycle's batch.
    if (stepControl) this.control?.cycle(this.rack, polledAt);
    if (this.outbox && !this.builder.empty) {
      this.outbox.append(this.builder.build(this.outbox.nextSeq()));
      this.link?.notify();
      if (this.firstBatchSentMs === undefined && (this.link?.stats.batchesSent ?? 0) > 0) this.firstBatchSentMs = this.clock.now();
    }
  }

  private onHubMessage(msg: pb.HubMessage, reply: (m: pb.IAgentMessage) => void, frame: Uint8Array): void {
    if (msg.body === 'rebirth') {
      this.link?.rebirth();
      return;
    }
    if (msg.body === 'command' && msg.command) {
      const cmd = msg.command as pb.Command;
      void this.commands.handle(cmd, frame).then((result) => reply({ commandResult: result }));
    }
  }
}

const DEVICE_KIND = { pdu: 1, meter: 2, miner: 3, gpu: 4, host: 5 } as const;

export interface PollGroup {
  readonly intervalMs: number;
  readonly concurrency: number;
  readonly drivers: readonly DeviceDriver[];
  readonly scheduler: FixedRateScheduler;
}

/** Drivers with a schedule, grouped by interval; a group polls at most its smallest concurrency at once. */
function pollGroupsOf(drivers: readonly DeviceDriver[]): { intervalMs: number; concurrency: number; drivers: DeviceDriver[] }[] {
  const groups = new Map<number, { intervalMs: number; concurrency: number; drivers: DeviceDriver[] }>();
  for (const d of drivers) {
    if (!d.schedule) continue;
    const g = groups.get(d.schedule.intervalMs) ?? { intervalMs: d.schedule.intervalMs, concurrency: d.schedule.concurrency, drivers: [] };
    g.concurrency = Math.min(g.concurrency, d.schedule.concurrency);
    g.drivers.push(d);
    groups.set(g.intervalMs, g);
  }
  return [...groups.values()];
}

function allBad(d: DeviceDriver, now: number, err: unknown): PollResult {
  const samples: Sample[] = d.series.map((s) => ({ key: keyOf(s), reading: bad('comm_error', now, (err as Error).message) }));
  return { samples, failed: 1, requests: 1, error: (err as Error).message };
}

/**
 * The devices whose inlet power adds up to the rack's: PDUs and meters that measure an inlet
 * power and are not marked `rackPower: false` (a meter downstream of a counted device). A PDU
 * that meters nothing (relays only) is left out rather than making the total unknown for ever.
 */
export function rackPowerDevices(config: Config, drivers: readonly Pick<DeviceDriver, 'info' | 'series'>[]): string[] {
  const excluded = new Set(config.devices.flatMap((d) => (d.type === 'modbus' && !d.rackPower ? [d.id] : [])));
  return drivers
    .filter((d) => (d.info.kind === 'pdu' || d.info.kind === 'meter') && !excluded.has(d.info.id))
    .filter((d) => d.series.some((s) => s.quantity === Q.inletPower && s.channel === ''))
    .map((d) => d.info.id);
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

/**
 * Child processes for drivers and CLI commands: argv arrays (no shell), a timeout, and SIGKILL
 * of the whole process group when it runs over (agent/runtime/exec.ts).
 */
export function realExec(clock: Clock = systemClock, stats?: ExecStats): Exec {
  return createExec(spawn, clock, stats);
}

/** Long-lived child processes read line by line (nvidia-smi -lms): argv arrays, kill of the whole group. */
export function realExecStream(clock: Clock = systemClock, stats?: ExecStats): ExecStream {
  return createExecStream(spawn, clock, stats);
}

/**
 * The real I/O drivers get: TCP sockets, serial ports (loaded on first use), the shared Modbus
 * lines, child processes, HTTP requests and the controller's own OS. Also used by `rackpilot diag`.
 */
export function createDriverDeps(clock: Clock, log: Logger): DriverDeps {
  const io = { clock, log, dial: (host: string, port: number) => createConnection({ host, port }), openSerial: openSerialPort };
  const stats: ExecStats = { runs: 0, timeouts: 0, unreaped: 0, maxSpawnMs: 0 };
  return { ...io, modbusLines: new ModbusLines(io), exec: realExec(clock, stats), execStream: realExecStream(clock, stats), host: realHostSystem(), http: nodeHttpRequester };
}

function listen(server: Server, start: (cb: () => void) => void): Promise<void> {
  return new Promise<void>((done, fail) => {
    server.once('error', fail);
    start(() => {
      server.off('error', fail);
      done();
    });
  });
}

/**
 * The uplink's real parts: credentials from their files (a bad one is a config error naming its
 * key), the disk spool (or the memory outbox), and the WebSocket factory with TLS options.
 */
async function buildUplink(loaded: LoadedConfig, clock: Clock, log: Logger, fs: SpoolFs): Promise<UplinkParts | undefined> {
  const { hub, spool } = loaded.config;
  if (!hub) return undefined;
  let creds;
  try {
    creds = await loadHubCredentials(hub, loaded.baseDir);
  } catch (err) {
    if (err instanceof CredentialError) throw new ConfigError([{ path: err.what, reason: err.reason }], loaded.source);
    throw err;
  }
  const outbox = spool
    ? await DiskSpool.open({ ...spool, dir: resolve(loaded.baseDir, spool.dir) }, { fs, clock, log: log.child({ component: 'spool' }), newStreamId: () => randomInt(1, 2 ** 47) })
    : new MemoryOutbox(randomInt(1, 2 ** 47), { maxBatches: hub.outboxMaxBatches, maxBytes: hub.outboxMaxBytes }, (b) => log.warn('outbox full: oldest batch dropped', { seq: b.seq, samples: b.samples }));
  if (!spool) log.warn('no spool configured: telemetry not yet acked by the hub is lost if the agent restarts');
  if (!creds.commandKeys.length) log.warn('no command keys configured (hub.commandKeys): only ping and rebirth commands are accepted');
  const tls = wsOptions(creds);
  const security = [
    hub.url.startsWith('wss://') ? (creds.cert ? 'mutual TLS' : 'TLS') : 'no TLS',
    ...(creds.token ? ['bearer token'] : []),
    creds.commandKeys.length ? 'signed commands' : 'unsigned ping/rebirth only',
  ].join(', ');
  return {
    outbox, ...(outbox instanceof DiskSpool ? { spool: outbox } : {}), commandKeys: creds.commandKeys, security,
    connect: (url, o) => new WebSocket(url, { ...o, ...tls }),
  };
}

/** Builds and starts an agent from a loaded config. */
export async function startAgent(loaded: LoadedConfig, opts: AgentOptions = {}): Promise<Agent> {
  const clock = opts.clock ?? systemClock;
  // Without a logger of the caller's, log to stderr and keep the recent lines for GET /logs.
  const logRing = opts.logRing ?? (opts.log ? undefined : new LogRing());
  const log = opts.log ?? createLogger({ level: loaded.config.log.level, sink: logRing ? teeSink(process.stderr, logRing) : process.stderr });
  const deps = createDriverDeps(clock, log);
  const uplink = await buildUplink(loaded, clock, log, opts.spoolFs ?? nodeSpoolFs);
  const drivers = loaded.config.devices.map((d) => familyOf(d).create(d, loaded.resolved.get(d.id), deps));
  const agent = new Agent(loaded.config, drivers, clock, log, { ...opts, ...(uplink ? { uplink } : {}), ...(logRing ? { logRing } : {}) });
  await agent.start();
  return agent;
}

/** HttpRequester over node:http: a fresh connection per request, body capped, no redirects. */
export const nodeHttpRequester: HttpRequester = (req, signal) =>
  new Promise((resolve, reject) => {
    const max = req.maxBytes ?? DEFAULT_HTTP_MAX_BYTES;
    const headers: Record<string, string | number> = { connection: 'close', ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const r = httpRequest({ host: req.host, port: req.port, method: req.method, path: req.path, headers, signal, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
        if (n > max) {
          reject(Object.assign(new Error(`response body exceeds ${max} bytes`), { code: 'ERR_BODY_TOO_LARGE' }));
          res.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: flatHeaders(res.headers), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(req.body);
  });

function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
