// Whatsminer API v3 (firmware ≈ 2024-11+, port 4433; shared/reference/miners.md §2.5): 4-byte
// little-endian length + JSON in both directions; replies {"code":0,"when":…,"msg":…}. Reads
// need no auth. Writes carry ts, account and a per-command token: the first 8 characters of
// base64(sha256(cmd + password + salt + ts)), the salt read from get.device.info. Hashrates are
// already TH/s. Such firmware still serves a degraded v2 API on 4028; detection tries v3 first.

import { readStatus } from '../../../../protocols/cgminer/status.js';
import { v3Token } from '../../../../protocols/whatsminer/v3-framing.js';
import type { BoardData, DataPatch, MinerErrorEntry, PoolData } from '../data.js';
import { asMinerError, MinerError } from '../errors.js';
import type { MinerIO } from '../link.js';
import { bool, isRecord, list, num, positive, str, type Rec } from '../values.js';
import { runSources, stateFrom, writeMayRestart, type OnceCache } from './common.js';
import type { Credentials, FirmwareModule, Source } from './types.js';

/** Sends one v3 command and returns its msg; a non-zero code becomes a MinerError. */
export async function v3Call(io: MinerIO, message: Rec, write = false): Promise<unknown> {
  const reply = await io.v3(message, { write });
  const st = readStatus(reply);
  if (st.shape !== 4) throw new MinerError('miner_bad_reply', `${String(message['cmd'])}: not a v3 reply`);
  if (st.code !== 0) {
    const why = `${String(message['cmd'])}: ${st.msg ?? 'failed'} (code ${st.code})`;
    throw new MinerError(st.code === -4 ? 'miner_access_denied' : 'miner_status', why, st.code ?? undefined);
  }
  return isRecord(reply) ? reply['msg'] : undefined;
}

export function parseV3Status(msg: unknown): DataPatch {
  if (!isRecord(msg)) return {};
  const s = isRecord(msg['summary']) ? msg['summary'] : {};
  const temps = Array.isArray(s['board-temperature']) ? s['board-temperature'] : [];
  const boards = list(msg['edevs']).map((e, i): Partial<BoardData> & { index: number } => ({
    index: num(e['id']) ?? i,
    hashrateTHs: num(e['hash-average']),
    chips: positive(e['effective-chips']),
  }));
  boards.sort((a, b) => a.index - b.index);
  const power = positive(s['power-realtime']) ?? positive(s['power-5min']);
  const pools = list(msg['pools']).map((p, i): PoolData => ({
    index: num(p['id']) ?? i, url: str(p['url']) ?? '', user: str(p['account']), status: str(p['status']), active: bool(p['stratum-active']), accepted: null, rejected: null,
  }));
  return {
    hashrateTHs: num(s['hash-realtime']) ?? num(s['hash-1min']) ?? num(s['hash-average']),
    expectedHashrateTHs: positive(s['factory-hash']),
    ...(power !== null ? { powerW: power, powerSource: 'miner' as const } : {}),
    efficiencyJTH: positive(s['power-rate']),
    powerTargetW: positive(s['power-limit']),
    uptimeS: num(s['elapsed']),
    boards: boards.map((b, index) => ({ ...b, index, boardTempC: positive(temps[index]) })),
    fans: [s['fan-speed-in'], s['fan-speed-out']].map((v, index) => ({ index, rpm: num(v) })).filter((f) => f.rpm !== null),
    pools,
  };
}

export function parseV3DeviceInfo(msg: unknown): DataPatch {
  if (!isRecord(msg)) return {};
  const miner = isRecord(msg['miner']) ? msg['miner'] : {};
  const system = isRecord(msg['system']) ? msg['system'] : {};
  const working = bool(miner['working']);
  const raw = msg['error-code'];
  // A list of {code: time} (or {code, time, reason}), or a bare string such as
  // "btminer process is down err".
  const errors: MinerErrorEntry[] = typeof raw === 'string' && raw.trim()
    ? [{ code: null, message: raw.trim(), time: null }]
    : list(raw).flatMap((e) => ('reason' in e || 'code' in e
      ? [{ code: str(e['code']), message: str(e['reason']) ?? `error ${str(e['code']) ?? ''}`.trim(), time: str(e['time']) }]
      : Object.entries(e).map(([code, time]) => ({ code, message: `error ${code}`, time: str(time) }))));
  return {
    model: str(miner['type']),
    make: 'MicroBT',
    firmwareVersion: str(system['fwversion']),
    ...(working !== null ? { state: working ? 'mining' as const : 'paused' as const } : {}),
    powerTargetW: positive(miner['power-limit-set']),
    errors,
  };
}

class V3Writer {
  private salt: string | undefined;
  constructor(private readonly creds: Credentials | undefined) {}

  async send(io: MinerIO, cmd: string, param: unknown): Promise<unknown> {
    if (!this.creds) throw new MinerError('miner_auth', 'Whatsminer v3 writes need the "super" account password (none configured)');
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.salt) {
        const info = await v3Call(io, { cmd: 'get.device.info', param: 'salt' });
        this.salt = str(isRecord(info) ? info['salt'] : undefined) ?? undefined;
        if (!this.salt) throw new MinerError('miner_bad_reply', 'get.device.info salt: no salt in the reply');
      }
      const ts = Math.floor(io.clock.now() / 1000);
      const token = v3Token(cmd, this.creds.password.reveal(), this.salt, ts);
      try {
        return await v3Call(io, { cmd, param, ts, account: this.creds.user, token }, true);
      } catch (err) {
        const e = asMinerError(err);
        if (e.code !== 'miner_access_denied' || attempt === 1) throw e;
        this.salt = undefined; // the salt changes with a reboot: fetch it again once
      }
    }
    throw new MinerError('miner_auth', `${cmd}: not sent`);
  }
}

export const whatsminerV3: FirmwareModule = {
  name: 'whatsminer-v3',
  label: 'Whatsminer (API v3)',
  defaultCredentials: { user: 'super', password: 'super' },
  // service stop/start: no published figure (estimates); power_limit restarts the device (§6.1).
  settle: { pauseMs: 10_000, resumeMs: 60_000, setPowerMs: 120_000 },
  open(ctx) {
    const writer = new V3Writer(ctx.credentials);
    const done: OnceCache = new Map();
    const info: Source = { name: 'get.device.info', groups: ['identity', 'state', 'target', 'errors'], fetch: async (io) => parseV3DeviceInfo(await v3Call(io, { cmd: 'get.device.info' })) };
    const sources: Source[] = [
      { name: 'get.miner.status', groups: ['hashrate', 'power', 'target', 'boards', 'fans', 'pools', 'uptime'], fetch: async (io) => parseV3Status(await v3Call(io, { cmd: 'get.miner.status', param: 'summary+edevs+pools' })) },
      info,
    ];
    return {
      read: (io) => runSources(io, 'whatsminer-v3', sources, done),
      readState: (io) => stateFrom(io, 'whatsminer-v3', [info]),
      async control(io, cmd) {
        if (cmd.type === 'set_power') {
          const w = Math.round(cmd.watts);
          const r = await writeMayRestart(() => writer.send(io, 'set.miner.power_limit', w), `set.miner.power_limit ${w} W (the miner restarts)`);
          return { ...r, expectedTargetW: w };
        }
        const action = cmd.type === 'pause' ? 'stop' : 'start';
        return writeMayRestart(() => writer.send(io, 'set.miner.service', action), `set.miner.service ${action}`);
      },
      capabilities: () => ({ pause: true, resume: true }),
    };
  },
};
