// A cgminer-family RPC server on TCP (port 4028 on real miners): one request per connection,
// reply + NUL, close — as cgminer's single API thread does. Transport quirks: hang, refuse,
// newline-terminated replies on a kept-open socket, no NUL, backend-down text, garbage. Output
// quirks rewrite the reply text (quirks.ts). While the miner's daemon restarts nothing listens
// (connection refused), as on the real thing.

import { createServer, type Server, type Socket } from 'node:net';
import { requestComplete } from '../../../protocols/cgminer/framing.js';
import { mangle, type Quirk } from './quirks.js';
import type { SimMiner } from './sim-miner.js';

export interface RpcRequest {
  readonly raw: string;
  /** The request object (JSON requests), or undefined for text requests ("summary", "gpufan|0,80"). */
  readonly json: Readonly<Record<string, unknown>> | undefined;
  /** `command` (or Whatsminer's `cmd`); for text requests the part before "|". */
  readonly command: string;
  readonly parameter: string | undefined;
}

/** A reply object (serialised, then mangled by the output quirks), raw text, or no reply. */
export type RpcAnswer = { readonly json: unknown } | { readonly text: string } | { readonly silent: true };

export type RpcHandler = (req: RpcRequest) => RpcAnswer;

export interface ListeningServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export function parseRpcRequest(raw: string): RpcRequest | undefined {
  const t = raw.replace(/[\0\r\n]+$/, '').trim();
  if (t.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(t);
    } catch {
      return undefined;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
    const rec = json as Record<string, unknown>;
    const command = rec['command'] ?? rec['cmd'];
    const p = rec['parameter'];
    return { raw: t, json: rec, command: typeof command === 'string' ? command : '', parameter: typeof p === 'string' ? p : typeof p === 'number' ? String(p) : undefined };
  }
  const [command, parameter] = t.split('|', 2);
  return { raw: t, json: undefined, command: command ?? '', parameter };
}

/** cgminer's reply to a request it cannot parse (code 23 "Invalid JSON"). */
export function invalidJson(description: string): unknown {
  return { STATUS: [{ STATUS: 'E', When: Math.floor(Date.now() / 1000), Code: 23, Msg: 'Invalid JSON', Description: description }], id: 1 };
}

function answer(sock: Socket, a: RpcAnswer, command: string, quirks: ReadonlySet<Quirk>): void {
  if ('silent' in a) {
    sock.end();
    return;
  }
  if ('text' in a) {
    sock.end(a.text);
    return;
  }
  const { text, truncated } = mangle(JSON.stringify(a.json), command, quirks);
  if (quirks.has('newline-keep-open')) {
    sock.write(`${text}\n`); // the client ends the exchange; keep the socket until it does
    return;
  }
  sock.end(truncated || quirks.has('no-nul') ? text : `${text}\0`);
}

function serve(miner: SimMiner, handler: RpcHandler, sock: Socket, description: string): void {
  let buf = Buffer.alloc(0);
  let done = false;
  sock.on('error', () => sock.destroy());
  const respond = (): void => {
    if (done) return;
    done = true;
    const q = miner.opts.quirks;
    if (q.has('hang')) return; // keep the socket, never answer
    if (q.has('backend-down')) return void sock.end('Socket connect failed: Connection refused\n');
    if (q.has('garbage')) return void sock.end(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x13, 0x5d, 0x7d, 0x7b, 0x00]));
    const req = parseRpcRequest(buf.toString('utf8'));
    if (!req) return answer(sock, { json: invalidJson(description) }, '', q);
    answer(sock, handler(req), req.command, q);
  };
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (requestComplete(buf)) respond();
  });
  sock.on('end', () => {
    if (!done && buf.length) respond();
    else if (!done) sock.end();
  });
}

/**
 * Listens on host:port (0 = any free port, kept across restarts) and answers through `handler`.
 * The miner's availability switches the listener off and on.
 */
export function serveRpc(miner: SimMiner, host: string, port: number, handler: RpcHandler, description: string): Promise<ListeningServer> {
  return listenFollowing(host, port, () => createServer((sock) => serve(miner, handler, sock, description)), { follow: miner, refuse: miner.has('refuse') });
}

/**
 * Starts a server. With `follow`, it stops listening while that miner's daemon is down and
 * listens again (on the same port) when it is back. `refuse`: never listen, but still reserve a
 * port to report.
 */
export async function listenFollowing(host: string, port: number, make: () => Server, opts: { follow?: SimMiner; refuse?: boolean } = {}): Promise<ListeningServer> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let closed = false;
  const open = (p: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const s = make();
      s.on('connection', (c: Socket) => {
        sockets.add(c);
        c.on('close', () => sockets.delete(c));
      });
      s.once('error', reject);
      s.listen(p, host, () => {
        s.off('error', reject);
        server = s;
        const a = s.address();
        resolve(typeof a === 'object' && a ? a.port : p);
      });
    });
  const shut = (): Promise<void> =>
    new Promise((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
    });
  const actual = await open(port);
  if (opts.refuse) await shut();
  // Back up on the same port; a port still held by a closing socket is retried a few times.
  const reopen = (tries: number): void => {
    if (closed || server) return;
    open(actual).catch(() => {
      if (tries > 0) setTimeout(() => reopen(tries - 1), 200).unref();
    });
  };
  opts.follow?.onAvailability((up) => {
    if (closed || opts.refuse) return;
    if (up) reopen(10);
    else void shut();
  });
  return {
    host,
    port: actual,
    async close() {
      closed = true;
      for (const c of sockets) c.destroy();
      await shut();
    },
  };
}
