// Stock Antminer firmware (bmminer / cgminer 1.0.0 + the web interface; shared/reference/
// miners.md §2.1). RPC on 4028 is read-only and does not take multi-commands; the work mode and
// every write go through the CGI pages on port 80 with HTTP Digest (root/root by default).
// There is no watt target on stock firmware: the levers are sleep (miner-mode 1) and normal (0).
// Setting the mode restarts the daemon, so the reply may never come and the API is gone for tens
// of seconds: the command is verified by reading `bitmain-work-mode` back.

import type { BoardData, DataPatch, FanData, MinerState } from '../data.js';
import { MinerError } from '../errors.js';
import type { MinerIO } from '../link.js';
import { dashList, goodChips, isRecord, maxOf, num, populatedSlots, positive, section, seconds, str, sumOf, toTHs, type Rec } from '../values.js';
import { parsePools, parseSummary } from './cgminer.js';
import { DigestSession, jsonBody, runSources, stateFrom, writeMayRestart, type OnceCache } from './common.js';
import type { FirmwareModule, Source } from './types.js';

/** `stats` on bmminer/cgminer-based Antminer firmware (stock and VNish): header + data entry. */
export function parseBmminerStats(reply: unknown): DataPatch {
  const entries = section(reply, 'STATS');
  const header = entries.find((e) => 'Type' in e || 'BMMiner' in e || 'Miner' in e);
  const d = entries.find((e) => 'GHS 5s' in e || 'chain_acn1' in e || 'fan_num' in e || 'chain_rate1' in e);
  const type = str(header?.['Type']);
  const out: DataPatch = { ...(type ? { model: type.replace(/\s*\(.*$/, ''), make: 'Bitmain' } : {}), firmwareVersion: str(header?.['Miner']) ?? str(header?.['BMMiner']) };
  if (!d) return out;
  const unit = str(d['rate_unit']) ?? 'GH';
  const chainPower = populatedSlots(d, 'chain_power').map((i) => positive(d[`chain_power${i}`]));
  const totalPower = positive(d['total_power']) ?? sumOf(chainPower);
  return {
    ...out,
    hashrateTHs: toTHs(d['GHS 5s'], unit) ?? toTHs(d['GHS av'], unit),
    expectedHashrateTHs: toTHs(d['total_rateideal'], unit),
    uptimeS: seconds(d['Elapsed']),
    ...(totalPower !== null ? { powerW: totalPower, powerSource: 'miner' as const } : {}),
    boards: bmminerBoards(d, unit),
    fans: bmminerFans(d),
  };
}

function bmminerBoards(d: Rec, unit: string): (Partial<BoardData> & { index: number })[] {
  // Populated chains: chips counted, or a rate reported. S9 uses 6–8, S19 1–3.
  let slots = populatedSlots(d, 'chain_acn');
  if (!slots.length) slots = populatedSlots(d, 'chain_rate', (v) => str(v) !== null);
  return slots.map((slot, index) => ({
    index,
    hashrateTHs: toTHs(d[`chain_rate${slot}`], unit),
    boardTempC: maxOf(dashList(d[`temp_pcb${slot}`])) ?? positive(d[`temp${slot}`]),
    chipTempC: maxOf(dashList(d[`temp_chip${slot}`])) ?? positive(d[`temp2_${slot}`]),
    chips: goodChips(d[`chain_acs${slot}`]) ?? positive(d[`chain_acn${slot}`]),
    expectedChips: positive(d[`chain_acn${slot}`]),
  }));
}

/**
 * Fans reporting RPM, renumbered 0..n (S9 reports fan3 and fan6). When `fan_num` says more fans
 * exist than report a speed, the others are stopped: a measured 0 rpm, which is an alarm.
 */
function bmminerFans(d: Rec): FanData[] {
  const fans: FanData[] = populatedSlots(d, 'fan').map((slot, index) => ({ index, rpm: positive(d[`fan${slot}`]) }));
  const declared = num(d['fan_num']);
  for (let i = fans.length; declared !== null && i < declared; i++) fans.push({ index: i, rpm: 0 });
  return fans;
}

const MODES: Readonly<Record<string, string>> = { '0': 'normal', '1': 'sleep', '2': 'high', '3': 'low' };

/** get_miner_conf.cgi → power mode. `bitmain-work-mode` is a string ("0"); some send a number. */
export function parseMinerConf(conf: unknown): DataPatch {
  if (!isRecord(conf)) return {};
  const raw = conf['bitmain-work-mode'] ?? conf['miner-mode'];
  const mode = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : null;
  if (mode === null || !(mode in MODES)) return {};
  const state: MinerState = mode === '1' ? 'sleeping' : 'mining';
  return { powerMode: MODES[mode] ?? null, state };
}

/** get_system_info.cgi → model (the firmware version comes from stats' "Miner"). */
export function parseSystemInfo(info: unknown): DataPatch {
  const model = isRecord(info) ? str(info['minertype']) : null;
  return model ? { model, make: 'Bitmain' } : {};
}

const CONF_PATH = '/cgi-bin/get_miner_conf.cgi';

async function minerConf(io: MinerIO, web: DigestSession): Promise<Rec> {
  const conf = jsonBody(await web.request(io, { method: 'GET', path: CONF_PATH }), CONF_PATH);
  if (!isRecord(conf)) throw new MinerError('miner_bad_reply', `${CONF_PATH}: not an object`);
  return conf;
}

/** set_miner_conf.cgi takes the browser's whole form: keep pools and fan settings, change the mode. */
export function minerConfBody(conf: Rec, mode: 0 | 1): string {
  const pools = Array.isArray(conf['pools']) ? conf['pools'].filter(isRecord) : [];
  const three = [0, 1, 2].map((i) => ({ url: str(pools[i]?.['url']) ?? '', user: str(pools[i]?.['user']) ?? '', pass: str(pools[i]?.['pass']) ?? '' }));
  return JSON.stringify({
    'bitmain-fan-ctrl': conf['bitmain-fan-ctrl'] ?? false,
    'bitmain-fan-pwm': conf['bitmain-fan-pwm'] ?? '100',
    'miner-mode': mode,
    'freq-level': conf['bitmain-freq-level'] ?? '100',
    pools: three,
  });
}

export const antminer: FirmwareModule = {
  name: 'antminer',
  label: 'Antminer stock',
  defaultCredentials: { user: 'root', password: 'root' },
  // Sleep and wake both restart bmminer; the API is gone for tens of seconds (§2.7, §5).
  settle: { pauseMs: 60_000, resumeMs: 120_000 },
  open(ctx) {
    const web = new DigestSession(ctx.credentials);
    const done: OnceCache = new Map();
    const conf: Source = { name: 'get_miner_conf.cgi', groups: ['state'], fetch: async (io) => parseMinerConf(await minerConf(io, web)) };
    const sources: Source[] = [
      { name: 'stats', groups: ['identity', 'hashrate', 'power', 'boards', 'fans', 'uptime'], fetch: async (io) => parseBmminerStats((await io.rpc('stats')).value) },
      { name: 'summary', groups: ['hashrate', 'uptime'], fetch: async (io) => parseSummary((await io.rpc('summary')).value) },
      { name: 'pools', groups: ['pools'], fetch: async (io) => parsePools((await io.rpc('pools')).value) },
      conf,
      { name: 'get_system_info.cgi', groups: ['identity'], once: true, fetch: async (io) => parseSystemInfo(jsonBody(await web.request(io, { method: 'GET', path: '/cgi-bin/get_system_info.cgi' }), 'get_system_info.cgi')) },
    ];
    return {
      read: (io) => runSources(io, 'antminer', sources, done),
      readState: (io) => stateFrom(io, 'antminer', [conf]),
      async control(io, cmd) {
        if (cmd.type === 'set_power') throw new MinerError('miner_unsupported', 'stock Antminer firmware has no watt target (sleep and normal only)');
        const mode = cmd.type === 'pause' ? 1 : 0;
        const body = minerConfBody(await minerConf(io, web), mode);
        return writeMayRestart(async () => {
          const res = await web.request(io, { method: 'POST', path: '/cgi-bin/set_miner_conf.cgi', body, write: true });
          const r = jsonBody(res, 'set_miner_conf.cgi');
          if (isRecord(r) && r['code'] !== undefined && r['code'] !== 'M000') throw new MinerError('miner_status', `set_miner_conf.cgi: ${str(r['msg']) ?? 'refused'} (${str(r['code']) ?? '?'})`);
        }, `set_miner_conf.cgi miner-mode ${mode} (${mode ? 'sleep' : 'normal'})`);
      },
      capabilities: () => ({ pause: true, resume: true }),
    };
  },
};
