// hw-sim's miners checked on the wire with clients that share no code with rackpilot: socat for
// the cgminer RPC (one request per connection, reply + NUL, close; text and JSON requests; the
// multi-command join) and Debian's python3 for Whatsminer API v3 (4-byte little-endian length +
// JSON, both ways) — the way mbpoll checks the simulated PDU.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { minerScenario } from '../support/miners.js';

const run = promisify(execFile);
let sim: RunningSim;
beforeAll(async () => {
  sim = await startSimulator(minerScenario([
    { id: 'lux', model: 'luxos', ramp: 'luxos' },
    { id: 'wm3', model: 'whatsminer-v3', ramp: 'whatsminer', params: { password: 'pw' } },
    { id: 's9', model: 'antminer-stock', ramp: 'antminer', nominalW: 1323, params: { hardware: 'antminer-s9', quirks: ['stats-missing-comma'] } },
  ]), { basePort: 0, manual: true });
});
afterAll(async () => {
  await sim.stop();
});

const port = (id: string): number => sim.endpoints.find((e) => e.device === id)!.port;

/** One request with socat; returns the raw reply bytes. */
async function socat(id: string, request: string): Promise<Buffer> {
  const child = spawn('socat', ['-t', '2', '-', `TCP:127.0.0.1:${port(id)}`], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.end(request);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  await new Promise<void>((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`socat exited ${code}`)))));
  return Buffer.concat(chunks);
}

describe('cgminer RPC on the wire (socat)', () => {
  it('answers a JSON request with the reply, a NUL, and a close', async () => {
    const raw = await socat('lux', '{"command":"summary"}');
    expect(raw[raw.length - 1]).toBe(0);
    const r = JSON.parse(raw.subarray(0, -1).toString()) as { STATUS: { STATUS: string; Code: number }[]; SUMMARY: { 'GHS 5s': number }[] };
    expect(r.STATUS[0]).toMatchObject({ STATUS: 'S', Code: 11 });
    expect(r.SUMMARY[0]!['GHS 5s']).toBeGreaterThan(100_000);
  });

  it('takes the text syntax, and joins report commands with "+"', async () => {
    const text = await socat('lux', 'version\n');
    expect(text.toString()).toContain('"LUXminer"');
    const multi = JSON.parse((await socat('lux', '{"command":"summary+pools"}')).subarray(0, -1).toString()) as Record<string, unknown[]>;
    expect(Object.keys(multi).sort()).toEqual(['id', 'pools', 'summary']);
    expect(multi['pools']).toHaveLength(1);
  });

  it('the S9 quirk is in the bytes: two STATS objects with no comma between them', async () => {
    const raw = (await socat('s9', '{"command":"stats"}')).toString();
    expect(raw).toMatch(/"Type":"Antminer S9"\}\{"STATS":0/);
    expect(() => JSON.parse(raw.slice(0, -1)) as unknown).toThrow();
  });

  it('answers a malformed request with code 23', async () => {
    const r = JSON.parse((await socat('lux', '{"command":')).subarray(0, -1).toString()) as { STATUS: { Code: number }[] };
    expect(r.STATUS[0]!.Code).toBe(23);
  });
});

describe('Whatsminer API v3 on the wire (python3)', () => {
  it('length-prefixed JSON both ways', async () => {
    const v3 = sim.endpoints.find((e) => e.device === 'wm3')!.params['v3Port'] as number;
    const script = [
      'import json, socket, struct, sys',
      `s = socket.create_connection(("127.0.0.1", ${v3}), timeout=5)`,
      'body = json.dumps({"cmd": "get.device.info", "param": "miner"}).encode()',
      's.sendall(struct.pack("<I", len(body)) + body)',
      'head = b""',
      'while len(head) < 4: head += s.recv(4 - len(head))',
      'n = struct.unpack("<I", head)[0]',
      'data = b""',
      'while len(data) < n: data += s.recv(n - len(data))',
      'sys.stdout.write(data.decode())',
    ].join('\n');
    const { stdout } = await run('/usr/bin/python3', ['-c', script]);
    expect(JSON.parse(stdout)).toMatchObject({ code: 0, msg: { miner: { type: 'M60S_VK40', working: 'true' } }, desc: 'get.device.info' });
  });
});
