// The reference hub: accepts many agents over WebSocket, validates every frame, acks, drops
// duplicates, keeps the latest state per rack, and serves an HTTP API:
//   GET  /metrics                     Prometheus text format
//   GET  /api/racks                   every rack, summary
//   GET  /api/racks/{id}              one rack with latest values and recent events
//   POST /api/racks/{id}/commands     {"action": ping | rebirth | set_cap_lease | clear_cap_lease |
//                                     grid_event, …, "timeoutMs"?} (hub/command-api.ts): sends a
//                                     Command and answers with its CommandResult
//
// A frame that does not decode, is not binary, is oversized, or breaks the session rules closes
// that one connection with a close code and a log line; nothing an agent sends reaches a throw
// outside a handler. Close codes: 1003 text frame, 1007 malformed, 1008 protocol violation,
// 1009 oversized (ws enforces maxPayload).

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROMETHEUS_CONTENT_TYPE, Registry } from '../protocols/prometheus.js';
import { decodeAgentMessage, encodeHubMessage, type pb } from '../protocols/wire/codec.js';
import type { Logger } from '../agent/runtime/log.js';
import { parseCommandBody, type CommandAction } from './command-api.js';
import { RackRecord, UnknownCatalogError } from './state.js';

export interface HubOptions {
  readonly host: string;
  readonly port: number;
  readonly hubId?: string;
  readonly log: Logger;
  /** Largest frame accepted from an agent. */
  readonly maxPayloadBytes?: number;
  /** Ping interval for agent connections; agents that miss a pong are terminated. */
  readonly heartbeatMs?: number;
  /** Called after every accepted batch (tests and the demo). */
  readonly onBatch?: (rack: RackRecord, batch: pb.TelemetryBatch, duplicate: boolean) => void;
}

interface Session {
  readonly ws: WebSocket;
  readonly remote: string;
  rack?: RackRecord;
  alive: boolean;
}

interface PendingCommand {
  readonly resolve: (r: pb.CommandResult | undefined) => void;
  readonly rack: string;
}

const COMMAND_STATUS = ['unspecified', 'ok', 'rejected', 'failed', 'unsupported', 'invalid'];
const MAX_API_BODY = 64 * 1024;

export class Hub {
  readonly racks = new Map<string, RackRecord>();
  readonly metrics = new Registry();
  private readonly sessions = new Set<Session>();
  private readonly byRack = new Map<string, Session>();
  private readonly pending = new Map<string, PendingCommand>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private heartbeat: NodeJS.Timeout | undefined;
  private cmdSeq = 0;
  private readonly hubId: string;
  private readonly m = {
    frames: this.metrics.counter('rackpilot_hub_frames_total', 'Frames received from agents, by message type.'),
    rejected: this.metrics.counter('rackpilot_hub_frames_rejected_total', 'Frames or connections refused, by reason.'),
    batches: this.metrics.counter('rackpilot_hub_batches_total', 'Batches stored, by rack and whether historical.'),
    samples: this.metrics.counter('rackpilot_hub_samples_total', 'Samples stored, by rack.'),
    duplicates: this.metrics.counter('rackpilot_hub_duplicate_batches_total', 'Batches dropped as duplicates, by rack.'),
    commands: this.metrics.counter('rackpilot_hub_commands_total', 'Commands sent, by result status.'),
  };

  constructor(private readonly opts: HubOptions) {
    this.hubId = opts.hubId ?? 'rackpilot-hub';
    this.http = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        opts.log.error('api handler failed', { err });
        if (!res.headersSent) json(res, 500, { error: 'internal error' });
      });
    });
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: opts.maxPayloadBytes ?? 1 << 20 });
    this.http.on('upgrade', (req, socket: Socket, head) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/agent' && path !== '/') {
        this.m.rejected.inc({ reason: 'bad_path' });
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
    });
    this.metrics.gaugeFn('rackpilot_hub_agents_connected', 'Agents connected now.', () => [[{}, this.byRack.size]]);
    this.metrics.gaugeFn('rackpilot_hub_rack_power_watts', 'Rack power from the latest live batch (absent when unknown).', () =>
      [...this.racks.values()].flatMap((r) => {
        const p = r.powerW();
        return p === null ? [] : [[{ rack: r.id }, p] as [Record<string, string>, number]];
      }));
    this.metrics.gaugeFn('rackpilot_hub_rack_acked_seq', 'Highest contiguous seq stored per rack.', () => [...this.racks.values()].map((r) => [{ rack: r.id }, r.ackedUpto()]));
  }

  get address(): { host: string; port: number } {
    const a = this.http.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  get url(): string {
    const a = this.address;
    return `ws://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/agent`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port, this.opts.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const every = this.opts.heartbeatMs ?? 30_000;
    this.heartbeat = setInterval(() => {
      for (const s of this.sessions) {
        if (!s.alive) {
          this.opts.log.warn('agent missed heartbeat; terminating', { remote: s.remote, rack: s.rack?.id });
          s.ws.terminate();
          continue;
        }
        s.alive = false;
        s.ws.ping();
      }
    }, every);
    this.heartbeat.unref();
    this.opts.log.info('hub listening', { url: this.url });
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const p of this.pending.values()) p.resolve(undefined);
    this.pending.clear();
    for (const s of this.sessions) s.ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
  }

  /** Sends a command to a rack's agent; resolves with its result, or undefined on timeout. */
  async command(rackOrAgent: string, action: CommandAction, opts: { ttlMs?: number; timeoutMs?: number } = {}): Promise<pb.CommandResult | undefined> {
    const rack = this.find(rackOrAgent);
    const session = rack && this.byRack.get(rack.id);
    if (!rack || !session) throw new Error(`rack ${rackOrAgent} is not connected`);
    const now = Date.now();
    const cmd: pb.ICommand = {
      id: randomUUID(),
      targetAgent: rack.hello.agentId,
      issuedAtMs: now,
      expiresAtMs: now + (opts.ttlMs ?? 30_000),
      nonce: randomBytes(16),
      cmdSeq: ++this.cmdSeq,
      ...action,
    };
    const id = cmd.id as string;
    const result = new Promise<pb.CommandResult | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, opts.timeoutMs ?? 10_000);
      this.pending.set(id, { rack: rack.id, resolve: (r) => { clearTimeout(timer); resolve(r); } });
    });
    session.ws.send(encodeHubMessage({ command: cmd }));
    const r = await result;
    this.m.commands.inc({ status: r ? (COMMAND_STATUS[r.status] ?? 'unknown') : 'timeout' });
    return r;
  }

  find(id: string): RackRecord | undefined {
    return this.racks.get(id) ?? [...this.racks.values()].find((r) => r.hello.agentId === id);
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const s: Session = { ws, remote, alive: true };
    this.sessions.add(s);
    this.opts.log.info('agent connected', { remote });
    ws.on('pong', () => {
      s.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      s.alive = true;
      try {
        this.onFrame(s, data as Buffer, isBinary);
      } catch (err) {
        this.opts.log.error('frame handler failed; closing connection', { remote, err });
        this.reject(s, 1011, 'internal_error', 'internal error');
      }
    });
    ws.on('error', (err) => {
      // ws reports oversized frames here (and closes with 1009).
      const reason = /max payload|too big/i.test(err.message) ? 'oversized' : 'socket_error';
      this.m.rejected.inc({ reason });
      this.opts.log.warn('agent connection error', { remote, rack: s.rack?.id, reason, err: err.message });
    });
    ws.on('close', (code) => {
      this.sessions.delete(s);
      if (s.rack && this.byRack.get(s.rack.id) === s) {
        this.byRack.delete(s.rack.id);
        s.rack.connected = false;
        for (const [id, p] of this.pending) {
          if (p.rack === s.rack.id) {
            this.pending.delete(id);
            p.resolve(undefined);
          }
        }
      }
      this.opts.log.info('agent disconnected', { remote, rack: s.rack?.id, code });
    });
  }

  private reject(s: Session, code: number, reason: string, text: string): void {
    this.m.rejected.inc({ reason });
    this.opts.log.warn('closing agent connection', { remote: s.remote, rack: s.rack?.id, code, reason: text });
    s.ws.close(code, text.slice(0, 120));
    setTimeout(() => s.ws.terminate(), 2000).unref();
  }

  private onFrame(s: Session, data: Buffer, isBinary: boolean): void {
    if (!isBinary) return this.reject(s, 1003, 'text_frame', 'binary protobuf frames only');
    const res = decodeAgentMessage(data, this.opts.maxPayloadBytes ?? 1 << 20);
    if (!res.ok) return this.reject(s, 1007, res.error.code, res.error.message);
    const msg = res.message;
    this.m.frames.inc({ type: msg.body ?? 'none' });
    if (msg.body !== 'hello' && !s.rack) return this.reject(s, 1008, 'no_hello', `expected Hello first, got ${msg.body ?? 'nothing'}`);
    switch (msg.body) {
      case 'hello':
        return this.onHello(s, msg.hello as pb.Hello);
      case 'batch':
        return this.onBatch(s, s.rack as RackRecord, msg.batch as pb.TelemetryBatch);
      case 'commandResult': {
        const r = msg.commandResult as pb.CommandResult;
        const p = this.pending.get(r.commandId);
        if (p) {
          this.pending.delete(r.commandId);
          p.resolve(r);
        }
        return;
      }
      case 'goodbye':
        this.opts.log.info('agent said goodbye', { rack: s.rack?.id, reason: (msg.goodbye as pb.Goodbye).reason });
        return;
      default:
        return;
    }
  }

  private onHello(s: Session, h: pb.Hello): void {
    const problem = checkHello(h);
    if (problem) return this.reject(s, 1008, 'bad_hello', problem);
    if (s.rack && s.rack.id !== h.rackId) return this.reject(s, 1008, 'bad_hello', 'rack id changed within a session');
    let rack = this.racks.get(h.rackId);
    if (rack && rack.hello.agentId !== h.agentId) {
      this.opts.log.warn('rack claimed by a different agent', { rack: h.rackId, was: rack.hello.agentId, now: h.agentId });
    }
    if (rack) rack.applyHello(h);
    else {
      rack = new RackRecord(h);
      this.racks.set(h.rackId, rack);
    }
    const prev = this.byRack.get(rack.id);
    if (prev && prev !== s) {
      this.opts.log.warn('rack reconnected; closing its older connection', { rack: rack.id });
      prev.ws.close(1008, 'superseded by a newer connection');
    }
    s.rack = rack;
    this.byRack.set(rack.id, s);
    rack.connected = true;
    rack.connectedSinceMs = Date.now();
    rack.lastSeenMs = Date.now();
    s.ws.send(encodeHubMessage({ welcome: { hubId: this.hubId, timeMs: Date.now(), ackedUpto: rack.ackedUpto(), heartbeatIntervalMs: this.opts.heartbeatMs ?? 30_000 } }));
    this.opts.log.info('agent hello', { rack: rack.id, agent: h.agentId, version: h.softwareVersion, session: h.session, series: h.series.length, ackedUpto: rack.ackedUpto() });
  }

  private onBatch(s: Session, rack: RackRecord, b: pb.TelemetryBatch): void {
    const problem = checkBatch(b);
    if (problem) return this.reject(s, 1007, 'bad_batch', problem);
    rack.lastSeenMs = Date.now();
    let out;
    try {
      out = rack.applyBatch(b);
    } catch (err) {
      if (err instanceof UnknownCatalogError) {
        this.m.rejected.inc({ reason: 'unknown_catalog' });
        s.ws.send(encodeHubMessage({ rebirth: { reason: err.message } }));
        return;
      }
      throw err;
    }
    if (out.duplicate) this.m.duplicates.inc({ rack: rack.id });
    else {
      this.m.batches.inc({ rack: rack.id, historical: String(b.historical) });
      this.m.samples.inc({ rack: rack.id }, out.samples);
    }
    s.ws.send(encodeHubMessage({ ack: { streamId: rack.hello.streamId, uptoSeq: rack.ackedUpto() } }));
    this.opts.onBatch?.(rack, b, out.duplicate);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(this.metrics.render());
      return;
    }
    if (parts[0] !== 'api' || parts[1] !== 'racks') return json(res, 404, { error: 'not found' });
    if (parts.length === 2 && req.method === 'GET') {
      return json(res, 200, [...this.racks.values()].map((r) => r.toJSON(false)));
    }
    const rack = parts[2] !== undefined ? this.find(parts[2]) : undefined;
    if (!rack) return json(res, 404, { error: `unknown rack ${parts[2] ?? ''}` });
    if (parts.length === 3 && req.method === 'GET') return json(res, 200, rack.toJSON(true));
    if (parts.length === 4 && parts[3] === 'commands' && req.method === 'POST') return this.postCommand(req, res, rack);
    return json(res, 405, { error: 'method not allowed' });
  }

  private async postCommand(req: IncomingMessage, res: ServerResponse, rack: RackRecord): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req, MAX_API_BODY));
    } catch (err) {
      return json(res, 400, { error: `body must be JSON: ${(err as Error).message}` });
    }
    const parsed = parseCommandBody(body);
    if ('error' in parsed) return json(res, 400, { error: parsed.error });
    const t = (body as { timeoutMs?: unknown }).timeoutMs;
    const timeoutMs = typeof t === 'number' && t > 0 && t <= 120_000 ? t : 10_000;
    if (!this.byRack.has(rack.id)) return json(res, 409, { error: `rack ${rack.id} is not connected` });
    const result = await this.command(rack.id, parsed.action, { ttlMs: parsed.ttlMs, timeoutMs });
    if (!result) return json(res, 504, { error: 'no CommandResult before the timeout', rack: rack.id });
    return json(res, 200, {
      commandId: result.commandId,
      status: COMMAND_STATUS[result.status] ?? 'unknown',
      message: result.message,
      completedAtMs: result.completedAtMs,
      values: { ...result.values },
    });
  }
}

function checkHello(h: pb.Hello): string | undefined {
  if (!h.agentId || !h.rackId) return 'Hello needs agent_id and rack_id';
  if (!(h.streamId > 0)) return 'Hello needs a stream_id';
  const aliases = new Set<number>();
  for (const s of h.series as pb.SeriesDef[]) {
    if (!(s.alias > 0)) return `series ${s.device}/${s.quantity} has alias 0`;
    if (aliases.has(s.alias)) return `alias ${s.alias} declared twice`;
    aliases.add(s.alias);
  }
  return undefined;
}

function checkBatch(b: pb.TelemetryBatch): string | undefined {
  if (!(b.seq > 0)) return 'batch without seq';
  for (const [i, g] of (b.groups as pb.SampleGroup[]).entries()) {
    if (g.values.length !== g.aliasDeltas.length) return `group ${i}: ${g.aliasDeltas.length} aliases but ${g.values.length} values`;
    if (g.missingQuality.length !== g.missingAliasDeltas.length) return `group ${i}: missing aliases and qualities differ in count`;
  }
  return undefined;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body, null, 2) + '\n');
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new Error(`body larger than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  const hub = new Hub(opts);
  await hub.listen();
  return hub;
}
