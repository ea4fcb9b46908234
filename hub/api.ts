// The reference hub's HTTP API, for operators and tests:
//   GET  /metrics                     Prometheus text format
//   GET  /api/racks                   every rack, summary
//   GET  /api/racks/{id}              one rack with latest values and recent events
//   POST /api/racks/{id}/commands     {"action": ping | rebirth | set_cap_lease | clear_cap_lease |
//                                     grid_event, …, "timeoutMs"?} (hub/command-api.ts): sends a
//                                     (signed) Command and answers with its CommandResult
// It has no authentication of its own: it listens on loopback (`--api-listen`), or on the agent
// port only while that port has no TLS and no tokens (a development setup).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROMETHEUS_CONTENT_TYPE, type Registry } from '../protocols/prometheus.js';
import type { pb } from '../protocols/wire/codec.js';
import { parseCommandBody, type CommandAction } from './command-api.js';
import type { RackRecord } from './state.js';

export const COMMAND_STATUS = ['unspecified', 'ok', 'rejected', 'failed', 'unsupported', 'invalid'];
const MAX_API_BODY = 64 * 1024;

/** What the API needs from the hub. */
export interface ApiHub {
  readonly racks: ReadonlyMap<string, RackRecord>;
  readonly metrics: Registry;
  find(id: string): RackRecord | undefined;
  isConnected(rackId: string): boolean;
  command(rack: string, action: CommandAction, opts: { ttlMs?: number; timeoutMs?: number }): Promise<pb.CommandResult | undefined>;
}

export async function route(hub: ApiHub, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://hub');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (req.method === 'GET' && url.pathname === '/metrics') {
    res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(hub.metrics.render());
    return;
  }
  if (parts[0] !== 'api' || parts[1] !== 'racks') return json(res, 404, { error: 'not found' });
  if (parts.length === 2 && req.method === 'GET') {
    return json(res, 200, [...hub.racks.values()].map((r) => r.toJSON(false)));
  }
  const rack = parts[2] !== undefined ? hub.find(parts[2]) : undefined;
  if (!rack) return json(res, 404, { error: `unknown rack ${parts[2] ?? ''}` });
  if (parts.length === 3 && req.method === 'GET') return json(res, 200, rack.toJSON(true));
  if (parts.length === 4 && parts[3] === 'commands' && req.method === 'POST') return postCommand(hub, req, res, rack);
  return json(res, 405, { error: 'method not allowed' });
}

async function postCommand(hub: ApiHub, req: IncomingMessage, res: ServerResponse, rack: RackRecord): Promise<void> {
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
  if (!hub.isConnected(rack.id)) return json(res, 409, { error: `rack ${rack.id} is not connected` });
  const result = await hub.command(rack.id, parsed.action, { ttlMs: parsed.ttlMs, timeoutMs });
  if (!result) return json(res, 504, { error: 'no CommandResult before the timeout', rack: rack.id });
  return json(res, 200, {
    commandId: result.commandId,
    status: COMMAND_STATUS[result.status] ?? 'unknown',
    message: result.message,
    completedAtMs: result.completedAtMs,
    values: { ...result.values },
  });
}

export function json(res: ServerResponse, status: number, body: unknown): void {
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
