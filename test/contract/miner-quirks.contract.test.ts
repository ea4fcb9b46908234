// Every quirk in hw-sim's catalogue, on a socket, against the agent's miner driver: malformed
// output is repaired and counted, a hung or refusing miner is marked unknown with the right
// quality (and costs one timeout, not one per command), access-denied and session or token
// refusals come back as clear failed commands, and nothing crashes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollSignal, startMinerRack, valueOf, type MinerRack, type SimMinerSpec } from '../support/miners.js';

const SPECS: SimMinerSpec[] = [
  { id: 's9-missing-comma', model: 'antminer-stock', ramp: 'antminer', nominalW: 1323, params: { hardware: 'antminer-s9', quirks: ['stats-missing-comma', 'array-leading-comma'] } },
  { id: 'wm-btminer-garbage', model: 'whatsminer-v2', ramp: 'whatsminer', params: { password: 'pw', quirks: ['trailing-comma', 'newline-in-string', 'nan-values', 'error-code-list'] } },
  { id: 'wm-truncated', model: 'whatsminer-v2', ramp: 'whatsminer', params: { password: 'pw', quirks: ['truncated'] } },
  { id: 'lux-leading-comma', model: 'luxos', ramp: 'luxos', params: { quirks: ['leading-comma'] } },
  { id: 'bos-newline', model: 'braiins-os', ramp: 'braiins', params: { quirks: ['newline-keep-open'] } },
  { id: 'vn-no-nul', model: 'vnish', ramp: 'vnish', params: { quirks: ['no-nul'] } },
  { id: 'hung', model: 'antminer-stock', ramp: 'antminer', params: { quirks: ['hang'] } },
  { id: 'wm3-hung', model: 'whatsminer-v3', ramp: 'whatsminer', params: { quirks: ['hang'] } },
  { id: 'refused', model: 'luxos', ramp: 'luxos', params: { quirks: ['refuse'] } },
  { id: 'backend-down', model: 'luxos', ramp: 'luxos', params: { quirks: ['backend-down'] } },
  { id: 'garbage', model: 'luxos', ramp: 'luxos', params: { quirks: ['garbage'] } },
  { id: 'lux-held-briefly', model: 'luxos', ramp: 'luxos', params: { quirks: ['session-held'], heldFor: 1 } },
  { id: 'lux-held', model: 'luxos', ramp: 'luxos', params: { quirks: ['session-held'], heldFor: 10 } },
  { id: 'wm-api-disabled', model: 'whatsminer-v2', ramp: 'whatsminer', params: { password: 'pw', quirks: ['api-disabled'] } },
  { id: 'wm-token-limit', model: 'whatsminer-v2', ramp: 'whatsminer', params: { password: 'pw', quirks: ['token-limit'] } },
  { id: 'wm-wrong-password', model: 'whatsminer-v2', ramp: 'whatsminer', params: { password: 'the-real-one' } },
  { id: 'ant-wrong-password', model: 'antminer-stock', ramp: 'antminer', params: { password: 'the-real-one' } },
];

let rack: MinerRack;
beforeAll(async () => {
  rack = await startMinerRack(SPECS, {
    hung: { timeoutMs: 800 },
    'wm3-hung': { timeoutMs: 800 },
    'wm-wrong-password': { credentials: { password: 'a-wrong-one' } },
    'ant-wrong-password': { credentials: { user: 'root', password: 'a-wrong-one' } },
  });
});
afterAll(async () => {
  await rack.stop();
});

const poll = (id: string) => rack.driver(id).poll(pollSignal());
const counter = (id: string, name: string): number => rack.driver(id).counters()[name] ?? 0;

describe('malformed output is repaired and counted', () => {
  it.each([
    ['s9-missing-comma', ['repair.missing_comma_between_objects', 'repair.leading_comma_in_array']],
    ['wm-btminer-garbage', ['repair.trailing_commas', 'repair.control_chars', 'repair.non_finite_numbers', 'repair.error_code_list']],
    ['wm-truncated', ['repair.truncated']],
    ['lux-leading-comma', ['repair.leading_comma']],
  ])('%s', async (id, repairs) => {
    const r = await poll(id);
    expect(r.failed, r.error).toBe(0);
    expect(valueOf(r.samples, `${id}/miner.hashrate`)).toBeGreaterThan(0);
    for (const name of repairs) expect(counter(id, name), name).toBeGreaterThan(0);
  });

  it('S9 stats: chains 6–8 and fans 3 and 6 become boards 1–3 and fans 1–2', async () => {
    const r = await poll('s9-missing-comma');
    for (const b of ['1', '2', '3']) expect(valueOf(r.samples, `s9-missing-comma/board.chips/${b}`)).toBe(63);
    expect(valueOf(r.samples, 's9-missing-comma/fan.speed/2')).toBeGreaterThan(0);
    expect(r.samples.find((s) => s.key === 's9-missing-comma/fan.speed/3')?.reading.quality).toBe('unsupported');
  });

  it('nan in btminer output is unknown, never 0', async () => {
    await poll('wm-btminer-garbage');
    const d = rack.driver('wm-btminer-garbage').last!.data;
    expect(d.hashrateTHs).toBeGreaterThan(0); // MHS 5s survives; MHS av was nan
    expect(d.firmwareVersion).toBe('20230911.12.Rel'); // the newline inside it removed
  });

  it.each(['bos-newline', 'vn-no-nul'])('%s: replies ended by newline (kept-open socket) or by close', async (id) => {
    const r = await poll(id);
    expect(r.failed, r.error).toBe(0);
  });
});

describe('unreachable miners are unknown, with the reason', () => {
  it('hung: every reading is a timeout, after one timeout (not one per command)', async () => {
    const r = await poll('hung');
    expect(r.samples.every((s) => s.reading.quality === 'timeout')).toBe(true);
    expect(r.error).toMatch(/within 800 ms/);
    expect(counter('hung', 'requests')).toBe(1);
  });

  it('hung with a v3 port that accepts and never answers: one timeout too, not one per port', async () => {
    const t0 = performance.now();
    const r = await poll('wm3-hung');
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(r.samples.every((s) => s.reading.quality === 'timeout')).toBe(true);
    expect(r.error).toMatch(/within 800 ms/);
  });

  it('refused: comm_error, and the breaker stops telemetry after three tries', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await poll('refused');
      expect(r.samples.every((s) => s.reading.quality === 'comm_error')).toBe(true);
    }
    expect(counter('refused', 'refused')).toBeGreaterThanOrEqual(3);
    expect(counter('refused', 'breakerSkips')).toBeGreaterThan(0);
  });

  it('backend down ("Socket connect failed") and garbage bytes: typed failures, no crash', async () => {
    const down = await poll('backend-down');
    expect(down.failed).toBeGreaterThan(0);
    expect(down.error).toMatch(/daemon down|not recognised/);
    const junk = await poll('garbage');
    expect(junk.failed).toBeGreaterThan(0);
    expect(junk.samples.every((s) => s.reading.value === null)).toBe(true);
  });
});

describe('refusals of control are clear failures', () => {
  it('LuxOS: another session active briefly → retried and applied', async () => {
    await poll('lux-held-briefly');
    const r = await rack.driver('lux-held-briefly').actuators()[0]!.apply({ type: 'pause' }, AbortSignal.timeout(30_000));
    expect(r, r.detail).toMatchObject({ ok: true, verified: true });
  });

  it('LuxOS: the session stays taken → not applied, says another session is active', async () => {
    await poll('lux-held');
    const r = await rack.driver('lux-held').actuators()[0]!.apply({ type: 'pause' }, AbortSignal.timeout(30_000));
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/another session is active/i);
  });

  it.each([
    ['wm-api-disabled', /permission denied/],
    ['wm-token-limit', /too many token requests/],
    ['wm-wrong-password', /token refused twice|check the admin password/],
  ])('%s: pause refused with %s', async (id, why) => {
    await poll(id);
    const r = await rack.driver(id).actuators()[0]!.apply({ type: 'pause' }, AbortSignal.timeout(30_000));
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(why);
    expect(r.detail).not.toContain('a-wrong-one');
    expect(rack.sim.sim.load(id)?.demand).toBe(1); // still hashing
  });

  it('stock Antminer with a wrong web password: the mode is unknown (device error), control refused', async () => {
    const r = await poll('ant-wrong-password');
    expect(r.samples.find((s) => s.key === 'ant-wrong-password/miner.mining')?.reading).toMatchObject({ value: null, quality: 'device_error' });
    expect(valueOf(r.samples, 'ant-wrong-password/miner.hashrate')).toBeGreaterThan(0);
    const c = await rack.driver('ant-wrong-password').actuators()[0]!.apply({ type: 'pause' }, AbortSignal.timeout(30_000));
    expect(c.ok).toBe(false);
    expect(c.detail).toMatch(/digest authentication refused/);
  });
});
