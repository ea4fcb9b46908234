// `rackpilot diag hub`: walks the way to the hub one layer at a time — the credential files,
// DNS, TCP, TLS (the hub's certificate against the configured CA, and the hub accepting ours),
// the WebSocket upgrade (bearer token / certificate: the hub's 401), and a round trip — and stops
// at the first layer that fails, saying what is wrong there and what to do.
//
// The probe never sends a Hello. A Hello with this agent's id would make the hub close the
// running agent's connection (a newer session supersedes an older one) and record a session
// for the probe; a made-up probe identity would be refused anyway where certificates or tokens
// name the agent. The upgrade, authenticated exactly as the agent does it, plus a WebSocket
// ping/pong prove the whole path; the hub sees a connection that closes without a Hello and
// counts nothing for the rack.

import { X509Certificate } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import type { HubConfig } from '../config/schema.js';
import { CredentialError } from '../runtime/credentials.js';
import { loadHubCredentials, wsOptions, type HubCredentials } from '../uplink/credentials.js';
import { row, type CheckRow } from './check-table.js';
import { classifySocketError, classifyTlsError, type Finding } from './hub-errors.js';
import { exchangeHttp, openSocket, withTimeout, type HttpAnswer } from './hub-socket.js';

export interface HubProbeOptions {
  readonly hub: HubConfig;
  readonly agentId: string;
  readonly baseDir: string;
  /** Per step (default: hub.connectTimeoutMs). */
  readonly timeoutMs?: number;
  /** Called as each step starts (progress). */
  readonly onStep?: (step: string) => void;
}

const STEPS = ['files', 'identity', 'dns', 'tcp', 'tls', 'clock', 'auth', 'round trip'] as const;

const SUBJECT = 'hub';
const CERT_WARN_DAYS = 30;
const CLOCK_WARN_S = 10;

class StepFailed extends Error {
  constructor(readonly finding: Finding) {
    super(finding.detail);
  }
}

interface Ctx {
  readonly o: HubProbeOptions;
  readonly url: URL;
  readonly port: number;
  readonly timeoutMs: number;
  readonly rows: CheckRow[];
  creds?: HubCredentials;
  addresses: string[];
  address?: string;
  /** The hub's HTTP answer (TCP step for ws://, TLS step for wss://): status and clock. */
  http?: HttpAnswer;
  /** The upgraded connection, from auth to round trip. */
  ws?: WebSocket;
}

/** Runs the steps in order; after a failure the rest are listed as not run. */
export async function probeHub(o: HubProbeOptions): Promise<CheckRow[]> {
  const url = new URL(o.hub.url);
  const port = url.port ? Number(url.port) : url.protocol === 'wss:' ? 443 : 80;
  const ctx: Ctx = { o, url, port, timeoutMs: o.timeoutMs ?? o.hub.connectTimeoutMs, rows: [], addresses: [] };
  const steps: Readonly<Record<(typeof STEPS)[number], (c: Ctx) => Promise<CheckRow>>> = { files, identity, dns, tcp, tls, clock, auth, 'round trip': roundTrip };
  for (const [i, name] of STEPS.entries()) {
    o.onStep?.(name);
    try {
      ctx.rows.push(await steps[name](ctx));
    } catch (err) {
      const f = err instanceof StepFailed ? err.finding : { detail: (err as Error).message, fix: 'unexpected: run again with the output attached to a support ticket' };
      ctx.rows.push(row(SUBJECT, name, 'fail', f.detail, f.fix));
      for (const rest of STEPS.slice(i + 1)) ctx.rows.push(row(SUBJECT, rest, 'skip', `not run: ${name} failed`));
      break;
    }
  }
  return ctx.rows;
}

async function files(c: Ctx): Promise<CheckRow> {
  try {
    c.creds = await loadHubCredentials(c.o.hub, c.o.baseDir);
  } catch (err) {
    if (err instanceof CredentialError) throw new StepFailed({ detail: err.message, fix: `fix the file ${err.what} names (docs/security.md)` });
    throw err;
  }
  const have = [c.creds.ca ? 'CA' : '', c.creds.cert ? 'client certificate and key' : '', c.creds.token ? 'bearer token' : '', c.creds.commandKeys.length ? `${c.creds.commandKeys.length} command key(s)` : ''].filter(Boolean);
  return row(SUBJECT, 'files', 'pass', have.length ? `read: ${have.join(', ')}` : 'no credential files configured');
}

/** The client certificate: for this agent id (the hub checks the Hello against it), and in date. */
async function identity(c: Ctx): Promise<CheckRow> {
  const pem = c.creds?.cert;
  if (!pem) return row(SUBJECT, 'identity', 'skip', c.creds?.token ? `bearer token only (agent ${c.o.agentId})` : 'no client certificate');
  const cert = new X509Certificate(pem);
  const names = [...new Set([/CN=([^\n,]+)/.exec(cert.subject)?.[1], ...(cert.subjectAltName ?? '').split(',').map((s) => /DNS:(.+)/.exec(s.trim())?.[1])].filter((n): n is string => Boolean(n)))];
  if (!names.includes(c.o.agentId)) {
    throw new StepFailed({
      detail: `the client certificate is for ${names.map((n) => `"${n}"`).join(', ') || 'no name'}, but agent.id is "${c.o.agentId}": the hub would refuse the agent's Hello`,
      fix: `issue hub.tls.cert for CN=${c.o.agentId} (docs/security.md), or correct agent.id`,
    });
  }
  const leftDays = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
  if (leftDays < 0) throw new StepFailed({ detail: `the client certificate expired on ${cert.validTo}`, fix: 'issue a new one (docs/security.md)' });
  const detail = `client certificate CN=${c.o.agentId}, valid until ${cert.validTo}`;
  return leftDays < CERT_WARN_DAYS ? row(SUBJECT, 'identity', 'warn', `${detail} (${Math.floor(leftDays)} day${Math.floor(leftDays) === 1 ? '' : 's'} left)`, 'renew it before it expires (docs/security.md)') : row(SUBJECT, 'identity', 'pass', detail);
}

async function dns(c: Ctx): Promise<CheckRow> {
  const host = c.url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    c.addresses = [host];
    return row(SUBJECT, 'dns', 'skip', `${host} is an address (no lookup)`);
  }
  try {
    const found = await withTimeout(lookup(host, { all: true }), c.timeoutMs, 'ETIMEOUT');
    c.addresses = found.map((a) => a.address);
  } catch (err) {
    throw new StepFailed(classifySocketError(err as NodeJS.ErrnoException, { step: 'dns', host, port: c.port, timeoutMs: c.timeoutMs }));
  }
  return row(SUBJECT, 'dns', 'pass', `${host} → ${c.addresses.join(', ')}`);
}

/** Connects to each address in turn; ws:// also asks for an HTTP answer here (no TLS to do it in). */
async function tcp(c: Ctx): Promise<CheckRow> {
  let last: Finding | undefined;
  for (const address of c.addresses) {
    const t0 = performance.now();
    try {
      const sock = await openSocket(() => netConnect({ host: address, port: c.port }), 'connect', c.timeoutMs);
      const ms = Math.round(performance.now() - t0);
      c.address = address;
      if (c.url.protocol === 'wss:') {
        sock.destroy();
        return row(SUBJECT, 'tcp', 'pass', `connected to ${address}:${c.port} in ${ms} ms`);
      }
      const http = await askHttp(c, sock).catch((err: Error) => {
        throw new StepFailed({ detail: `connected to ${address}:${c.port}, but no HTTP answer: ${err.message}`, fix: `is ${c.port} the hub's port? The hub answers HTTP there (rackpilot hub --listen)` });
      });
      return row(SUBJECT, 'tcp', 'pass', `connected to ${address}:${c.port} in ${ms} ms; the hub answers HTTP (${http})`);
    } catch (err) {
      if (err instanceof StepFailed) throw err;
      last = classifySocketError(err as NodeJS.ErrnoException, { step: 'tcp', host: address, port: c.port, timeoutMs: c.timeoutMs });
    }
  }
  throw new StepFailed(last ?? { detail: 'no address to connect to', fix: 'check hub.url' });
}

/** The handshake with verification as the agent does it, then one HTTP request: its answer proves the hub took our certificate. */
async function tls(c: Ctx): Promise<CheckRow> {
  if (c.url.protocol !== 'wss:') {
    return row(SUBJECT, 'tls', 'warn', 'ws:// — no TLS: telemetry and commands travel in clear text', 'on a site use wss:// with hub.tls (docs/security.md)');
  }
  const creds = c.creds as HubCredentials;
  const servername = creds.serverName ?? (isIP(c.url.hostname.replace(/^\[|\]$/g, '')) ? undefined : c.url.hostname);
  let sock: TLSSocket;
  try {
    sock = await openSocket(() => tlsConnect({
      host: c.address, port: c.port, minVersion: 'TLSv1.2', rejectUnauthorized: true,
      ...(servername ? { servername } : {}), ...(creds.ca ? { ca: creds.ca } : {}), ...(creds.cert && creds.key ? { cert: creds.cert, key: creds.key.reveal() } : {}),
    }), 'secureConnect', c.timeoutMs);
  } catch (err) {
    throw new StepFailed(classifyTlsError(err as NodeJS.ErrnoException, { ca: c.o.hub.tls?.ca, serverName: servername ?? c.url.hostname, clientCert: Boolean(creds.cert) }));
  }
  const peer = sock.getPeerX509Certificate();
  const proto = sock.getProtocol() ?? 'TLS';
  const hubCert = peer ? `hub certificate ${peer.subject.replace(/\n/g, ', ')} from ${peer.issuer.replace(/\n/g, ', ')}, valid until ${peer.validTo}` : 'hub certificate verified';
  let http: string;
  try {
    http = await askHttp(c, sock);
  } catch (err) {
    throw new StepFailed(classifyTlsError(err as NodeJS.ErrnoException, { ca: c.o.hub.tls?.ca, serverName: servername ?? c.url.hostname, clientCert: Boolean(creds.cert), afterHandshake: true }));
  }
  const mine = creds.cert ? '; our client certificate accepted' : '';
  return row(SUBJECT, 'tls', 'pass', `${proto}, ${hubCert}${mine} (HTTP ${http})`);
}

/** The hub's clock against ours, from its HTTP Date header: signed commands carry times. */
async function clock(c: Ctx): Promise<CheckRow> {
  if (c.http?.dateMs === undefined) return row(SUBJECT, 'clock', 'skip', 'the hub sent no Date header');
  // The Date header has whole seconds (rounded down): half a second is the best guess of the rest.
  const offsetS = Math.round((c.http.sentAtMs - c.http.dateMs - 500) / 1000);
  const detail = Math.abs(offsetS) <= 1 ? 'matches the hub\'s (within 1 s)' : `is ${Math.abs(offsetS)} s ${offsetS > 0 ? 'ahead of' : 'behind'} the hub's`;
  return Math.abs(offsetS) > CLOCK_WARN_S
    ? row(SUBJECT, 'clock', 'warn', `this controller's clock ${detail}: signed commands may be refused as expired or from the future`, 'check time sync: timedatectl status (NTP)')
    : row(SUBJECT, 'clock', 'pass', `this controller's clock ${detail}`);
}

/** The WebSocket upgrade, authenticated exactly as the agent is (wsOptions). */
async function auth(c: Ctx): Promise<CheckRow> {
  const creds = c.creds as HubCredentials;
  const ws = new WebSocket(c.o.hub.url, { ...wsOptions(creds), handshakeTimeout: c.timeoutMs, perMessageDeflate: false });
  const result = await new Promise<{ ok: true } | { ok: false; status?: number; err?: Error }>((resolve) => {
    ws.once('open', () => resolve({ ok: true }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ ok: false, status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => resolve({ ok: false, err }));
  });
  if (result.ok) {
    c.ws = ws;
    const by = [creds.cert ? 'client certificate' : '', creds.token ? 'bearer token' : ''].filter(Boolean).join(' and ') || 'nothing (the hub asks for no credentials)';
    return row(SUBJECT, 'auth', 'pass', `WebSocket upgrade accepted; authenticated by ${by}`);
  }
  ws.terminate();
  if (result.status === 401) {
    throw new StepFailed(creds.token
      ? { detail: 'the hub refused the bearer token (HTTP 401)', fix: `hub.tokenFile must hold the token the hub's --token-file lists for ${c.o.agentId}` }
      : { detail: 'the hub requires a bearer token (HTTP 401)', fix: 'set hub.tokenFile to a file with this agent\'s token (mode 0600)' });
  }
  if (result.status === 404) throw new StepFailed({ detail: `the hub has no endpoint ${c.url.pathname} (HTTP 404)`, fix: 'the hub\'s agent endpoint is /agent: check hub.url' });
  if (result.status) throw new StepFailed({ detail: `the WebSocket upgrade was answered with HTTP ${result.status}`, fix: 'a proxy in between that does not pass WebSockets, or not a rackpilot hub at this address' });
  throw new StepFailed({ detail: `the WebSocket upgrade failed: ${result.err?.message ?? 'unknown error'}`, fix: 'run again; if it persists, check proxies between controller and hub' });
}

/** A WebSocket ping and its pong, then a normal close: the hub saw no Hello, so nothing counts for the rack. */
async function roundTrip(c: Ctx): Promise<CheckRow> {
  const ws = c.ws;
  if (!ws) throw new StepFailed({ detail: 'no connection', fix: 'see the auth step' });
  const t0 = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no pong within ${c.timeoutMs} ms`)), c.timeoutMs);
      ws.once('pong', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`the hub closed the connection (code ${code})`));
      });
      ws.ping();
    });
  } catch (err) {
    ws.terminate();
    throw new StepFailed({ detail: (err as Error).message, fix: 'something between controller and hub drops WebSocket frames (a proxy or TLS inspection): let wss through untouched' });
  }
  const ms = (performance.now() - t0).toFixed(1);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, 1000);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(1000, 'rackpilot diag hub probe (no Hello)');
  });
  return row(SUBJECT, 'round trip', 'pass', `WebSocket ping answered in ${ms} ms; closed without a Hello (the hub counts no session for the rack)`);
}

/** GET of the hub's endpoint on an open socket; keeps the answer for the clock step. */
async function askHttp(c: Ctx, sock: Socket): Promise<string> {
  c.http = await exchangeHttp(sock, { host: c.url.host, path: c.url.pathname, timeoutMs: c.timeoutMs });
  return c.http.status;
}
