// HTTP Digest, as stock Antminer's web interface needs it: hw-sim's checker is validated with curl
// (an independent client), then the agent's client is tested against hw-sim — nonce reuse with a
// growing count, a fresh challenge when the nonce goes stale, a clear error on a wrong password.
import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../agent/config/secret.js';
import { digestAuthorization, parseDigestChallenge } from '../../agent/drivers/miner/digest.js';
import { DigestSession } from '../../agent/drivers/miner/firmware/common.js';
import { MinerLink } from '../../agent/drivers/miner/link.js';
import { nodeHttpRequester } from '../../agent/main.js';
import { systemClock } from '../../agent/runtime/clock.js';
import { DigestGuard } from '../../hw-sim/devices/miners/http-server.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { minerScenario } from '../support/miners.js';

const run = promisify(execFile);
let sim: RunningSim;
let httpPort = 0;
beforeAll(async () => {
  sim = await startSimulator(minerScenario([{ id: 'ant', model: 'antminer-stock', ramp: 'antminer', params: { password: 'pa55' } }]), { basePort: 0, manual: true });
  httpPort = sim.endpoints[1]!.params['httpPort'] as number;
});
afterAll(async () => {
  await sim.stop();
});

const curl = (user: string, path: string) => run('curl', ['-s', '-o', '-', '-w', '\n%{http_code}', '--digest', '-u', user, `http://127.0.0.1:${httpPort}${path}`]);

function link(port: number): MinerLink {
  return new MinerLink(
    { host: '127.0.0.1', port: 1, httpPort: port, v3Port: 0, connectTimeoutMs: 2000, timeoutMs: 2000, writeTimeoutMs: 2000, gapMs: 0, breakerFailures: 3, breakerOpenMs: 1000, maxReplyBytes: 1 << 20 },
    { dial: (h, p) => createConnection({ host: h, port: p }), http: nodeHttpRequester, clock: systemClock },
  );
}

describe('hw-sim digest checker, validated with curl --digest', () => {
  it('accepts the right account and refuses a wrong password', async () => {
    const ok = await curl('root:pa55', '/cgi-bin/get_system_info.cgi');
    expect(ok.stdout.trim().endsWith('200')).toBe(true);
    expect(ok.stdout).toContain('"minertype":"Antminer S19 Pro"');
    const bad = await curl('root:nope', '/cgi-bin/get_system_info.cgi');
    expect(bad.stdout.trim().endsWith('401')).toBe(true);
  });
});

describe('agent digest client', () => {
  it('parses challenges, quoted or not, and refuses other schemes', () => {
    expect(parseDigestChallenge('Digest realm="antMiner Configuration", nonce="abc", qop="auth,auth-int", algorithm=MD5')).toEqual({ realm: 'antMiner Configuration', nonce: 'abc', qop: 'auth', opaque: undefined, algorithm: 'MD5' });
    expect(parseDigestChallenge('Digest realm=x, nonce=y')).toMatchObject({ realm: 'x', nonce: 'y', qop: undefined });
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseDigestChallenge(undefined)).toBeUndefined();
  });

  it('computes the RFC 7616 example (MD5, qop=auth)', () => {
    // RFC 2617 §3.5 example: Mufasa / Circle Of Life.
    const h = digestAuthorization({ challenge: { realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', opaque: '5ccc069c403ebaf9f0171e9517f40e41', algorithm: undefined }, method: 'GET', uri: '/dir/index.html', user: 'Mufasa', password: 'Circle Of Life', nc: 1, cnonce: '0a4f113b' });
    expect(h).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(h).toContain('nc=00000001');
  });

  it('logs in once, then reuses the nonce with a growing count', async () => {
    const web = new DigestSession({ user: 'root', password: new Secret('pa55') });
    const l = link(httpPort);
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) {
      const res = await l.run('telemetry', signal, (io) => web.request(io, { method: 'GET', path: '/cgi-bin/get_miner_conf.cgi' }));
      expect(res.status).toBe(200);
    }
    expect(l.counters.requests).toBe(4); // one 401 challenge, then three authorised requests
  });

  it('fetches a fresh challenge once when its nonce is no longer known (web server restarted)', async () => {
    let guard = new DigestGuard('antMiner Configuration', 'root', () => 'pa55');
    let served = 0;
    const server = createServer((req, res) => {
      if (!guard.check(req.method ?? 'GET', req.headers.authorization)) return void res.writeHead(401, { 'www-authenticate': guard.challenge() }).end();
      served++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const web = new DigestSession({ user: 'root', password: new Secret('pa55') });
      const l = link(port);
      const get = () => l.run('telemetry', new AbortController().signal, (io) => web.request(io, { method: 'GET', path: '/x' }));
      expect((await get()).status).toBe(200);
      guard = new DigestGuard('antMiner Configuration', 'root', () => 'pa55'); // forgets every nonce
      expect((await get()).status).toBe(200);
      expect(served).toBe(2);
      expect(l.counters.requests).toBe(4); // 401 + 200, then stale 401 + 200
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('a wrong password is a clear auth error, not a loop', async () => {
    const web = new DigestSession({ user: 'root', password: new Secret('wrong') });
    const l = link(httpPort);
    await expect(l.run('telemetry', new AbortController().signal, (io) => web.request(io, { method: 'GET', path: '/cgi-bin/get_miner_conf.cgi' }))).rejects.toMatchObject({ code: 'miner_auth' });
    expect(l.counters.requests).toBe(2);
  });
});
