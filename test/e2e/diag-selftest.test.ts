// `rackpilot diag selftest` as a field tech runs it (the bundled CLI), against a simulated rack
// with the faults it must find: a miner on another outlet than configured, a miner whose
// password is wrong, a PDU that is not the configured model, a GPU server that refuses power
// limits; and what it does (and refuses to do) while the agent runs.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { configForSim } from '../../agent/cli/sim-config.js';
import { loadConfig } from '../../agent/config/load.js';
import { startAgent, type Agent } from '../../agent/main.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startSimulator } from '../../hw-sim/run.js';
import { mixedModbus } from '../../hw-sim/scenarios/mixed-modbus.js';
import { runCli } from '../support/cli.js';
import { device, startDiagRack, type DiagRack } from '../support/diag-rack.js';
import { FAKE_ROOT_UID, fakeSudo } from '../support/gpu.js';
import { until } from '../support/wait.js';

let rack: DiagRack;
beforeAll(async () => {
  rack = await startDiagRack();
}, 30_000);
afterAll(async () => {
  await rack?.stop();
});

/** The table row of a device and check: "lux-03  wiring  FAIL  …" → its status and the text after it. */
function rowOf(out: string, subject: string, check: string): { status: string; detail: string; fix: string | undefined } {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => new RegExp(`^${subject}\\s+${check}\\s+`).test(l));
  if (i < 0) throw new Error(`no row ${subject} ${check} in:\n${out}`);
  const m = new RegExp(`^${subject}\\s+${check}\\s+(PASS|FAIL|WARN|skip)\\s+(.*)$`).exec(lines[i] as string)!;
  const next = lines[i + 1] ?? '';
  return { status: m[1]!, detail: m[2]!, fix: /^\s+→ /.test(next) ? next.replace(/^\s+→ /, '') : undefined };
}

const outletW = (pdu: string, n: number): number => rack.sim.sim.readings(pdu).outlets[n - 1]!.powerW;
/** The power target a simulated miner works to (its limit, or its nameplate without one). */
const targetOf = (id: string): number => rack.sim.sim.load(id)!.limitW ?? rack.sim.sim.load(id)!.spec.nominalW;

describe('diag selftest, read-only', () => {
  it('finds the miswired miner, the wrong miner password and the PDU that is not the configured model; the rest passes', async () => {
    const cfg = await rack.writeConfig('rack.yaml');
    const r = await runCli(['diag', 'selftest', '--config', cfg], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('the agent is not running: every device is tested directly');
    // The miswired PDU outlet: lux-03 draws through outlet 9, the config says 7.
    const wiring = rowOf(r.stdout, 'lux-03', 'wiring');
    expect(wiring.status).toBe('FAIL');
    expect(wiring.detail).toMatch(/^lux-03 draws 3\.\d\d kW \(its API\) but pdu-a outlet 7 reads 0\.00 kW; outlet 9 reads 3\.\d\d kW: is it plugged into outlet 9\?$/);
    expect(wiring.detail).toContain(`outlet 9 reads ${(outletW('pdu-a', 9) / 1000).toFixed(2)} kW`);
    expect(wiring.fix).toBe('move the plug to outlet 7, or set load.feed.outlet: 9 for lux-03');
    // Wrong firmware credentials: Braiins OS refuses the REST login.
    const creds = rowOf(r.stdout, 'bos-01', 'credentials');
    expect(creds.status).toBe('FAIL');
    expect(creds.detail).toMatch(/Braiins OS refused the login: .*HTTP 401/);
    expect(creds.fix).toMatch(/^check credentials\.passwordFile \(bos-01\.pw\) against the miner's web password$/);
    // A PDU whose registers are not the configured profile's.
    const id = rowOf(r.stdout, 'pdu-x', 'identity');
    expect(id.status).toBe('FAIL');
    expect(id.detail).toBe('register 0 holds 1024, not map version 1: this is not a rackpilot-sim-pdu');
    expect(id.fix).toBe('another device answers at this address, or the profile is wrong: see what it is with diag modbus raw --fc 3 --addr 0 --count 8');
    expect(rowOf(r.stdout, 'pdu-x', 'reach')).toMatchObject({ status: 'PASS' });
    expect(rowOf(r.stdout, 'pdu-x', 'readings').status).toBe('FAIL');
    // Firmware that checks passwords on commands only says so instead of passing.
    expect(rowOf(r.stdout, 'wm2-01', 'credentials')).toMatchObject({ status: 'skip', detail: 'Whatsminer (API v2) checks the password only on commands: run with --actuators to test it' });
    for (const [s, c] of [['pdu-a', 'reach'], ['pdu-a', 'identity'], ['pdu-a', 'readings'], ['bos-01', 'wiring'], ['wm2-01', 'wiring'], ['gpu-01', 'identity'], ['gpu-01', 'wiring'], ['lux-03', 'identity']] as const) {
      expect(rowOf(r.stdout, s, c).status, `${s} ${c}`).toBe('PASS');
    }
    expect(rowOf(r.stdout, 'pdu-a', 'identity').detail).toBe('rackpilot-sim-pdu: map version 1, 12 outlets, 3 phases, 32 A breakers');
    expect(rowOf(r.stdout, 'gpu-01', 'identity').detail).toBe('2 × NVIDIA H100 80GB HBM3, driver 550.54.15');
    expect(r.stdout).toMatch(/\n\d+ passed, 4 failed(, \d+ warnings?)?, \d+ skipped\n/);
    expect(r.stdout).toContain('actuators were not exercised: add --actuators');
    expect(r.stdout).not.toContain('\x1b['); // no colours when not a terminal
    expect(r.stdout).not.toContain('not-the-password');
  });

  it('--json: the same rows, and each device\'s identity', async () => {
    const cfg = await rack.writeConfig('rack-json.yaml', (raw) => {
      device(raw, 'lux-03')['load'] = { feed: { pdu: 'pdu-a', outlet: 9 } };
      raw.devices = raw.devices.filter((d) => d['id'] !== 'pdu-x');
      device(raw, 'bos-01')['credentials'] = { password: 'bos-site-pw' };
      raw.devices.push({ id: 'controller', type: 'host' });
    });
    const r = await runCli(['diag', 'selftest', '--config', cfg, '--json'], { timeoutMs: 30_000 });
    expect(r.code, r.stdout).toBe(0);
    const j = JSON.parse(r.stdout) as { ok: boolean; counts: Record<string, number>; rows: { subject: string; check: string; status: string }[]; devices: { id: string; identity: Record<string, unknown>; pdu?: { outletW: Record<string, number> } }[] };
    expect(j.ok).toBe(true);
    expect(j.counts['fail']).toBe(0);
    expect(j.rows.find((x) => x.subject === 'lux-03' && x.check === 'wiring')?.status).toBe('pass');
    expect(j.rows.find((x) => x.subject === 'bos-01' && x.check === 'credentials')?.status).toBe('pass');
    expect(j.rows.find((x) => x.subject === 'controller' && x.check === 'reach')).toMatchObject({ status: expect.stringMatching(/^(pass|warn)$/) as unknown, detail: expect.stringMatching(/^\d+ of \d+ host values read/) as unknown });
    const ids = Object.fromEntries(j.devices.map((d) => [d.id, d.identity]));
    expect(ids['lux-03']).toMatchObject({ firmware: 'LuxOS', model: 'Antminer S19 Pro' });
    expect(ids['pdu-a']).toMatchObject({ profile: 'rackpilot-sim-pdu', 'info.outlets': 12, 'info.breaker': 32 });
    expect(ids['gpu-01']).toMatchObject({ driver: '550.54.15' });
    expect(j.devices.find((d) => d.id === 'pdu-a')?.pdu?.outletW['9']).toBeCloseTo(outletW('pdu-a', 9), -1);
    expect(r.stdout).not.toContain('bos-site-pw');
  });

  it('a PDU whose outlet count and breakers are not what the config says (the other PDU at this address?)', async () => {
    const cfg = await rack.writeConfig('rack-swapped.yaml', (raw) => {
      raw.devices = raw.devices.filter((d) => d['id'] === 'pdu-a');
      Object.assign(device(raw, 'pdu-a'), { outlets: 24, circuits: { breakerA: 40 } });
    });
    const r = await runCli(['diag', 'selftest', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(rowOf(r.stdout, 'pdu-a', 'identity')).toEqual({
      status: 'FAIL',
      detail: 'it reports 12 outlets but the config says outlets: 24; it has 32 A breakers but circuits.breakerA is 40: the controller would let the phases run past what the breakers carry',
      fix: 'another PDU answers at this address (swapped addresses?), or correct outlets',
    });
  });

  it('a device that does not answer: reach fails with the address and what to check', async () => {
    const cfg = await rack.writeConfig('rack-dead.yaml', (raw) => {
      raw.devices = [{ id: 'pdu-dead', type: 'modbus', profile: 'rackpilot-sim-pdu', outlets: 12, transport: { type: 'tcp', host: '127.0.0.1', port: 1 }, unit: 1, connectTimeoutMs: 500 }];
    });
    const r = await runCli(['diag', 'selftest', '--config', cfg]);
    expect(r.code).toBe(1);
    const reach = rowOf(r.stdout, 'pdu-dead', 'reach');
    expect(reach.status).toBe('FAIL');
    expect(reach.detail).toMatch(/^tcp:\/\/127\.0\.0\.1:1 unit 1: no answer \(.*(ECONNREFUSED|refused)/);
    expect(reach.fix).toContain('rackpilot diag modbus scan --host 127.0.0.1:1');
  });
});

describe('diag selftest --actuators', () => {
  it('a GPU server that refuses power limits, and a Whatsminer whose password is only refused on commands', async () => {
    rack.gpu.setFaults({ privilegedUids: [FAKE_ROOT_UID] }); // nvidia-smi -pl as this user: Insufficient Permissions
    const cfg = await rack.writeConfig('rack-act.yaml', (raw) => {
      device(raw, 'bos-01')['credentials'] = { password: 'bos-site-pw' };
    });
    await import('node:fs/promises').then((fs) => fs.writeFile(join(rack.dir, 'wm2-01.pw'), 'wrong-wm-pw\n', { mode: 0o600 }));
    const luxBefore = targetOf('lux-03');
    const r = await runCli(['diag', 'selftest', '--config', cfg, '--actuators', '--yes'], { timeoutMs: 60_000 });
    await import('node:fs/promises').then((fs) => fs.writeFile(join(rack.dir, 'wm2-01.pw'), 'wm-site-pw\n', { mode: 0o600 }));
    expect(r.code, r.stderr).toBe(1);
    const gpu = rowOf(r.stdout, 'gpu-01', 'actuator');
    expect(gpu.status).toBe('FAIL');
    expect(gpu.detail).toMatch(/^GPU 0: nvidia-smi -pl 665\.00 failed: .*Insufficient Permissions \(exit 4\)$/);
    expect(gpu.fix).toBe('-pl needs root: add setPrefix: [sudo, -n] to gpu-01, and on the server the sudoers rule rackpilot ALL=(root) NOPASSWD: /usr/bin/nvidia-smi -i * -pl * (docs/gpu.md, "Privilege")');
    expect(rack.gpu.gpu(0)!.board.limitW).toBe(700);
    const wm = rowOf(r.stdout, 'wm2-01', 'actuator');
    expect(wm.status).toBe('FAIL');
    expect(wm.detail).toMatch(/power target 3276 → \d+ W failed: .*(password|token refused)/);
    expect(wm.fix).toMatch(/^check credentials\.passwordFile \(wm2-01\.pw\)/);
    expect(rowOf(r.stdout, 'bos-01', 'actuator')).toMatchObject({ status: 'PASS' });
    expect(rowOf(r.stdout, 'bos-01', 'actuator').detail).toMatch(/^power target 2760 W → 2622 W → 2760 W, each read back$/);
    expect(rowOf(r.stdout, 'pdu-a', 'actuator')).toMatchObject({ status: 'skip' });
    expect(rowOf(r.stdout, 'pdu-a', 'actuator').detail).toContain('switching an outlet cuts its load at once');
    expect(targetOf('lux-03')).toBe(luxBefore);
    expect(rowOf(r.stdout, 'lux-03', 'actuator').detail).toMatch(/^power target 3250 W → \d+ W → 3250 W, each read back$/);
    expect(r.stdout).not.toContain('wrong-wm-pw');
  });

  it('after the fix (setPrefix through sudo), the GPU limits go 5 % down and back; idle outlets switch only with --outlets', async () => {
    rack.gpu.setFaults({ privilegedUids: [FAKE_ROOT_UID] });
    const sudo = await fakeSudo();
    const cfg = await rack.writeConfig('rack-fixed.yaml', (raw) => {
      device(raw, 'gpu-01')['setPrefix'] = [sudo, '-n'];
      raw.devices = raw.devices.filter((d) => ['pdu-a', 'gpu-01'].includes(String(d['id'])));
    });
    const r = await runCli(['diag', 'selftest', '--config', cfg, '--actuators', '--outlets', '--yes'], { timeoutMs: 60_000 });
    expect(r.code, r.stdout).toBe(0);
    expect(rowOf(r.stdout, 'gpu-01', 'actuator')).toEqual({ status: 'PASS', detail: '2 GPU power limits set and put back, each read back (700→665→700 W)', fix: undefined });
    const outlets = rowOf(r.stdout, 'pdu-a', 'actuator');
    expect(outlets.status).toBe('PASS');
    // Outlets 1, 2, 4 and 9 carry loads; 3, 5–8 and 10–12 are on and idle.
    expect(outlets.detail).toBe('outlets 3, 5, 6, 7, 8, 10, 11, 12 switched off and on, each read back; 4 off or carrying load left alone');
    for (let n = 1; n <= 12; n++) expect(rack.sim.sim.relay('pdu-a', n), `outlet ${n}`).toBe(true);
  });

  it('asks first, and an answer other than yes moves nothing', async () => {
    const cfg = await rack.writeConfig('rack-ask.yaml', (raw) => {
      raw.devices = raw.devices.filter((d) => ['pdu-a', 'lux-03'].includes(String(d['id'])));
    });
    const before = rack.sim.sim.load('lux-03')!.limitW;
    const r = await runCli(['diag', 'selftest', '--config', cfg, '--actuators'], { input: 'n\n' });
    expect(r.stdout).toContain('--actuators will, one at a time:\n  lux-03: power target 5 % lower, then back');
    expect(r.stdout).toContain('go ahead? [y/N]');
    expect(rowOf(r.stdout, 'lux-03', 'actuator')).toMatchObject({ status: 'skip', detail: 'not exercised: not confirmed' });
    expect(rack.sim.sim.load('lux-03')!.limitW).toBe(before);
  });
});

describe('diag selftest while the agent runs', () => {
  let agent: Agent | undefined;
  afterAll(async () => {
    await agent?.stop();
  });

  it('reads alongside it, says so, and refuses --actuators (its controller would fight the test)', async () => {
    const sock = join(rack.dir, 'agent.sock');
    const cfg = await rack.writeConfig('rack-running.yaml', (raw) => {
      raw['metrics'] = { listen: '127.0.0.1:0', socket: sock };
      raw.devices = raw.devices.filter((d) => ['pdu-a', 'gpu-01'].includes(String(d['id'])));
    });
    agent = await startAgent(await loadConfig(cfg), { log: nullLogger });
    const refused = await runCli(['diag', 'selftest', '--config', cfg, '--actuators', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/the agent is running \(pid \d+\); its controller drives the same actuators and would fight the test\. Stop it first \(systemctl stop rackpilot\)/);
    const r = await runCli(['diag', 'selftest', '--config', cfg]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`the agent is running \\(pid ${process.pid} on ${sock.replace(/[.]/g, '\\.')}\\): read-only checks run alongside it`));
    expect(rowOf(r.stdout, 'pdu-a', 'readings').status).toBe('PASS');
  });

  it('a meter on the RS-485 port the agent holds is shown as the agent sees it, not opened', async () => {
    const bus = await startSimulator(mixedModbus, { basePort: 0, manual: true });
    let busAgent: Agent | undefined;
    try {
      bus.sim.advance(5);
      const raw = configForSim(bus.endpoints.filter((e) => e.device === 'meter-inlet'), { metricsListen: '127.0.0.1:0' });
      const sock = join(rack.dir, 'bus-agent.sock');
      raw['metrics'] = { listen: '127.0.0.1:0', socket: sock };
      const cfg = join(rack.dir, 'rack-bus.yaml');
      await writeFile(cfg, stringify(raw));
      busAgent = await startAgent(await loadConfig(cfg), { log: nullLogger });
      await until(() => busAgent!.status().devices[0]!.health === 'up', { what: 'the meter read over the pty' });
      const r = await runCli(['diag', 'selftest', '--config', cfg]);
      expect(r.code, r.stdout).toBe(0);
      const reach = rowOf(r.stdout, 'meter-inlet', 'reach');
      expect(reach.status).toBe('skip');
      expect(reach.detail).toMatch(/^serial port \S+ is held by the running agent \(opened exclusively\); the agent reads it: up, newest reading \d+\.\d s old, \d+\/\d+ values good$/);
      expect(reach.fix).toBe('stop the agent to test it directly');
    } finally {
      await busAgent?.stop();
      await bus.stop();
    }
  });
});
