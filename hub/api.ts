// The reference hub's HTTP API, for operators and tests:
//   GET  /metrics                     Prometheus text format
//   GET  /api/racks                   every rack, summary
//   GET  /api/racks/{id}              one rack with latest values and recent events
//   POST /api/racks/{id}/commands     {"action":"ping"|"rebirth", "payload"?, "ttlMs"?, "timeoutMs"?}
//                                     sends a (signed) Command and answers with its CommandResult
// It has no authentication of its own: it listens on loopback (`--api-listen`), or on the agent
// port only while that port has no TLS and no tokens (a development setup).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROMETHEUS_CONTENT_TYPE, type Registry } from '../protocols/prometheus.js';
import type { pb } from '../protocols/wire/codec.js';
import type { RackRecord } from './state.js';

export const COMMAND_STATUS = ['unspecified', 'ok', 'rejected', 'failed', 'unsupported', 'invalid'];
const MAX_API_BODY = 64 * 1024;

/** What the API needs from the hub. */
export interface ApiHub {
  readonly racks: ReadonlyMap<string, RackRecord>;
  readonly metrics: Registry;
  find(id: string): RackRecord | undefined;
  isConnected(rackId: string): boolean;
  command(rack: string, action: { ping?: pb.IPing; rebirth?: pb.IRebirth }, opts: { ttlMs?: number; timeoutMs?: number }): Promise<pb.CommandResult | undefined>;
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
  const b = body as { action?: unknown; payload?: unknown; ttlMs?: unknown; timeoutMs?: unknown };
  let action: { ping?: pb.IPing; rebirth?: pb.IRebirth };
  if (b.action === 'ping') action = { ping: { payload: typeof b.payload === 'string' ? b.payload : '' } };
  else if (b.action === 'rebirth') action = { rebirth: {} };
  else return json(res, 400, { error: 'action must be one of: ping, rebirth' });
  const num = (v: unknown, d: number, max: number): number => (typeof v === 'number' && v > 0 && v <= max ? v : d);
  if (!hub.isConnected(rack.id)) return json(res, 409, { error: `rack ${rack.id} is not connected` });
  const result = await hub.command(rack.id, action, { ttlMs: num(b.ttlMs, 30_000, 600_000), timeoutMs: num(b.timeoutMs, 10_000, 120_000) });
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
