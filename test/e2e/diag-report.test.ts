// `rackpilot diag report` (the bundled CLI) with a running agent on the simulated rack: one
// tar.gz that GNU tar reads, holding the config without its secrets, versions, the agent's
// status, decisions, logs and metrics, and what every device says it is; without an agent it
// says what is missing; a broken config still gives a report (without the config itself).
import { execFile } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../agent/config/load.js';
import type { StatusSnapshot } from '../../agent/local-api/status.js';
import { startAgent, type Agent } from '../../agent/main.js';
import { LogRing } from '../../agent/runtime/log-ring.js';
import { createLogger, nullLogger } from '../../agent/runtime/log.js';
import { startHub, type Hub } from '../../hub/server.js';
import { runCli } from '../support/cli.js';
import { device, startDiagRack, type DiagRack } from '../support/diag-rack.js';
import { tempDir } from '../support/spool.js';
import { until } from '../support/wait.js';

const run = promisify(execFile);
const TOKEN = 'tok-5e1b9c0d7a2f4e3b8c6d1a9f0e2b7c4d';
const SECRETS = ['bos-site-pw', 'wm-site-pw', TOKEN, 'hunter2', 'abc-api-key-123'];
let rack: DiagRack;
let hub: Hub;
let agent: Agent;
let cfg: string;

beforeAll(async () => {
  rack = await startDiagRack();
  hub = await startHub({ host: '127.0.0.1', port: 0, log: nullLogger });
  await writeFile(join(rack.dir, 'agent.token'), `${TOKEN}\n`, { mode: 0o600 });
  cfg = await rack.writeConfig('rack.yaml', (raw) => {
    raw['hub'] = { url: hub.url, tokenFile: 'agent.token' };
    raw['metrics'] = { listen: '127.0.0.1:0', socket: join(rack.dir, 'api.sock') };
    device(raw, 'bos-01')['credentials'] = { password: 'bos-site-pw' };
    const gpu = device(raw, 'gpu-01');
    gpu['prefix'] = [...(gpu['prefix'] as string[]), 'SITE_API_KEY=abc-api-key-123'];
  });
  await writeFile(cfg, `# the root password of the miners is hunter2\n${await readFile(cfg, 'utf8')}`);
  const ring = new LogRing();
  agent = await startAgent(await loadConfig(cfg), { log: createLogger({ level: 'info', sink: ring }), logRing: ring });
  await until(() => agent.status().devices.every((d) => d.lastReadingAgeMs !== null), { timeoutMs: 15_000, what: 'every device read' });
}, 30_000);
afterAll(async () => {
  await agent?.stop();
  await hub?.close();
  await rack?.stop();
});

async function extract(file: string): Promise<{ dir: string; files: Record<string, string> }> {
  const out = await tempDir('rp-report-x-');
  await run('tar', ['-xzf', file, '-C', out]);
  const [top] = await readdir(out);
  const dir = join(out, top!);
  const files: Record<string, string> = {};
  for (const f of await readdir(dir)) files[f] = await readFile(join(dir, f), 'utf8');
  return { dir, files };
}

describe('diag report', () => {
  it('with the agent running: everything support needs in one archive, and no secret in it', async () => {
    const out = join(rack.dir, 'report.tar.gz');
    const r = await runCli(['diag', 'report', '--config', cfg, '--out', out], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*report\.tar\.gz \(\d+\.\d KiB\)\ncontents:\n/);
    expect(r.stdout).toContain('  config.yaml        the config, 2 secret value(s) replaced\n');
    expect(r.stdout).toMatch(/ {2}logs\.jsonl {9}its last \d+ log lines\n/);
    expect(r.stdout).toMatch(/ {2}selftest\.json {6}a read-only selftest: \d+ passed, 3 failed, \d+ warnings\n/);
    expect(r.stdout).toContain('nothing missing');
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const { files } = await extract(out);
    expect(Object.keys(files).sort()).toEqual(['README.txt', 'config-check.txt', 'config.yaml', 'events.json', 'identities.json', 'logs.jsonl', 'metrics.txt', 'selftest.json', 'status.json', 'versions.json']);
    for (const [name, text] of Object.entries(files)) for (const s of SECRETS) expect(text, `${s} in ${name}`).not.toContain(s);
    expect(files['config.yaml']).toContain('password: "[REDACTED]"');
    expect(files['config.yaml']).toContain('tokenFile: agent.token');
    expect(files['config.yaml']).toContain('passwordFile: wm2-01.pw');
    expect(files['config.yaml']).toContain('SITE_API_KEY=[REDACTED]');
    expect(files['config-check.txt']).toBe('valid\n');
    const status = JSON.parse(files['status.json']!) as StatusSnapshot;
    expect(status.agent).toMatchObject({ id: 'rack-t1-agent', pid: process.pid });
    expect((JSON.parse(files['events.json']!) as { type: string }[]).some((e) => e.type === 'control.start')).toBe(true);
    expect(files['logs.jsonl']!.trim().split('\n').every((l) => typeof (JSON.parse(l) as { msg: unknown }).msg === 'string')).toBe(true);
    expect(files['metrics.txt']).toContain('rackpilot_agent_info{');
    const versions = JSON.parse(files['versions.json']!) as { node: string; os: { arch: string }; agent: { pid: number } };
    expect(versions).toMatchObject({ node: process.version, agent: { pid: process.pid } });
    const ids = Object.fromEntries((JSON.parse(files['identities.json']!) as { id: string; identity: Record<string, unknown> }[]).map((d) => [d.id, d.identity]));
    expect(ids['lux-03']).toMatchObject({ firmware: 'LuxOS', model: 'Antminer S19 Pro' });
    expect(ids['pdu-a']).toMatchObject({ profile: 'rackpilot-sim-pdu', 'info.outlets': 12 });
    const selftest = JSON.parse(files['selftest.json']!) as { rows: { subject: string; check: string; status: string; detail: string }[] };
    expect(selftest.rows.find((x) => x.subject === 'lux-03' && x.check === 'wiring')).toMatchObject({ status: 'fail', detail: expect.stringContaining('is it plugged into outlet 9?') as unknown });
    expect(files['README.txt']).toMatch(/^rackpilot support report, \S+, rack rack-t1, config \S+rack\.yaml\n\ncontents:\n/);
    // Never overwritten.
    const again = await runCli(['diag', 'report', '--config', cfg, '--out', out, '--no-probe']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('it exists (never overwritten): choose another --out');
  });

  it('without a running agent, and with --no-probe: what is missing, and why', async () => {
    const offline = await rack.writeConfig('offline.yaml', (raw) => {
      raw['metrics'] = { listen: '127.0.0.1:1' };
    });
    const out = join(rack.dir, 'offline.tar.gz');
    const r = await runCli(['diag', 'report', '--config', offline, '--out', out, '--no-probe']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('missing:\n  status.json, events.json, logs.jsonl, metrics.txt: no agent answers on its local API (not running?); on the controller: journalctl -u rackpilot --since -1h\n  selftest.json, identities.json: left out (--no-probe)\n');
    const { files } = await extract(out);
    expect(Object.keys(files).sort()).toEqual(['README.txt', 'config-check.txt', 'config.yaml', 'versions.json']);
    expect(JSON.parse(files['versions.json']!)).toMatchObject({ agent: null });
  });

  it('a config that is not valid still gives a report: the check says why; a config that is not YAML is left out', async () => {
    const bad = join(rack.dir, 'bad.yaml');
    await writeFile(bad, 'agent: { id: rack-t1-agent, site: s, rack: r }\ndevices:\n  - { id: m1, type: miner, host: 10.0.0.9, credentials: { password: 12345678 }, bogus: 1 }\n');
    const r1 = await runCli(['diag', 'report', '--config', bad, '--out', join(rack.dir, 'bad.tar.gz')]);
    expect(r1.code).toBe(0);
    const { files } = await extract(join(rack.dir, 'bad.tar.gz'));
    expect(files['config-check.txt']).toContain('devices[0].bogus');
    expect(files['config.yaml']).toContain('password: "[REDACTED]"');
    for (const text of Object.values(files)) expect(text).not.toContain('12345678');
    const notYaml = join(rack.dir, 'notyaml.yaml');
    await writeFile(notYaml, 'agent: [unclosed\n  password: hunter2\n');
    const r2 = await runCli(['diag', 'report', '--config', notYaml, '--out', join(rack.dir, 'notyaml.tar.gz')]);
    expect(r2.code).toBe(0);
    expect(r2.stdout).toContain('config.yaml: not valid YAML, left out (it could not be redacted)');
    const x = await extract(join(rack.dir, 'notyaml.tar.gz'));
    expect(x.files['config.yaml']).toBeUndefined();
    for (const text of Object.values(x.files)) expect(text).not.toContain('hunter2');
  });
});
