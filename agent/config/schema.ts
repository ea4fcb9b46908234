// The agent's configuration: types, defaults and validation in one place (docs/config.md).
// Every key is listed here; an unknown key anywhere is an error with its path.

import { DEVICE_SHAPES } from '../drivers/shapes.js';
import { LEVELS } from '../runtime/log.js';
import { controlShape } from './control.js';
import { s, type Infer } from './shape.js';

const deviceShape = s.tagged('type', DEVICE_SHAPES);

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
  }).opt(),
  poll: s.object({
    intervalMs: s.int({ min: 100, max: 3_600_000, unit: 'ms' }).default(1000),
    /** A reading older than this counts as stale (unknown). */
    staleAfterMs: s.int({ min: 100, max: 3_600_000, unit: 'ms' }).default(3000),
  }).default({ intervalMs: 1000, staleAfterMs: 3000 }),
  metrics: s.object({
    enabled: s.boolean().default(true),
    /** host:port for GET /metrics; loopback by default. Port 0 picks a free port. */
    listen: s.hostPort({ allowZero: true }).default({ host: '127.0.0.1', port: 9464 }),
  }).default({ enabled: true, listen: { host: '127.0.0.1', port: 9464 } }),
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
