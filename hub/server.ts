// The reference hub: accepts many agents over WebSocket (ws:// or wss://, optionally with client
// certificates and/or bearer tokens), validates every frame, acks what it has made durable, drops
// duplicates, keeps the latest state per rack, signs the commands it sends, and serves the HTTP
// API of hub/api.ts.
//
// A frame that does not decode, is not binary, is oversized, or breaks the session rules closes
// that one connection with a close code and a log line; nothing an agent sends reaches a throw
// outside a handler. Close codes: 1003 text frame, 1007 malformed, 1008 protocol violation
// (including a Hello for an agent the connection's certificate or token does not speak for),
// 1009 oversized (ws enforces maxPayload). Unauthenticated upgrades get HTTP 401.
//
// Exactly once across hub restarts (`stateDir`): every accepted Hello and batch is journaled
// (hub/journal.ts) and the hub acks only what the journal has fsynced.

import { randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { Registry } from '../protocols/prometheus.js';
import { decodeAgentMessage, encodeHubMessage, type pb } from '../protocols/wire/codec.js';
import { encodeSignedCommand } from '../protocols/wire/signing.js';
import type { Logger } from '../agent/runtime/log.js';
import type { Secret } from '../agent/runtime/secret.js';
import { COMMAND_STATUS, json, route, type ApiHub } from './api.js';
import type { CommandAction } from './command-api.js';
import { certificateAgents, tokenAgent, type TokenTable } from './auth.js';
import { HubJournal } from './journal.js';
import { restoreSnapshot, snapshotOf } from './snapshot.js';
import { checkBatch, checkHello, RackRecord, UnknownCatalogError } from './state.js';

export interface HubTls {
  readonly cert: string;
  readonly key: Secret;
  /** Agents must present a certificate signed by this CA; its CN or a DNS SAN is the agent id. */
  readonly clientCa?: string;
}

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
  readonly tls?: HubTls;
  /** Bearer tokens by agent id: an agent must present its own. */
  readonly tokens?: TokenTable;
  /** Ed25519 private key that signs every command sent. */
  readonly signingKey?: KeyObject;
  /** Directory for the journal and snapshot (exactly once across hub restarts). */
  readonly stateDir?: string;
  /** Journal size that triggers a snapshot (default 64 MiB). */
  readonly journalMaxBytes?: number;
  /**
   * The HTTP API on its own listener. Without it the API is served on the agent listener only
   * when that has neither TLS nor tokens (otherwise it would be reachable unauthenticated).
   */
  readonly api?: { readonly host: string; readonly port: number };
}

interface Session {
  readonly ws: WebSocket;
  readonly remote: string;
  /** Agent ids each authentication mechanism allows on this connection (none configured: any). */
  readonly allowed: { readonly by: string; readonly ids: readonly string[] }[];
  rack?: RackRecord;
  alive: boolean;
}

interface PendingCommand {
  readonly resolve: (r: pb.CommandResult | undefined) => void;
  readonly rack: string;
}

export class Hub implements ApiHub {
  readonly racks = new Map<string, RackRecord>();
  readonly metrics = new Registry();
  private readonly sessions = new Set<Session>();
  private readonly byRack = new Map<string, Session>();
  private readonly pending = new Map<string, PendingCommand>();
  private readonly http: Server;
  private apiServer: Server | undefined;
  private readonly wss: WebSocketServer;
  private journal: HubJournal | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private cmdSeq = 0;
  private readonly hubId: string;
  private readonly secured: boolean;
  private readonly m = {
    frames: this.metrics.counter('rackpilot_hub_frames_total', 'Frames received from agents, by message type.'),
    rejected: this.metrics.counter('rackpilot_hub_frames_rejected_total', 'Frames or connections refused, by reason.'),
    batches: this.metrics.counter('rackpilot_hub_batches_total', 'Batches stored, by rack and whether historical.'),
    samples: this.metrics.counter('rackpilot_hub_samples_total', 'Samples stored, by rack.'),
    duplicates: this.metrics.counter('rackpilot_hub_duplicate_batches_total', 'Batches dropped as duplicates, by rack.'),
    commands: this.metrics.counter('rackpilot_hub_commands_total', 'Commands sent, by result status.'),
    journalErrors: this.metrics.counter('rackpilot_hub_journal_errors_total', 'Journal writes that failed (those batches stay unacked).'),
  };

  constructor(private readonly opts: HubOptions) {
    this.hubId = opts.hubId ?? 'rackpilot-hub';
    this.secured = Boolean(opts.tls || opts.tokens);
    const serveApi = !opts.api && !this.secured;
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      if (serveApi) this.api(req, res);
      else json(res, 404, { error: 'the API is not served on the agent port; use the hub\'s --api-listen address' });
    };
    const t = opts.tls;
    this.http = t
      ? createTlsServer({ cert: t.cert, key: t.key.reveal(), minVersion: 'TLSv1.2', ...(t.clientCa ? { ca: t.clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, handler)
      : createServer(handler);
    this.http.on('tlsClientError', (err: Error, socket: Socket) => {
      this.m.rejected.inc({ reason: 'tls' });
      opts.log.warn('TLS handshake refused', { remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, err: err.message });
    });
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: opts.maxPayloadBytes ?? 1 << 20 });
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    this.metrics.gaugeFn('rackpilot_hub_agents_connected', 'Agents connected now.', () => [[{}, this.byRack.size]]);
    this.metrics.gaugeFn('rackpilot_hub_rack_power_watts', 'Rack power from the latest live batch (absent when unknown).', () =>
      [...this.racks.values()].flatMap((r) => {
        const p = r.powerW();
        return p === null ? [] : [[{ rack: r.id }, p] as [Record<string, string>, number]];
      }));
    this.metrics.gaugeFn('rackpilot_hub_rack_acked_seq', 'Highest contiguous seq stored (durably) per rack.', () => [...this.racks.values()].map((r) => [{ rack: r.id }, r.ackedUpto()]));
  }

  get address(): { host: string; port: number } {
    return addressOf(this.http);
  }

  /** Where the HTTP API is served (the agent listener's address when it shares it). */
  get apiAddress(): { host: string; port: number } | undefined {
    if (this.apiServer) return addressOf(this.apiServer);
    return this.opts.api || this.secured ? undefined : this.address;
  }

  get url(): string {
    const a = this.address;
    return `${this.opts.tls ? 'wss' : 'ws'}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/agent`;
  }

  async listen(): Promise<void> {
    if (this.opts.stateDir) await this.restore(this.opts.stateDir);
    await listenOn(this.http, this.opts.port, this.opts.host);
    if (this.opts.api) {
      const api = createServer((req, res) => this.api(req, res));
      await listenOn(api, this.opts.api.port, this.opts.api.host);
      this.apiServer = api;
    }
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
    const api = this.apiAddress;
    this.opts.log.info('hub listening', {
      url: this.url, api: api ? `http://${api.host}:${api.port}` : null, clientCertificates: Boolean(this.opts.tls?.clientCa),
      tokens: this.opts.tokens?.size ?? 0, signedCommands: Boolean(this.opts.signingKey), stateDir: this.opts.stateDir ?? null,
    });
  }

  /** Rebuilds the racks from the state directory: snapshot, then journal replay. */
  private async restore(dir: string): Promise<void> {
    const { journal, snapshot, entries } = await HubJournal.open(dir, this.opts.log, this.opts.journalMaxBytes);
    for (const r of snapshot ? restoreSnapshot(snapshot) : []) this.racks.set(r.id, r);
    for (const e of entries) {
      const res = decodeAgentMessage(e.frame, Number.MAX_SAFE_INTEGER);
      if (!res.ok) continue;
      const m = res.message;
      if (m.hello) this.applyHello(m.hello as pb.Hello);
      else if (m.batch) {
        try {
          this.racks.get(e.rack)?.applyBatch(m.batch as pb.TelemetryBatch);
        } catch {
          // a batch whose catalog is unknown was never acked: the agent re-sends it
        }
      }
    }
    for (const r of this.racks.values()) for (const w of r.streams.values()) w.markDurable(w.watermark);
    journal.setSnapshotSource(() => snapshotOf(this.racks.values()));
    this.journal = journal;
    this.opts.log.info('hub state restored', { dir, racks: this.racks.size, journalRecords: entries.length });
  }

  /** Journal counters (undefined without a state directory). */
  get journalStats(): HubJournal['stats'] | undefined {
    return this.journal?.stats;
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const p of this.pending.values()) p.resolve(undefined);
    this.pending.clear();
    for (const s of this.sessions) s.ws.terminate();
    this.wss.close();
    const servers = [this.http, ...(this.apiServer ? [this.apiServer] : [])];
    await Promise.all(servers.map((srv) => new Promise<void>((resolve) => {
      srv.close(() => resolve());
      srv.closeAllConnections();
    })));
    await this.journal?.close();
  }

  isConnected(rackId: string): boolean {
    return this.byRack.has(rackId);
  }

  /** Sends a command (signed when the hub has a key) to a rack's agent; resolves with its result, or undefined on timeout. */
  async command(rackOrAgent: string, action: CommandAction, opts: { ttlMs?: number; timeoutMs?: number } = {}): Promise<pb.CommandResult | undefined> {
    const rack = this.find(rackOrAgent);
    const session = rack && this.byRack.get(rack.id);
    if (!rack || !session) throw new Error(`rack ${rackOrAgent} is not connected`);
    const now = Date.now();
    // Monotonic per signing key, also across hub restarts (seeded from the clock).
    this.cmdSeq = Math.max(this.cmdSeq + 1, now * 1000);
    const cmd: pb.ICommand = {
      id: randomUUID(), targetAgent: rack.hello.agentId, issuedAtMs: now, expiresAtMs: now + (opts.ttlMs ?? 30_000),
      nonce: randomBytes(16), cmdSeq: this.cmdSeq, ...action,
    };
    const id = cmd.id as string;
    const result = new Promise<pb.CommandResult | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, opts.timeoutMs ?? 10_000);
      this.pending.set(id, { rack: rack.id, resolve: (r) => { clearTimeout(timer); resolve(r); } });
    });
    const key = this.opts.signingKey;
    session.ws.send(key ? encodeSignedCommand(cmd, (payload) => sign(null, payload, key)) : encodeHubMessage({ command: cmd }));
    const r = await result;
    this.m.commands.inc({ status: r ? (COMMAND_STATUS[r.status] ?? 'unknown') : 'timeout' });
    return r;
  }

  find(id: string): RackRecord | undefined {
    return this.racks.get(id) ?? [...this.racks.values()].find((r) => r.hello.agentId === id);
  }

  private api(req: IncomingMessage, res: ServerResponse): void {
    route(this, req, res).catch((err: unknown) => {
      this.opts.log.error('api handler failed', { err });
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    });
  }

  /** Path and authentication checks before any WebSocket exists. */
  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    const refuse = (status: string, reason: string): void => {
      this.m.rejected.inc({ reason });
      this.opts.log.warn('agent upgrade refused', { remote: req.socket.remoteAddress, reason });
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
    };
    if (path !== '/agent' && path !== '/') return refuse('404 Not Found', 'bad_path');
    const allowed: Session['allowed'][number][] = [];
    if (this.opts.tokens) {
      const agent = tokenAgent(req.headers.authorization, this.opts.tokens);
      if (!agent) return refuse('401 Unauthorized', req.headers.authorization ? 'bad_token' : 'no_token');
      allowed.push({ by: 'bearer token', ids: [agent] });
    }
    if (this.opts.tls?.clientCa) allowed.push({ by: 'client certificate', ids: certificateAgents(req.socket as TLSSocket) });
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req, allowed));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage, allowed: Session['allowed']): void {
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const s: Session = { ws, remote, alive: true, allowed };
    this.sessions.add(s);
    this.opts.log.info('agent connected', { remote, authenticatedAs: allowed.map((a) => `${a.by}: ${a.ids.join('|')}`) });
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
    ws.on('close', (code) => this.onClose(s, code));
  }

  private onClose(s: Session, code: number): void {
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
    this.opts.log.info('agent disconnected', { remote: s.remote, rack: s.rack?.id, code });
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
        return this.onHello(s, msg.hello as pb.Hello, data);
      case 'batch':
        return this.onBatch(s, s.rack as RackRecord, msg.batch as pb.TelemetryBatch, data);
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

  private applyHello(h: pb.Hello): RackRecord {
    let rack = this.racks.get(h.rackId);
    if (rack && rack.hello.agentId !== h.agentId) {
      this.opts.log.warn('rack claimed by a different agent', { rack: h.rackId, was: rack.hello.agentId, now: h.agentId });
    }
    if (rack) rack.applyHello(h);
    else {
      rack = new RackRecord(h);
      this.racks.set(h.rackId, rack);
    }
    return rack;
  }

  private onHello(s: Session, h: pb.Hello, frame: Uint8Array): void {
    const problem = checkHello(h);
    if (problem) return this.reject(s, 1008, 'bad_hello', problem);
    const denied = s.allowed.find((a) => !a.ids.includes(h.agentId));
    if (denied) return this.reject(s, 1008, 'identity_mismatch', `Hello from agent "${h.agentId}", but the ${denied.by} is for ${denied.ids.map((i) => `"${i}"`).join(', ') || 'no agent'}`);
    if (s.rack && s.rack.id !== h.rackId) return this.reject(s, 1008, 'bad_hello', 'rack id changed within a session');
    const rack = this.applyHello(h);
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
    this.persist(s, rack, 'hello', frame, () => {
      s.ws.send(encodeHubMessage({ welcome: { hubId: this.hubId, timeMs: Date.now(), ackedUpto: rack.ackedUpto(), heartbeatIntervalMs: this.opts.heartbeatMs ?? 30_000 } }));
      this.opts.log.info('agent hello', { rack: rack.id, agent: h.agentId, version: h.softwareVersion, session: h.session, series: h.series.length, ackedUpto: rack.ackedUpto() });
    });
  }

  private onBatch(s: Session, rack: RackRecord, b: pb.TelemetryBatch, frame: Uint8Array): void {
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
    const ack = (): void => {
      if (s.rack === rack) s.ws.send(encodeHubMessage({ ack: { streamId: rack.hello.streamId, uptoSeq: rack.ackedUpto() } }));
    };
    if (out.duplicate) {
      this.m.duplicates.inc({ rack: rack.id });
      ack();
    } else {
      this.m.batches.inc({ rack: rack.id, historical: String(b.historical) });
      this.m.samples.inc({ rack: rack.id }, out.samples);
      this.persist(s, rack, 'batch', frame, ack);
    }
    this.opts.onBatch?.(rack, b, out.duplicate);
  }

  /**
   * Journals an accepted Hello or batch; once it is durable, the stream's durable watermark moves
   * up to what it was when the record was accepted, and `then` runs (Welcome or Ack).
   */
  private persist(s: Session, rack: RackRecord, kind: 'hello' | 'batch', frame: Uint8Array, then: () => void): void {
    const win = rack.stream(rack.hello.streamId);
    const upto = win.watermark;
    const done = (): void => {
      win.markDurable(upto);
      if (s.ws.readyState === s.ws.OPEN) then();
    };
    if (!this.journal) return done();
    this.journal.append({ kind, rack: rack.id, frame }).then(done, () => this.m.journalErrors.inc());
  }
}

function addressOf(server: Server): { host: string; port: number } {
  const a = server.address() as AddressInfo;
  return { host: a.address, port: a.port };
}

function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  const hub = new Hub(opts);
  await hub.listen();
  return hub;
}
