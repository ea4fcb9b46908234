// The local API's HTTP handler, served on loopback TCP and optionally a unix socket (never beyond
// loopback without metrics.allowRemote). Read-only: GET only, nothing changes the agent.
//   GET /metrics   Prometheus text (metrics.ts)
//   GET /healthz   "ok"
//   GET /status    one JSON snapshot of the agent (status.ts), for `rackpilot diag`
//   GET /logs      the agent's recent log lines, one JSON object per line (NDJSON), oldest first;
//                  ?n=200 the newest n (default 200, at most 5000), ?level=warn that level and up
// A handler that fails answers 500 with the reason; it never throws into the server.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROMETHEUS_CONTENT_TYPE, type Registry } from '../../protocols/prometheus.js';
import type { LogRing } from '../runtime/log-ring.js';
import { LEVELS, type Level } from '../runtime/log.js';
import type { StatusSnapshot } from './status.js';

export interface LocalApiSources {
  readonly registry: Registry;
  readonly status: () => StatusSnapshot;
  /** Absent when the agent's logger does not keep lines (a caller-supplied logger). */
  readonly logs?: LogRing;
}

const MAX_LOG_LINES = 5000;

export function localApiHandler(src: LocalApiSources): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' }).end('method not allowed: the local API is read-only\n');
      return;
    }
    try {
      route(src, url, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${(err as Error).message}\n`);
    }
  };
}

function route(src: LocalApiSources, url: URL, res: ServerResponse): void {
  switch (url.pathname) {
    case '/metrics':
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(src.registry.render());
      return;
    case '/healthz':
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    case '/status':
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(src.status()));
      return;
    case '/logs':
      logs(src.logs, url, res);
      return;
    default:
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics, /healthz, /status, /logs\n');
  }
}

function logs(ring: LogRing | undefined, url: URL, res: ServerResponse): void {
  const nRaw = url.searchParams.get('n');
  const n = nRaw === null ? 200 : Number(nRaw);
  const level = url.searchParams.get('level');
  if (!Number.isInteger(n) || n < 1 || n > MAX_LOG_LINES) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`n must be an integer 1–${MAX_LOG_LINES}\n`);
    return;
  }
  if (level !== null && !(LEVELS as readonly string[]).includes(level)) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`level must be one of ${LEVELS.join(', ')}\n`);
    return;
  }
  if (!ring) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('this agent keeps no log lines in memory (started with its own logger)\n');
    return;
  }
  const lines = ring.lines({ n, ...(level ? { minLevel: level as Level } : {}) });
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-rackpilot-log-dropped': String(ring.dropped) }).end(lines.length ? `${lines.join('\n')}\n` : '');
}
