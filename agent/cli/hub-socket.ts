// Sockets for `diag hub` (hub-probe.ts): open one with a deadline, ask it one HTTP question,
// bound a promise by a timeout. Errors keep Node's codes (ECONNREFUSED, ETIMEDOUT, TLS codes) so
// hub-errors.ts can say what they mean.

import type { Socket } from 'node:net';

/** Resolves with the socket once `event` fires; rejects on error or after `ms`. */
export function openSocket<S extends Socket>(make: () => S, event: 'connect' | 'secureConnect', ms: number): Promise<S> {
  return new Promise((resolve, reject) => {
    const s = make();
    const timer = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' }));
    }, ms);
    s.once(event, () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      s.on('error', () => undefined); // errors after this surface in the next read
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      s.destroy();
      reject(err);
    });
  });
}

export interface HttpAnswer {
  readonly status: string;
  /** The answer's Date header, ms (whole seconds), when it had one. */
  readonly dateMs?: number;
  /** When the request went out, ms. */
  readonly sentAtMs: number;
}

/** One GET of `path` (no upgrade) on an open socket, which it then closes: the status and the Date. */
export function exchangeHttp(sock: Socket, o: { host: string; path: string; timeoutMs: number }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const sentAtMs = Date.now();
    const timer = setTimeout(() => finish(Object.assign(new Error(`no HTTP answer within ${o.timeoutMs} ms`), { code: 'ETIMEDOUT' })), o.timeoutMs);
    const finish = (err?: Error, answer?: HttpAnswer): void => {
      clearTimeout(timer);
      sock.removeAllListeners('data');
      sock.destroy();
      if (err || !answer) reject(err ?? new Error('no answer'));
      else resolve(answer);
    };
    sock.removeAllListeners('error');
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish(Object.assign(new Error('the connection closed without an answer'), { code: 'ECONNRESET' })));
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buf.slice(0, end).split('\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1];
      if (!status) return finish(new Error(`not an HTTP answer: ${JSON.stringify((head[0] ?? '').slice(0, 40))}`));
      const date = Date.parse(head.find((h) => /^date:/i.test(h))?.slice(5).trim() ?? '');
      finish(undefined, { status, sentAtMs, ...(Number.isFinite(date) ? { dateMs: date } : {}) });
    });
    sock.write(`GET ${o.path || '/'} HTTP/1.1\r\nHost: ${o.host}\r\nUser-Agent: rackpilot-diag-hub\r\nConnection: close\r\n\r\n`);
  });
}

export function withTimeout<T>(p: Promise<T>, ms: number, code: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code })), ms);
    p.then((v) => {
      clearTimeout(t);
      resolve(v);
    }, (e: unknown) => {
      clearTimeout(t);
      reject(e instanceof Error ? e : new Error(String(e)));
    });
  });
}
