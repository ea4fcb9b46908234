// The pure nvidia-smi CSV parser against fixtures built from the documented formats and quirks
// (test/fixtures/nvidia-smi/README.md): placeholders become null with the reason, header names
// are checked column by column, a GPU name with ", " survives, and nothing unknown becomes 0.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { num, parseCell, parseQueryCsv, text, type Cell } from '../../agent/drivers/gpu/csv.js';
import { GPU_FIELDS, type GpuField } from '../../agent/drivers/gpu/fields.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/nvidia-smi');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

/** rackpilot's query columns, with `spellings` choosing an older name and `drop` leaving fields out. */
function columns(opts: { drop?: string[]; spellings?: Record<string, number> } = {}): { field: GpuField; spelling: string }[] {
  return GPU_FIELDS.filter((f) => !opts.drop?.includes(f.key)).map((f) => ({ field: f, spelling: f.query[opts.spellings?.[f.key] ?? 0] as string }));
}

function bad(c: Cell | undefined): { quality: string; reason: string } {
  if (!c || c.ok) throw new Error(`expected an unknown cell, got ${JSON.stringify(c)}`);
  return { quality: c.quality, reason: c.reason };
}

describe('nvidia-smi CSV fixtures', () => {
  it('8× H100 on driver 550.54.15: every column mapped, fan [N/A] is unknown, the capped GPU shows its throttle bit', () => {
    const p = parseQueryCsv(fixture('h100-sxm5-x8_driver-550.54.15.csv'), columns());
    expect(p.headerFound).toBe(true);
    expect(p.mismatches).toEqual([]);
    expect(p.stray).toEqual([]);
    expect(p.rows).toHaveLength(8);
    const r0 = p.rows[0]!;
    expect(num(r0['index'])).toBe(0);
    expect(text(r0['uuid'])).toMatch(/^GPU-[0-9a-f-]{36}$/);
    expect(text(r0['pci.bus_id'])).toBe('00000000:18:00.0');
    expect(num(r0['power.draw'])).toBe(600);
    expect(num(r0['power.draw.instant'])).toBe(612.5);
    expect(num(r0['power.min_limit'])).toBe(200);
    expect(num(r0['power.max_limit'])).toBe(700);
    expect(num(r0['persistence_mode'])).toBe(1);
    expect(num(r0['pstate'])).toBe(0);
    expect(bad(r0['fan.speed'])).toEqual({ quality: 'unsupported', reason: '[N/A]' });
    expect(num(r0['fan.speed'])).toBeNull();
    expect(text(r0['name'])).toBe('NVIDIA H100 80GB HBM3');
    const r5 = p.rows[5]!;
    expect(num(r5['power.limit'])).toBe(450);
    expect(num(r5['clocks_event_reasons.active'])).toBe(0x4);
  });

  it('a GPU that fell off the bus: its message is kept apart and the renumbered rows still parse', () => {
    const p = parseQueryCsv(fixture('h100-sxm5-x8_driver-550.54.15_gpu-fell-off-bus.csv'), columns());
    expect(p.stray).toEqual([expect.stringContaining('Unable to determine the device handle for GPU 00000000:5D:00.0')]);
    expect(p.rows).toHaveLength(7);
    expect(p.rows.map((r) => num(r['index']))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(p.rows.map((r) => text(r['pci.bus_id']))).not.toContain('00000000:5D:00.0');
    expect(text(p.rows[3]!['pci.bus_id'])).toBe('00000000:9A:00.0'); // old GPU 4
  });

  it('an old driver (470) with the throttle field under its old name and [Not Supported] power fields', () => {
    const cols = columns({ drop: ['power.draw.average', 'power.draw.instant'], spellings: { 'clocks_event_reasons.active': 1 } });
    const p = parseQueryCsv(fixture('geforce-gtx-770_driver-470.82.01.csv'), cols);
    expect(p.mismatches).toEqual([]);
    const r = p.rows[0]!;
    for (const k of ['power.draw', 'power.limit', 'enforced.power.limit', 'power.min_limit', 'power.max_limit', 'clocks_event_reasons.active']) {
      expect(bad(r[k])).toEqual({ quality: 'unsupported', reason: '[Not Supported]' });
    }
    expect(bad(r['temperature.memory'])).toEqual({ quality: 'unsupported', reason: 'N/A' });
    expect(num(r['temperature.gpu'])).toBe(52);
    expect(num(r['fan.speed'])).toBe(52);
    expect(num(r['persistence_mode'])).toBe(0);
  });

  it('GPU errors: [GPU requires reset], [Unknown Error] and [Insufficient Permissions] are device errors with their text', () => {
    const p = parseQueryCsv(fixture('a100-sxm4-x3_driver-535.129.03_gpu-errors.csv'), columns());
    expect(p.rows).toHaveLength(3);
    expect(num(p.rows[0]!['power.draw'])).toBe(312.55);
    const reset = p.rows[1]!;
    expect(text(reset['uuid'])).toMatch(/^GPU-/);
    expect(bad(reset['power.draw'])).toEqual({ quality: 'device_error', reason: '[GPU requires reset]' });
    expect(bad(reset['pstate'])).toEqual({ quality: 'device_error', reason: '[GPU requires reset]' });
    expect(bad(p.rows[2]!['power.draw'])).toEqual({ quality: 'device_error', reason: '[Unknown Error]' });
    expect(num(p.rows[2]!['power.draw.instant'])).toBe(290.4);
    expect(bad(p.rows[2]!['temperature.memory'])).toEqual({ quality: 'device_error', reason: '[Insufficient Permissions]' });
  });

  it('the alias header quirk: clocks.gr and clocks.mem come back under their canonical names with units', () => {
    const f = (key: string, query: string[], type: GpuField['type'], unit?: string, headers?: string[]): { field: GpuField; spelling: string } =>
      ({ field: { key, query, type, ...(unit ? { unit } : {}), ...(headers ? { headers } : {}) }, spelling: query[0]! });
    const cols = [
      f('index', ['index'], 'number'), f('name', ['name'], 'text'), f('power.draw', ['power.draw'], 'number', 'W'),
      f('temperature.gpu', ['temperature.gpu'], 'number'), f('fan.speed', ['fan.speed'], 'number', '%'),
      f('clocks.current.graphics', ['clocks.gr'], 'number', 'MHz', ['clocks.current.graphics']),
      f('clocks.current.memory', ['clocks.mem'], 'number', 'MHz', ['clocks.current.memory']),
    ];
    const p = parseQueryCsv(fixture('geforce-gtx-1080_alias-query_with-units.csv'), cols);
    expect(p.mismatches).toEqual([]);
    const r = p.rows[0]!;
    expect(text(r['name'])).toBe('GeForce GTX 1080');
    expect(num(r['temperature.gpu'])).toBe(38);
    // Values with units ("131.17 W") are what the query did not ask for: invalid, never parsed as 131.17.
    expect(bad(r['power.draw']).quality).toBe('invalid');
    expect(bad(r['clocks.current.graphics']).quality).toBe('invalid');
  });

  it('a renamed column (different field and unit in power.draw’s place) is reported and its values are unknown', () => {
    const p = parseQueryCsv(fixture('synthetic_renamed-power-column.csv'), columns());
    expect(p.mismatches).toEqual([{ column: 6, key: 'power.draw', expected: 'power.draw [W]', got: 'power.draw.instant [mW]' }]);
    const r = p.rows[0]!;
    expect(bad(r['power.draw'])).toEqual({ quality: 'invalid', reason: expect.stringContaining('column 7 is "power.draw.instant [mW]"') });
    expect(num(r['power.limit'])).toBe(700); // the other columns still read
  });

  it('CRLF line endings and a name containing ", " (name is the last column)', () => {
    const p = parseQueryCsv(fixture('synthetic_crlf_name-with-comma.csv'), columns());
    expect(p.mismatches).toEqual([]);
    expect(p.rows).toHaveLength(1);
    expect(text(p.rows[0]!['name'])).toBe('NVIDIA RTX 6000, Ada Generation');
    expect(text(p.rows[0]!['driver_version'])).toBe('551.61');
    expect(num(p.rows[0]!['power.draw'])).toBe(600);
  });

  it('output without a header makes every value unknown (it cannot be checked), and driver messages alone give no rows', () => {
    const body = fixture('h100-sxm5-x8_driver-550.54.15.csv').split('\n').slice(1).join('\n');
    const p = parseQueryCsv(body, columns());
    expect(p.headerFound).toBe(false);
    expect(p.rows).toHaveLength(8);
    expect(bad(p.rows[0]!['power.draw']).quality).toBe('invalid');
    const msg = parseQueryCsv("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n", columns());
    expect(msg.rows).toEqual([]);
  });
});

describe('parseCell', () => {
  it('types and placeholders', () => {
    expect(parseCell(' 612.34 ', 'number')).toEqual({ ok: true, value: 612.34 });
    expect(parseCell('0x0000000000000084', 'hex')).toEqual({ ok: true, value: 0x84 });
    expect(parseCell('0xffffffffffffffff', 'hex')).toMatchObject({ ok: false, quality: 'invalid' });
    expect(parseCell('Enabled', 'enabled')).toEqual({ ok: true, value: 1 });
    expect(parseCell('P12', 'pstate')).toEqual({ ok: true, value: 12 });
    expect(parseCell('[GPU is lost]', 'number')).toEqual({ ok: false, quality: 'device_error', reason: '[GPU is lost]' });
    expect(parseCell('[Something New]', 'number')).toEqual({ ok: false, quality: 'device_error', reason: '[Something New]' });
    expect(parseCell('Requested functionality has been deprecated', 'number')).toMatchObject({ ok: false, quality: 'unsupported' });
    expect(parseCell('', 'number')).toMatchObject({ ok: false, quality: 'invalid' });
    expect(parseCell('12,5', 'number')).toMatchObject({ ok: false, quality: 'invalid' });
  });

  it('round-trips any value nvidia-smi prints with two decimals, and any name', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() === s && !s.includes('\n') && !/^\[.*\]$/.test(s) && s !== 'N/A'), (cents, name) => {
      const v = (cents / 100).toFixed(2);
      const cols = columns().filter((c) => ['index', 'power.draw', 'name'].includes(c.field.key));
      const p = parseQueryCsv(`index, power.draw [W], name\n3, ${v}, ${name}\n`, cols);
      return p.rows.length === 1 && num(p.rows[0]!['power.draw']) === Number(v) && text(p.rows[0]!['name']) === name;
    }), { seed: 5, numRuns: 300 });
  });
});
