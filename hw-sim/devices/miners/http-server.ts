// The web side of simulated miners: a small HTTP/1.1 server with routes, JSON bodies, and the
// HTTP Digest check stock Antminer firmware does (realm "antMiner Configuration", MD5, qop=auth;
// nonces expire and a nonce count must grow). Written for hw-sim from RFC 7616, separately from
// the agent's client, and checked against curl --digest in the tests.

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenFollowing, type ListeningServer } from './rpc-server.js';
import type { SimMiner } from './sim-miner.js';

export interface HttpCall {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** The body as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export type HttpAnswer = { readonly status: number; readonly json?: unknown; readonly text?: string; readonly headers?: Readonly<Record<string, string>> };
export type HttpRoutes = (call: HttpCall) => HttpAnswer | undefined;

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Verifies Digest credentials; issues nonces that live `nonceTtlS` seconds. */
export class DigestGuard {
  private readonly nonces = new Map<string, { expires: number; nc: number }>();
  constructor(readonly realm: string, private readonly user: string, private readonly password: () => string, private readonly nonceTtlS = 300) {}

  challenge(): string {
    const nonce = randomBytes(16).toString('hex');
    this.nonces.set(nonce, { expires: Date.now() + this.nonceTtlS * 1000, nc: 0 });
    return `Digest realm="${this.realm}", nonce="${nonce}", qop="auth", algorithm=MD5`;
  }

  check(method: string, header: string | undefined): boolean {
    if (!header?.startsWith('Digest ')) return false;
    const p = new Map([...header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^\s,]+))/g)].map((m) => [m[1] as string, m[2] ?? m[3] ?? '']));
    const nonce = p.get('nonce') ?? '';
    const n = this.nonces.get(nonce);
    if (!n || n.expires < Date.now() || p.get('username') !== this.user || p.get('realm') !== this.realm) return false;
    const nc = parseInt(p.get('nc') ?? '', 16);
    if (!(nc > n.nc)) return false; // replayed or out-of-order nonce count
    const ha1 = md5(`${this.user}:${this.realm}:${this.password()}`);
    const ha2 = md5(`${method}:${p.get('uri') ?? ''}`);
    const want = md5(`${ha1}:${nonce}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:${p.get('qop') ?? ''}:${ha2}`);
    if (p.get('response') !== want) return false;
    n.nc = nc;
    return true;
  }
}

function reply(res: ServerResponse, a: HttpAnswer): void {
  const body = a.json !== undefined ? JSON.stringify(a.json) : a.text ?? '';
  res.writeHead(a.status, { 'content-type': a.json !== undefined ? 'application/json' : 'text/html', ...a.headers });
  res.end(body);
}

/** Serves `routes`. `followDaemon`: down while the miner's daemon restarts (else the web server stays up). */
export function serveHttp(miner: SimMiner, host: string, port: number, routes: HttpRoutes, opts: { followDaemon?: boolean } = {}): Promise<ListeningServer> {
  const make = () =>
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = body ? (JSON.parse(body) as unknown) : undefined;
        } catch {
          json = undefined;
        }
        const call: HttpCall = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0] ?? '/', headers: req.headers, body, json };
        reply(res, routes(call) ?? { status: 404, text: 'not found' });
      });
    });
  return listenFollowing(host, port, make, opts.followDaemon ? { follow: miner } : {});
}
