// `rackpilot diag hub` (the bundled CLI) against the reference hub on loopback: every step of
// the way to the hub passing, and each one failing for the reason a site meets — a port nobody
// listens on, a port a firewall drops, a name that does not resolve, the hub's certificate from
// another CA, no or the wrong client certificate, a certificate for another agent, a refused
// token — naming the first step that fails. The probe must never look like the agent to the hub.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { issueClient, makeCa, makeDevPki, type DevPki } from '../../agent/cli/pki.js';
import { readPublicFile, readSecretFile } from '../../agent/runtime/credentials.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { loadTokenFile } from '../../hub/auth.js';
import { startHub, type Hub, type HubOptions } from '../../hub/server.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/spool.js';

const AGENT = 'rack-t1-agent';
const TOKEN = 'tok-7d0c2f4a9b1e4c8d93a6e5f1b2c3d4e5';
let dir: string;
let pki: DevPki;
let rogue: { ca: string; client: { cert: string; key: string } };
let other: { cert: string; key: string };
const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  dir = await tempDir('rp-diag-hub-');
  pki = await makeDevPki(dir, [AGENT]);
  other = await issueClient(dir, 'some-other-agent');
  const rogueDir = join(dir, 'rogue');
  await mkdir(rogueDir);
  rogue = { ca: await makeCa(rogueDir), client: await issueClient(rogueDir, AGENT) };
  await writeFile(join(dir, 'agent.token'), `${TOKEN}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'wrong.token'), 'tok-00000000000000000000000000000000\n', { mode: 0o600 });
  await writeFile(join(dir, 'hub.tokens'), `${AGENT} ${TOKEN}\n`, { mode: 0o600 });
}, 60_000);
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function hub(over: Partial<HubOptions> = {}): Promise<Hub> {
  const h = await startHub({ host: '127.0.0.1', port: 0, log: nullLogger, ...over });
  cleanup.push(() => h.close());
  return h;
}

async function tlsHub(over: Partial<HubOptions> = {}): Promise<Hub> {
  return hub({ tls: { cert: await readPublicFile(pki.hubCert, 'c'), key: await readSecretFile(pki.hubKey, 'k'), clientCa: await readPublicFile(pki.ca, 'ca') }, api: { host: '127.0.0.1', port: 0 }, ...over });
}

let n = 0;
async function config(hubSection: Record<string, unknown>): Promise<string> {
  const path = join(dir, `rack-${++n}.yaml`);
  await writeFile(path, stringify({
    agent: { id: AGENT, site: 's1', rack: 'rack-t1' },
    hub: hubSection,
    metrics: { listen: '127.0.0.1:1' }, // no agent runs there
    devices: [{ id: 'pdu-a', type: 'modbus', profile: 'rackpilot-sim-pdu', outlets: 4, transport: { type: 'tcp', host: '127.0.0.1', port: 5020 } }],
  }));
  return path;
}

/** "hub  tcp  FAIL  …" → status, detail and the fix line under it. */
function step(out: string, name: string): { status: string; detail: string; fix?: string } {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => new RegExp(`^hub\\s+${name}\\s+(PASS|FAIL|WARN|skip)\\s`).test(l));
  if (i < 0) throw new Error(`no step ${name} in:\n${out}`);
  const m = new RegExp(`^hub\\s+${name}\\s+(PASS|FAIL|WARN|skip)\\s+(.*)$`).exec(lines[i]!)!;
  const fix = /^\s+→ /.test(lines[i + 1] ?? '') ? lines[i + 1]!.replace(/^\s+→ /, '') : undefined;
  return { status: m[1]!, detail: m[2]!, ...(fix ? { fix } : {}) };
}

const closedPort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port;
    s.close(() => resolve(port));
  });
});

describe('diag hub: the way to a plain hub', () => {
  it('every step passes; a ping goes round; the hub never counts the probe as the agent', async () => {
    const h = await hub();
    const r = await runCli(['diag', 'hub', '--config', await config({ url: h.url })]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^rackpilot diag hub — ${h.url.replace(/[.]/g, '\\.')} as agent ${AGENT}\\n`));
    expect(step(r.stdout, 'dns')).toEqual({ status: 'skip', detail: '127.0.0.1 is an address (no lookup)' });
    expect(step(r.stdout, 'tcp').detail).toMatch(new RegExp(`^connected to 127\\.0\\.0\\.1:${h.address.port} in \\d+ ms; the hub answers HTTP \\(404\\)$`));
    expect(step(r.stdout, 'tls')).toMatchObject({ status: 'WARN', detail: 'ws:// — no TLS: telemetry and commands travel in clear text' });
    expect(step(r.stdout, 'clock')).toEqual({ status: 'PASS', detail: 'this controller\'s clock matches the hub\'s (within 1 s)' });
    expect(step(r.stdout, 'auth')).toEqual({ status: 'PASS', detail: 'WebSocket upgrade accepted; authenticated by nothing (the hub asks for no credentials)' });
    expect(step(r.stdout, 'round trip').detail).toMatch(/^WebSocket ping answered in \d+\.\d ms; closed without a Hello \(the hub counts no session for the rack\)$/);
    expect(r.stdout).toContain('— the hub is reachable and accepts this agent\n');
    expect(h.racks.size).toBe(0);
    expect(h.isConnected('rack-t1')).toBe(false);
  });

  it('a port nothing listens on (or a firewall rejects): TCP fails, naming host and port; later steps are not run', async () => {
    const port = await closedPort();
    const r = await runCli(['diag', 'hub', '--config', await config({ url: `ws://127.0.0.1:${port}/agent` })]);
    expect(r.code).toBe(1);
    expect(step(r.stdout, 'tcp')).toEqual({
      status: 'FAIL', detail: `127.0.0.1:${port} refused the connection`,
      fix: `the hub is not listening on port ${port} there, or a firewall rejects it: check the hub runs (rackpilot hub --listen) and that TCP ${port} is open from this controller`,
    });
    for (const s of ['tls', 'clock', 'auth', 'round trip']) expect(step(r.stdout, s)).toEqual({ status: 'skip', detail: 'not run: tcp failed' });
    expect(r.stdout).toMatch(/\n1 passed, 1 failed, 6 skipped — first failure: tcp\n/);
  });

  it('a port a firewall drops: no answer to the connection attempt within the timeout', async () => {
    // A listener whose accept queue is full: the kernel drops further SYNs, as a DROP rule does.
    const py = spawn('/usr/bin/python3', ['-c', [
      'import socket,time', 's=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(0)', 'p=s.getsockname()[1]', 'f=[]',
      'for i in range(3):\n c=socket.socket(); c.setblocking(False)\n try: c.connect(("127.0.0.1",p))\n except BlockingIOError: pass\n f.append(c)',
      'print(p, flush=True)', 'time.sleep(60)',
    ].join('\n')]);
    cleanup.push(() => void py.kill());
    const port = await firstLine(py);
    const r = await runCli(['diag', 'hub', '--config', await config({ url: `ws://127.0.0.1:${port}/agent` }), '--timeout', '1000']);
    expect(r.code).toBe(1);
    expect(step(r.stdout, 'tcp')).toEqual({
      status: 'FAIL', detail: `no answer from 127.0.0.1:${port} within 1000 ms (the connection attempt was not answered at all)`,
      fix: `a firewall is dropping TCP ${port} to the hub (site firewall, VLAN ACL, security group): allow it outbound from this controller`,
    });
  });

  it('a hub name that does not resolve: DNS fails first', async () => {
    const r = await runCli(['diag', 'hub', '--config', await config({ url: 'wss://hub.invalid:8700/agent' }), '--timeout', '3000']);
    expect(r.code).toBe(1);
    const dns = step(r.stdout, 'dns');
    expect(dns.status).toBe('FAIL');
    expect(dns.detail).toMatch(/^(hub\.invalid does not resolve \(ENOTFOUND\)|no DNS answer for hub\.invalid \((EAI_AGAIN|ETIMEOUT)\))$/);
    expect(step(r.stdout, 'tcp').detail).toBe('not run: dns failed');
  });

  it('--json: the steps as data', async () => {
    const port = await closedPort();
    const r = await runCli(['diag', 'hub', '--config', await config({ url: `ws://127.0.0.1:${port}/agent` }), '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { ok: boolean; steps: { check: string; status: string }[] };
    expect(j.ok).toBe(false);
    expect(j.steps.map((s) => `${s.check}:${s.status}`)).toEqual(['files:pass', 'identity:skip', 'dns:skip', 'tcp:fail', 'tls:skip', 'clock:skip', 'auth:skip', 'round trip:skip']);
  });
});

describe('diag hub: TLS and authentication', () => {
  const mtls = (o: Record<string, string> = {}) => ({ ca: pki.ca, cert: pki.clients[AGENT]!.cert, key: pki.clients[AGENT]!.key, ...o });

  it('mutual TLS with the site CA and this agent\'s certificate: everything passes', async () => {
    const h = await tlsHub();
    const r = await runCli(['diag', 'hub', '--config', await config({ url: h.url, tls: mtls() })]);
    expect(r.code, r.stdout).toBe(0);
    expect(step(r.stdout, 'files')).toEqual({ status: 'PASS', detail: 'read: CA, client certificate and key' });
    // The test certificates live two days: close enough to expiry for a warning.
    expect(step(r.stdout, 'identity')).toMatchObject({ status: 'WARN', fix: 'renew it before it expires (docs/security.md)' });
    expect(step(r.stdout, 'identity').detail).toMatch(new RegExp(`^client certificate CN=${AGENT}, valid until .+ GMT \\([12] days? left\\)$`));
    expect(step(r.stdout, 'tls').detail).toMatch(/^TLSv1\.3, hub certificate CN=localhost from CN=rackpilot throw-away ca, valid until .+; our client certificate accepted \(HTTP 404\)$/);
    expect(step(r.stdout, 'auth').detail).toBe('WebSocket upgrade accepted; authenticated by client certificate');
    expect(h.racks.size).toBe(0);
  });

  it('the hub\'s certificate is not from the configured CA', async () => {
    const h = await tlsHub();
    const r = await runCli(['diag', 'hub', '--config', await config({ url: h.url, tls: mtls({ ca: rogue.ca }) })]);
    expect(r.code).toBe(1);
    const tls = step(r.stdout, 'tls');
    expect(tls.status).toBe('FAIL');
    expect(tls.detail).toMatch(new RegExp(`^the hub's certificate is not signed by a CA in hub\\.tls\\.ca \\(${rogue.ca.replace(/[.]/g, '\\.')}\\) \\(\\w+\\)$`));
    expect(tls.fix).toBe('set hub.tls.ca to the site CA that issued the hub\'s certificate (docs/security.md)');
  });

  it('the hub wants a client certificate and none is configured', async () => {
    const h = await tlsHub();
    const r = await runCli(['diag', 'hub', '--config', await config({ url: h.url, tls: { ca: pki.ca } })]);
    expect(r.code).toBe(1);
    expect(step(r.stdout, 'tls')).toMatchObject({ status: 'FAIL', detail: 'the hub requires a client certificate and this agent sent none' });
  });

  it('a client certificate from a CA the hub does not trust', async () => {
    const h = await tlsHub();
    const r = await runCli(['diag', 'hub', '--config', await config({ url: h.url, tls: mtls({ cert: rogue.client.cert, key: rogue.client.key }) })]);
    expect(r.code).toBe(1);
    const tls = step(r.stdout, 'tls');
    expect(tls.status).toBe('FAIL');
    expect(tls.detail).toMatch(/^the hub (refused this agent's client certificate|closed the connection right after the handshake)/);
    expect(tls.fix).toBe('hub.tls.cert must be issued by the CA the hub trusts for agents (its --client-ca): docs/security.md');
  });

  it('a certificate issued for another agent: caught before any connection', async () => {
    const r = await runCli(['diag', 'hub', '--config', await config({ url: 'wss://127.0.0.1:1/agent', tls: mtls({ cert: other.cert, key: other.key }) })]);
    expect(r.code).toBe(1);
    expect(step(r.stdout, 'identity')).toEqual({
      status: 'FAIL', detail: `the client certificate is for "some-other-agent", but agent.id is "${AGENT}": the hub would refuse the agent's Hello`,
      fix: `issue hub.tls.cert for CN=${AGENT} (docs/security.md), or correct agent.id`,
    });
    expect(step(r.stdout, 'tcp').detail).toBe('not run: identity failed');
  });

  it('bearer tokens: the right one passes, a wrong one and none get the hub\'s 401', async () => {
    const h = await tlsHub({ tokens: await loadTokenFile(join(dir, 'hub.tokens')), tls: { cert: await readPublicFile(pki.hubCert, 'c'), key: await readSecretFile(pki.hubKey, 'k') } });
    const ok = await runCli(['diag', 'hub', '--config', await config({ url: h.url, tls: { ca: pki.ca }, tokenFile: 'agent.token' })]);
    expect(ok.code, ok.stdout).toBe(0);
    expect(step(ok.stdout, 'auth').detail).toBe('WebSocket upgrade accepted; authenticated by bearer token');
    const wrong = await runCli(['diag', 'hub', '--config', await config({ url: h.url, tls: { ca: pki.ca }, tokenFile: 'wrong.token' })]);
    expect(wrong.code).toBe(1);
    expect(step(wrong.stdout, 'auth')).toEqual({ status: 'FAIL', detail: 'the hub refused the bearer token (HTTP 401)', fix: `hub.tokenFile must hold the token the hub's --token-file lists for ${AGENT}` });
    const none = await runCli(['diag', 'hub', '--config', await config({ url: h.url, tls: { ca: pki.ca } })]);
    expect(step(none.stdout, 'auth')).toMatchObject({ status: 'FAIL', detail: 'the hub requires a bearer token (HTTP 401)' });
    for (const out of [ok, wrong, none]) expect(out.stdout + out.stderr).not.toContain('tok-');
    expect(h.racks.size).toBe(0);
  });

  it('a token file others can read is named before any connection', async () => {
    await writeFile(join(dir, 'loose.token'), `${TOKEN}\n`, { mode: 0o644 });
    const r = await runCli(['diag', 'hub', '--config', await config({ url: 'wss://127.0.0.1:1/agent', tokenFile: 'loose.token' })]);
    expect(r.code).toBe(1);
    expect(step(r.stdout, 'files').detail).toMatch(/^hub\.tokenFile: .*loose\.token is readable by group or others \(mode 0644\); run: chmod 600 /);
  });
});

function firstLine(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('error', reject);
  });
}
