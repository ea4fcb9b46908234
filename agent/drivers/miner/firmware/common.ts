// Helpers shared by firmware modules: running a read's sources with partial success, JSON over
// HTTP, and HTTP Digest sessions. Composition, not a base class.

import { asMinerError, MinerError } from '../errors.js';
import { emptyData, finishData, mergeData, type DataPatch, type FirmwareName, type MinerData } from '../data.js';
import { digestAuthorization, parseDigestChallenge, type DigestChallenge } from '../digest.js';
import type { MinerIO } from '../link.js';
import type { HttpResponse } from '../../transport/http.js';
import type { ControlState, Credentials, ReadResult, Source, SourceFailure } from './types.js';
import { isMining } from '../data.js';
import { isRecord } from '../values.js';

/**
 * Runs sources in order and merges what they return. A failed source leaves its fields null and
 * is listed; after a transport failure (timeout, refused) the rest are not sent, so a hung miner
 * costs one timeout per poll, not one per command. `once` keeps what `once` sources returned:
 * they are not asked again, and their data is part of every read.
 */
export async function runSources(io: MinerIO, firmware: FirmwareName, sources: readonly Source[], once: OnceCache = new Map()): Promise<ReadResult> {
  let data: MinerData = emptyData(firmware);
  for (const p of once.values()) data = mergeData(data, p);
  const failures: SourceFailure[] = [];
  let down: MinerError | undefined;
  let requests = 0;
  for (const s of sources) {
    if (s.once && once.has(s.name)) continue;
    requests++;
    if (down) {
      failures.push({ source: s.name, groups: s.groups, error: down, skipped: true });
      continue;
    }
    try {
      const patch = await s.fetch(io);
      data = mergeData(data, patch);
      if (s.once) once.set(s.name, patch);
    } catch (err) {
      const e = asMinerError(err);
      failures.push({ source: s.name, groups: s.groups, error: e, skipped: false });
      if (e.transport) down = e;
    }
  }
  return { data: finishData(data), requests, failures };
}

/** Identity data of `once` sources, by source name (one cache per miner session). */
export type OnceCache = Map<string, DataPatch>;

/** State for verification from a read: rejects with the first failure when state is unknown. */
export async function stateFrom(io: MinerIO, firmware: FirmwareName, sources: readonly Source[]): Promise<ControlState> {
  const r = await runSources(io, firmware, sources);
  const first = r.failures[0];
  if (first && r.data.state === null && r.data.powerTargetW === null) throw first.error;
  return { mining: isMining(r.data), targetW: r.data.powerTargetW };
}

export function jsonBody(res: HttpResponse, what: string): unknown {
  if (res.status === 401) throw new MinerError('miner_auth', `${what}: HTTP 401 (check the miner credentials)`, 401);
  if (res.status === 403) throw new MinerError('miner_access_denied', `${what}: HTTP 403`, 403);
  if (res.status < 200 || res.status >= 300) throw new MinerError('miner_http', `${what}: HTTP ${res.status}`, res.status);
  try {
    return JSON.parse(res.body.toString('utf8')) as unknown;
  } catch (err) {
    throw new MinerError('miner_bad_reply', `${what}: body is not JSON (${(err as Error).message})`);
  }
}

/**
 * HTTP Digest for one miner: the challenge is reused with an increasing nonce count; a 401 on a
 * reused nonce (stale) fetches a fresh challenge once. Stock Antminer: realm "antMiner…".
 */
export class DigestSession {
  private challenge: DigestChallenge | undefined;
  private nc = 0;

  constructor(private readonly credentials: Credentials | undefined) {}

  async request(io: MinerIO, req: { method: 'GET' | 'POST'; path: string; body?: string; write?: boolean }): Promise<HttpResponse> {
    const creds = this.credentials;
    if (!creds) throw new MinerError('miner_auth', `${req.path} needs credentials (none configured)`);
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = req.body !== undefined ? { 'content-type': 'application/json' } : {};
      if (this.challenge) {
        headers['authorization'] = digestAuthorization({ challenge: this.challenge, method: req.method, uri: req.path, user: creds.user, password: creds.password.reveal(), nc: ++this.nc });
      }
      const res = await io.http({ ...req, headers });
      if (res.status !== 401) return res;
      const fresh = parseDigestChallenge(res.headers['www-authenticate']);
      if (!fresh) throw new MinerError('miner_auth', `${req.path}: HTTP 401 without a Digest challenge`, 401);
      this.challenge = fresh;
      this.nc = 0;
    }
    throw new MinerError('miner_auth', `${req.path}: digest authentication refused (check the miner credentials)`, 401);
  }
}

/**
 * A JSON API behind a login token sent raw in `Authorization` (Braiins OS REST, VNish): logs in
 * on first use, and once more when a request gets 401 (the token expired or the miner rebooted).
 */
export class TokenApi {
  private token: string | undefined;
  constructor(private readonly prefix: string, private readonly login: (io: MinerIO) => Promise<string>) {}

  async call(io: MinerIO, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<unknown> {
    for (let attempt = 0; attempt < 2; attempt++) {
      this.token ??= await this.login(io);
      const headers: Record<string, string> = { authorization: this.token };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await io.http({ method, path: `${this.prefix}${path}`, headers, ...(body !== undefined ? { body: JSON.stringify(body), write: true } : {}) });
      if (res.status === 401 && attempt === 0) {
        this.token = undefined;
        continue;
      }
      return res.status === 204 || res.body.length === 0 ? {} : jsonBody(res, path);
    }
    throw new MinerError('miner_auth', `${path}: token refused after a fresh login`, 401);
  }
}

/** POSTs credentials as JSON to `path` and returns the reply's "token". */
export async function loginToken(io: MinerIO, path: string, credentials: Readonly<Record<string, string>>): Promise<string> {
  const r = jsonBody(await io.http({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) }), path);
  const token = isRecord(r) && typeof r['token'] === 'string' && r['token'] ? r['token'] : undefined;
  if (!token) throw new MinerError('miner_auth', `${path}: no token in the reply`);
  return token;
}

/** A write whose reply may never come (the daemon restarts to apply it): closed = probably sent. */
export async function writeMayRestart<T>(send: () => Promise<T>, detail: string): Promise<{ detail: string }> {
  try {
    await send();
    return { detail };
  } catch (err) {
    const e = asMinerError(err);
    if (e.code === 'miner_closed') return { detail: `${detail} (connection closed without a reply: the daemon restarts to apply it)` };
    throw e;
  }
}
