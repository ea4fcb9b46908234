// The pure parts of rackpilot diag: the log ring behind GET /logs, the tar writer (checked by GNU
// tar, an independent reader), config redaction, the wiring cross-check and progress output.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Progress } from '../../agent/cli/progress.js';
import { REDACTED, redactConfig } from '../../agent/cli/redact.js';
import { fits, wiringChecks } from '../../agent/cli/selftest/wiring.js';
import type { DeviceFacts } from '../../agent/cli/selftest/types.js';
import { tar, tarGz } from '../../agent/cli/tar.js';
import { createLogger } from '../../agent/runtime/log.js';
import { LogRing, levelOf } from '../../agent/runtime/log-ring.js';

const run = promisify(execFile);

describe('LogRing', () => {
  it('keeps the newest lines within its line and byte bounds, counts what it dropped, filters by level', () => {
    const ring = new LogRing({ maxLines: 5, maxBytes: 10_000 });
    let t = 0;
    const log = createLogger({ level: 'debug', sink: ring, now: () => 1_700_000_000_000 + t++ });
    for (let i = 0; i < 8; i++) {
      if (i % 3 === 0) log.warn(`line ${i}`, { i });
      else log.info(`line ${i}`, { i });
    }
    expect(ring.size).toBe(5);
    expect(ring.dropped).toBe(3);
    expect(ring.lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['line 3', 'line 4', 'line 5', 'line 6', 'line 7']);
    expect(ring.lines({ n: 2 }).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['line 6', 'line 7']);
    expect(ring.lines({ minLevel: 'warn' }).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['line 3', 'line 6']);
    expect(levelOf(ring.lines({ n: 1 })[0]!)).toBe('info');
  });

  it('drops the oldest lines when the bytes run over, but always keeps the newest line', () => {
    const ring = new LogRing({ maxLines: 100, maxBytes: 50 });
    for (let i = 0; i < 10; i++) ring.write(`${'x'.repeat(20)}${i}\n`);
    expect(ring.lines()).toEqual([`${'x'.repeat(20)}8`, `${'x'.repeat(20)}9`]);
    ring.write('y'.repeat(80));
    expect(ring.lines()).toEqual(['y'.repeat(80)]);
  });

  it('compacts its storage: a long run keeps memory bounded and order right', () => {
    const ring = new LogRing({ maxLines: 3 });
    for (let i = 0; i < 5000; i++) ring.write(`l${i}`);
    expect(ring.lines()).toEqual(['l4997', 'l4998', 'l4999']);
    expect(ring.dropped).toBe(4997);
  });
});

describe('tar writer', () => {
  it('GNU tar lists and extracts what it wrote: names, long paths, sizes, modes, binary content', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rp-tar-'));
    const long = `report/${'d'.repeat(90)}/${'f'.repeat(60)}.json`;
    const binary = Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 37) % 256));
    const file = join(dir, 'a.tar.gz');
    await writeFile(file, await tarGz([
      { name: 'report/README.txt', data: 'hello\n', mtimeMs: Date.UTC(2025, 0, 2, 3, 4, 5) },
      { name: long, data: '{"a":1}\n', mtimeMs: Date.UTC(2025, 0, 2, 3, 4, 5), mode: 0o600 },
      { name: 'report/bin', data: binary, mtimeMs: Date.UTC(2025, 0, 2, 3, 4, 5) },
      { name: 'report/empty', data: '', mtimeMs: Date.UTC(2025, 0, 2, 3, 4, 5) },
    ]));
    const listed = (await run('tar', ['-tvzf', file, '--utc'])).stdout.trim().split('\n');
    expect(listed).toHaveLength(4);
    expect(listed[0]).toMatch(/^-rw-r--r-- root\/root\s+6 2025-01-02 03:04 report\/README.txt$/);
    expect(listed[1]).toMatch(new RegExp(`^-rw------- root/root\\s+8 2025-01-02 03:04 ${long}$`));
    await run('tar', ['-xzf', file, '-C', dir]);
    expect(await readFile(join(dir, 'report/README.txt'), 'utf8')).toBe('hello\n');
    expect(await readFile(join(dir, long), 'utf8')).toBe('{"a":1}\n');
    expect((await readFile(join(dir, 'report/bin'))).equals(binary)).toBe(true);
    expect(await readFile(join(dir, 'report/empty'), 'utf8')).toBe('');
  });

  it('is 512-byte blocks ending in two zero blocks, and refuses a path ustar cannot hold', () => {
    const b = tar([{ name: 'x', data: 'abc', mtimeMs: 0 }]);
    expect(b.length).toBe(512 * 4);
    expect(b.subarray(1024).every((x) => x === 0)).toBe(true);
    expect(() => tar([{ name: 'y'.repeat(300), data: '', mtimeMs: 0 }])).toThrow(/too long/);
  });
});

describe('redactConfig', () => {
  it('replaces secret values, PEM blocks and NAME=secret words; keeps paths to key and token files', () => {
    const raw = {
      hub: { url: 'wss://agent:s3cr3t-pw@hub:8700/agent', tokenFile: '/etc/rackpilot/agent.token', tls: { ca: 'ca.pem', cert: 'agent.pem', key: '/etc/rackpilot/agent.key' } },
      devices: [
        { id: 'm1', type: 'miner', host: '10.0.0.1', credentials: { user: 'root', password: 'hunter2' } },
        { id: 'm2', type: 'miner', host: '10.0.0.2', credentials: { passwordFile: 'secrets/m2.pw' } },
        { id: 'g1', type: 'gpu-host', prefix: ['env', 'API_TOKEN=abc123', 'RACKPILOT_SIM_NVSMI=127.0.0.1:5000'], notes: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----' },
        { id: 'x', token: 12345678 },
      ],
    };
    const r = redactConfig(raw);
    const text = JSON.stringify(r.value);
    for (const secret of ['hunter2', 'abc123', 'MIIB', '12345678', 's3cr3t-pw']) expect(text).not.toContain(secret);
    expect(text).toContain('wss://[REDACTED]@hub:8700/agent');
    expect(r.paths).toEqual(['hub.url', 'devices[0].credentials.password', 'devices[2].prefix[1]', 'devices[2].notes', 'devices[3].token']);
    expect(text).toContain('/etc/rackpilot/agent.token');
    expect(text).toContain('/etc/rackpilot/agent.key');
    expect(text).toContain('secrets/m2.pw');
    expect(text).toContain(`API_TOKEN=${REDACTED}`);
    expect(text).toContain('RACKPILOT_SIM_NVSMI=127.0.0.1:5000');
  });
});

const pdu = (outletW: Record<number, number | null>): DeviceFacts => ({
  id: 'pdu-a', kind: 'pdu', reached: true, identity: {},
  pdu: { outletW: new Map(Object.entries(outletW).map(([k, v]) => [Number(k), v])), outletOn: new Map() },
});
const miner = (id: string, apiW: number | null, outlet: number, estimated = false): DeviceFacts => ({ id, kind: 'miner', reached: true, identity: {}, load: { kind: 'miner', apiW, estimated, feed: { pdu: 'pdu-a', outlet } } });

describe('wiringChecks', () => {
  it('names the outlet that carries a load whose own outlet reads nothing', () => {
    const rows = wiringChecks([pdu({ 1: 1900, 7: 3, 8: 1880, 9: 3215 }), miner('miner-01', 1905, 1), miner('miner-03', 3200, 7), miner('miner-08', 1890, 8)]);
    expect(rows.map((r) => [r.subject, r.status])).toEqual([['miner-01', 'pass'], ['miner-03', 'fail'], ['miner-08', 'pass']]);
    expect(rows[1]!.detail).toBe('miner-03 draws 3.20 kW (its API) but pdu-a outlet 7 reads 0.00 kW; outlet 9 reads 3.21 kW: is it plugged into outlet 9?');
    expect(rows[1]!.fix).toContain('load.feed.outlet: 9');
  });

  it('does not offer an outlet another load already explains; says so when no outlet fits', () => {
    const rows = wiringChecks([pdu({ 1: 1900, 2: 0 }), miner('miner-01', 1905, 1), miner('miner-02', 1900, 2)]);
    expect(rows[1]!.status).toBe('fail');
    expect(rows[1]!.detail).toContain('no other outlet of pdu-a carries that power');
  });

  it('two swapped plugs: each load is pointed at the other outlet', () => {
    const rows = wiringChecks([pdu({ 1: 3250, 2: 1350 }), miner('s19', 3250, 2), miner('s9', 1350, 1)]);
    expect(rows.map((r) => r.detail)).toEqual([
      's19 draws 3.25 kW (its API) but pdu-a outlet 2 reads 1.35 kW; outlet 1 reads 3.25 kW: is it plugged into outlet 1?',
      's9 draws 1.35 kW (its API) but pdu-a outlet 1 reads 3.25 kW; outlet 2 reads 1.35 kW: is it plugged into outlet 2?',
    ]);
  });

  it('a sleeping load proves nothing, unless its outlet carries a lot; unknowns are skipped, not passed', () => {
    const rows = wiringChecks([pdu({ 1: 20, 2: 2500, 3: null }), miner('idle', 25, 1), miner('busy-outlet', 30, 2), miner('unknown', 1900, 3), miner('no-api', null, 1)]);
    expect(rows.map((r) => r.status)).toEqual(['pass', 'warn', 'skip', 'skip']);
    expect(rows[1]!.detail).toContain('something else draws on that outlet');
  });

  it('a GPU server draws more at the wall than its GPUs report', () => {
    const gpu = (apiW: number): DeviceFacts => ({ id: 'gpu-01', kind: 'gpu', reached: true, identity: {}, load: { kind: 'gpu', apiW, estimated: false, feed: { pdu: 'pdu-a', outlet: 1 } } });
    expect(wiringChecks([pdu({ 1: 6030 }), gpu(4840)])[0]!.status).toBe('pass');
    expect(fits({ kind: 'gpu', apiW: 4840, estimated: false }, 2000)).toBe(false);
    expect(fits({ kind: 'miner', apiW: 1300, estimated: true }, 1650)).toBe(true);
    expect(fits({ kind: 'miner', apiW: 1300, estimated: false }, 1650)).toBe(false);
  });
});

describe('Progress', () => {
  it('is quiet for the first second; then a terminal gets one line rewritten, anything else a line per second', () => {
    let now = 0;
    const tty: string[] = [];
    const plain: string[] = [];
    const p1 = new Progress({ out: Object.assign({ write: (s: string) => tty.push(s) }, { isTTY: true }) as never, now: () => now });
    const p2 = new Progress({ out: { write: (s: string) => plain.push(s) } as never, now: () => now });
    for (const t of [100, 900, 1200, 1500, 2300]) {
      now = t;
      p1.update(`step at ${t}`);
      p2.update(`step at ${t}`);
    }
    p1.done();
    expect(tty).toEqual(['\r\x1b[Kstep at 1200 … 1 s', '\r\x1b[Kstep at 1500 … 2 s', '\r\x1b[Kstep at 2300 … 2 s', '\r\x1b[K']);
    expect(plain).toEqual(['… step at 1200 (1 s)\n', '… step at 2300 (2 s)\n']);
  });
});
