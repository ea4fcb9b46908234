// Talking to a running agent through its local API (agent/local-api/handler.ts), for the diag
// commands: where it listens (--api, --socket, or the metrics section of --config), one GET with
// a timeout, and an error a field tech can act on when nothing answers.

import { request } from 'node:http';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { parseHostPort } from '../config/shape.js';
import { STATUS_SCHEMA, type StatusSnapshot } from '../local-api/status.js';
import { RackpilotError } from '../runtime/errors.js';
import { UsageError, type Flags, type FlagSpec } from './args.js';

export type ApiAddress = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'socket'; readonly path: string };

export const API_FLAGS: Readonly<Record<string, FlagSpec>> = {
  config: { type: 'string', value: 'FILE', help: "the agent's config: its metrics.socket, else metrics.listen", short: 'c' },
  api: { type: 'string', value: 'HOST:PORT', help: 'the agent\'s local API address (default 127.0.0.1:9464)' },
  socket: { type: 'string', value: 'PATH', help: 'the agent\'s local API unix socket (metrics.socket)' },
};

const DEFAULT_API: ApiAddress = { kind: 'tcp', host: '127.0.0.1', port: 9464 };

/** The agent stopped, never started, or listens elsewhere. */
export class AgentUnreachable extends RackpilotError {
  constructor(readonly address: ApiAddress, reason: string) {
    super('agent_unreachable', `no agent answers on ${apiLabel(address)} (${reason}) — is rackpilot running? systemctl status rackpilot`, { retryable: true });
    this.name = 'AgentUnreachable';
  }
}

export function apiLabel(a: ApiAddress): string {
  return a.kind === 'socket' ? a.path : `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

/** The address from the config's metrics section (its socket when it has one). Throws UsageError. */
export function apiAddressOfConfig(loaded: LoadedConfig): ApiAddress {
  const m = loaded.config.metrics;
  if (!m.enabled) throw new UsageError(`${loaded.source}: metrics.enabled is false, so the agent serves no local API; set it to true and restart the agent`);
  if (m.socket) return { kind: 'socket', path: m.socket };
  if (m.listen.port === 0) throw new UsageError(`${loaded.source}: metrics.listen has port 0 (any free port); give the port the agent took with --api HOST:PORT`);
  return { kind: 'tcp', host: m.listen.host === '0.0.0.0' ? '127.0.0.1' : m.listen.host === '::' ? '::1' : m.listen.host, port: m.listen.port };
}

/** Where to find the agent: --api, --socket, --config (loaded here and returned), or the default. */
export async function apiAddressOf(flags: Flags): Promise<{ address: ApiAddress; loaded?: LoadedConfig }> {
  const given = ['config', 'api', 'socket'].filter((k) => flags[k] !== undefined);
  if (given.length > 1) throw new UsageError(`give one of --config, --api, --socket (got ${given.map((k) => `--${k}`).join(' and ')})`);
  const api = flags['api'];
  if (typeof api === 'string') {
    const hp = parseHostPort(api);
    if (!hp || hp.port === 0) throw new UsageError(`--api must be HOST:PORT, e.g. 127.0.0.1:9464 (got "${api}")`);
    return { address: { kind: 'tcp', ...hp } };
  }
  if (typeof flags['socket'] === 'string') return { address: { kind: 'socket', path: flags['socket'] } };
  if (typeof flags['config'] === 'string') {
    const loaded = await loadConfig(flags['config']);
    return { address: apiAddressOfConfig(loaded), loaded };
  }
  return { address: DEFAULT_API };
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One GET. Rejects with AgentUnreachable when nothing answers within `timeoutMs`. */
export function apiGet(a: ApiAddress, path: string, timeoutMs = 3000): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const where = a.kind === 'socket' ? { socketPath: a.path } : { host: a.host, port: a.port };
    const req = request({ ...where, path, method: 'GET', agent: false, headers: { connection: 'close' }, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => reject(new AgentUnreachable(a, err.message)));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.name === 'AbortError' || err.code === 'ABORT_ERR' ? `no answer within ${timeoutMs} ms`
        : err.code === 'ECONNREFUSED' ? 'connection refused'
        : err.code === 'ENOENT' ? 'no such socket'
        : err.code === 'EACCES' ? 'permission denied: run as a member of the socket\'s group, or with sudo'
        : err.code ?? err.message;
      reject(new AgentUnreachable(a, why));
    });
    req.end();
  });
}

/** GET /status, checked to be a snapshot this diag understands. */
export async function fetchStatus(a: ApiAddress, timeoutMs?: number): Promise<StatusSnapshot> {
  const r = await apiGet(a, '/status', timeoutMs);
  if (r.status === 404) throw new RackpilotError('agent_too_old', `the agent on ${apiLabel(a)} serves no /status (it predates rackpilot diag status): update it`);
  if (r.status !== 200) throw new RackpilotError('agent_error', `GET /status on ${apiLabel(a)}: HTTP ${r.status}: ${r.body.trim().slice(0, 200)}`);
  let s: unknown;
  try {
    s = JSON.parse(r.body);
  } catch {
    throw new RackpilotError('agent_error', `GET /status on ${apiLabel(a)} is not JSON: is something else listening there?`);
  }
  const schema = typeof s === 'object' && s !== null ? (s as { schema?: unknown }).schema : undefined;
  if (schema !== STATUS_SCHEMA) throw new RackpilotError('agent_error', `the agent on ${apiLabel(a)} answers status schema ${String(schema)}; this rackpilot reads ${STATUS_SCHEMA}: use the same version for diag and agent`);
  return s as StatusSnapshot;
}

/** GET /logs: the agent's recent log lines (JSON, oldest first). */
export async function fetchLogs(a: ApiAddress, o: { n?: number; level?: string } = {}, timeoutMs?: number): Promise<string[]> {
  const q = new URLSearchParams({ n: String(o.n ?? 200), ...(o.level ? { level: o.level } : {}) });
  const r = await apiGet(a, `/logs?${q.toString()}`, timeoutMs);
  if (r.status !== 200) throw new RackpilotError('agent_error', `GET /logs on ${apiLabel(a)}: HTTP ${r.status}: ${r.body.trim().slice(0, 200)}`);
  return r.body.split('\n').filter((l) => l.length > 0);
}
