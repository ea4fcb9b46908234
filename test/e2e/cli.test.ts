// The bundled CLI as users run it: `node dist/rackpilot.cjs …` from another directory.
import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, waitExit } from '../support/cli.js';
import { tempDir } from '../support/spool.js';
import { until } from '../support/wait.js';

const ROOT = join(import.meta.dirname, '../..');

describe('rackpilot CLI', () => {
  it('prints help for every subcommand with its usage and the exit codes', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    const names = ['agent', 'sim', 'hub', 'demo', 'config check', 'keygen', 'diag modbus read', 'diag modbus raw', 'diag modbus scan',
      'diag miner probe', 'diag miner set', 'diag gpu', 'diag status', 'diag selftest', 'diag hub', 'diag report'];
    // one line per command: its name, at least two spaces, its summary
    for (const c of names) expect(top.stdout).toMatch(new RegExp(`^  ${c} {2,}\\S`, 'm'));
    for (const c of names.map((n) => n.split(' '))) {
      const r = await runCli([...c, '--help']);
      expect(r.code, c.join(' ')).toBe(0);
      expect(r.stdout).toContain(`usage: rackpilot ${c.join(' ')}`);
      expect(r.stdout).toContain('exit codes: 0 ok, 1 runtime failure, 2 bad usage or config');
    }
  });

  it('bad usage exits 2 with a clear message', async () => {
    expect((await runCli([])).code).toBe(2);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const flag = await runCli(['demo', '--durtion', '3']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('unknown option --durtion');
    expect((await runCli(['demo', '--duration', 'soon'])).stderr).toContain('--duration must be a number');
    expect((await runCli(['config'])).code).toBe(2);
    expect((await runCli(['agent'])).stderr).toContain('--config FILE is required');
  });

  it('config check: 0 for the example config, 2 with path and reason for a bad one', async () => {
    const ok = await runCli(['config', 'check', join(ROOT, 'examples/rack.yaml')], { cwd: tmpdir() });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/rack\.yaml: ok — agent rack-a01-agent .* 2 device\(s\)/); // the PDU and the controller host
    const dir = await mkdtemp(join(tmpdir(), 'rp-cli-'));
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, (await readFile(join(ROOT, 'examples/rack.yaml'), 'utf8')).replace('port: 5020', 'port: 99999').replace('intervalMs: 1000', 'intervalMs: 1000\n  jitter: 5'));
    const r = await runCli(['config', 'check', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: poll.jitter: unknown key`);
    expect(r.stderr).toContain(`${bad}: devices[0].transport.port: must be ≤ 65535 (got 99999)`);
    const agent = await runCli(['agent', '--config', bad]);
    expect(agent.code).toBe(2);
    expect(agent.stderr).toContain('devices[0].transport.port');
    const missing = await runCli(['config', 'check', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read config: ENOENT');
  });

  it('demo --duration 4 --json: hub and agent over mutual TLS, a signed command answered, samples sent and acked', async () => {
    const r = await runCli(['demo', '--duration', '4', '--json'], { cwd: tmpdir(), timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout.trim()) as Record<string, number & unknown[]>;
    expect(s['samplesSent']).toBeGreaterThan(100);
    expect(s['samplesAcked']).toBe(s['samplesSent']);
    expect(s['embeddedHub']).toBe(true);
    expect(s['hubRacks']).toEqual([expect.objectContaining({ rack: 'rack-demo', samples: s['samplesAcked'], duplicates: 0 })]);
    expect(s['hub']).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/agent$/);
    expect(s['security']).toMatchObject({ tls: true, mutualTls: true, signedCommands: true });
    expect(s['commands']).toMatchObject({ sent: 1, ok: 1, refused: 0, agentAccepted: 1, agentRejected: 0 });
  });

  it('keygen writes an Ed25519 pair (private key 0600) and never overwrites; the hub refuses loose key files', async () => {
    const dir = await tempDir('rp-keys-');
    const r = await runCli(['keygen', '--out', dir, '--name', 'hub-sign']);
    expect(r.code, r.stderr).toBe(0);
    expect(((await stat(join(dir, 'hub-sign.key'))).mode & 0o777).toString(8)).toBe('600');
    expect(await readFile(join(dir, 'hub-sign.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const again = await runCli(['keygen', '--out', dir, '--name', 'hub-sign']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists already; not overwriting/);
    await chmod(join(dir, 'hub-sign.key'), 0o644);
    const hub = await runCli(['hub', '--listen', '127.0.0.1:0', '--signing-key', join(dir, 'hub-sign.key')]);
    expect(hub.code).toBe(2);
    expect(hub.stderr).toContain(`--signing-key: ${join(dir, 'hub-sign.key')} is readable by group or others (mode 0644); run: chmod 600`);
    const noTls = await runCli(['hub', '--client-ca', join(dir, 'hub-sign.pub')]);
    expect(noTls.code).toBe(2);
    expect(noTls.stderr).toContain('--client-ca needs --tls-cert and --tls-key');
  });

  it('sim + hub + agent as separate processes, wired by sim --write-config; the agent stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rp-e2e-'));
    const hub = await startCli(['hub', '--listen', '127.0.0.1:0'], /"url":"(ws:\/\/127\.0\.0\.1:\d+\/agent)"/);
    const hubUrl = hub.match[1]!;
    const cfg = join(dir, 'rack.yaml');
    const sim = await startCli(['sim', '--port-base', '0', '--write-config', cfg, '--hub', hubUrl], /wrote /, { cwd: dir });
    try {
      expect((await runCli(['config', 'check', cfg])).code).toBe(0);
      // the written config listens for metrics on 9464; use a free port instead
      await writeFile(cfg, (await readFile(cfg, 'utf8')).replace('127.0.0.1:9464', '127.0.0.1:0'));
      const agent = await startCli(['agent', '--config', cfg], /"msg":"hub link up"/);
      const api = hubUrl.replace('ws://', 'http://').replace('/agent', '/api/racks/rack-demo');
      const rack = await until(async () => {
        const r = (await (await fetch(api)).json()) as { counters?: { samples: number }; latest?: Record<string, { value: number | null }> };
        // every device reports on its own schedule: wait for the PDU's series, not a sample count
        return (r.counters?.samples ?? 0) > 200 && r.latest?.['pdu-a/phase.voltage/L1'] !== undefined ? r : undefined;
      }, { what: 'PDU samples at the hub' });
      expect(rack.latest?.['pdu-a/phase.voltage/L1']?.value).toBeGreaterThan(200);
      agent.child.kill('SIGTERM');
      expect(await waitExit(agent.child)).toBe(0);
      expect(agent.output()).toContain('"msg":"agent stopped"');
    } finally {
      sim.child.kill('SIGINT');
      hub.child.kill('SIGINT');
      expect(await waitExit(sim.child)).toBe(0);
      expect(await waitExit(hub.child)).toBe(0);
    }
  });
});
