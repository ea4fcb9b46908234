// HTTP Digest authentication (RFC 7616 with MD5 and qop=auth; RFC 2069 without qop), as the
// stock Antminer web interface requires (realm "antMiner…", root/root by default). Pure: parse
// a challenge, compute the Authorization header. The nonce count is the caller's to keep.
import { createHash, randomBytes } from 'node:crypto';

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly qop: string | undefined;
  readonly opaque: string | undefined;
  readonly algorithm: string | undefined;
}

/** Parses `WWW-Authenticate: Digest realm="…", nonce="…", qop="auth"`; undefined if not Digest. */
export function parseDigestChallenge(header: string | undefined): DigestChallenge | undefined {
  if (!header) return undefined;
  const m = /Digest\s+(.*)$/i.exec(header);
  if (!m) return undefined;
  const params = new Map<string, string>();
  for (const p of (m[1] as string).matchAll(/([a-zA-Z]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    params.set((p[1] as string).toLowerCase(), (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1'));
  }
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  const qop = params.get('qop')?.split(',').map((q) => q.trim()).find((q) => q === 'auth');
  return { realm, nonce, qop, opaque: params.get('opaque'), algorithm: params.get('algorithm') };
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export interface DigestInput {
  readonly challenge: DigestChallenge;
  readonly method: string;
  readonly uri: string;
  readonly user: string;
  readonly password: string;
  /** Nonce count: 1 for the first use of a nonce, +1 for each reuse. */
  readonly nc: number;
  readonly cnonce?: string;
}

/** The value of the Authorization header. Only MD5 (the algorithm miners use) is supported. */
export function digestAuthorization(d: DigestInput): string {
  const c = d.challenge;
  if (c.algorithm && c.algorithm.toUpperCase() !== 'MD5') throw new Error(`digest algorithm ${c.algorithm} is not supported`);
  const ha1 = md5(`${d.user}:${c.realm}:${d.password}`);
  const ha2 = md5(`${d.method}:${d.uri}`);
  const parts = [`username="${d.user}"`, `realm="${c.realm}"`, `nonce="${c.nonce}"`, `uri="${d.uri}"`];
  if (c.qop) {
    const nc = d.nc.toString(16).padStart(8, '0');
    const cnonce = d.cnonce ?? randomBytes(8).toString('hex');
    parts.push(`qop=${c.qop}`, `nc=${nc}`, `cnonce="${cnonce}"`, `response="${md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:${c.qop}:${ha2}`)}"`);
  } else {
    parts.push(`response="${md5(`${ha1}:${c.nonce}:${ha2}`)}"`);
  }
  if (c.opaque !== undefined) parts.push(`opaque="${c.opaque}"`);
  if (c.algorithm) parts.push(`algorithm=${c.algorithm}`);
  return `Digest ${parts.join(', ')}`;
}
