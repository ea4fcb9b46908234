import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveConfig } from '../../agent/config/load.js';
import { ConfigError } from '../../agent/config/shape.js';
import { familyOf } from '../../agent/drivers/families.js';
import type { ResolvedModbus } from '../../agent/drivers/pdu/family.js';
import { createDriverDeps, rackPowerDevices } from '../../agent/main.js';
import { systemClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';

const ROOT = join(import.meta.dirname, '../..');

async function issuesOf(yaml: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'rp-cfg-'));
  const f = join(dir, 'rack.yaml');
  await writeFile(f, yaml);
  try {
    await loadConfig(f);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.reason}`);
    throw err;
  }
  return [];
}

const base = `
agent: { id: a1, site: s1, rack: r1 }
devices:
  - id: pdu-a
    type: modbus
    profile: rackpilot-sim-pdu
    outlets: 24
    transport: { type: tcp, host: 127.0.0.1 }
`;

describe('config', () => {
  it('the example config in the repo is valid and fully resolved', async () => {
    const { config, resolved } = await loadConfig(join(ROOT, 'examples/rack.yaml'));
    expect(config.agent.id).toBe('rack-a01-agent');
    expect(config.hub?.url).toBe('ws://127.0.0.1:8700/agent');
    expect(config.devices[0]).toMatchObject({ id: 'pdu-a', type: 'modbus', unit: 1, outlets: 24, transport: { type: 'tcp', host: '127.0.0.1', port: 5020 } });
    expect((resolved.get('pdu-a') as ResolvedModbus).profile.name).toBe('rackpilot-sim-pdu');
    expect(config.metrics.listen).toEqual({ host: '127.0.0.1', port: 9464 });
  });

  it('fills defaults', async () => {
    expect(await issuesOf(base)).toEqual([]);
    const dir = await mkdtemp(join(tmpdir(), 'rp-cfg-'));
    await writeFile(join(dir, 'r.yaml'), base);
    const { config, resolved } = await loadConfig(join(dir, 'r.yaml'));
    expect(config.poll).toEqual({ intervalMs: 1000, staleAfterMs: 3000 });
    expect(config.devices[0]).toMatchObject({ timeoutMs: 500, busyRetries: 1, outletSwitching: false, inrushSpacingMs: 100, transport: { port: 502, maxInFlight: 1, tid: 'strict' } });
    expect((resolved.get('pdu-a') as ResolvedModbus).unit).toBe(1); // the profile's default unit
    expect(config.hub).toBeUndefined();
    expect(config.metrics).toEqual({ enabled: true, listen: { host: '127.0.0.1', port: 9464 }, socketMode: 0o660, allowRemote: false });
    expect(config.spool).toBeUndefined();
  });

  it('rejects unknown keys with their path and a suggestion', async () => {
    expect(await issuesOf(base + 'pol: { intervalMs: 5 }\n')).toEqual(['pol: unknown key (did you mean "poll"?)']);
    expect(await issuesOf(base.replace('outlets: 24', 'outlets: 24\n    outlet: 3'))).toEqual(['devices[0].outlet: unknown key (did you mean "outlets"?)']);
  });

  it('rejects bad values with the path and a one-line reason', async () => {
    expect(await issuesOf(base.replace('host: 127.0.0.1', 'host: 127.0.0.1, port: 70000'))).toEqual(['devices[0].transport.port: must be ≤ 65535 (got 70000)']);
    expect(await issuesOf(base + 'poll: { intervalMs: fast }\n')).toEqual(['poll.intervalMs: must be an integer 100–3600000 ms (got "fast")']);
    expect(await issuesOf(base.replace('type: tcp', 'type: udp'))).toEqual(['devices[0].transport.type: must be one of tcp, rtu, rtu-over-tcp (got "udp")']);
    expect(await issuesOf(base + 'hub: { url: http://x }\n')).toEqual(['hub.url: must be a ws:// or wss:// URL (got "http://x")']);
    expect(await issuesOf(base.replace('id: a1', 'id: "bad id"'))).toEqual(['agent.id: must be an id of letters, digits, "_", "." and "-" (up to 64) (got "bad id")']);
  });

  it('reports every problem at once', async () => {
    const issues = await issuesOf('agent: { id: a1 }\ndevices: []\nextra: 1\n');
    expect(issues).toEqual(['extra: unknown key; known keys: agent, hub, spool, poll, metrics, log, control, devices', 'agent.site: is required (a string)', 'agent.rack: is required (a string)', 'devices: must have at least one entry']);
  });

  it('rejects duplicate device ids, unknown profiles and missing outlet counts', async () => {
    const dup = base + base.split('devices:\n')[1]!.replace(/^/, '');
    expect(await issuesOf(dup.replace('devices:\n', 'devices:\n'))).toContain('devices: device id "pdu-a" is used twice');
    expect(await issuesOf(base.replace('rackpilot-sim-pdu', 'apc-9000'))).toEqual([expect.stringMatching(/^devices\[0\]\.profile: unknown profile "apc-9000"; built-in profiles: rackpilot-sim-pdu/)]);
    expect(await issuesOf(base.replace('    outlets: 24\n', ''))).toEqual(['devices[0].outlets: is required with profile rackpilot-sim-pdu (its outlet count depends on the model)']);
    expect(await issuesOf(base.replace('outlets: 24', 'outlets: 49'))).toEqual(['devices[0].outlets: profile rackpilot-sim-pdu supports at most 48 outlets (asked for 49)']);
  });

  it('control: every key has a default; loads and limits are validated with their path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rp-cfg-'));
    await writeFile(join(dir, 'r.yaml'), base);
    const { config } = await loadConfig(join(dir, 'r.yaml'));
    expect(config.control).toMatchObject({ enabled: true, thresholds: { high: 0.98, low: 0.96, target: 0.94 }, tripCurve: { toleranceS: 10, instantRatio: 1.1 }, loads: [] });
    expect(config.control.rackKw).toBeUndefined();
    expect(await issuesOf(base + 'control: { thresholds: { high: 0.95 } }\n')).toEqual(['control.thresholds: must satisfy target < low < high (got 0.94, 0.96, 0.95)']);
    expect(await issuesOf(base + 'control: { rackKw: -3, grid: { onStale: panic } }\n')).toEqual(['control.rackKw: must be ≥ 0.1 kW (got -3)', 'control.grid.onStale: must be one of ignore, curtail (got "panic")']);
    expect(await issuesOf(base + 'control:\n  loads:\n    - { id: sw, load: { class: infra, feed: { pdu: pdu-a, outlet: 3, phase: L4 } } }\n')).toEqual([
      'control.loads[0].load.class: must be one of infrastructure, ai-critical, ai-flexible, miner (got "infra")',
      'control.loads[0].load.feed.phase: must be one of L1, L2, L3 (got "L4")',
    ]);
  });

  it('YAML syntax errors name the line', async () => {
    const issues = await issuesOf('agent: { id: a1\n');
    expect(issues[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('a profile file that does not exist or is invalid is reported on the device', async () => {
    expect(await issuesOf(base.replace('rackpilot-sim-pdu', './nope.yaml'))).toEqual([expect.stringMatching(/^devices\[0\]\.profile: .*nope\.yaml: \(top\): cannot read profile: ENOENT/)]);
    await expect(resolveConfig({ agent: { id: 'a', site: 's', rack: 'r' }, devices: 'x' }, 'mem', '.')).rejects.toThrow('mem: devices: must be a list (got "x")');
  });

  it('security settings: TLS only with wss://, cert with key, no token in clear text, loopback-only local API', async () => {
    expect(await issuesOf(base + 'hub: { url: ws://hub.site:8700/agent, tls: { ca: ca.pem } }\n')).toEqual(['hub: tls settings need a wss:// url']);
    expect(await issuesOf(base + 'hub: { url: wss://hub.site:8700/agent, tls: { cert: a.pem } }\n')).toEqual(['hub.tls: cert and key go together (mutual TLS needs both)']);
    expect(await issuesOf(base + 'hub: { url: ws://hub.site:8700/agent, tokenFile: t }\n')).toEqual(['hub: a bearer token over ws:// would travel in clear text; use a wss:// url']);
    expect(await issuesOf(base + 'hub: { url: ws://127.0.0.1:8700/agent, tokenFile: t }\n')).toEqual([]);
    expect(await issuesOf(base + 'hub: { url: wss://hub.site/agent, tls: { ca: ca.pem, cert: a.pem, key: a.key }, tokenFile: t, commandKeys: [k.pub] }\n')).toEqual([]);
    expect(await issuesOf(base + 'metrics: { listen: 0.0.0.0:9464 }\n')).toEqual(['metrics: listen 0.0.0.0 is not a loopback address; the local API has no authentication — set allowRemote: true to expose it anyway']);
    expect(await issuesOf(base + 'metrics: { listen: 0.0.0.0:9464, allowRemote: true }\n')).toEqual([]);
    expect(await issuesOf(base + 'metrics: { listen: "[::1]:9464", socket: /run/rp.sock, socketMode: 0o600 }\n')).toEqual([]);
  });

  it('spool settings are bounded and consistent', async () => {
    expect(await issuesOf(base + 'spool: { dir: /var/lib/rackpilot/spool }\n')).toEqual([]);
    expect(await issuesOf(base + 'spool: { dir: s, maxBytes: 4194304, segmentBytes: 4194304 }\n')).toEqual(['spool: segmentBytes must be at most a quarter of maxBytes (4194304)']);
    expect(await issuesOf(base + 'spool: { dir: s, fsyncIntervalMs: -1 }\n')).toEqual(['spool.fsyncIntervalMs: must be ≥ 0 ms (got -1)']);
    expect(await issuesOf(base + 'spool: { maxBytes: 1 }\n')).toEqual(['spool.dir: is required (a string)', 'spool.maxBytes: must be ≥ 1048576 bytes (got 1)']);
  });
});

describe('the rack power total', () => {
  it('adds the PDUs and meters that meter an inlet, except those marked rackPower: false', async () => {
    const cfg = {
      agent: { id: 'a1', site: 's1', rack: 'r1' },
      devices: [
        { id: 'pdu-a', type: 'modbus', profile: 'rackpilot-sim-pdu', outlets: 24, transport: { type: 'tcp', host: '127.0.0.1', port: 5020 } },
        // relays only: no inlet power to add, and it must not make the total unknown for ever
        { id: 'pdu-g', type: 'modbus', profile: 'gude-expert-pdu', outlets: 8, transport: { type: 'tcp', host: '127.0.0.1', port: 5021 } },
        { id: 'feed', type: 'modbus', profile: 'eastron-sdm630', transport: { type: 'tcp', host: '127.0.0.1', port: 5022 } },
        { id: 'branch', type: 'modbus', profile: 'eastron-sdm630', rackPower: false, transport: { type: 'tcp', host: '127.0.0.1', port: 5023 } },
        { id: 'ctl', type: 'host' },
      ],
    };
    const loaded = await resolveConfig(cfg, 'test', ROOT);
    const deps = createDriverDeps(systemClock, nullLogger);
    const drivers = loaded.config.devices.map((d) => familyOf(d).create(d, loaded.resolved.get(d.id), deps));
    try {
      expect(rackPowerDevices(loaded.config, drivers)).toEqual(['pdu-a', 'feed']);
    } finally {
      await Promise.all(drivers.map((d) => d.close()));
    }
    expect(await issuesOf(`${base}    rackPower: maybe\n`)).toEqual(['devices[0].rackPower: must be true or false (got "maybe")']);
  });
});
