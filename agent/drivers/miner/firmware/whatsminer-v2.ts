// Whatsminer API v2 (btminer on 4028; shared/reference/miners.md §2.4). Reads are plain RPC
// ({"cmd": …}). Writes are encrypted: get_token → key and sign by md5-crypt → AES-256-ECB
// envelope; replies come back encrypted, errors may come back in clear. Tokens are cached for
// 30 minutes (firmware 20230911.12+ answers 136 to too many token requests); 135 "check token
// err" fetches a fresh token once. The write API must be enabled on the miner (WhatsMinerTool)
// and its admin password changed once: rackpilot cannot do that for you (pyasic's unlock needs
// a closed remote service).

import { parseReply } from '../../../../protocols/cgminer/sanitize.js';
import { readStatus } from '../../../../protocols/cgminer/status.js';
import { decrypt, deriveSession, sealCommand, type V2Session } from '../../../../protocols/whatsminer/v2-crypto.js';
import type { BoardData, DataPatch, MinerErrorEntry } from '../data.js';
import { asMinerError, MinerError } from '../errors.js';
import type { MinerIO } from '../link.js';
import { bool, isRecord, list, num, positive, section, seconds, str, toTHs } from '../values.js';
import { parsePools, summaryRate } from './cgminer.js';
import { runSources, stateFrom, writeMayRestart, type OnceCache } from './common.js';
import type { Credentials, FirmwareModule, Source } from './types.js';

export function parseWmSummary(reply: unknown): DataPatch {
  const s = section(reply, 'SUMMARY')[0];
  if (!s) return {};
  const power = positive(s['Power']);
  const fans = [s['Fan Speed In'], s['Fan Speed Out']].map((v, index) => ({ index, rpm: num(v) })).filter((f) => f.rpm !== null);
  return {
    hashrateTHs: summaryRate(s),
    expectedHashrateTHs: toTHs(s['Factory GHS'], 'GH'),
    ...(power !== null ? { powerW: power, powerSource: 'miner' as const } : {}),
    efficiencyJTH: positive(s['Power Rate']),
    powerTargetW: positive(s['Power Limit']),
    powerMode: str(s['Power Mode']),
    uptimeS: seconds(s['Uptime'] ?? s['Elapsed']),
    fans,
    firmwareVersion: str(s['Firmware Version']),
  };
}

export function parseWmEdevs(reply: unknown): DataPatch {
  const boards = section(reply, 'DEVS').map((d, i): Partial<BoardData> & { index: number } => ({
    index: num(d['Slot']) ?? num(d['ASC']) ?? num(d['ID']) ?? i,
    hashrateTHs: toTHs(d['MHS 5s'] ?? d['MHS av'], 'MH'),
    boardTempC: positive(d['Temperature']),
    chipTempC: positive(d['Chip Temp Avg']),
    chips: positive(d['Effective Chips']),
  }));
  return { boards: boards.sort((a, b) => a.index - b.index).map((b, index) => ({ ...b, index })) };
}

/** status (shape 2): mineroff "true"/"false" (older firmware: btmineroff), power_limit_set. */
export function parseWmStatus(reply: unknown): DataPatch {
  const msg = readStatus(reply).payload;
  if (!msg) return {};
  const off = bool(msg['mineroff'] ?? msg['btmineroff']);
  return { ...(off !== null ? { state: off ? 'paused' as const : 'mining' as const } : {}), powerTargetW: positive(msg['power_limit_set']), powerMode: str(msg['power_mode']) };
}

/** get_error_code: {"error_code":[{"218":"2024-06-15 10:30:00"}]} (after cleanup for 2.0.4). */
export function parseWmErrors(reply: unknown): DataPatch {
  const msg = readStatus(reply).payload;
  const raw = msg?.['error_code'];
  const entries: [string, unknown][] = Array.isArray(raw) ? list(raw).flatMap((e) => Object.entries(e)) : isRecord(raw) ? Object.entries(raw) : [];
  const errors: MinerErrorEntry[] = entries.map(([code, time]) => ({ code, message: `error ${code}`, time: str(time) }));
  return { errors };
}

const TOKEN_TTL_MS = 30 * 60_000;

/** The encrypted-write session: token cache, 135 retry, decryption of the reply. */
class WmWriter {
  private token: { session: V2Session; atMs: number } | undefined;
  constructor(private readonly creds: Credentials | undefined) {}

  async send(io: MinerIO, cmd: string, params: Readonly<Record<string, unknown>> = {}): Promise<unknown> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const session = await this.session(io);
      try {
        const r = await io.rpcLine(sealCommand(session, cmd, params), { write: true });
        return this.open(session, r.value, cmd);
      } catch (err) {
        const e = asMinerError(err);
        // 23 (bad JSON) / 137 (base64/AES error): the miner could not decrypt what we sent,
        // which is what a wrong password looks like from here.
        if (e.deviceCode === 23 || e.deviceCode === 137) throw new MinerError('miner_auth', `${cmd}: the miner could not decrypt the command (${e.message}); check the admin password`, e.deviceCode);
        if (e.deviceCode !== 135) throw e;
        this.token = undefined; // "check token err": expired or from another boot
        if (attempt === 1) throw new MinerError('miner_auth', `${cmd}: token refused twice (check the admin password)`, 135);
      }
    }
    throw new MinerError('miner_auth', `${cmd}: not sent`);
  }

  private async session(io: MinerIO): Promise<V2Session> {
    if (this.token && io.clock.monotonic() - this.token.atMs < TOKEN_TTL_MS) return this.token.session;
    if (!this.creds) throw new MinerError('miner_auth', 'Whatsminer writes need the admin password (none configured)');
    let r;
    try {
      r = await io.rpc('get_token', { key: 'cmd' });
    } catch (err) {
      const e = asMinerError(err);
      if (e.deviceCode === 136) throw new MinerError('miner_token_limit', 'Whatsminer: too many token requests from this address (136); retry later', 136);
      throw e;
    }
    const t = r.status.payload;
    const time = str(t?.['time']);
    const salt = str(t?.['salt']);
    const newsalt = str(t?.['newsalt']);
    if (!time || !salt || !newsalt) throw new MinerError('miner_bad_reply', 'get_token: time, salt or newsalt missing');
    const session = deriveSession(this.creds.password.reveal(), { time, salt, newsalt });
    this.token = { session, atMs: io.clock.monotonic() };
    return session;
  }

  private open(session: V2Session, value: unknown, cmd: string): unknown {
    const enc = isRecord(value) ? value['enc'] : undefined;
    if (typeof enc !== 'string') return value; // clear-text reply (already status-checked)
    const plain = decrypt(session.aesKey, enc);
    if (!plain.ok) throw new MinerError('miner_bad_reply', `${cmd}: ${plain.message}`);
    const parsed = parseReply(plain.text);
    if (!parsed.ok) throw new MinerError('miner_bad_reply', `${cmd}: decrypted reply: ${parsed.message}`);
    const st = readStatus(parsed.value);
    if (st.letter === 'E' || st.letter === 'F') {
      const code = st.code === 45 ? 'miner_access_denied' : 'miner_status';
      throw new MinerError(code, `${cmd}: ${st.msg ?? 'error'}${st.code !== null ? ` (code ${st.code})` : ''}`, st.code ?? undefined);
    }
    return parsed.value;
  }
}

const rpc = (io: MinerIO, cmd: string): Promise<unknown> => io.rpc(cmd, { key: 'cmd' }).then((r) => r.value);

export const whatsminerV2: FirmwareModule = {
  name: 'whatsminer-v2',
  label: 'Whatsminer (API v2)',
  defaultCredentials: { user: 'admin', password: 'admin' },
  // power_off/on: no published figure (estimates). adjust_power_limit restarts btminer (§2.7).
  settle: { pauseMs: 10_000, resumeMs: 60_000, setPowerMs: 120_000 },
  open(ctx) {
    const writer = new WmWriter(ctx.credentials);
    const done: OnceCache = new Map();
    const status: Source = { name: 'status', groups: ['state', 'target'], fetch: async (io) => parseWmStatus(await rpc(io, 'status')) };
    const sources: Source[] = [
      { name: 'summary', groups: ['hashrate', 'power', 'target', 'fans', 'uptime'], fetch: async (io) => parseWmSummary(await rpc(io, 'summary')) },
      { name: 'edevs', groups: ['boards'], fetch: async (io) => parseWmEdevs(await rpc(io, 'edevs')) },
      { name: 'pools', groups: ['pools'], fetch: async (io) => parsePools(await rpc(io, 'pools'), { oneBased: true }) },
      status,
      { name: 'get_error_code', groups: ['errors'], fetch: async (io) => parseWmErrors(await rpc(io, 'get_error_code')) },
      { name: 'devdetails', groups: ['identity'], once: true, fetch: async (io) => ({ model: str(section(await rpc(io, 'devdetails'), 'DEVDETAILS')[0]?.['Model']), make: 'MicroBT' }) },
      { name: 'get_version', groups: ['identity'], once: true, fetch: async (io) => ({ firmwareVersion: str(readStatus(await rpc(io, 'get_version')).payload?.['fw_ver']) }) },
    ];
    return {
      read: (io) => runSources(io, 'whatsminer-v2', sources, done),
      readState: (io) => stateFrom(io, 'whatsminer-v2', [status]),
      async control(io, cmd) {
        if (cmd.type === 'pause') return writeMayRestart(() => writer.send(io, 'power_off', { respbefore: 'true' }), 'power_off');
        if (cmd.type === 'resume') return writeMayRestart(() => writer.send(io, 'power_on'), 'power_on');
        const w = Math.round(cmd.watts);
        const r = await writeMayRestart(() => writer.send(io, 'adjust_power_limit', { power_limit: String(w) }), `adjust_power_limit ${w} W (btminer restarts)`);
        return { ...r, expectedTargetW: w };
      },
      capabilities: () => ({ pause: true, resume: true }),
    };
  },
};
