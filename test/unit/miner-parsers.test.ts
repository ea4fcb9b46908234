// Firmware parsers against the fixtures in test/fixtures/miners/ (one folder per make, model and
// firmware version): units normalised (TH/s, W, °C), board slots renumbered 0..n, unknown as
// null — never 0.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReply } from '../../protocols/cgminer/sanitize.js';
import { emptyData, finishData, mergeData, type DataPatch, type MinerData } from '../../agent/drivers/miner/data.js';
import { parseBmminerStats, parseMinerConf, minerConfBody } from '../../agent/drivers/miner/firmware/antminer.js';
import { parseBosConstraints, parseBosDetails, parseBosRpc, parseBosTunerState } from '../../agent/drivers/miner/firmware/braiins.js';
import { parsePools, parseSummary } from '../../agent/drivers/miner/firmware/cgminer.js';
import { parseLuxProfiles, parseLuxRpc, profileFor } from '../../agent/drivers/miner/firmware/luxos.js';
import { parseVnishPresets, parseVnishSummary, presetFor, vnishPreset } from '../../agent/drivers/miner/firmware/vnish.js';
import { parseWmEdevs, parseWmErrors, parseWmStatus, parseWmSummary } from '../../agent/drivers/miner/firmware/whatsminer-v2.js';
import { parseV3DeviceInfo, parseV3Status } from '../../agent/drivers/miner/firmware/whatsminer-v3.js';
import { findModel, modelKey } from '../../agent/drivers/miner/models.js';
import { dashList, num, populatedSlots, seconds, toTHs } from '../../agent/drivers/miner/values.js';

const FIX = join(import.meta.dirname, '../fixtures/miners');
function load(path: string): unknown {
  const r = parseReply(readFileSync(join(FIX, path)));
  if (!r.ok) throw new Error(`${path}: ${r.message}`);
  return r.value;
}
const msgOf = (v: unknown): unknown => (v as { msg: unknown }).msg;
const data = (...patches: DataPatch[]) => finishData(patches.reduce<MinerData>((d, p) => mergeData(d, p), emptyData('antminer')));

describe('value coercion', () => {
  it('numbers from numbers and numeric strings; "", "nan", text and booleans are null', () => {
    expect([num(14018.8), num('14046.04'), num(' 656 '), num('1e3')]).toEqual([14018.8, 14046.04, 656, 1000]);
    expect([num(''), num('nan'), num('N/A'), num(true), num(null), num(Number.NaN), num(Infinity)]).toEqual([null, null, null, null, null, null, null]);
  });

  it('dash-packed sensors drop zeros (absent sensors); sparse slots are found in order', () => {
    expect(dashList('78-50-69-70')).toEqual([78, 50, 69, 70]);
    expect(dashList('0-0-0-0')).toEqual([]);
    expect(populatedSlots({ fan1: 0, fan3: 5880, fan6: 4200, fan_num: 2 }, 'fan')).toEqual([3, 6]);
  });

  it('rates convert by unit; durations parse', () => {
    expect(toTHs('104820.55', 'GH')).toBeCloseTo(104.82055);
    expect(toTHs(125431002.33, 'MH')).toBeCloseTo(125.431);
    expect(toTHs(5, 'GH/s')).toBe(0.005);
    expect(toTHs(5, 'furlongs')).toBeNull();
    expect(seconds('0:00:03')).toBe(3);
    expect(seconds('1:02:03')).toBe(3723);
  });

  it('model keys survive the spellings firmwares use', () => {
    expect(modelKey('ANTMINER S19 PRO HYD.')).toBe('S19PRO');
    expect(modelKey('Bitmain Antminer S9')).toBe('S9');
    expect(modelKey('Antminer S19 XP')).toBe(modelKey('S19XP'));
    expect(modelKey('Antminer S19 Pro (vnish 1.2.6)')).toBe('S19PRO');
    expect(findModel('M50S_VH30')?.name).toBe('Whatsminer M50S');
    expect(findModel('Antminer Z15')).toBeUndefined();
  });
});

describe('stock Antminer S19 Pro, bmminer 49.0.1.3', () => {
  const d = data(
    parseBmminerStats(load('bitmain-s19pro-stock-49.0.1.3/stats.json')),
    parseSummary(load('bitmain-s19pro-stock-49.0.1.3/summary.json')),
    parsePools(load('bitmain-s19pro-stock-49.0.1.3/pools.json')),
    parseMinerConf(load('bitmain-s19pro-stock-49.0.1.3/get_miner_conf.json')),
  );

  it('reads hashrate in TH/s from GH/s strings, and the ideal rate', () => {
    expect(d.hashrateTHs).toBeCloseTo(104.82, 2);
    expect(d.expectedHashrateTHs).toBe(110);
    expect(d.model).toBe('Antminer S19 Pro');
    expect(d.firmwareVersion).toBe('49.0.1.3');
    expect(d.uptimeS).toBe(86412);
  });

  it('reads the three populated chains (the empty 4th is skipped) with chips from the status string', () => {
    expect(d.boards).toHaveLength(3);
    expect(d.boards[0]).toEqual({ index: 0, hashrateTHs: 35.01233, boardTempC: 62, chipTempC: 77, chips: 114, expectedChips: 114 });
    expect(d.boards[2]).toMatchObject({ chips: 112, expectedChips: 113 }); // one chip 'x' in chain_acs3
    expect(d.fans.map((f) => f.rpm)).toEqual([5640, 5520, 5700, 5580]);
  });

  it('reports no power (stock firmware has none) — null, not 0', () => {
    expect(d.powerW).toBeNull();
    expect(d.powerSource).toBeNull();
    expect(d.efficiencyJTH).toBeNull();
  });

  it('the work mode is a string; "1" is sleep', () => {
    expect(d.powerMode).toBe('sleep');
    expect(d.state).toBe('sleeping');
    expect(parseMinerConf({ 'bitmain-work-mode': 0 })).toEqual({ powerMode: 'normal', state: 'mining' });
    expect(parseMinerConf({ 'bitmain-work-mode': '9' })).toEqual({});
  });

  it('pools: 0-based index, active flag and counts', () => {
    expect(d.pools[0]).toEqual({ index: 0, url: 'stratum+tcp://btc.pool.example:3333', user: 'site1.rack07', status: 'Alive', active: true, accepted: 41290, rejected: 22 });
    expect(d.pools[1]?.index).toBe(1);
  });

  it('set_miner_conf.cgi gets the whole form back with only the mode changed', () => {
    const body = JSON.parse(minerConfBody(load('bitmain-s19pro-stock-49.0.1.3/get_miner_conf.json') as Record<string, unknown>, 0)) as Record<string, unknown>;
    expect(body['miner-mode']).toBe(0);
    expect(body['bitmain-fan-pwm']).toBe('100');
    expect(body['pools']).toEqual([
      { url: 'stratum+tcp://btc.pool.example:3333', user: 'site1.rack07', pass: 'x' },
      { url: 'stratum+tcp://backup.pool.example:3333', user: 'site1.rack07', pass: 'x' },
      { url: '', user: '', pass: '' },
    ]);
  });
});

describe('Antminer S9, bmminer 2017 (malformed stats)', () => {
  it('renumbers chains 6–8 and fans 3 and 6 to 0..n', () => {
    const d = data(parseBmminerStats(load('bitmain-s9-bmminer-1.0.0-2017/stats.txt')));
    expect(d.boards.map((b) => b.index)).toEqual([0, 1, 2]);
    expect(d.boards.map((b) => b.hashrateTHs)).toEqual([4.54012, 4.5219, 4.55072]);
    expect(d.boards.map((b) => b.chipTempC)).toEqual([77, 83, 79]);
    expect(d.fans).toEqual([{ index: 0, rpm: 5880 }, { index: 1, rpm: 4200 }]);
    expect(d.model).toBe('Antminer S9');
  });
});

describe('Braiins OS', () => {
  it('S9 on BOSminer 22.08: device ids 6–8 become boards 0–2, power and limit from tunerstatus', () => {
    const d = data(parseBosRpc(load('bitmain-s9-bosminer-22.08/summary+devs+devdetails+temps+fans+tunerstatus+pools.json')));
    expect(d.hashrateTHs).toBeCloseTo(12.944, 3);
    expect(d.boards.map((b) => [b.index, b.chips, b.boardTempC, b.chipTempC])).toEqual([[0, 63, 58, 73.5], [1, 63, 61, 78.25], [2, 62, 59, 75]]);
    expect(d.boards[1]?.hashrateTHs).toBeCloseTo(4.322, 3);
    expect([d.powerW, d.powerSource, d.powerTargetW]).toEqual([1294, 'miner', 1300]);
    expect(d.powerMode).toBe('Tuning individual chips');
    expect(d.model).toBe('Antminer S9');
    expect(d.efficiencyJTH).toBeCloseTo(1294 / 12.944, 1);
  });

  it('S19k Pro on BOS 25.07 REST: paused state, the target in force, the allowed range', () => {
    expect(parseBosDetails(load('bitmain-s19kpro-braiins-25.07/miner-details.json'))).toMatchObject({ state: 'paused', model: 'Antminer S19k Pro', uptimeS: 2950 });
    expect(parseBosTunerState(load('bitmain-s19kpro-braiins-25.07/tuner-state.json'))).toEqual({ powerTargetW: 2500 });
    expect(parseBosConstraints(load('bitmain-s19kpro-braiins-25.07/constraints.json'))).toEqual({ minW: 771, maxW: 6435 });
    expect(parseBosConstraints({})).toBeUndefined();
  });
});

describe('LuxOS 2025.4.8', () => {
  const profiles = parseLuxProfiles(load('bitmain-s19pro-luxos-2025.4.8/profiles.json'));
  it('profiles sorted by watts; "<W>W" picks the highest at or below', () => {
    expect(profiles.map((p) => p.watts)).toEqual([2080, 2450, 2710, 3250, 3650]);
    expect(profileFor(profiles, 2500)?.name).toBe('400MHz');
    expect(profileFor(profiles, 1000)).toBeUndefined();
  });

  it('the multi-command reply: GH/s summary, MH/s boards, board temps (not chip), power, curtail state, target from the profile', () => {
    const d = data(parseLuxRpc(load('bitmain-s19pro-luxos-2025.4.8/summary+devs+pools+config+power+fans+temps.json'), profiles));
    expect(d.hashrateTHs).toBeCloseTo(95.0, 1);
    expect(d.boards.map((b) => b.boardTempC)).toEqual([58.25, 59.75, 56]);
    expect(d.boards.every((b) => b.chipTempC === null)).toBe(true);
    expect([d.powerW, d.powerSource, d.powerTargetW, d.powerMode, d.state]).toEqual([2710, 'miner', 2710, '425MHz', 'mining']);
    expect(d.fans).toHaveLength(4);
    expect(d.pools[0]?.active).toBe(true);
  });
});

describe('Whatsminer API v2 (M50S, 20230911.12)', () => {
  it('summary in MH/s, Power and Power Limit, quoted firmware version', () => {
    const d = data(parseWmSummary(load('microbt-m50s-whatsminer-20230911.12/summary.json')), parseWmEdevs(load('microbt-m50s-whatsminer-20230911.12/edevs.json')));
    expect(d.hashrateTHs).toBeCloseTo(124.988, 3);
    expect(d.expectedHashrateTHs).toBe(126);
    expect([d.powerW, d.powerSource, d.powerTargetW, d.efficiencyJTH]).toEqual([3261, 'miner', 3400, 26.09]);
    expect(d.firmwareVersion).toBe('20230911.12.Rel');
    expect(d.fans.map((f) => f.rpm)).toEqual([4560, 4470]);
    expect(d.boards.map((b) => [b.index, b.chips, b.boardTempC, b.chipTempC])).toEqual([[0, 156, 70, 78.1], [1, 156, 72.5, 80.9], [2, 155, 71, 79.2]]);
  });

  it('status (shape 2): mineroff and the limit; error codes with their times', () => {
    expect(parseWmStatus(load('microbt-m50s-whatsminer-20230911.12/status.json'))).toEqual({ state: 'mining', powerTargetW: 3400, powerMode: null });
    expect(parseWmStatus({ STATUS: 'S', Code: 131, Msg: { btmineroff: 'true' } })).toMatchObject({ state: 'paused' });
    expect(parseWmErrors(load('microbt-m50s-whatsminer-20230911.12/get_error_code.json')).errors).toEqual([
      { code: '218', message: 'error 218', time: '2023-09-12 10:30:00' },
      { code: '2010', message: 'error 2010', time: '2023-09-12 11:02:13' },
    ]);
    expect(parseWmErrors(load('microbt-m30s-btminer-20230106/get_error_code.txt')).errors).toHaveLength(2);
  });
});

describe('Whatsminer API v3 (M60S, 20250214)', () => {
  it('TH/s as sent, boards with their temperatures, power and limit; a bare-string error', () => {
    const d = data(parseV3Status(msgOf(load('microbt-m60s-whatsminer-v3-20250214/get.miner.status.json'))), parseV3DeviceInfo(msgOf(load('microbt-m60s-whatsminer-v3-20250214/get.device.info.json'))));
    expect([d.hashrateTHs, d.expectedHashrateTHs, d.powerW, d.powerTargetW, d.efficiencyJTH]).toEqual([170.02, 170, 3398, 3500, 19.99]);
    expect(d.boards.map((b) => [b.hashrateTHs, b.boardTempC, b.chips])).toEqual([[56.2, 61.5, 172], [56.1, 63, 172], [56.22, 62.25, 171]]);
    expect([d.model, d.firmwareVersion, d.state]).toEqual(['M60S_VK40', '20250214.16.Rel', 'mining']);
    expect(d.errors).toEqual([{ code: null, message: 'btminer process is down err', time: null }]);
    expect(d.pools[0]?.accepted).toBeNull(); // v3 has no share counts: unknown, not 0
  });
});

describe('VNish 1.2.6', () => {
  it('stopped miner: state paused, its own power figure; presets and the current one', () => {
    expect(parseVnishSummary(load('bitmain-s19pro-vnish-1.2.6/summary.json'))).toEqual({ state: 'paused', powerW: 38, powerSource: 'miner' });
    const presets = parseVnishPresets(load('bitmain-s19pro-vnish-1.2.6/autotune-presets.json'));
    expect(presets.map((p) => [p.name, p.watts, p.tuned])).toEqual([['2500', 2500, true], ['2750', 2750, true], ['3000', 3000, true], ['3250', 3250, false]]);
    expect(presetFor(presets, 3400)?.name).toBe('3000'); // 3250 is not tuned
    expect(presetFor(presets, 2400)).toBeUndefined();
    expect(vnishPreset(load('bitmain-s19pro-vnish-1.2.6/settings.json'))).toBe('2750');
  });
});
