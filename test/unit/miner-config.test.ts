// `type: miner` in rack.yaml: defaults, errors with path and reason, credentials from the file or
// a password file, and Secrets that never print.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../agent/config/load.js';
import { Secret } from '../../agent/config/secret.js';
import { ConfigError } from '../../agent/config/shape.js';
import type { ResolvedMiner } from '../../agent/drivers/miner/family.js';
import { createLogger } from '../../agent/runtime/log.js';

const head = 'agent: { id: a1, site: s1, rack: r1 }\ndevices:\n';

async function load(yaml: string, files: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'rp-miner-cfg-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  await writeFile(join(dir, 'rack.yaml'), head + yaml);
  return loadConfig(join(dir, 'rack.yaml'));
}

async function issues(yaml: string, files: Record<string, string> = {}): Promise<string[]> {
  try {
    await load(yaml, files);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.reason}`);
    throw err;
  }
}

describe('miner config', () => {
  it('fills defaults: RPC 4028, firmware auto, polled every 10 s, stale after 30 s, load class miner', async () => {
    const { config } = await load('  - { id: m1, type: miner, host: 10.0.7.12 }\n');
    expect(config.devices[0]).toMatchObject({
      id: 'm1', type: 'miner', host: '10.0.7.12', port: 4028, httpPort: 80, v3Port: 4433, firmware: 'auto', timeoutMs: 5000, connectTimeoutMs: 3000,
      pollIntervalMs: 10_000, staleAfterMs: 30_000, concurrency: 32, boards: 3, fans: 4, breaker: { failures: 3, openMs: 30_000 }, load: { class: 'miner', priority: 0 },
    });
  });

  it('rejects unknown keys and bad values with the path and one reason', async () => {
    expect(await issues('  - { id: m1, type: miner, host: 10.0.7.12, pollInterval: 5000 }\n')).toEqual(['devices[0].pollInterval: unknown key (did you mean "pollIntervalMs"?)']);
    expect(await issues('  - { id: m1, type: miner, host: 10.0.7.12, firmware: hiveon }\n')).toEqual([expect.stringMatching(/^devices\[0\]\.firmware: must be one of auto, antminer, braiins, luxos, whatsminer-v2, whatsminer-v3, vnish/)]);
    expect(await issues('  - { id: m1, type: miner, host: "10.0.7.12:4028" }\n')).toEqual([expect.stringMatching(/^devices\[0\]\.host: must be a host name or IP address \(ports go in port/)]);
    expect(await issues('  - { id: m1, type: miner, host: h, pollIntervalMs: 20000, staleAfterMs: 10000 }\n')).toEqual(['devices[0]: staleAfterMs (10000) must be at least pollIntervalMs (20000)']);
    expect(await issues('  - { id: m1, type: miner, host: h, powerTargetW: { minW: 3000, maxW: 2000 } }\n')).toEqual(['devices[0].powerTargetW: minW must not exceed maxW']);
  });

  it('credentials: a password or a password file, not both, not neither', async () => {
    expect(await issues('  - { id: m1, type: miner, host: h, credentials: { user: root } }\n')).toEqual(['devices[0].credentials: needs password or passwordFile']);
    expect(await issues('  - { id: m1, type: miner, host: h, credentials: { password: a, passwordFile: f } }\n')).toEqual(['devices[0].credentials: give password or passwordFile, not both']);
    expect(await issues('  - { id: m1, type: miner, host: h, credentials: { passwordFile: missing.txt } }\n')).toEqual(['devices[0].credentials.passwordFile: cannot read missing.txt: ENOENT']);
    expect(await issues('  - { id: m1, type: miner, host: h, credentials: { passwordFile: empty.txt } }\n', { 'empty.txt': '\n' })).toEqual(['devices[0].credentials.passwordFile: empty.txt is empty']);
  });

  it('reads the password file relative to the config file, into a Secret', async () => {
    const { resolved } = await load('  - { id: m1, type: miner, host: h, credentials: { user: admin, passwordFile: wm.pw } }\n', { 'wm.pw': 'hunter2-wm\nignored\n' });
    const r = resolved.get('m1') as ResolvedMiner;
    expect(r.password).toBeInstanceOf(Secret);
    expect(r.password?.reveal()).toBe('hunter2-wm');
  });

  it('a password in the file never prints: JSON, inspect, template strings, log lines', async () => {
    const { config } = await load('  - { id: m1, type: miner, host: h, credentials: { password: "hunter2-inline" } }\n');
    const d = config.devices[0]!;
    const lines: string[] = [];
    createLogger({ level: 'debug', sink: { write: (l: string) => lines.push(l) } }).info('config', { device: d });
    for (const text of [JSON.stringify(config), inspect(config, { depth: 10 }), `${String((d as { credentials?: { password?: Secret } }).credentials?.password)}`, lines.join('')]) {
      expect(text).not.toContain('hunter2-inline');
      expect(text).toContain('[REDACTED]');
    }
  });
});
