// modbus.*: the Modbus layer against hw-sim on loopback (TCP) and on an RS-485 pty (socat).
//   modbus.requests_per_sweep_over_min   requests one sweep of every built-in profile sends, over
//                                        the minimum an exhaustive search finds under each
//                                        profile's limits (target 1.0)
//   modbus.tcp_sweep_ms_48_outlets       one poll of a 48-outlet rackpilot-sim-pdu, median, ms
//   modbus.tcp_sweep_ms_48_outlets_xerus the same for xerus-pdu (one read per outlet block)
//   modbus.rtu_sweep_over_wire_<baud>    a sweep of three meters sharing one bus (SDM630, EM24,
//                                        SDM120; the bus emulates line timing, no turnaround),
//                                        over the wire + silence time of its requests (≤ 1.2)
//   modbus.overhead_vs_raw               our driver's poll over raw jsmodbus reads of the same
//                                        plan against the same server, minus 1 (≤ 0.10)
import { createConnection } from 'node:net';
import * as Modbus from 'jsmodbus';
import { isBitTable } from '../../agent/drivers/modbus/client.js';
import type { PlannedRead } from '../../agent/drivers/modbus/plan.js';
import type { ModbusPowerDevice } from '../../agent/drivers/pdu/driver.js';
import { expandProfile, planFor } from '../../agent/drivers/pdu/expand.js';
import { BUILTIN_PROFILES } from '../../agent/drivers/pdu/profiles/index.js';
import { exchangeWireMs, readFrameBytes } from '../../protocols/modbus/rtu-timing.js';
import { startSimulator } from '../../hw-sim/run.js';
import type { Scenario } from '../../hw-sim/scenarios/types.js';
import { modbusDevices } from '../../test/support/modbus.js';
import type { Section } from '../harness.js';
import { median, round } from '../harness.js';

const signal = (): AbortSignal => new AbortController().signal;

/** Fewest reads covering `points` (sorted intervals) under the limits: exhaustive DP. */
function minimumReads(points: readonly { address: number; count: number }[], max: number, maxGap: number, onePerPoint: boolean): number {
  if (onePerPoint) return points.length;
  const p = [...points].sort((a, b) => a.address - b.address);
  const best = new Array<number>(p.length + 1).fill(Infinity);
  best[0] = 0;
  for (let i = 0; i < p.length; i++) {
    let end = 0;
    for (let j = i; j < p.length; j++) {
      const q = p[j]!;
      if (j > i && q.address - end > maxGap) break;
      end = Math.max(end, q.address + q.count);
      if (end - p[i]!.address > max) break;
      best[j + 1] = Math.min(best[j + 1]!, best[i]! + 1);
    }
  }
  return best[p.length]!;
}

function requestsOverMinimum(): number {
  let planned = 0;
  let minimum = 0;
  for (const profile of BUILTIN_PROFILES.values()) {
    const e = expandProfile(profile, profile.outlets.max > 0 ? Math.min(24, profile.outlets.max) : undefined);
    planned += planFor(e, 'poll').length;
    for (const table of ['coil', 'discrete', 'holding', 'input'] as const) {
      const pts = e.points.filter((x) => x.table === table && x.kind !== 'info');
      if (!pts.length) continue;
      const max = isBitTable(table) ? e.limits.maxBits : e.limits.maxRegisters;
      minimum += table === 'coil' && e.limits.coilsFromZero ? 1 : minimumReads(pts, max, e.limits.maxGap, e.limits.onePerPoint ?? false);
    }
  }
  return planned / minimum;
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const pduScenario = (model: string): Scenario => ({
  name: 'bench-tcp', description: '48-outlet PDU', timeline: [],
  pdus: [{ id: 'pdu', model, unit: 1, phases: 3, outlets: 48, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA: 32 }],
  loads: Array.from({ length: 48 }, (_, o) => ({ id: `m${o + 1}`, family: 'miner', pdu: 'pdu', outlet: o + 1, nominalW: 600, demand: 1 })),
});

/** Raw jsmodbus: the same reads, one after the other, no decoding. */
async function rawJsmodbus(host: string, port: number, plan: readonly PlannedRead[], n: number): Promise<number[]> {
  const socket = createConnection({ host, port });
  const client = new Modbus.client.TCP(socket, 1, 2000);
  await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
  try {
    return await timed(n, async () => {
      for (const r of plan) await client.readHoldingRegisters(r.address, r.count);
    });
  } finally {
    socket.destroy();
  }
}

async function tcpSweeps(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [model, key] of [['rackpilot-sim-pdu', 'modbus.tcp_sweep_ms_48_outlets'], ['xerus-pdu', 'modbus.tcp_sweep_ms_48_outlets_xerus']] as const) {
    const sim = await startSimulator(pduScenario(model), { basePort: 0, manual: true });
    sim.sim.advance(5);
    const t = await modbusDevices(sim.endpoints);
    try {
      const dev = t.devices.get('pdu')!;
      const first = await dev.poll(signal());
      if (first.failed) throw new Error(`TCP poll failed: ${first.error ?? '?'}`);
      await timed(50, () => dev.poll(signal())); // warm up: connection, JIT
      out[key] = round(median(await timed(300, () => dev.poll(signal()))), 3);
      if (model === 'rackpilot-sim-pdu') {
        const ep = sim.endpoints[0]!;
        await rawJsmodbus(ep.host, ep.port, dev.plan, 50);
        const ours: number[] = [];
        const raw: number[] = [];
        for (let round = 0; round < 10; round++) { // interleaved, so drift on a busy machine hits both
          ours.push(...(await timed(50, () => dev.poll(signal()))));
          raw.push(...(await rawJsmodbus(ep.host, ep.port, dev.plan, 50)));
        }
        out['modbus.overhead_vs_raw'] = round(median(ours) / median(raw) - 1, 3);
      }
    } finally {
      await t.close();
      await sim.stop();
    }
  }
  return out;
}

const busScenario = (baud: number): Scenario => ({
  name: 'bench-rtu', description: 'three meters on one bus', timeline: [],
  pdus: [{ id: 'pdu', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 6, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA: 32 }],
  meters: [
    { id: 'sdm630', model: 'eastron-sdm630', unit: 1, pdu: 'pdu', link: { type: 'rtu', bus: 'bus' } },
    { id: 'em24', model: 'carlo-gavazzi-em24', unit: 2, pdu: 'pdu', link: { type: 'rtu', bus: 'bus' } },
    { id: 'sdm120', model: 'eastron-sdm120', unit: 3, pdu: 'pdu', outlets: [1], link: { type: 'rtu', bus: 'bus' } },
  ],
  buses: [{ id: 'bus', baud, parity: 'none', expose: 'pty', turnaroundMs: 0 }],
  loads: [1, 2, 3].map((o) => ({ id: `m${o}`, family: 'miner', pdu: 'pdu', outlet: o, nominalW: 2000, demand: 1 })),
});

async function rtuSweep(baud: number): Promise<number> {
  const sim = await startSimulator(busScenario(baud), { basePort: 0, manual: true });
  sim.sim.advance(5);
  const t = await modbusDevices(sim.endpoints.filter((e) => e.kind === 'meter'));
  try {
    const devs = [...t.devices.values()] as ModbusPowerDevice[];
    const format = { baud, parity: 'none' as const, dataBits: 8, stopBits: 1 };
    const wire = devs.flatMap((d) => d.plan).reduce((s, r) => {
      const f = readFrameBytes(r.table === 'coil' ? 1 : r.table === 'discrete' ? 2 : r.table === 'holding' ? 3 : 4, r.count);
      return s + exchangeWireMs(format, f.request, f.reply);
    }, 0);
    const sweep = async (): Promise<void> => {
      for (const r of await Promise.all(devs.map((d) => d.poll(signal())))) if (r.failed) throw new Error(`RTU poll failed: ${r.error ?? '?'}`);
    };
    await timed(3, sweep);
    const n = baud >= 115200 ? 40 : 8;
    const times = await timed(n, sweep);
    if (sim.server('bus').stats.collisions) throw new Error(`${sim.server('bus').stats.collisions} collisions on the bus`);
    return median(times) / wire;
  } finally {
    await t.close();
    await sim.stop();
  }
}

export const modbusSection: Section = {
  name: 'modbus: planning, TCP and RTU sweeps, overhead',
  prefixes: ['modbus.'],
  targets: {
    'modbus.requests_per_sweep_over_min': { op: '<=', value: 1 },
    'modbus.rtu_sweep_over_wire_9600': { op: '<=', value: 1.2 },
    'modbus.rtu_sweep_over_wire_115200': { op: '<=', value: 1.2 },
    'modbus.overhead_vs_raw': { op: '<=', value: 0.1 },
  },
  notes: { 'modbus.tcp_sweep_ms_48_outlets': 'ms, loopback, 7 reads', 'modbus.tcp_sweep_ms_48_outlets_xerus': 'ms, loopback, 52 reads' },
  async run() {
    return {
      'modbus.requests_per_sweep_over_min': round(requestsOverMinimum(), 3),
      ...(await tcpSweeps()),
      'modbus.rtu_sweep_over_wire_9600': round(await rtuSweep(9600), 3),
      'modbus.rtu_sweep_over_wire_115200': round(await rtuSweep(115200), 3),
    };
  },
};
