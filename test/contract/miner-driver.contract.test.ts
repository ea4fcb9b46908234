// Contract suite for the miner driver, run against every simulated firmware; against a real miner
// when RACKPILOT_CONTRACT_MINER names one ("host[:port]", firmware auto-detected; credentials in
// RACKPILOT_CONTRACT_MINER_USER / _PASSWORD). Real miners are only read unless
// RACKPILOT_CONTRACT_MINER_WRITE=1, because the write checks pause and resume the miner.
//
// The same checks hold everywhere: the firmware is detected, a poll reads hashrate, power, state
// and boards with no failed command, capabilities match the firmware, and every command is
// verified by reading the state back. With hw-sim the physics must follow too.
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../agent/config/secret.js';
import { DEFAULT_MAX_REPLY_BYTES } from '../../protocols/cgminer/framing.js';
import type { FirmwareName } from '../../agent/drivers/miner/data.js';
import { MinerDriver } from '../../agent/drivers/miner/driver.js';
import { MinerLink } from '../../agent/drivers/miner/link.js';
import { nodeHttpRequester } from '../../agent/main.js';
import { systemClock } from '../../agent/runtime/clock.js';
import { pollSignal, startMinerRack, valueOf, type MinerRack } from '../support/miners.js';

interface Target {
  readonly driver: () => MinerDriver;
  readonly firmware?: FirmwareName;
  readonly canSetPower: boolean | undefined;
  readonly writes: boolean;
  /** hw-sim only: advance simulated time and read the physics load. */
  readonly sim?: { advance(s: number): void; load(): { powerW: number; limitW: number | null; spec: { nominalW: number; idleW: number } } };
  readonly secrets: readonly string[];
}

const FIRMWARES: readonly { id: string; model: string; firmware: FirmwareName; ramp: 'antminer' | 'braiins' | 'luxos' | 'whatsminer' | 'vnish'; setPower: boolean; params?: Record<string, unknown> }[] = [
  { id: 'ant', model: 'antminer-stock', firmware: 'antminer', ramp: 'antminer', setPower: false, params: { password: 'ant-secret-pw' } },
  { id: 'bos', model: 'braiins-os', firmware: 'braiins', ramp: 'braiins', setPower: true, params: { hardware: 'antminer-s19kpro', password: 'bos-secret-pw' } },
  { id: 'lux', model: 'luxos', firmware: 'luxos', ramp: 'luxos', setPower: true, params: { atm: true } },
  { id: 'wm2', model: 'whatsminer-v2', firmware: 'whatsminer-v2', ramp: 'whatsminer', setPower: true, params: { password: 'wm2-secret-pw' } },
  { id: 'wm3', model: 'whatsminer-v3', firmware: 'whatsminer-v3', ramp: 'whatsminer', setPower: true, params: { password: 'wm3-secret-pw' } },
  { id: 'vn', model: 'vnish', firmware: 'vnish', ramp: 'vnish', setPower: true, params: { password: 'vn-secret-pw' } },
];

function contract(target: () => Target): void {
  it('detects the firmware and reads hashrate, power, state and boards with no failed command', async () => {
    const t = target();
    const d = t.driver();
    const r = await d.poll(pollSignal());
    expect(r.error).toBeUndefined();
    expect(r.failed).toBe(0);
    if (t.firmware) expect(d.firmware?.detection.firmware).toBe(t.firmware);
    expect(r.samples).toHaveLength(d.series.length);
    const id = d.info.id;
    expect(valueOf(r.samples, `${id}/miner.hashrate`)).toBeGreaterThan(0);
    expect(valueOf(r.samples, `${id}/miner.power`)).toBeGreaterThan(0);
    expect(valueOf(r.samples, `${id}/miner.mining`)).toBe(1);
    for (const b of ['1', '2', '3']) expect(valueOf(r.samples, `${id}/board.hashrate/${b}`)).toBeGreaterThan(0);
    // Anything not read is marked "unsupported" (the firmware does not report it), never failed.
    for (const s of r.samples) expect(['ok', 'unsupported'], s.key).toContain(s.reading.quality);
    const data = d.last?.data;
    expect(data?.model).toBeTruthy();
    expect(data?.powerSource).toBe(t.firmware === 'antminer' ? 'estimated' : 'miner');
  });

  it('advertises the capabilities of its firmware, with settle times per command', () => {
    const t = target();
    const a = t.driver().actuators()[0]!;
    expect(a.kind).toBe('miner');
    expect(a.capabilities.pause).toBe(true);
    if (t.canSetPower !== undefined) expect(a.capabilities.setPower !== undefined).toBe(t.canSetPower);
    if (a.capabilities.setPower) expect(a.capabilities.setPower.minW).toBeLessThan(a.capabilities.setPower.maxW);
    expect(a.settleByCommand?.pause).toBeGreaterThan(0);
    expect(a.settleMs).toBeGreaterThanOrEqual(a.settleByCommand?.pause ?? 0);
  });

  it('pauses and resumes, each verified by reading the state back; the draw follows', async () => {
    const t = target();
    if (!t.writes) return;
    const d = t.driver();
    const a = d.actuators()[0]!;
    const paused = await a.apply({ type: 'pause' }, AbortSignal.timeout(60_000));
    expect(paused, paused.detail).toMatchObject({ ok: true, verified: true });
    if (t.sim) {
      t.sim.advance(40); // restarts finish, the draw settles at idle
      const l = t.sim.load();
      expect(l.powerW).toBeLessThan(l.spec.idleW * 1.2 + 1);
      const r = await d.poll(pollSignal());
      expect(valueOf(r.samples, `${d.info.id}/miner.mining`)).toBe(0);
    }
    const resumed = await a.apply({ type: 'resume' }, AbortSignal.timeout(60_000));
    expect(resumed, resumed.detail).toMatchObject({ ok: true, verified: true });
    if (t.sim) {
      t.sim.advance(60);
      const l = t.sim.load();
      expect(l.powerW).toBeGreaterThan(l.spec.nominalW * 0.9);
    }
    await d.poll(pollSignal());
  });

  it('sets a power target where the firmware has one (verified), or refuses clearly where not; restore undoes it', async () => {
    const t = target();
    if (!t.writes) return;
    const d = t.driver();
    const a = d.actuators()[0]!;
    const cmd = d.opts.firmware === 'antminer' || !a.capabilities.setPower ? 2500 : Math.round((a.capabilities.setPower.minW + a.capabilities.setPower.maxW) / 2.6);
    const want = a.capabilities.setPower ? Math.min(a.capabilities.setPower.maxW, Math.max(a.capabilities.setPower.minW, cmd)) : cmd;
    const apply = a.apply({ type: 'set_power', watts: want }, AbortSignal.timeout(60_000));
    if (t.sim) setTimeout(() => t.sim?.advance(5), 300); // restarts and re-tunes complete in simulated time
    const r = await apply;
    if (!a.capabilities.setPower) {
      expect(r.ok).toBe(false);
      expect(r.detail).toMatch(/no watt target/);
      return;
    }
    expect(r, r.detail).toMatchObject({ ok: true, verified: true });
    expect(r.observedW).toBeLessThanOrEqual(want + 2);
    if (t.sim) {
      t.sim.advance(5);
      expect(t.sim.load().limitW).toBe(r.observedW);
    }
    await d.poll(pollSignal());
    const back = a.apply({ type: 'restore' }, AbortSignal.timeout(60_000));
    if (t.sim) setTimeout(() => t.sim?.advance(5), 300);
    expect(await back, 'restore').toMatchObject({ ok: true });
  });

  it('never shows a credential in results, counters or data', () => {
    const t = target();
    const d = t.driver();
    const text = JSON.stringify({ last: d.last, counters: d.counters(), info: d.info, opts: d.opts });
    for (const s of t.secrets) expect(text).not.toContain(s);
  });
}

let rack: MinerRack;
beforeAll(async () => {
  rack = await startMinerRack(FIRMWARES.map((f) => ({ id: f.id, model: f.model, ramp: f.ramp, params: f.params ?? {} })));
});
afterAll(async () => {
  await rack.stop();
});

for (const f of FIRMWARES) {
  describe(`hw-sim ${f.model}`, () => {
    contract(() => ({
      driver: () => rack.driver(f.id),
      firmware: f.firmware,
      canSetPower: f.setPower,
      writes: true,
      sim: { advance: (s) => rack.sim.sim.advance(s), load: () => rack.sim.sim.load(f.id)! },
      secrets: typeof f.params?.['password'] === 'string' ? [f.params['password']] : [],
    }));
  });
}

function realTarget(): Target | undefined {
  const spec = process.env['RACKPILOT_CONTRACT_MINER'];
  if (!spec) return undefined;
  const m = /^([^:\s]+)(?::(\d+))?$/.exec(spec);
  if (!m) throw new Error('RACKPILOT_CONTRACT_MINER must be host[:port]');
  const password = process.env['RACKPILOT_CONTRACT_MINER_PASSWORD'];
  const user = process.env['RACKPILOT_CONTRACT_MINER_USER'];
  const link = new MinerLink(
    { host: m[1]!, port: Number(m[2] ?? 4028), httpPort: 80, v3Port: 4433, connectTimeoutMs: 3000, timeoutMs: 10_000, writeTimeoutMs: 15_000, gapMs: 100, breakerFailures: 3, breakerOpenMs: 30_000, maxReplyBytes: DEFAULT_MAX_REPLY_BYTES },
    { dial: (h, p) => createConnection({ host: h, port: p }), http: nodeHttpRequester, clock: systemClock },
  );
  const driver = new MinerDriver({ id: 'real', firmware: 'auto', boards: 3, fans: 4, v3Port: 4433, schedule: { intervalMs: 10_000, concurrency: 1 }, staleAfterMs: 30_000, ...(password ? { credentials: { password: new Secret(password), ...(user ? { user } : {}) } } : {}) }, link, systemClock);
  return { driver: () => driver, canSetPower: undefined, writes: process.env['RACKPILOT_CONTRACT_MINER_WRITE'] === '1', secrets: password ? [password] : [] };
}

const real = realTarget();
describe.runIf(real !== undefined)('real miner (RACKPILOT_CONTRACT_MINER)', () => {
  contract(() => real!);
});
