// How the reference hub knows which agent is on a connection, before trusting its Hello:
//  - bearer tokens: a token file maps agent ids to tokens ("AGENT_ID TOKEN" per line, # comments,
//    mode 0600). The agent sends "Authorization: Bearer TOKEN" on the upgrade; a missing or
//    unknown token gets HTTP 401 before any WebSocket exists. Tokens are compared as SHA-256
//    digests in constant time.
//  - client certificates (mutual TLS): the TLS layer checks the chain against the client CA; the
//    certificate's CN and DNS SANs are the agent ids it may speak for.
// The Hello's agent_id must then be one of the ids every configured mechanism allows.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { CredentialError, readSecretFile } from '../agent/runtime/credentials.js';

/** Token digests by agent id. */
export type TokenTable = ReadonlyMap<string, Buffer>;

export async function loadTokenFile(path: string): Promise<TokenTable> {
  const text = (await readSecretFile(path, '--token-file')).reveal();
  const out = new Map<string, Buffer>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(\S+)\s+(\S{16,})$/.exec(line);
    if (!m) throw new CredentialError('--token-file', `${path}:${i + 1}: expected "AGENT_ID TOKEN" (a token of at least 16 characters)`);
    out.set(m[1] as string, digest(m[2] as string));
  }
  if (!out.size) throw new CredentialError('--token-file', `${path} has no tokens`);
  return out;
}

/** The agent id a bearer token belongs to, or undefined. */
export function tokenAgent(authorization: string | undefined, tokens: TokenTable): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!m) return undefined;
  const d = digest(m[1] as string);
  let found: string | undefined;
  for (const [agent, want] of tokens) if (timingSafeEqual(d, want)) found = agent;
  return found;
}

/** Agent ids a verified client certificate speaks for: its CN and DNS SANs. */
export function certificateAgents(socket: TLSSocket): string[] {
  const cert = socket.getPeerCertificate();
  if (!cert || !Object.keys(cert).length) return [];
  const ids = new Set<string>();
  const cn = cert.subject?.CN;
  if (typeof cn === 'string') ids.add(cn);
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const m = /^\s*DNS:(.+)$/.exec(part);
    if (m) ids.add((m[1] as string).trim());
  }
  return [...ids];
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
