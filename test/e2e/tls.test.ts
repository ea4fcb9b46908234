// Transport security over real TLS on loopback: mutual TLS, wrong certificates of every kind,
// bearer tokens, identity binding between certificate/token and Hello, signed commands end to
// end, and secrets kept out of logs and telemetry. Certificates come from openssl at test time.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueClient, issueServer, makeCa, makeDevPki, writeSigningKey, type DevPki } from '../../agent/cli/pki.js';
import { configForSim } from '../../agent/cli/sim-config.js';
import { resolveConfig } from '../../agent/config/load.js';
import { ConfigError } from '../../agent/config/shape.js';
import { startAgent, type Agent } from '../../agent/main.js';
import { createLogger } from '../../agent/runtime/log.js';
import { readPublicFile, readSecretFile } from '../../agent/runtime/credentials.js';
import { loadTokenFile } from '../../hub/auth.js';
import { startHub, type Hub, type HubOptions } from '../../hub/server.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { demo } from '../../hw-sim/scenarios/demo.js';
import { tempDir } from '../support/spool.js';
import { until } from '../support/wait.js';

const AGENT = 'rack-demo-agent';
const TOKEN = 'tok-3c1f9a7be2d84e61a0f5c9d2b7e4a813';
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

let dir: string;
let pki: DevPki;
let rogue: { ca: string; client: { cert: string; key: string } };
let wrongName: { cert: string; key: string };
let otherAgent: { cert: string; key: string };
let signing: { privateKey: string; publicKey: string };
let sim: RunningSim;
const logs: string[] = [];
const sink = { write: (l: string) => logs.push(l) };

beforeAll(async () => {
  dir = await tempDir('rp-tls-');
  pki = await makeDevPki(dir, [AGENT]);
  const rogueDir = join(dir, 'rogue');
  await mkdir(rogueDir);
  rogue = { ca: await makeCa(rogueDir), client: await issueClient(rogueDir, AGENT) };
  wrongName = await issueServer(dir, 'wrong-name', ['hub.other.example']);
  otherAgent = await issueClient(dir, 'some-other-agent');
  signing = await writeSigningKey(dir, 'command-signing');
  await writeFile(join(dir, 'agent.token'), `${TOKEN}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'hub.tokens'), `# agent id, token\n${AGENT} ${TOKEN}\nsome-other-agent tok-0000000000000000000000000000\n`, { mode: 0o600 });
  sim = await startSimulator(demo, { basePort: 0 });
}, 60_000);
afterAll(async () => {
  await sim.stop();
});

async function hub(over: Partial<HubOptions> = {}, certs = { cert: pki.hubCert, key: pki.hubKey }): Promise<Hub> {
  const h = await startHub({
    host: '127.0.0.1', port: 0, log: createLogger({ level: 'debug', sink }), api: { host: '127.0.0.1', port: 0 },
    tls: { cert: await readPublicFile(certs.cert, 'cert'), key: await readSecretFile(certs.key, 'key'), clientCa: await readPublicFile(pki.ca, 'ca') },
    ...over,
  });
  cleanup.push(() => h.close());
  return h;
}

async function agent(url: string, hubKeys: Record<string, unknown>): Promise<Agent> {
  const raw = configForSim(sim.endpoints, { hubUrl: url, metricsListen: '127.0.0.1:0', intervalMs: 200, agentId: AGENT });
  Object.assign(raw, { hub: { url, backoffInitialMs: 100, backoffMaxMs: 300, connectTimeoutMs: 2000, ...hubKeys } });
  const a = await startAgent(await resolveConfig(raw, 'test', dir), { log: createLogger({ level: 'debug', sink }), drainMs: 500 });
  cleanup.push(() => a.stop());
  return a;
}

const mtls = (over: Record<string, unknown> = {}) => ({ tls: { ca: pki.ca, cert: pki.clients[AGENT]!.cert, key: pki.clients[AGENT]!.key, ...over } });

/** The link stays down; resolves with its last error once it has tried a few times. */
async function refused(a: Agent): Promise<string> {
  await until(() => a.link!.stats.connects >= 3, { what: 'three connection attempts' });
  expect(a.link!.stats.handshakes).toBe(0);
  return a.link!.stats.lastError;
}

async function postPing(h: Hub): Promise<{ status: string; message: string }> {
  const api = h.apiAddress!;
  const res = await fetch(`http://${api.host}:${api.port}/api/racks/rack-demo/commands`, { method: 'POST', body: JSON.stringify({ action: 'ping', payload: 'hello' }) });
  return (await res.json()) as { status: string; message: string };
}

describe('mutual TLS', () => {
  it('agent and hub talk over mutual TLS; signed commands go through; the API is not on the agent port', async () => {
    const h = await hub({ signingKey: createPrivateKey((await readSecretFile(signing.privateKey, 'k')).reveal()) });
    expect(h.url).toMatch(/^wss:/);
    const a = await agent(h.url, { ...mtls(), commandKeys: [signing.publicKey] });
    await until(() => a.stats().batchesAcked >= 2, { what: 'acked batches over mTLS' });
    expect(a.security).toBe('mutual TLS, signed commands');
    expect(await postPing(h)).toMatchObject({ status: 'ok', message: 'pong hello' });
    // The agent port (here with a valid client certificate) does not serve the unauthenticated API.
    const onAgentPort = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsGet({ host: '127.0.0.1', port: h.address.port, path: '/api/racks', ca: pki.ca && readFileSync(pki.ca), cert: readFileSync(pki.clients[AGENT]!.cert), key: readFileSync(pki.clients[AGENT]!.key) }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    expect(onAgentPort.status).toBe(404);
    expect(onAgentPort.body).toMatch(/--api-listen/);
  });

  it('refuses a hub whose certificate chains to a CA the agent does not trust', async () => {
    const h = await hub();
    const a = await agent(h.url, mtls({ ca: rogue.ca }));
    expect(await refused(a)).toMatch(/self.signed|unable to verify|certificate/i);
  });

  it('refuses a hub certificate for another host name, unless serverName says which name to expect', async () => {
    const h = await hub({}, wrongName);
    const a = await agent(h.url, mtls());
    expect(await refused(a)).toMatch(/altnames|does not match|Hostname/i);
    const b = await agent(h.url, mtls({ serverName: 'hub.other.example' }));
    await until(() => b.link!.state === 'up', { what: 'link up with serverName' });
  });

  it('the hub refuses an agent without a client certificate, or with one from another CA', async () => {
    const h = await hub();
    const none = await agent(h.url, { tls: { ca: pki.ca } });
    expect(await refused(none)).toMatch(/certificate required/);
    const foreign = await agent(h.url, mtls({ cert: rogue.client.cert, key: rogue.client.key }));
    expect(await refused(foreign)).toMatch(/unknown ca|socket hang up|ECONNRESET/i);
    const m = await (await fetch(`http://${h.apiAddress!.host}:${h.apiAddress!.port}/metrics`)).text();
    expect(m).toMatch(/rackpilot_hub_frames_rejected_total\{reason="tls"\} [1-9]/);
    expect(h.racks.size).toBe(0);
  });

  it('a valid certificate for another agent id cannot speak for this one', async () => {
    const h = await hub();
    const a = await agent(h.url, mtls({ cert: otherAgent.cert, key: otherAgent.key }));
    await until(() => a.link!.stats.connects >= 2, { what: 'reconnects' });
    expect(a.link!.stats.lastError).toMatch(/1008.*certificate is for "some-other-agent"/);
    expect(h.racks.size).toBe(0);
  });
});

describe('bearer tokens', () => {
  it('a token from a 0600 file lets the agent in; a wrong or missing token gets 401; a token for another agent gets 1008', async () => {
    const h = await hub({ tls: undefined, tokens: await loadTokenFile(join(dir, 'hub.tokens')) });
    const ok = await agent(h.url, { tokenFile: join(dir, 'agent.token') });
    await until(() => ok.link!.state === 'up', { what: 'link up with token' });
    expect(ok.security).toBe('no TLS, bearer token, unsigned ping/rebirth only');
    await ok.stop();
    const none = await agent(h.url, {});
    expect(await refused(none)).toMatch(/401/);
    await writeFile(join(dir, 'wrong.token'), 'tok-ffffffffffffffffffffffffffffffff', { mode: 0o600 });
    expect(await refused(await agent(h.url, { tokenFile: join(dir, 'wrong.token') }))).toMatch(/401/);
    await writeFile(join(dir, 'other.token'), 'tok-0000000000000000000000000000', { mode: 0o600 });
    const other = await agent(h.url, { tokenFile: join(dir, 'other.token') });
    await until(() => /bearer token is for "some-other-agent"/.test(other.link!.stats.lastError), { what: 'identity mismatch' });
  });

  it('refuses token and key files that group or others can read, naming the setting', async () => {
    await writeFile(join(dir, 'loose.token'), TOKEN);
    await chmod(join(dir, 'loose.token'), 0o644);
    const raw = configForSim(sim.endpoints, { hubUrl: 'ws://127.0.0.1:1/agent', metricsListen: '127.0.0.1:0', agentId: AGENT });
    Object.assign(raw, { hub: { url: 'ws://127.0.0.1:1/agent', tokenFile: 'loose.token' } });
    const err = await startAgent(await resolveConfig(raw, 'rack.yaml', dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(`rack.yaml: hub.tokenFile: ${join(dir, 'loose.token')} is readable by group or others (mode 0644); run: chmod 600 ${join(dir, 'loose.token')}`);
    await chmod(pki.clients[AGENT]!.key, 0o640);
    try {
      Object.assign(raw, { hub: { url: 'wss://127.0.0.1:1/agent', ...mtls() } });
      const e2 = await startAgent(await resolveConfig(raw, 'rack.yaml', dir)).catch((e: unknown) => e);
      expect((e2 as ConfigError).issues[0]?.path).toBe('hub.tls.key');
    } finally {
      await chmod(pki.clients[AGENT]!.key, 0o600);
    }
  });
});

describe('signed commands end to end', () => {
  it('an agent with a command key refuses the commands of a hub that does not sign, or signs with another key', async () => {
    const unsigned = await hub();
    const a = await agent(unsigned.url, { ...mtls(), commandKeys: [signing.publicKey] });
    await until(() => unsigned.isConnected('rack-demo'));
    expect(await postPing(unsigned)).toMatchObject({ status: 'rejected', message: expect.stringMatching(/unsigned command/) as string });
    await until(() => unsigned.racks.get('rack-demo')!.events.some((e) => e.type === 'command.rejected' && e.attrs['reason'] === 'unsigned'), { what: 'rejection event at the hub' });
    await a.stop();

    const impostor = await hub({ signingKey: generateKeyPairSync('ed25519').privateKey });
    await agent(impostor.url, { ...mtls(), commandKeys: [signing.publicKey] });
    await until(() => impostor.isConnected('rack-demo'));
    expect(await postPing(impostor)).toMatchObject({ status: 'rejected', message: expect.stringMatching(/does not verify/) as string });
  });
});

describe('secrets stay out of logs and telemetry', () => {
  it('no token or private key appears in any log line, the hub API, or the agent metrics', async () => {
    const keyPem = (await readSecretFile(pki.clients[AGENT]!.key, 'k')).reveal();
    const keyBody = keyPem.split('\n')[1]!; // a line of the base64 body
    const tokenHub = await hub({ tokens: await loadTokenFile(join(dir, 'hub.tokens')) });
    const a = await agent(tokenHub.url, { ...mtls(), tokenFile: join(dir, 'agent.token') });
    await until(() => a.stats().batchesAcked >= 1, { what: 'acked batch' });
    const api = tokenHub.apiAddress!;
    const seen = [
      ...logs,
      await (await fetch(`http://${api.host}:${api.port}/api/racks/rack-demo`)).text(),
      await (await fetch(`http://${api.host}:${api.port}/metrics`)).text(),
      await (await fetch(`http://127.0.0.1:${a.metricsAddress!.port}/metrics`)).text(),
      JSON.stringify(a.config),
    ].join('\n');
    expect(logs.length).toBeGreaterThan(10);
    expect(seen).not.toContain(TOKEN);
    expect(seen).not.toContain(keyBody);
  });
});
