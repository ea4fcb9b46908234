// Simulated Braiins OS (BOSminer+, REST API of BOS ≥ 25.07; shared/reference/miners.md §2.2).
// RPC on the given port, no auth: cgminer report commands (joinable with "+"), temps, fans,
// tunerstatus, pause (204) and resume (205). REST under /api/v1: auth/login → token (sent raw
// in Authorization), miner/details, performance/tuner-state, configuration/constraints, PUT
// performance/power-target (out of range → 400 with BOS's message), PUT actions/pause|resume.
// A new power target puts the tuner in TUNING for `tuneS` seconds (default 8), then STABLE.
// Board ids follow BOSminer (S9: 6, 7, 8; others 1..n).

import { randomBytes } from 'node:crypto';
import type { DeviceModel } from '../registry.js';
import { serveHttp, type HttpAnswer, type HttpCall } from './http-server.js';
import { cg, cgError, fixed, multi } from './replies.js';
import { serveRpc, type RpcAnswer } from './rpc-server.js';
import type { SimMiner } from './sim-miner.js';
import { cgPools } from './antminer.js';
import { minerEndpoint, param, startSimMiner } from './start.js';

const DESC = 'BOSminer+ 0.2.0-b3c2a8f1';

interface Bos {
  tuning: boolean;
  readonly range: { readonly min: number; readonly max: number; readonly def: number };
  readonly tokens: Set<string>;
}

const ids = (m: SimMiner): number[] => (/S9\b/.test(m.hw.name) ? [6, 7, 8] : Array.from({ length: m.hw.boards }, (_, i) => i + 1));

function section(m: SimMiner, bos: Bos, cmd: string): unknown {
  const now = m.now();
  const running = m.mode === 'mining';
  switch (cmd) {
    case 'version':
      return cg('S', 22, 'BOSminer+ versions', DESC, { VERSION: [{ 'BOSminer+': '0.2.0-b3c2a8f1', API: '3.7' }] });
    case 'summary':
      return cg('S', 11, 'Summary', DESC, { SUMMARY: [{ Elapsed: now.uptimeS, 'MHS av': fixed(now.hashrateTHs * 1e6), 'MHS 5s': fixed(now.hashrateTHs * 1e6), 'MHS 1m': fixed(now.hashrateTHs * 1e6), Accepted: 4021, Rejected: 2, 'Hardware Errors': 0 }] });
    case 'devs':
      return cg('S', 9, `${m.hw.boards} ASC(s)`, DESC, { DEVS: ids(m).map((id, i) => ({ ASC: i, ID: id, Name: 'BC5', Enabled: 'Y', Status: running ? 'Alive' : 'Disabled', 'MHS 5s': fixed((now.boards[i]?.hashrateTHs ?? 0) * 1e6), 'MHS 1m': fixed((now.boards[i]?.hashrateTHs ?? 0) * 1e6), 'Nominal MHS': fixed((m.hw.nominalTHs / m.hw.boards) * 1e6) })) });
    case 'devdetails':
      return cg('S', 69, 'Device Details', DESC, { DEVDETAILS: ids(m).map((id, i) => ({ DEVDETAILS: i, Name: 'BC5', ID: id, Driver: 'bitmain', Kernel: '', Model: `Bitmain ${m.hw.name}`, Chips: m.hw.chipsPerBoard, Cores: m.hw.chipsPerBoard * 4, Frequency: 650000000, Voltage: 13.4 })) });
    case 'temps':
      return cg('S', 201, 'Temperatures', DESC, { TEMPS: ids(m).map((id, i) => ({ TEMP: i, ID: id, Board: fixed(now.boards[i]?.boardTempC ?? 0, 1), Chip: fixed(now.boards[i]?.chipTempC ?? 0, 1) })) });
    case 'fans':
      return cg('S', 202, 'Fans', DESC, { FANS: now.fansRpm.map((rpm, i) => ({ FAN: i, ID: i, RPM: rpm, Speed: 60 })) });
    case 'tunerstatus':
      return cg('S', 203, 'Tuner Status', DESC, { TUNERSTATUS: [{
        ApproximateChainPowerConsumption: Math.round(now.powerW * 0.95), ApproximateMinerPowerConsumption: Math.round(now.powerW), PowerLimit: m.targetW ?? bos.range.def, DynamicPowerScaling: 'Disabled',
        TunerChainStatus: ids(m).map((id) => ({ HashchainIndex: id, Iteration: 0, LoadedProfileCreatedOn: 1700000000, PowerLimitWatt: Math.round((m.targetW ?? bos.range.def) / m.hw.boards), ApproximatePowerConsumptionWatt: Math.round(now.powerW / m.hw.boards), StageElapsed: 120, Status: bos.tuning ? 'Tuning individual chips' : 'Stable', TunerRunning: bos.tuning, TuningElapsed: 600 })),
      }] });
    case 'pools':
      return cgPools(DESC);
    default:
      return cgError(14, 'Invalid command', DESC);
  }
}

function rpc(m: SimMiner, bos: Bos, command: string): RpcAnswer {
  if (command === 'pause') {
    m.setMode('paused');
    return { json: cg('S', 204, 'Pause', DESC, { PAUSE: [true] }) };
  }
  if (command === 'resume') {
    m.setMode('mining');
    return { json: cg('S', 205, 'Resume', DESC, { RESUME: [true] }) };
  }
  return { json: command.includes('+') ? multi(command, (c) => section(m, bos, c)) : section(m, bos, command) };
}

function setTarget(m: SimMiner, bos: Bos, body: unknown): HttpAnswer {
  const watt = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['watt'] : undefined;
  if (typeof watt !== 'number' || !Number.isFinite(watt)) return { status: 400, json: { message: 'watt must be a number' } };
  if (watt < bos.range.min || watt > bos.range.max) return { status: 400, json: { message: `power target [${watt}W] is not in allowed range [Some(${bos.range.min}), Some(${bos.range.max})]` } };
  m.setTarget(watt);
  bos.tuning = true;
  m.after(typeof m.opts.params['tuneS'] === 'number' ? m.opts.params['tuneS'] : 8, () => (bos.tuning = false));
  return { status: 200, json: { watt } };
}

function rest(m: SimMiner, bos: Bos, password: string, c: HttpCall): HttpAnswer | undefined {
  if (c.method === 'GET' && c.path === '/') return { status: 200, text: '<html><title>Braiins OS</title></html>' };
  if (c.method === 'POST' && c.path === '/api/v1/auth/login') {
    const b = (c.json ?? {}) as Record<string, unknown>;
    if (b['username'] !== 'root' || b['password'] !== password) return { status: 401, json: { message: 'invalid credentials' } };
    const token = randomBytes(12).toString('hex');
    bos.tokens.add(token);
    return { status: 200, json: { token, timeout_s: 3600 } };
  }
  if (!c.path.startsWith('/api/v1/')) return undefined;
  if (!bos.tokens.has(String(c.headers.authorization ?? ''))) return { status: 401, json: { message: 'unauthorized' } };
  const now = m.now();
  switch (`${c.method} ${c.path.slice('/api/v1/'.length)}`) {
    case 'GET miner/details':
      return { status: 200, json: { uid: 'sim', miner_identity: { brand: 1, model: m.hw.name, name: m.loadId, miner_model: m.hw.name }, platform: 1, bos_mode: 1, bos_version: { current: '25.07', major: '25', bos_version: '25.07' }, hostname: m.loadId, mac_address: '02:00:00:00:00:02', status: m.mode === 'mining' ? 2 : 3, sticker_hashrate: { gigahash_per_second: m.hw.nominalTHs * 1000 }, bosminer_uptime_s: now.uptimeS } };
    case 'GET performance/tuner-state':
      return { status: 200, json: { overall_tuner_state: bos.tuning ? 3 : 2, mode_state: { powertargetmodestate: { current_target: { watt: m.targetW ?? bos.range.def } } } } };
    case 'GET configuration/constraints':
      return { status: 200, json: { tuner_constraints: { power_target: { default: { watt: bos.range.def }, min: { watt: bos.range.min }, max: { watt: bos.range.max } } } } };
    case 'GET miner/stats':
      return { status: 200, json: { miner_stats: { real_hashrate: { last_5s: { gigahash_per_second: now.hashrateTHs * 1000 } } }, power_stats: { approximated_consumption: { watt: Math.round(now.powerW) } } } };
    case 'PUT performance/power-target':
      return setTarget(m, bos, c.json);
    case 'PUT actions/pause':
      m.setMode('paused');
      return { status: 204 };
    case 'PUT actions/resume':
      m.setMode('mining');
      return { status: 204 };
    default:
      return undefined;
  }
}

export const braiinsOs: DeviceModel = async (s) => {
  const m = startSimMiner(s, { hardware: 'antminer-s19kpro', restartS: 15 });
  const password = param(s, 'password', 'root');
  const nominal = m.load.spec.nominalW;
  const bos: Bos = { tuning: false, range: { min: Math.round(nominal * 0.28), max: Math.round(nominal * 2.3), def: Math.round(nominal) }, tokens: new Set() };
  const rpcServer = await serveRpc(m, s.host, s.port, (req) => rpc(m, bos, req.command), DESC);
  const httpServer = await serveHttp(m, s.host, 0, (c) => rest(m, bos, password, c));
  return minerEndpoint(s, m, 'braiins-os', rpcServer, { http: httpServer, user: 'root', password });
};
