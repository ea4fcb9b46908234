// The agent's configuration: types, defaults and validation in one place (docs/config.md).
// Every key is listed here; an unknown key anywhere is an error with its path.

import { DEVICE_SHAPES } from '../drivers/shapes.js';
import { isLoopback } from '../runtime/credentials.js';
import { LEVELS } from '../runtime/log.js';
import { controlShape } from './control.js';
import { s, type Infer } from './shape.js';

const deviceShape = s.tagged('type', DEVICE_SHAPES);
const path = () => s.string({ min: 1, max: 4096 });

/** TLS for a wss:// hub. Verification of the hub's certificate is always on (there is no switch). */
const hubTlsShape = s.object({
  /** PEM CA bundle the hub's certificate must chain to; default: the system's trusted CAs. */
  ca: path().opt(),
  /** PEM client certificate (mutual TLS); its CN or a DNS SAN is this agent's id. */
  cert: path().opt(),
  /** PEM private key of the client certificate; mode 0600. */
  key: path().opt(),
  /** Host name to verify the hub's certificate against, when it differs from the URL's. */
  serverName: s.string({ min: 1, max: 253 }).opt(),
}).refine((t) => (!t.cert !== !t.key ? 'cert and key go together (mutual TLS needs both)' : undefined));

function urlHost(url: string): string {
  return /^wss?:\/\/(\[[^\]]+\]|[^/:]+)/.exec(url)?.[1] ?? '';
}

export const configShape = s.object({
  agent: s.object({
    id: s.id(),
    site: s.id(),
    rack: s.id(),
  }),
  hub: s.object({
    /** ws:// or wss:// URL of the hub's agent endpoint. */
    url: s.string({ pattern: /^wss?:\/\/[^\s/]+(\/\S*)?$/, patternHint: 'a ws:// or wss:// URL' }),
    connectTimeoutMs: s.int({ min: 100, max: 120_000, unit: 'ms' }).default(5000),
    /** Ping interval; the link is dropped when a ping goes unanswered for this long plus 1 s. */
    heartbeatMs: s.int({ min: 1000, max: 600_000, unit: 'ms' }).default(15_000),
    backoffInitialMs: s.int({ min: 50, max: 600_000, unit: 'ms' }).default(500),
    backoffMaxMs: s.int({ min: 100, max: 3_600_000, unit: 'ms' }).default(30_000),
    /** Largest frame accepted from the hub. Commands are small. */
    maxPayloadBytes: s.int({ min: 1024, max: 64 << 20, unit: 'bytes' }).default(1 << 20),
    /** Unacked batches kept for re-sending, by count and by bytes (oldest dropped first). */
    outboxMaxBatches: s.int({ min: 1, max: 10_000_000 }).default(7200),
    outboxMaxBytes: s.int({ min: 1024, max: 1 << 30, unit: 'bytes' }).default(32 << 20),
    /** Stop sending while this many bytes are queued on the socket. */
    highWaterBytes: s.int({ min: 1024, max: 64 << 20, unit: 'bytes' }).default(256 << 10),
    /** Backlog (historical) drain rate after an outage; 0 = as fast as the link takes it. */
    backfillBytesPerS: s.int({ min: 0, max: 1 << 30, unit: 'bytes/s' }).default(1 << 20),
    /** Backlog is sent only while less than this is queued, so live data never waits behind more. */
    backfillHighWaterBytes: s.int({ min: 1024, max: 64 << 20, unit: 'bytes' }).default(64 << 10),
    tls: hubTlsShape.opt(),
    /** File holding a bearer token sent on connect; must not be readable by group or others. */
    tokenFile: path().opt(),
    /** Public keys (PEM, Ed25519) whose signatures on commands are accepted. Without any, only ping and rebirth are. */
    commandKeys: s.array(path(), { max: 8 }).default([]),
  }).refine((h) => {
    const secure = h.url.startsWith('wss://');
    if (h.tls && !secure) return 'tls settings need a wss:// url';
    if (h.tokenFile && !secure && !isLoopback(urlHost(h.url))) return 'a bearer token over ws:// would travel in clear text; use a wss:// url';
    return undefined;
  }).opt(),
  /**
   * Disk spool for telemetry not yet acked by the hub (survives restarts, kill -9, power loss).
   * Without it unacked batches are kept in memory only (hub.outboxMaxBatches/outboxMaxBytes).
   */
  spool: s.object({
    dir: path(),
    maxBytes: s.int({ min: 1 << 20, max: 2 ** 40, unit: 'bytes' }).default(256 << 20),
    segmentBytes: s.int({ min: 64 << 10, max: 256 << 20, unit: 'bytes' }).default(4 << 20),
    /** A batch is fsynced at most this long after it is written; a power loss loses at most this much. */
    fsyncIntervalMs: s.int({ min: 0, max: 60_000, unit: 'ms' }).default(500),
    /** Newest batches kept in memory, and the bound on memory-only batches while the disk fails. */
    memoryBytes: s.int({ min: 64 << 10, max: 1 << 30, unit: 'bytes' }).default(4 << 20),
    /** Free space to leave on the file system; below it the oldest spooled data is dropped. */
    reserveBytes: s.int({ min: 0, max: 2 ** 40, unit: 'bytes' }).default(64 << 20),
  }).refine((sp) => (sp.segmentBytes * 4 > sp.maxBytes ? `segmentBytes must be at most a quarter of maxBytes (${sp.maxBytes})` : undefined)).opt(),
  poll: s.object({
    intervalMs: s.int({ min: 100, max: 3_600_000, unit: 'ms' }).default(1000),
    /** A reading older than this counts as stale (unknown). */
    staleAfterMs: s.int({ min: 100, max: 3_600_000, unit: 'ms' }).default(3000),
  }).default({ intervalMs: 1000, staleAfterMs: 3000 }),
  metrics: s.object({
    enabled: s.boolean().default(true),
    /** host:port for GET /metrics; loopback by default. Port 0 picks a free port. */
    listen: s.hostPort({ allowZero: true }).default({ host: '127.0.0.1', port: 9464 }),
    /** Also serve the local API on this unix socket (file mode `socketMode`). */
    socket: path().opt(),
    socketMode: s.int({ min: 0o600, max: 0o666 }).default(0o660),
    /** Must be true to listen on anything but loopback (the API has no authentication). */
    allowRemote: s.boolean().default(false),
  }).refine((m) => (!m.allowRemote && !isLoopback(m.listen.host) ? `listen ${m.listen.host} is not a loopback address; the local API has no authentication — set allowRemote: true to expose it anyway` : undefined))
    .default({ enabled: true, listen: { host: '127.0.0.1', port: 9464 }, socketMode: 0o660, allowRemote: false }),
  log: s.object({
    level: s.enum(LEVELS),
  }).default({ level: 'info' }),
  /** The power-cap controller (docs/control.md). */
  control: controlShape,
  devices: s.array(deviceShape, { min: 1, max: 512 }).refine((ds) => {
    const seen = new Set<string>();
    for (const d of ds) {
      if (seen.has(d.id)) return `device id "${d.id}" is used twice`;
      seen.add(d.id);
    }
    return undefined;
  }),
});

export type Config = Infer<typeof configShape>;
export type DeviceConfig = Config['devices'][number];
export type HubConfig = NonNullable<Config['hub']>;
export type SpoolConfig = NonNullable<Config['spool']>;
