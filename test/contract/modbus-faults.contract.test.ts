// Every fault hw-sim can inject, against the agent's real driver over real sockets and a real
// pty: each ends in the right quality for the points it hits, and the next poll recovers. Also:
// a dead device on a shared RS-485 bus costs one timeout per poll and never holds up the others.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ModbusPowerDevice } from '../../agent/drivers/pdu/driver.js';
import type { PollResult } from '../../agent/drivers/types.js';
import { FakeClock } from '../../agent/runtime/clock.js';
import type { FaultSpec } from '../../hw-sim/devices/faults.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import type { Scenario } from '../../hw-sim/scenarios/types.js';
import { modbusDevices, type TestDevices } from '../support/modbus.js';
import { until } from '../support/wait.js';

const pdu = { phases: 3, outlets: 6, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA: 32 } as const;
const scenario: Scenario = {
  name: 'faults',
  description: 'a TCP PDU, two meters on an RS-485 pty, one behind an RTU gateway',
  pdus: [{ id: 'pdu', model: 'rackpilot-sim-pdu', unit: 1, ...pdu }],
  meters: [
    { id: 'sdm630', model: 'eastron-sdm630', unit: 1, pdu: 'pdu', link: { type: 'rtu', bus: 'bus' } },
    { id: 'sdm120', model: 'eastron-sdm120', unit: 2, pdu: 'pdu', outlets: [1], link: { type: 'rtu', bus: 'bus' } },
    { id: 'em24', model: 'carlo-gavazzi-em24', unit: 5, pdu: 'pdu', link: { type: 'rtu', bus: 'gw' } },
  ],
  buses: [
    { id: 'bus', baud: 115200, parity: 'none', expose: 'pty' },
    { id: 'gw', baud: 115200, parity: 'none', expose: 'gateway' },
  ],
  loads: [1, 2, 3].map((o) => ({ id: `m${o}`, family: 'miner', pdu: 'pdu', outlet: o, nominalW: 2000, demand: 1 })),
  timeline: [],
};

let sim: RunningSim;
let t: TestDevices;
beforeAll(async () => {
  sim = await startSimulator(scenario, { basePort: 0, manual: true });
  sim.sim.advance(10);
  t = await modbusDevices(sim.endpoints, { patch: (d) => ({ ...d, timeoutMs: 250, reconnectDelayMs: 50 }) });
});
afterAll(async () => {
  await t?.close();
  await sim?.stop();
});
afterEach(() => {
  for (const id of ['pdu', 'sdm630', 'sdm120', 'em24']) sim.faults(id).clear();
});

const dev = (id: string): ModbusPowerDevice => t.devices.get(id)!;
const poll = (id: string): Promise<PollResult> => dev(id).poll(new AbortController().signal);
/** Qualities of the data points (communication counters left out), in plan order. */
const qualities = (r: PollResult): string[] => r.samples.filter((s) => !s.key.includes('/modbus.')).map((s) => s.reading.quality);
const details = (r: PollResult): string[] => r.samples.filter((s) => s.reading.quality !== 'ok').map((s) => (s.reading as { detail?: string }).detail ?? '');
const allOk = async (id: string): Promise<PollResult> => {
  const r = await poll(id);
  expect(r.failed, r.error).toBe(0);
  expect(new Set(qualities(r))).toEqual(new Set(['ok']));
  return r;
};
const inject = (id: string, f: FaultSpec): void => sim.faults(id).inject(f);

describe.each([
  ['Modbus/TCP', 'pdu'],
  ['RTU on the bus pty', 'sdm630'],
  ['RTU over TCP (gateway)', 'em24'],
])('%s', (_name, id) => {
  it('timeout: the read times out, the rest of the poll is skipped, the next poll recovers', async () => {
    await allOk(id);
    inject(id, { kind: 'timeout', count: 1 });
    const r = await poll(id);
    expect(r.failed).toBe(dev(id).plan.length);
    expect(new Set(qualities(r))).toEqual(new Set(['timeout']));
    expect(details(r).some((d) => d.startsWith('modbus_timeout'))).toBe(true);
    if (dev(id).plan.length > 1) expect(details(r).some((d) => d.startsWith('skipped after modbus_timeout'))).toBe(true);
    await allOk(id);
  });

  it('exception 04: that read is device_error, the other reads go on; exception 02 is unsupported', async () => {
    inject(id, { kind: 'exception', code: 4, count: 1 });
    const r = await poll(id);
    expect(r.failed).toBe(1);
    expect(qualities(r)).toContain('device_error');
    expect(qualities(r).filter((q) => q !== 'device_error').every((q) => q === 'ok')).toBe(true);
    inject(id, { kind: 'exception', code: 2, count: 1 });
    expect(qualities(await poll(id))).toContain('unsupported');
    await allOk(id);
  });

  it('exception 06 (busy) is retried and the poll succeeds', async () => {
    const before = dev(id).client.counters.busyRetries;
    inject(id, { kind: 'exception', code: 6, count: 1 });
    await allOk(id);
    expect(dev(id).client.counters.busyRetries).toBe(before + 1);
  });

  it('garbage bytes before a reply are skipped and counted', async () => {
    const before = dev(id).client.line.counters.junkBytes;
    inject(id, { kind: 'garbage', bytes: 5, count: 2 });
    await allOk(id);
    expect(dev(id).client.line.counters.junkBytes).toBeGreaterThanOrEqual(before + 5);
  });

  it('a reply split into pieces is reassembled', async () => {
    inject(id, { kind: 'split', pieces: 4, delayMs: 3 });
    await allOk(id);
  });

  it('a reply slower than the timeout: timeout now, the late reply is dropped, the next poll reads the right values', async () => {
    await allOk(id);
    inject(id, { kind: 'slow', delayMs: 400, count: 1 });
    const r = await poll(id);
    expect(qualities(r)[0]).toBe('timeout');
    await new Promise((res) => setTimeout(res, 300)); // the late reply arrives meanwhile
    const again = await allOk(id);
    const truth = await allOk(id);
    const values = (p: PollResult) => p.samples.filter((s) => !s.key.includes('/modbus.')).map((s) => s.reading.value);
    expect(values(again)).toEqual(values(truth));
  });
});

describe('RTU only', () => {
  it('a CRC error is comm_error with code modbus_crc, counted, and the next poll recovers', async () => {
    const before = dev('sdm630').client.counters.crcErrors;
    inject('sdm630', { kind: 'crc', count: 1 });
    const r = await poll('sdm630');
    expect(qualities(r)[0]).toBe('comm_error');
    expect(details(r)[0]).toMatch(/^modbus_crc/);
    expect(dev('sdm630').client.counters.crcErrors).toBe(before + 1);
    await allOk('sdm630');
  });

  it('a dead device on the bus costs one timeout per poll and never holds up the device beside it', async () => {
    inject('sdm630', { kind: 'timeout' });
    const sent = dev('sdm630').client.counters.requests;
    const [dead, alive] = await Promise.all([poll('sdm630'), poll('sdm120')]);
    expect(new Set(qualities(dead))).toEqual(new Set(['timeout']));
    expect(dev('sdm630').client.counters.requests).toBe(sent + 1);
    expect(alive.failed).toBe(0);
    expect(new Set(qualities(alive))).toEqual(new Set(['ok']));
    expect(sim.server('bus').stats.collisions).toBe(0);
  });

  it('a rebooting bus device is silent (timeouts), then answers again', async () => {
    inject('sdm120', { kind: 'reboot', durationMs: 300, count: 1 });
    expect(new Set(qualities(await poll('sdm120')))).toEqual(new Set(['timeout']));
    await allOk('sdm630');
    await until(async () => (await poll('sdm120')).failed === 0, { timeoutMs: 3000, what: 'sdm120 back after reboot' });
  });
});

describe('connections', () => {
  it('a rebooting TCP device drops its connection: comm errors, then reconnect and recovery', async () => {
    const reconnects = dev('pdu').client.line.counters.reconnects;
    inject('pdu', { kind: 'reboot', durationMs: 300, count: 1 });
    const r = await poll('pdu');
    expect(new Set(qualities(r)).has('ok')).toBe(false);
    expect(qualities(r).every((q) => q === 'comm_error' || q === 'timeout')).toBe(true);
    await until(async () => (await poll('pdu')).failed === 0, { timeoutMs: 3000, what: 'pdu back after reboot' });
    expect(dev('pdu').client.line.counters.reconnects).toBeGreaterThan(reconnects);
  });

  it('a gateway that drops the connection: comm_error, reconnect, recovery', async () => {
    const reconnects = dev('em24').client.line.counters.reconnects;
    inject('em24', { kind: 'drop', count: 1 });
    const r = await poll('em24');
    expect(new Set(qualities(r))).toEqual(new Set(['comm_error']));
    expect(details(r)[0]).toMatch(/^modbus_offline/);
    await until(async () => (await poll('em24')).failed === 0, { timeoutMs: 3000, what: 'em24 back after the drop' });
    expect(dev('em24').client.line.counters.reconnects).toBe(reconnects + 1);
  });

  it('counters reach the hub as series of the device', async () => {
    const r = await poll('sdm630');
    const c = new Map(r.samples.filter((s) => s.key.includes('/modbus.')).map((s) => [s.key, s.reading.value]));
    expect([...c.keys()].sort()).toEqual(['sdm630/modbus.crc_errors', 'sdm630/modbus.exceptions', 'sdm630/modbus.reconnects', 'sdm630/modbus.requests', 'sdm630/modbus.timeouts']);
    expect(c.get('sdm630/modbus.requests')).toBe(dev('sdm630').client.counters.requests);
    expect(c.get('sdm630/modbus.timeouts')).toBeGreaterThan(0);
    expect(c.get('sdm630/modbus.crc_errors')).toBeGreaterThan(0);
  });
});

describe('pipelining', () => {
  it('maxInFlight 4 on Modbus/TCP: requests overlap on one connection, every reply lands on its request', async () => {
    const d = await modbusDevices(sim.endpoints.filter((e) => e.device === 'pdu'), { patch: (c) => ({ ...c, outlets: 6, transport: { ...(c['transport'] as object), maxInFlight: 4 } }) });
    try {
      const [piped, plain] = await Promise.all([d.devices.get('pdu')!.poll(new AbortController().signal), allOk('pdu')]);
      expect(piped.failed).toBe(0);
      const values = (r: PollResult) => r.samples.filter((s) => !s.key.includes('/modbus.')).map((s) => s.reading.value);
      expect(values(piped)).toEqual(values(plain));
      expect(d.devices.get('pdu')!.client.line.counters.staleReplies).toBe(0);
    } finally {
      await d.close();
    }
  });
});

describe('workarounds on the wire', () => {
  it('closeAfterPoll: every poll opens and closes its own connection', async () => {
    const d = await modbusDevices(sim.endpoints.filter((e) => e.device === 'pdu'), { patch: (c) => ({ ...c, workarounds: { closeAfterPoll: true } }) });
    try {
      const server = sim.server('pdu');
      const before = server.stats.connections;
      for (let i = 0; i < 3; i++) expect((await d.devices.get('pdu')!.poll(new AbortController().signal)).failed).toBe(0);
      expect(server.stats.connections - before).toBe(3);
      expect(d.devices.get('pdu')!.client.line.counters).toMatchObject({ connects: 3, reconnects: 0 });
    } finally {
      await d.close();
    }
  });

  it('pauseBetweenRequestsMs: the next request waits for the pause (on the injected clock)', async () => {
    const clock = new FakeClock();
    // The TCP PDU (two reads per poll): a second opener of the bus pty would steal the other's bytes.
    const d = await modbusDevices(sim.endpoints.filter((e) => e.device === 'pdu'), { clock, patch: (c) => ({ ...c, workarounds: { pauseBetweenRequestsMs: 100 } }) });
    try {
      const dev = d.devices.get('pdu')!;
      expect(dev.plan).toHaveLength(2);
      const sent = (): number => dev.client.counters.responses;
      const polled = dev.poll(new AbortController().signal);
      await until(async () => {
        await clock.advance(0);
        return sent() === 1;
      }, { what: 'first reply' });
      await clock.advance(99);
      expect(sent()).toBe(1);
      await clock.advance(1);
      await until(async () => {
        await clock.advance(0);
        return sent() === 2;
      }, { what: 'second reply' });
      await clock.advance(100);
      expect((await polled).failed).toBe(0);
    } finally {
      await d.close();
    }
  });
});
