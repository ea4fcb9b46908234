// Simulated Whatsminer (btminer; shared/reference/miners.md §2.4–2.5).
//
// API v2 on the RPC port: reads in clear ({"cmd"} or {"command"}); `version` answers like a plain
// "cgminer 4.9.2" (btminer does), `get_version` names the API. Writes: get_token (134) →
// {"enc":1,"data":…} envelope, checked against the tokens issued in the last 30 min (else 135
// in clear), replies encrypted. power_off / power_on switch hashing; adjust_power_limit answers
// and then restarts btminer (the API refuses connections for restartS), the new limit applying
// when it is back. Quirks: api-disabled (45 in clear), token-limit (136 on get_token).
//
// API v3 (model "whatsminer-v3"): 4-byte LE length + JSON on its own port; the v2 API stays on
// the RPC port for reads. Writes: token = first 8 chars of base64(sha256(cmd+password+salt+ts)),
// account "super"; a wrong token or a ts more than 5 minutes off answers -4.

import { createServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { decrypt, deriveSession, encrypt } from '../../../protocols/whatsminer/v2-crypto.js';
import { encodeV3, newV3Scan, scanV3, v3Token } from '../../../protocols/whatsminer/v3-framing.js';
import type { DeviceModel, DeviceStart } from '../registry.js';
import { cg, cgError, fixed, shape2 } from './replies.js';
import { listenFollowing, serveRpc, type RpcAnswer, type RpcRequest } from './rpc-server.js';
import { unixS, type SimMiner } from './sim-miner.js';
import { cgPools } from './antminer.js';
import { minerEndpoint, param, startSimMiner } from './start.js';

const DESC = 'cgminer 4.9.2';
const FW = '20230911.12.Rel';
const TOKEN_TTL_S = 30 * 60;

interface Wm {
  readonly password: string;
  readonly salt: string;
  /** Signs issued by get_token, with their time of issue. */
  readonly signs: Map<string, number>;
  readonly v3Salt: string;
  /** AES key of the write envelope: sha256 of md5crypt(password, salt). */
  readonly aesKey: Buffer;
}

/** The highest limit the firmware accepts: the model's ordinary power. */
function factoryW(m: SimMiner): number {
  return m.hw.ordinaryW ?? m.load.spec.nominalW;
}

/** The limit it reports: the one set, else what the load draws at full power. */
function limitW(m: SimMiner): number {
  return m.targetW ?? m.load.spec.nominalW;
}

function summary(m: SimMiner): Record<string, unknown> {
  const now = m.now();
  const mhs = fixed(now.hashrateTHs * 1e6);
  return cg('S', 11, 'Summary', DESC, { SUMMARY: [{
    Elapsed: now.uptimeS, 'MHS av': mhs, 'MHS 5s': mhs, 'MHS 1m': mhs, 'MHS 5m': mhs, 'MHS 15m': mhs, 'HS RT': mhs, Accepted: 2211, Rejected: 4,
    Temperature: fixed(now.chipTempC - 10, 1), 'freq_avg': 590, 'Fan Speed In': now.fansRpm[0] ?? 0, 'Fan Speed Out': now.fansRpm[1] ?? 0,
    Power: Math.round(now.powerW), 'Power Rate': now.hashrateTHs > 0.1 ? fixed(now.powerW / now.hashrateTHs) : 0, 'Power Limit': limitW(m), 'Power Mode': 'Normal',
    'Factory GHS': Math.round(m.hw.nominalTHs * 1000), 'Target MHS': fixed(m.hw.nominalTHs * 1e6), 'Env Temp': 25, 'Chip Temp Min': fixed(now.chipTempC - 5, 1), 'Chip Temp Max': fixed(now.chipTempC + 5, 1), 'Chip Temp Avg': fixed(now.chipTempC, 1),
    'Error Code Count': 1, 'Firmware Version': `'${FW}'`, MAC: 'C6:07:20:00:00:04', Uptime: now.uptimeS, 'Hash Stable': true, 'Liquid Cooling': false, 'Security Mode': 0,
  }] });
}

function edevs(m: SimMiner): Record<string, unknown> {
  const now = m.now();
  return cg('S', 9, `${m.hw.boards} ASC(s)`, DESC, { DEVS: now.boards.map((b, i) => ({ ASC: i, Slot: i, Name: 'SM', ID: i, Enabled: 'Y', Status: 'Alive', Temperature: fixed(b.boardTempC, 1), 'Chip Frequency': 590, 'MHS av': fixed(b.hashrateTHs * 1e6), 'MHS 5s': fixed(b.hashrateTHs * 1e6), 'Factory GHS': Math.round((m.hw.nominalTHs / m.hw.boards) * 1000), 'Upfreq Complete': 1, 'Effective Chips': b.chips, 'PCB SN': `SIMPCB${i}`, 'Chip Temp Avg': fixed(b.chipTempC, 1) })) });
}

/** Clear-text reads, v2 and (degraded) v3 firmware alike. */
function read(m: SimMiner, wm: Wm, cmd: string): unknown {
  switch (cmd) {
    case 'version':
      return cg('S', 22, 'CGMiner versions', DESC, { VERSION: [{ CGMiner: '4.9.2', API: '3.7' }] });
    case 'summary':
      return summary(m);
    case 'edevs':
    case 'devs':
      return edevs(m);
    case 'pools':
      return cgPools(DESC, true, (s) => unixS() - s);
    case 'devdetails':
      return cg('S', 69, 'Device Details', DESC, { DEVDETAILS: Array.from({ length: m.hw.boards }, (_, i) => ({ DEVDETAILS: i, Name: 'SM', ID: i, Driver: 'bitmicro', Kernel: '', Model: m.hw.name })) });
    case 'status':
      return shape2('S', 131, { mineroff: m.mode === 'mining' ? 'false' : 'true', mineroff_reason: '', mineroff_time: '', FirmwareVersion: `'${FW}'`, power_mode: 'normal', power_limit_set: String(limitW(m)), hash_percent: '100' });
    case 'get_version':
      return shape2('S', 131, { api_ver: '2.0.5', fw_ver: FW, platform: 'H6OS', chip: 'K40' });
    case 'get_error_code':
      return shape2('S', 131, { error_code: [{ '218': '2024-06-15 10:30:00' }] });
    case 'get_psu':
      return shape2('S', 131, { name: 'P222B', hw_version: 'V01.00', sw_version: 'V01.00', model: 'P222B', iin: '1420', vin: '23000', pin: String(Math.round(m.now().powerW)), fan_speed: '6000', version: '1', serial_no: 'SIMPSU', vendor: '1', temp0: '45.0' });
    case 'get_token':
      return undefined; // handled by the caller (needs the token table)
    default:
      return cgError(14, 'Invalid command', DESC);
  }
}

function issueToken(m: SimMiner, wm: Wm): unknown {
  if (m.has('token-limit')) return shape2('E', 136, 'too many token requests');
  const time = String(unixS()).slice(-4);
  const newsalt = randomBytes(4).toString('hex');
  wm.signs.set(deriveSession(wm.password, { time, salt: wm.salt, newsalt }).sign, unixS());
  return shape2('S', 134, { time, salt: wm.salt, newsalt });
}

function privileged(m: SimMiner, wm: Wm, req: RpcRequest): RpcAnswer {
  const key = wm.aesKey;
  const data = req.json?.['data'];
  const plain = typeof data === 'string' ? decrypt(key, data) : { ok: false as const, message: 'no data' };
  if (!plain.ok) return { json: shape2('E', 137, 'base64 or aes error') };
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(plain.text) as Record<string, unknown>;
  } catch {
    return { json: shape2('E', 23, 'invalid JSON') };
  }
  const issued = wm.signs.get(String(body['token']));
  if (issued === undefined || unixS() - issued > TOKEN_TTL_S) return { json: shape2('E', 135, 'check token err') };
  if (m.has('api-disabled')) return { json: shape2('E', 45, 'permission denied') };
  const ok = (): RpcAnswer => ({ json: { enc: encrypt(key, JSON.stringify(shape2('S', 131, 'API command OK'))) } });
  switch (body['cmd']) {
    case 'power_off':
      m.setMode('paused');
      return ok();
    case 'power_on':
      m.setMode('mining');
      return ok();
    case 'adjust_power_limit': {
      const w = Number(body['power_limit']);
      if (!Number.isInteger(w) || w <= 0 || w > factoryW(m)) return { json: { enc: encrypt(key, JSON.stringify(shape2('E', 132, 'power limit must be 1..ordinary power'))) } };
      m.restart(undefined, () => m.setTarget(w)); // "… will reboot": btminer restarts to apply it
      return ok();
    }
    default:
      return { json: { enc: encrypt(key, JSON.stringify(shape2('E', 14, 'invalid cmd'))) } };
  }
}

function rpc(m: SimMiner, wm: Wm, req: RpcRequest, v3: boolean): RpcAnswer {
  if (req.json?.['enc'] !== undefined) return v3 ? { json: shape2('E', 45, 'permission denied: use API v3') } : privileged(m, wm, req);
  if (req.command === 'get_token') return { json: issueToken(m, wm) };
  return { json: read(m, wm, req.command) };
}

// ---- API v3 ---------------------------------------------------------------------------------

function v3Reply(code: number, msg: unknown, desc: string): Buffer {
  return encodeV3({ code, when: unixS(), msg, desc });
}

function deviceInfo(m: SimMiner, wm: Wm, param: unknown): unknown {
  const all: Record<string, unknown> = {
    miner: { type: m.hw.name, working: m.mode === 'mining' ? 'true' : 'false', 'board-num': String(m.hw.boards), 'power-limit-set': String(limitW(m)), 'fast-boot': 'disable' },
    system: { api: '3.0.1', fwversion: '20250214.16.Rel', platform: 'H6OS', ledstatus: 'auto' },
    power: { model: 'P533A', vin: 230, iin: 14.2, pin: Math.round(m.now().powerW), fanspeed: 5600 },
    network: { ip: '127.0.0.1', proto: 'dhcp', mac: 'C6:07:20:00:00:05' },
    salt: wm.v3Salt,
    'error-code': [{ '218': '2025-02-14 10:30:00' }],
  };
  if (typeof param === 'string' && param) return param in all ? { [param]: all[param] } : undefined;
  return all;
}

function minerStatus(m: SimMiner, param: unknown): unknown {
  if (typeof param !== 'string' || !param) return undefined;
  const now = m.now();
  const parts: Record<string, unknown> = {
    summary: { elapsed: now.uptimeS, 'hash-average': fixed(now.hashrateTHs), 'hash-1min': fixed(now.hashrateTHs), 'hash-realtime': fixed(now.hashrateTHs), 'factory-hash': m.hw.nominalTHs, 'power-realtime': Math.round(now.powerW), 'power-5min': Math.round(now.powerW), 'power-rate': now.hashrateTHs > 0.1 ? fixed(now.powerW / now.hashrateTHs) : 0, 'power-limit': limitW(m), 'board-temperature': now.boards.map((b) => fixed(b.boardTempC, 1)), 'chip-temp-min': fixed(now.chipTempC - 5, 1), 'chip-temp-avg': fixed(now.chipTempC, 1), 'chip-temp-max': fixed(now.chipTempC + 5, 1), 'environment-temperature': 25, 'fan-speed-in': now.fansRpm[0] ?? 0, 'fan-speed-out': now.fansRpm[1] ?? 0, 'freq-avg': 590 },
    edevs: now.boards.map((b, i) => ({ id: i, status: m.mode === 'mining' ? 'alive' : 'stop', 'hash-average': fixed(b.hashrateTHs), freq: 590, 'effective-chips': b.chips })),
    pools: [{ id: 1, url: 'stratum+tcp://pool.example.net:3333', status: 'alive', 'stratum-active': 'true', account: 'rackpilot.sim' }],
  };
  const out: Record<string, unknown> = {};
  for (const p of param.split('+')) {
    if (!(p in parts)) return undefined;
    out[p] = parts[p];
  }
  return out;
}

function v3Write(m: SimMiner, wm: Wm, req: Record<string, unknown>): Buffer {
  const cmd = String(req['cmd']);
  const ts = Number(req['ts']);
  const good = req['account'] === 'super' && Number.isFinite(ts) && Math.abs(unixS() - ts) <= 300 && req['token'] === v3Token(cmd, wm.password, wm.v3Salt, ts);
  if (!good) return v3Reply(-4, 'no permission', cmd);
  if (cmd === 'set.miner.service') {
    const p = req['param'];
    if (p === 'stop') m.setMode('paused');
    else if (p === 'start') m.setMode('mining');
    else if (p === 'restart') m.restart();
    else return v3Reply(-2, 'invalid param', cmd);
    return v3Reply(0, 'ok', cmd);
  }
  if (cmd === 'set.miner.power_limit') {
    const w = Number(req['param']);
    if (!Number.isInteger(w) || w <= 0 || w > factoryW(m)) return v3Reply(-2, 'invalid param', cmd);
    m.restart(undefined, () => m.setTarget(w)); // "The device will restart to apply the new setting"
    return v3Reply(0, 'ok', cmd);
  }
  return v3Reply(-2, 'invalid command', cmd);
}

function v3Answer(m: SimMiner, wm: Wm, body: Buffer): Buffer {
  let req: Record<string, unknown>;
  try {
    req = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return v3Reply(-2, 'invalid json', '');
  }
  const cmd = typeof req['cmd'] === 'string' ? req['cmd'] : '';
  if (cmd.startsWith('set.')) return v3Write(m, wm, req);
  const msg = cmd === 'get.device.info' ? deviceInfo(m, wm, req['param']) : cmd === 'get.miner.status' ? minerStatus(m, req['param']) : null;
  if (msg === null) return v3Reply(-2, 'invalid command', cmd);
  if (msg === undefined) return v3Reply(-3, 'param item is null', cmd);
  return v3Reply(0, msg, cmd);
}

function serveV3(m: SimMiner, wm: Wm, host: string): ReturnType<typeof listenFollowing> {
  return listenFollowing(host, 0, () => createServer((sock: Socket) => {
    let scan = newV3Scan(1 << 20);
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: Buffer) => {
      const r = scanV3(scan, chunk);
      if (r.kind === 'more') scan = r.state;
      else if (r.kind === 'error') sock.destroy();
      else if (!m.has('hang')) {
        sock.write(v3Answer(m, wm, r.body));
        scan = newV3Scan(1 << 20);
      }
    });
  }), { follow: m, refuse: m.has('refuse') });
}

async function start(s: DeviceStart, v3: boolean): Promise<ReturnType<typeof minerEndpoint>> {
  const m = startSimMiner(s, { hardware: v3 ? 'whatsminer-m60s' : 'whatsminer-m50s', restartS: 30 });
  const password = param(s, 'password', v3 ? 'super' : 'admin');
  const salt = randomBytes(4).toString('hex');
  const wm: Wm = { password, salt, signs: new Map(), v3Salt: randomBytes(6).toString('hex'), aesKey: deriveSession(password, { time: '0', salt, newsalt: salt }).aesKey };
  const rpcServer = await serveRpc(m, s.host, s.port, (req) => rpc(m, wm, req, v3), DESC);
  const v3Server = v3 ? await serveV3(m, wm, s.host) : undefined;
  return minerEndpoint(s, m, v3 ? 'whatsminer-v3' : 'whatsminer-v2', rpcServer, { ...(v3Server ? { v3: v3Server } : {}), user: v3 ? 'super' : 'admin', password });
}

export const whatsminerV2Sim: DeviceModel = (s) => start(s, false);
export const whatsminerV3Sim: DeviceModel = (s) => start(s, true);
