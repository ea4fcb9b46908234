// Config of an ASIC miner: `type: miner` in rack.yaml (docs/config.md, docs/miners.md).
import { loadShape } from '../../config/common.js';
import { secretShape } from '../../config/secret.js';
import { s, type Infer } from '../../config/shape.js';
import { FIRMWARES } from './data.js';

const ms = (min: number, max: number, def: number) => s.int({ min, max, unit: 'ms' }).default(def);

export const minerDeviceShape = s.object({
  id: s.id(),
  host: s.string({ min: 1, pattern: /^[^\s/:]+$|^\[[0-9a-fA-F:.]+\]$/, patternHint: 'a host name or IP address (ports go in port/httpPort/v3Port)' }),
  /** cgminer-family RPC. */
  port: s.int({ min: 1, max: 65535 }).default(4028),
  /** Web interface / REST API (stock Antminer CGI, Braiins OS REST, VNish). */
  httpPort: s.int({ min: 1, max: 65535 }).default(80),
  /** Whatsminer API v3; 0 = do not probe it. */
  v3Port: s.int({ min: 0, max: 65535 }).default(4433),
  firmware: s.enum(['auto', ...FIRMWARES] as const).default('auto'),
  /** Write access. Without it the firmware's factory account is used (docs/miners.md). */
  credentials: s.object({
    user: s.string({ min: 1 }).opt(),
    password: secretShape().opt(),
    /** File holding the password (first line), relative to the config file. */
    passwordFile: s.string({ min: 1 }).opt(),
  }).refine((c) => (c.password && c.passwordFile ? 'give password or passwordFile, not both' : !c.password && !c.passwordFile ? 'needs password or passwordFile' : undefined)).opt(),
  /** Read timeout of one telemetry request (a hung miner costs this much per poll, once). */
  timeoutMs: ms(100, 60_000, 5000),
  connectTimeoutMs: ms(100, 60_000, 3000),
  /** Read timeout of writes (daemons answer those more slowly). */
  writeTimeoutMs: ms(100, 120_000, 10_000),
  /** Pause between two requests to this miner (its API serves one at a time). */
  gapMs: ms(0, 5000, 20),
  /** Miners are polled on their own schedule, never inside the PDU cycle. */
  pollIntervalMs: ms(1000, 600_000, 10_000),
  /** A reading older than this is unknown (stale). */
  staleAfterMs: ms(1000, 3_600_000, 30_000),
  /** Miners polled at once in this device's poll group (the smallest value in the group applies). */
  concurrency: s.int({ min: 1, max: 1024 }).default(32),
  /** Stop trying after this many failures in a row, for openMs; then one probe. */
  breaker: s.object({ failures: s.int({ min: 1, max: 100 }).default(3), openMs: ms(0, 3_600_000, 30_000) }).default({ failures: 3, openMs: 30_000 }),
  /** Board and fan series to report (extra ones are shown by diag only). */
  boards: s.int({ min: 0, max: 16 }).default(3),
  fans: s.int({ min: 0, max: 16 }).default(4),
  /** Watt-target range where the firmware has none to read, or to narrow it. */
  powerTargetW: s.object({ minW: s.number({ min: 1, max: 100_000, unit: 'W' }), maxW: s.number({ min: 1, max: 100_000, unit: 'W' }) })
    .refine((r) => (r.minW > r.maxW ? 'minW must not exceed maxW' : undefined)).opt(),
  load: loadShape('miner'),
  labels: s.record(s.string()).default({}),
}).refine((d) => (d.staleAfterMs < d.pollIntervalMs ? `staleAfterMs (${d.staleAfterMs}) must be at least pollIntervalMs (${d.pollIntervalMs})` : undefined));

export type MinerDeviceConfig = Infer<typeof minerDeviceShape> & { type: 'miner' };
