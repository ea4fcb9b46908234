// The local status API (GET /status, /logs) of a real agent polling the simulated rack, and
// `rackpilot diag status` (the bundled CLI) reading it: one JSON snapshot, one text frame, the
// live view until Ctrl-C, the agent found through its config's unix socket, and a clear error
// when no agent runs.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configForSim } from '../../agent/cli/sim-config.js';
import { loadConfig, resolveConfig } from '../../agent/config/load.js';
import type { StatusSnapshot } from '../../agent/local-api/status.js';
import { startAgent, type Agent } from '../../agent/main.js';
import { FakeClock } from '../../agent/runtime/clock.js';
import { LogRing } from '../../agent/runtime/log-ring.js';
import { createLogger, nullLogger } from '../../agent/runtime/log.js';
import { startHub, type Hub } from '../../hub/server.js';
import { startSimulator } from '../../hw-sim/run.js';
import { simPdu } from '../../hw-sim/scenarios/types.js';
import { bundlePath, runCli, startCli, waitExit } from '../support/cli.js';
import { startDiagRack, type DiagRack } from '../support/diag-rack.js';
import { until } from '../support/wait.js';

let rack: DiagRack;
let hub: Hub;
let agent: Agent;
let cfg: string;
let sock: string;
const ring = new LogRing();
const api = (): string[] => ['--api', `127.0.0.1:${agent.metricsAddress!.port}`];

beforeAll(async () => {
  rack = await startDiagRack();
  hub = await startHub({ host: '127.0.0.1', port: 0, log: nullLogger });
  sock = join(rack.dir, 'rackpilot.sock');
  cfg = await rack.writeConfig('rack.yaml', (raw) => {
    raw['hub'] = { url: hub.url };
    raw['spool'] = { dir: 'spool' };
    raw['metrics'] = { listen: '127.0.0.1:0', socket: sock };
    raw['control'] = { rackKw: 15 };
  });
  agent = await startAgent(await loadConfig(cfg), { log: createLogger({ level: 'info', sink: ring }), logRing: ring });
  // Every device read once (miners on their own 10 s group: its first cycle runs at start).
  await until(() => agent.status().devices.every((d) => d.lastReadingAgeMs !== null) && agent.stats().linkState === 'up', { timeoutMs: 15_000, what: 'every device read and the hub link up' });
}, 30_000);
afterAll(async () => {
  await agent?.stop();
  await hub?.close();
  await rack?.stop();
});

function get(path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ socketPath: sock, path, method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('GET /status and /logs', () => {
  it('/status is the agent\'s state as JSON: circuits, every device, control, hub link', async () => {
    const r = await get('/status');
    expect(r.status).toBe(200);
    const s = JSON.parse(r.body) as StatusSnapshot;
    expect(s.schema).toBe(1);
    expect(s.agent).toMatchObject({ id: 'rack-t1-agent', rack: 'rack-t1', pid: process.pid });
    expect(s.devices.map((d) => d.id)).toEqual(['pdu-a', 'pdu-x', 'bos-01', 'wm2-01', 'lux-03', 'gpu-01']);
    const truth = rack.sim.sim.readings('pdu-a');
    expect(s.circuits.find((c) => c.id === 'pdu-a.L1')).toMatchObject({ limitA: 25.6, breakerA: 32, quality: 'ok' });
    expect(s.circuits.find((c) => c.id === 'pdu-a.L1')!.currentA).toBeCloseTo(truth.phases[0]!.currentA, 1);
    expect(s.outlets.find((p) => p.pdu === 'pdu-a')!.outlets[8]).toMatchObject({ outlet: '9', on: true });
    expect(s.devices.find((d) => d.id === 'lux-03')).toMatchObject({ kind: 'miner', health: 'up', miner: { firmware: 'LuxOS', state: 'mining', targetW: 3250 } });
    expect(s.devices.find((d) => d.id === 'pdu-x')!.problems[0]).toMatchObject({ quality: 'unsupported' });
    expect(s.control).toMatchObject({ budgetW: 15_000, budgetSource: 'local cap', lease: null, gridEvents: [] });
    expect(s.hub).toMatchObject({ url: hub.url, state: 'up', security: expect.stringContaining('no TLS') as unknown });
    expect(s.events.some((e) => e.type === 'control.start')).toBe(true);
  });

  it('/logs: the agent\'s recent log lines as JSON lines, newest last; n and level filter; bad input is a 400', async () => {
    const all = await get('/logs?n=5');
    expect(all.status).toBe(200);
    const lines = all.body.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(lines.every((l) => typeof (JSON.parse(l) as { msg: string }).msg === 'string')).toBe(true);
    expect(lines).toEqual(ring.lines({ n: 5 }).slice(-lines.length));
    const warn = await get('/logs?level=warn&n=50');
    expect(warn.body).toContain('no command keys configured');
    expect(warn.body.trim().split('\n').every((l) => ['warn', 'error'].includes((JSON.parse(l) as { level: string }).level))).toBe(true);
    expect((await get('/logs?n=0')).status).toBe(400);
    expect((await get('/logs?level=loud')).status).toBe(400);
    for (const p of ['/bos-01.pw', '/logs']) expect((await get(p)).body).not.toContain('not-the-password');
  });

  it('is read-only: anything but GET is refused', async () => {
    for (const m of ['POST', 'PUT', 'DELETE']) expect(await get('/status', m)).toEqual({ status: 405, body: 'method not allowed: the local API is read-only\n' });
  });

  it('a status request asks no device anything: it is built from what the agent already holds', async () => {
    // A PDU of its own, so that only this agent talks to it.
    const own = await startSimulator({ name: 'still', description: 'one PDU', pdus: [simPdu('pdu-s', { outlets: 4 })], loads: [], timeline: [] }, { basePort: 0, manual: true });
    const raw = configForSim(own.endpoints, { metricsListen: '127.0.0.1:0' });
    const clock = new FakeClock(Date.now());
    const still = await startAgent(await resolveConfig(raw, 'still', rack.dir), { log: nullLogger, clock });
    try {
      const server = own.server('pdu-s');
      // The first cycle runs at start; the fake clock never brings the next one.
      await until(() => still.status().devices[0]!.lastReadingAgeMs !== null, { what: 'the first poll' });
      const before = server.stats.requests;
      for (let i = 0; i < 20; i++) await runStatus(still);
      expect(server.stats.requests).toBe(before);
      expect(before).toBeGreaterThan(0);
    } finally {
      await still.stop();
      await own.stop();
    }
  });
});

async function runStatus(a: Agent): Promise<void> {
  const r = await new Promise<number>((resolve, reject) => request({ host: '127.0.0.1', port: a.metricsAddress!.port, path: '/status' }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode ?? 0));
  }).on('error', reject).end());
  expect(r).toBe(200);
}

describe('rackpilot diag status', () => {
  it('--json prints one snapshot and exits 0', async () => {
    const r = await runCli(['diag', 'status', '--json', ...api()]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as StatusSnapshot;
    expect(s.agent.id).toBe('rack-t1-agent');
    expect(s.devices).toHaveLength(6);
  });

  it('--once through the config\'s unix socket: the whole view as plain text', async () => {
    const r = await runCli(['diag', 'status', '--config', cfg, '--once']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).not.toContain('\x1b[');
    expect(out).toMatch(new RegExp(`^rackpilot diag status — rack-t1 \\(agent rack-t1-agent [^,]+, up [^)]+\\) · ${sock.replace(/[.]/g, '\\.')} · \\d\\d:\\d\\d:\\d\\d UTC\\n`));
    expect(out).toMatch(/\nRack power {2}[█░]+ \d+\.\d\d kW \/ 15\.00 kW \(local cap\) \d+ % \(at least: pdu-x unknown\)\n/);
    expect(out).toMatch(/\n {2}pdu-a\.L1 +[█░]+ +\d+\.\d A \/ 25\.6 A +\d+ %\n/);
    expect(out).toMatch(/\nOutlets pdu-a \(W; · = off\)\n/);
    expect(out).toMatch(/\n {2}lux-03 +miner up +\d+\.\d s +\d+\/\d+ +3\.\d\d kW {2}LuxOS +mining +1\d\d\.\d TH\/s {2}target 3250 W\n/);
    expect(out).toMatch(/\n {2}pdu-x +pdu +down .*\n {11}↳ unsupported ×\d+: modbus_exception: exception 2 \(illegal data address\)\n/);
    expect(out).toMatch(/\n {2}bos-01 +miner degraded .*target 2760 W\n {11}↳ miner\/details: \/api\/v1\/auth\/login: HTTP 401 \(check the miner credentials\)\n/);
    expect(out).toMatch(/\n {2}gpu-01 +gpu +up .* 1\.\d\d kW\n/);
    expect(out).toMatch(/\nControl {2}rack budget 15\.00 kW \(local cap\)/);
    expect(out).toMatch(new RegExp(`\\nHub  up since \\d\\d:\\d\\d:\\d\\d  ${hub.url.replace(/[.]/g, '\\.')}\\n  samples sent \\d+  acked \\d+  · batches sent \\d+  acked \\d+  · backlog \\d+ batches.*\\n  spool spool: \\d+ segments, \\d+\\.\\d KiB on disk\\n`));
    expect(out).toContain('\nEvents (decisions with their reasons, newest last)\n');
    expect(out).toContain('\nLog (warnings)\n');
  });

  it('live: a new frame every second until Ctrl-C; plain frames one after another when not a terminal', async () => {
    const { child, output } = await startCli(['diag', 'status', ...api()], /Ctrl-C stops[\s\S]*Ctrl-C stops/, { timeoutMs: 10_000 });
    child.kill('SIGINT');
    expect(await waitExit(child)).toBe(0);
    const frames = output().split('rackpilot diag status — ').slice(1);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(output()).not.toContain('\x1b');
    const times = frames.map((f) => /(\d\d:\d\d:\d\d) UTC/.exec(f)![1]);
    expect(new Set(times).size).toBe(frames.length); // each frame is a fresh snapshot
  });

  it('on a terminal (a pty, as over SSH): colours and a cleared screen per frame, no alternate screen; NO_COLOR turns colours off', async () => {
    // util-linux script(1) runs the command on a pseudo-terminal, as sshd does.
    const onPty = (cmd: string, env: NodeJS.ProcessEnv = {}): Promise<string> => new Promise((resolve) => {
      execFile('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, TERM: 'xterm', ...env }, timeout: 15_000 }, (_err, stdout) => resolve(stdout));
    });
    const cli = `${process.execPath} ${bundlePath()} diag status --api 127.0.0.1:${agent.metricsAddress!.port}`;
    const once = await onPty(`${cli} --once`);
    expect(once).toContain('\x1b[1mrackpilot diag status\x1b[0m');
    expect(once).toContain(`\x1b[32m${'up'.padEnd(8)}\x1b[0m`); // device health in green
    const plain = await onPty(`${cli} --once`, { NO_COLOR: '1' });
    expect(plain).toContain('rackpilot diag status — rack-t1');
    expect(plain).not.toContain('\x1b[');
    const live = await onPty(`timeout -s INT 2.5 ${cli}`);
    expect(live.split('\x1b[H\x1b[2J').length).toBeGreaterThanOrEqual(3); // two frames or more, each on a cleared screen
    expect(live).not.toContain('\x1b[?1049h'); // no alternate screen: the last frame stays in the scrollback
  });

  it('a lease, a grid event and the controller\'s decisions with their reasons', async () => {
    const now = Date.now();
    agent.control!.hub.setLease({ id: 'L-7', kw: 8, ttlMs: 300_000 }, now);
    agent.control!.hub.gridEvent({ id: 'dr-1', targetKw: 6, startInMs: 600_000, durationMs: 600_000, cancel: false }, now);
    await until(() => agent.recentEvents.some((e) => e.type === 'control.shed'), { timeoutMs: 10_000, what: 'a shed under the 8 kW lease' });
    const r = await runCli(['diag', 'status', '--once', ...api()]);
    expect(r.stdout).toMatch(/\nControl {2}rack budget 8\.00 kW \(lease L-7\)/);
    expect(r.stdout).toMatch(/\n {2}lease L-7: rack ≤ 8 kW, [45] min left\n/);
    expect(r.stdout).toMatch(/\n {2}grid event dr-1: rack ≤ 6 kW from 10 min from now, until \d\d:\d\d:\d\d\n/);
    expect(r.stdout).toMatch(/\n {2}\d\d:\d\d:\d\d control\.shed +\S+ .* → .*: rack at /);
  });

  it('no agent: a clear error naming the address and how to check, exit 1', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const r = await runCli(['diag', 'status', '--api', `127.0.0.1:${closed}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`rackpilot diag status: no agent answers on 127.0.0.1:${closed} (connection refused) — is rackpilot running? systemctl status rackpilot\n`);
    const s = await runCli(['diag', 'status', '--socket', join(rack.dir, 'nothing.sock'), '--json']);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('nothing.sock (no such socket) — is rackpilot running?');
    const bad = await runCli(['diag', 'status', '--api', 'localhost']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--api must be HOST:PORT');
  });
});
