// rackpilot's Modbus client against an independent server: Debian's python3-pymodbus 3.0
// (test/support/pymodbus_server.py encodes the values with Python's struct module). Every data
// type in every word/byte order, a string, bits in a register and coils, read through a YAML
// profile file by the real driver over Modbus/TCP, RTU over TCP, and RTU on a socat pty pair.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { planFor } from '../../agent/drivers/pdu/expand.js';
import { runPlan } from '../../agent/drivers/pdu/read.js';
import { systemClock } from '../../agent/runtime/clock.js';
import { devicesFromConfig, type TestDevices } from '../support/modbus.js';
import { ptyPair, type PtyPair } from '../support/pty-pair.js';
import { startPymodbus, type PymodbusCase, type PymodbusServer } from '../support/pymodbus.js';

const VALUES = { u16: 51234, i16: -12345, u32: 3_000_000_123, i32: -123_456_789, u64: 123_456_789_012_345, i64: -98_765_432_109_876, f32: 231.68, f64: -1234.56789 } as const;
const ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
const COILS = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1];

const numeric = Object.entries(VALUES).flatMap(([type, value], t) => ORDERS.map((order, o) => ({ type, order, value, address: (t * 4 + o) * 4 })));
const cases: PymodbusCase[] = [
  ...numeric,
  { address: 200, type: 'string', registers: 6, value: 'PM5560 lab' },
  { address: 210, type: 'u16', value: 0b1000_0000_0000_0101 },
  ...COILS.map((v, i) => ({ coil: i, value: v === 1 })),
];
const expected = (type: string, v: number): number => (type === 'f32' ? Math.fround(v) : v);

const profile = {
  name: 'pymodbus-interop',
  description: 'every type and order, from a pymodbus server',
  source: 'test/support/pymodbus_server.py',
  kind: 'meter',
  addressing: 'wire',
  phases: 1,
  outlets: { max: 16 },
  limits: { maxRegisters: 125, maxGap: 8 },
  points: [
    ...numeric.map((c) => ({ quantity: `t.${c.type}_${c.order.toLowerCase()}`, table: 'holding', address: c.address, type: c.type, order: c.order, precision: -6 })),
    { quantity: 't.input_f32_cdab', table: 'input', address: numeric.find((c) => c.type === 'f32' && c.order === 'CDAB')!.address, type: 'f32', order: 'CDAB', precision: -3 },
    { quantity: 'info.name', table: 'holding', address: 200, type: 'string', registers: 6, kind: 'info' },
    ...[0, 1, 2, 15].map((bit) => ({ quantity: `t.bit${bit}`, table: 'holding', address: 210, type: 'bit', bit, precision: 0, kind: 'state' })),
    { quantity: 't.coil', channel: '{n}', table: 'coil', address: 0, type: 'bit', precision: 0, kind: 'state', repeat: { over: 'outlets', stride: 1 } },
  ],
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rp-pymodbus-'));
  await writeFile(join(dir, 'interop.yaml'), stringify(profile));
});

function interop(mode: string, transport: () => Record<string, unknown>, start: () => Promise<PymodbusServer>): void {
  describe(`over ${mode}`, () => {
    let server: PymodbusServer;
    let t: TestDevices;
    beforeAll(async () => {
      server = await start();
      t = await devicesFromConfig([{ id: 'peer', type: 'modbus', profile: './interop.yaml', outlets: COILS.length, transport: transport(), timeoutMs: 2000 }], { baseDir: dir });
    });
    afterAll(async () => {
      await t?.close();
      await server?.stop();
    });

    it('decodes every type in every word order, bits in a register and coils', async () => {
      const d = t.devices.get('peer')!;
      const res = await d.poll(new AbortController().signal);
      expect(res.failed, res.error).toBe(0);
      const v = new Map(res.samples.map((s) => [s.key, s.reading.value]));
      for (const c of numeric) expect(v.get(`peer/t.${c.type}_${c.order.toLowerCase()}`), `${c.type} ${c.order}`).toBe(expected(c.type, c.value));
      expect(v.get('peer/t.input_f32_cdab')).toBe(Math.fround(231.68));
      expect([0, 1, 2, 15].map((b) => v.get(`peer/t.bit${b}`))).toEqual([1, 0, 1, 1]);
      expect(COILS.map((_, i) => v.get(`peer/t.coil/${i + 1}`))).toEqual(COILS);
    });

    it('reads the string (an info point, read by diag)', async () => {
      const d = t.devices.get('peer')!;
      const e = t.resolved.get('peer')!.expanded;
      const r = await runPlan(d.client, planFor(e, 'all'), e.points, { pauseMs: 0, clock: systemClock });
      const name = e.points.find((p) => p.quantity === 'info.name')!;
      expect(r.points.get(name.id)).toEqual({ ok: true, value: 'PM5560 lab' });
    });
  });
}

interop('Modbus/TCP', () => ({ type: 'tcp', host: '127.0.0.1', port: tcpServer.port }), async () => (tcpServer = await startPymodbus('tcp', cases)));
interop('RTU over TCP', () => ({ type: 'rtu-over-tcp', host: '127.0.0.1', port: rtuTcpServer.port }), async () => (rtuTcpServer = await startPymodbus('rtu-over-tcp', cases)));
// pyserial cannot set parity on a pty (EINVAL), so this pair runs 8N1.
interop('RTU on a pty pair', () => ({ type: 'rtu', path: pair.b, baud: 19200, parity: 'none' }), async () => {
  pair = await ptyPair();
  const s = await startPymodbus(`rtu:${pair.a}:19200:N`, cases);
  return { port: 0, stop: async () => { await s.stop(); await pair.close(); } };
});
let tcpServer: PymodbusServer;
let rtuTcpServer: PymodbusServer;
let pair: PtyPair;
